/**
 * safetensors reader: 8-byte little-endian header length, a UTF-8 JSON header, then the data buffer.
 * Only the header is read; tensor bytes are fetched on demand. Every rule of the reference
 * implementation (huggingface/safetensors `SafeTensors::read_metadata` + `Metadata::validate`) is
 * enforced, each with a message that names the file, the tensor and the numbers involved.
 */
import type { ByteSource } from './byte-source';
import type { Checkpoint, TensorEntry } from './checkpoint';
import { byteLengthOf, DTYPE_BITS, isDType, numelOf, type DType } from './dtype';
import { FormatError } from './errors';
import { isJsonObject, isJsonWhitespace, JsonNumber, parseStrictJson, JsonSyntaxError, type JsonValue } from './header-json';
import { defineReader } from './reader';

/** The reference refuses headers above 100 MB (MAX_HEADER_SIZE). */
export const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsTensorInfo {
  name: string;
  dtype: DType;
  shape: number[];
  /** Offsets into the data buffer (which starts right after the header). */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** The declared JSON header length (bytes after the first 8). */
  headerLength: number;
  /** Absolute file offset of the data buffer: 8 + headerLength. */
  dataStart: number;
  metadata: Record<string, string>;
  /** Tensors ordered by data offset, i.e. in the order their bytes lie in the file. */
  tensors: SafetensorsTensorInfo[];
}

const fmtShape = (s: readonly number[]) => `[${s.join(', ')}]`;
const quote = (s: string) => `'${s}'`;

/** Reads the header length from the first 8 bytes and checks it against the cap and the file size. */
export function readHeaderLength(first8: Uint8Array, fileName: string, fileSize: number): number {
  if (fileSize < 8 || first8.byteLength < 8) {
    throw new FormatError(fileName, `file is ${fileSize} bytes, too short for the 8-byte safetensors header length`);
  }
  const n = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw new FormatError(fileName, `header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit (not a safetensors file, or corrupt)`);
  }
  const len = Number(n);
  if (8 + len > fileSize) {
    throw new FormatError(fileName, `header length ${len} runs past the end of the file (${fileSize} bytes, so at most ${fileSize - 8} header bytes)`);
  }
  return len;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Parses and validates a header. `bytes` starts at the beginning of the file and holds at least the
 * 8 length bytes and the JSON header; `fileSize` is the whole file's size (defaults to bytes.length,
 * i.e. a whole file in memory).
 */
export function parseSafetensorsHeader(bytes: Uint8Array, fileName: string, fileSize: number = bytes.byteLength): SafetensorsHeader {
  const headerLength = readHeaderLength(bytes.subarray(0, 8), fileName, fileSize);
  if (bytes.byteLength < 8 + headerLength) {
    throw new FormatError(fileName, `only ${bytes.byteLength - 8} of the ${headerLength} header bytes were given`);
  }
  return validateHeader(bytes.subarray(8, 8 + headerLength), fileName, fileSize);
}

function decodeHeaderJson(header: Uint8Array, file: string): JsonValue {
  let text: string;
  try {
    // ignoreBOM keeps a byte-order mark in the text, so it fails as JSON exactly as in the reference.
    text = utf8.decode(header);
  } catch {
    throw new FormatError(file, 'header is not valid UTF-8');
  }
  try {
    return parseStrictJson(text);
  } catch (e) {
    const why = e instanceof JsonSyntaxError ? e.message : String(e);
    throw new FormatError(file, header.byteLength === 0 ? 'header is empty (expected a JSON object)' : `header is not valid JSON: ${why}`);
  }
}

function readMetadata(v: JsonValue, file: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (v === null) return out; // Option::None in the reference
  if (!isJsonObject(v)) throw new FormatError(file, `__metadata__ must be an object of string values, found ${describe(v)}`);
  for (const [k, val] of v) {
    if (typeof val !== 'string') {
      throw new FormatError(file, `__metadata__ value of ${quote(k)} must be a string, found ${describe(val)}`);
    }
    out[k] = val;
  }
  return out;
}

