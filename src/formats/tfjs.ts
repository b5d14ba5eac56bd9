import type { ByteSource } from './byte-source';
import { baseName } from './byte-source';
import type { TensorEntry } from './checkpoint';
import type { DType } from './dtype';
import { dtypeSize, f16BitsToF32, numelOf } from './dtype';
import { FormatError, ensure } from './errors';
import { defineReader } from './reader';

/**
 * TensorFlow.js `model.json`: `weightsManifest` is a list of groups; each group's weights lie back to back
 * in the concatenation of its shard files (`paths`, relative to model.json), so a weight may straddle two
 * shards. Quantized weights (uint8/uint16 affine, float16) dequantize on read, as tfjs does on load:
 * to F32, or rounded to I32 for int32 weights.
 */

const MAX_JSON = 64 * 1024 * 1024;

const WEIGHT_DTYPES: Record<string, DType> = { float32: 'F32', int32: 'I32', bool: 'BOOL', float16: 'F16' };
const QUANT_SIZES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };

interface Quantization {
  dtype: 'uint8' | 'uint16' | 'float16';
  scale: number;
  min: number;
}

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype?: unknown; scale?: unknown; min?: unknown };
}

interface Manifest {
  groups: { paths: string[]; weights: WeightSpec[] }[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
}

async function readManifest(source: ByteSource): Promise<Manifest> {
  const file = source.name;
  ensure(source.size <= MAX_JSON, file, `model.json of ${source.size} bytes is implausibly large`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(await source.read(0, source.size)));
  } catch (e) {
    throw new FormatError(file, `model.json is not valid UTF-8 JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  ensure(json && typeof json === 'object' && !Array.isArray(json), file, 'model.json is not a JSON object');
  const o = json as Record<string, unknown>;
  const wm = o.weightsManifest;
  ensure(Array.isArray(wm), file, 'model.json has no weightsManifest list (not a tfjs model)');
  const groups = wm.map((g, i) => {
    ensure(g && typeof g === 'object', file, `weightsManifest[${i}] is not an object`);
    const { paths, weights } = g as Record<string, unknown>;
    ensure(Array.isArray(paths) && paths.every((p) => typeof p === 'string' && p.length > 0), file, `weightsManifest[${i}].paths is not a list of file names`);
    ensure(Array.isArray(weights), file, `weightsManifest[${i}].weights is not a list`);
    for (const w of weights) {
      ensure(w && typeof w === 'object' && typeof w.name === 'string', file, `weightsManifest[${i}] has a weight without a name`);
      ensure(Array.isArray(w.shape) && w.shape.every((s: unknown) => Number.isSafeInteger(s) && (s as number) >= 0), file, `weight '${w.name}' has an invalid shape`);
      ensure(typeof w.dtype === 'string', file, `weight '${w.name}' has no dtype`);
    }
    return { paths: paths as string[], weights: weights as WeightSpec[] };
  });
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return { groups, format: str(o.format), generatedBy: str(o.generatedBy), convertedBy: str(o.convertedBy) };
}

/** Shard files of one group read as one byte range. */
function concatSources(parts: ByteSource[], name: string): ByteSource {
  const starts: number[] = [];
  let size = 0;
  for (const p of parts) {
    starts.push(size);
    size += p.size;
  }
  return {
    name,
    size,
    async read(offset, length) {
      if (offset < 0 || length < 0 || offset + length > size) throw new RangeError(`${name}: read of ${length} bytes at ${offset} is outside the shards (${size} bytes)`);
      const out = new Uint8Array(length);
      let filled = 0;
      for (let i = 0; i < parts.length && filled < length; i++) {
        const at = offset + filled - starts[i];
        if (at >= parts[i].size || at < 0) continue;
        const n = Math.min(parts[i].size - at, length - filled);
        out.set(await parts[i].read(at, n), filled);
        filled += n;
      }
      return out;
    },
  };
}

function quantization(w: WeightSpec, file: string): Quantization | undefined {
  const q = w.quantization;
  if (!q) return undefined;
  ensure(typeof q.dtype === 'string' && q.dtype in QUANT_SIZES, file, `weight '${w.name}' has unsupported quantization dtype ${JSON.stringify(q.dtype)}`);
  if (q.dtype === 'float16') {
    ensure(w.dtype === 'float32', file, `weight '${w.name}': float16 quantization of ${w.dtype} is not defined`);
    return { dtype: 'float16', scale: 1, min: 0 };
  }
  ensure(typeof q.scale === 'number' && typeof q.min === 'number', file, `weight '${w.name}' lacks quantization scale/min`);
  ensure(w.dtype === 'float32' || w.dtype === 'int32', file, `weight '${w.name}': quantized ${w.dtype} is not defined`);
  return { dtype: q.dtype as 'uint8' | 'uint16', scale: q.scale, min: q.min };
}

function dequantize(q: Quantization, raw: Uint8Array, out: DType): Uint8Array {
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const size = QUANT_SIZES[q.dtype];
  const n = raw.byteLength / size;
  const f = out === 'I32' ? new Int32Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = q.dtype === 'uint8' ? raw[i] : dv.getUint16(i * 2, true);
    const x = q.dtype === 'float16' ? f16BitsToF32(v) : v * q.scale + q.min;
    f[i] = out === 'I32' ? Math.round(x) : x;
  }
  return new Uint8Array(f.buffer);
}

function weightEntry(shards: ByteSource, at: number, w: WeightSpec, numel: number, q: Quantization | undefined, file: string): TensorEntry {
  const dtype: DType = q ? (w.dtype === 'int32' ? 'I32' : 'F32') : WEIGHT_DTYPES[w.dtype];
  const e = dtypeSize(dtype);
  const byteLength = numel * e;
  const qs = q ? QUANT_SIZES[q.dtype] : e;
  return {
    name: w.name,
    dtype,
    shape: w.shape,
    byteLength,
    file,
    async read(start = 0, length = byteLength - start) {
      ensure(Number.isSafeInteger(start) && Number.isSafeInteger(length) && start >= 0 && length >= 0 && start + length <= byteLength, file, `read of ${length} bytes at ${start} is outside tensor '${w.name}' (${byteLength} bytes)`);
      if (!q) return shards.read(at + start, length);
      const a = Math.floor(start / e);
      const b = Math.ceil((start + length) / e);
      const out = dequantize(q, await shards.read(at + a * qs, (b - a) * qs), dtype);
      const cut = start - a * e;
      return out.subarray(cut, cut + length);
    },
  };
}

function isModelJsonName(name: string): boolean {
  return /(^|[/\\._-])model\.json$/i.test(name) && !/\.index\.json$/i.test(name);
}

/**
 * A tfjs model saved under any `.json` name (`faceres.json`): a JSON object with a `weightsManifest`
 * list and `modelTopology` or `format`, as the converter writes. Reads the file (up to MAX_JSON);
 * a cheap text search rules out other JSON (config.json, tokenizer.json) before any parse.
 */
async function looksLikeTfjsJson(source: ByteSource, head: Uint8Array): Promise<boolean> {
  if (!/\.json$/i.test(source.name) || /\.index\.json$/i.test(source.name) || source.size > MAX_JSON) return false;
  if (firstNonSpace(head) !== 0x7b) return false;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(await source.read(0, source.size));
  } catch {
    return false;
  }
  if (!text.includes('"weightsManifest"')) return false;
  try {
    const o = JSON.parse(text) as unknown;
    if (!o || typeof o !== 'object' || Array.isArray(o)) return false;
    const r = o as Record<string, unknown>;
    return Array.isArray(r.weightsManifest) && ('modelTopology' in r || typeof r.format === 'string');
  } catch {
    return false;
  }
}

function firstNonSpace(head: Uint8Array): number | undefined {
  return head.find((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09 && b !== 0xef && b !== 0xbb && b !== 0xbf);
}

export const tfjsReader = defineReader({
  id: 'tfjs',
  format: 'tfjs',
  label: 'tfjs',
  extensions: ['model.json'],
  match(name, head) {
    if (!isModelJsonName(name)) return false;
    const first = firstNonSpace(head);
    return first === undefined || first === 0x7b; // '{'
  },
  sniff: looksLikeTfjsJson,
  async members(source) {
    const m = await readManifest(source);
    return m.groups.flatMap((g) => g.paths);
  },
  async open(source, sibling) {
    const file = source.name;
    const m = await readManifest(source);
    const tensors: TensorEntry[] = [];
    const files = [file];
    let fileBytes = source.size;
    let quantized = 0;
    const names = new Set<string>();
    for (const g of m.groups) {
      const parts = g.paths.map((p) => {
        const s = sibling(p);
        if (!s) throw new FormatError(file, `weight file '${p}' named in weightsManifest is missing (drop it together with ${baseName(file)})`);
        files.push(s.name);
        fileBytes += s.size;
        return s;
      });
      const shards = concatSources(parts, g.paths.join('+'));
      let at = 0;
      for (const w of g.weights) {
        ensure(w.dtype in WEIGHT_DTYPES, file, `weight '${w.name}' has unsupported dtype '${w.dtype}'`);
        ensure(!names.has(w.name), file, `two weights are named '${w.name}'`);
        names.add(w.name);
        const q = quantization(w, file);
        if (q) quantized++;
        const numel = numelOf(w.shape);
        ensure(numel !== null, file, `weight '${w.name}' has an overflowing shape`);
        const stored = numel * (q ? QUANT_SIZES[q.dtype] : dtypeSize(WEIGHT_DTYPES[w.dtype]));
        ensure(at + stored <= shards.size, file, `weight '${w.name}' needs bytes ${at}..${at + stored} but the shards ${g.paths.join(', ')} hold ${shards.size}`);
        tensors.push(weightEntry(shards, at, w, numel, q, g.paths.join('+')));
        at += stored;
      }
    }
    const metadata: Record<string, string> = { format: 'tfjs model.json', weight_groups: String(m.groups.length), quantized_weights: String(quantized) };
    if (m.format) metadata.model_format = m.format;
    if (m.generatedBy) metadata.generated_by = m.generatedBy;
    if (m.convertedBy) metadata.converted_by = m.convertedBy;
    return { name: baseName(file), format: 'tfjs', files, sharded: files.length > 2, tensors, metadata, fileBytes };
  },
});