function describe(v: JsonValue | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'number') return `the number ${v}`;
  if (v instanceof JsonNumber) return `the number ${v.raw}`;
  if (Array.isArray(v)) return 'an array';
  if (isJsonObject(v)) return 'an object';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return String(v);
}

/** A usize as the reference reads it: a non-negative integer literal (here also ≤ 2^53 − 1). */
function readUsize(v: JsonValue | undefined, file: string, what: string): number {
  if (typeof v === 'number') {
    if (v < 0) throw new FormatError(file, `${what} must be a non-negative integer, found ${v}`);
    return v === 0 ? 0 : v; // serde reads -0 as 0

  }
  if (!(v instanceof JsonNumber) || !v.isIntegerLiteral) {
    throw new FormatError(file, `${what} must be a non-negative integer, found ${describe(v)}`);
  }
  if (v.raw.startsWith('-')) throw new FormatError(file, `${what} must be a non-negative integer, found ${v.raw}`);
  const x = v.value;
  if (!Number.isSafeInteger(x)) throw new FormatError(file, `${what} ${v.raw} is too large (overflow)`);
  return x;
}

function readTensorInfo(name: string, v: JsonValue, file: string): SafetensorsTensorInfo {
  const t = `tensor ${quote(name)}`;
  if (!isJsonObject(v)) throw new FormatError(file, `${t} must be an object with dtype, shape and data_offsets, found ${describe(v)}`);
  const dtype = v.get('dtype');
  if (dtype === undefined) throw new FormatError(file, `${t} has no dtype`);
  if (!isDType(dtype)) {
    throw new FormatError(file, `${t} has unknown dtype ${typeof dtype === 'string' ? quote(dtype) : describe(dtype)}`);
  }
  const shapeV = v.get('shape');
  if (shapeV === undefined) throw new FormatError(file, `${t} has no shape`);
  if (!Array.isArray(shapeV)) throw new FormatError(file, `${t} shape must be an array of non-negative integers, found ${describe(shapeV)}`);
  const shape = shapeV.map((d, i) => readUsize(d, file, `${t} shape[${i}]`));
  const offV = v.get('data_offsets');
  if (offV === undefined) throw new FormatError(file, `${t} has no data_offsets`);
  if (!Array.isArray(offV) || offV.length !== 2) {
    throw new FormatError(file, `${t} data_offsets must be [begin, end], found ${Array.isArray(offV) ? `${offV.length} entries` : describe(offV)}`);
  }
  const begin = readUsize(offV[0], file, `${t} data_offsets begin`);
  const end = readUsize(offV[1], file, `${t} data_offsets end`);
  // Other keys are ignored, as serde does by default.
  return { name, dtype, shape, begin, end };
}

function validateHeader(header: Uint8Array, file: string, fileSize: number): SafetensorsHeader {
  const root = decodeHeaderJson(header, file);
  if (!isJsonObject(root)) throw new FormatError(file, `header must be a JSON object, found ${describe(root)}`);
  let metadata: Record<string, string> = {};
  const tensors: SafetensorsTensorInfo[] = [];
  for (const [key, v] of root) {
    if (key === '__metadata__') metadata = readMetadata(v, file);
    else tensors.push(readTensorInfo(key, v, file));
  }
  // The reference sorts by (begin, end) and then demands the ranges tile the buffer from 0.
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let prev: SafetensorsTensorInfo | null = null;
  for (const t of tensors) {
    const tn = `tensor ${quote(t.name)}`;
    const range = `data_offsets [${t.begin}, ${t.end})`;
    if (t.end < t.begin) throw new FormatError(file, `${tn} ${range} end before they begin`);
    if (t.begin !== cursor) {
      if (t.begin > cursor) {
        throw new FormatError(file, prev
          ? `${tn} ${range} leave a gap of ${t.begin - cursor} bytes after tensor ${quote(prev.name)} (which ends at ${cursor})`
          : `${tn} ${range} leave a gap: the first tensor must start at offset 0`);
      }
      throw new FormatError(file, `${tn} ${range} overlap tensor ${quote(prev!.name)} (which ends at ${cursor})`);
    }
    cursor = t.end;
    const numel = numelOf(t.shape);
    if (numel === null) throw new FormatError(file, `${tn} shape ${fmtShape(t.shape)} overflows the element count`);
    const need = byteLengthOf(t.dtype, numel);
    if (need === null) {
      const bits = numel * DTYPE_BITS[t.dtype];
      throw new FormatError(file, Number.isSafeInteger(bits)
        ? `${tn} shape ${fmtShape(t.shape)} of ${t.dtype} is ${bits} bits, not a whole number of bytes`
        : `${tn} shape ${fmtShape(t.shape)} of ${t.dtype} overflows the byte size`);
    }
    const have = t.end - t.begin;
    if (have !== need) {
      throw new FormatError(file, `${tn} ${range} hold ${have} bytes but shape ${fmtShape(t.shape)} of ${t.dtype} needs ${need}`);
    }
    prev = t;
  }
  const dataStart = 8 + header.byteLength;
  const available = fileSize - dataStart;
  if (cursor !== available) {
    throw new FormatError(file, cursor < available
      ? `${available - cursor} trailing bytes after the last tensor (tensors end at data offset ${cursor}, the file holds ${available} data bytes)`
      : `file is truncated: tensors need ${cursor} data bytes but only ${available} follow the header`);
  }
  return { headerLength: header.byteLength, dataStart, metadata, tensors };
}

/** Builds lazy entries over `source` for a validated header. */
export function tensorEntries(source: ByteSource, h: SafetensorsHeader): TensorEntry[] {
  return h.tensors.map((t) => {
    const byteLength = t.end - t.begin;
    const at = h.dataStart + t.begin;
    return {
      name: t.name,
      dtype: t.dtype,
      shape: t.shape,
      byteLength,
      file: source.name,
      read(start = 0, length = byteLength - start) {
        if (!Number.isSafeInteger(start) || !Number.isSafeInteger(length) || start < 0 || length < 0 || start + length > byteLength) {
          return Promise.reject(new FormatError(source.name, `read of ${length} bytes at ${start} is outside tensor ${quote(t.name)} (${byteLength} bytes)`));
        }
        return source.read(at + start, length);
      },
    };
  });
}

/** Whether the first bytes look like a safetensors file: a plausible length, then (after JSON whitespace) '{'. */
export function looksLikeSafetensors(head: Uint8Array): boolean {
  if (head.byteLength < 10) return false;
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (dv.getUint32(4, true) !== 0) return false;
  const n = dv.getUint32(0, true);
  if (n < 2 || n > MAX_HEADER_BYTES) return false;
  for (let i = 8; i < head.byteLength && i < 8 + n; i++) {
    if (isJsonWhitespace(head[i])) continue;
    return head[i] === 0x7b;
  }
  return false;
}

export async function openSafetensors(source: ByteSource): Promise<Checkpoint<'safetensors'>> {
  const first = source.size >= 8 ? await source.read(0, 8) : new Uint8Array(0);
  const headerLength = readHeaderLength(first, source.name, source.size);
  const header = await source.read(8, headerLength);
  const h = validateHeader(header, source.name, source.size);
  return {
    name: source.name,
    format: 'safetensors',
    files: [source.name],
    sharded: false,
    tensors: tensorEntries(source, h),
    metadata: h.metadata,
    fileBytes: source.size,
  };
}

export const safetensorsReader = defineReader({
  id: 'safetensors',
  format: 'safetensors',
  label: 'safetensors',
  extensions: ['.safetensors'],
  shardSets: ['.safetensors'],
  match: (name, head) => /\.safetensors$/i.test(name) || looksLikeSafetensors(head),
  open: (source) => openSafetensors(source),
});
