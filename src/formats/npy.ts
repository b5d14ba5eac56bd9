import type { ByteSource } from './byte-source';
import { baseName, subSource } from './byte-source';
import type { TensorEntry } from './checkpoint';
import type { DType } from './dtype';
import { dtypeSize, numelOf } from './dtype';
import { FormatError, ensure } from './errors';
import { defineReader } from './reader';
import { stridedTensor } from './strided-view';

/**
 * NumPy `.npy` (format versions 1, 2, 3): a magic string, a Python-literal header dict
 * {'descr', 'fortran_order', 'shape'}, then the raw array. Fortran-ordered arrays are read as
 * strided views so callers always get row-major bytes. Object arrays (pickled) are refused.
 */

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const MAX_HEADER = 1 << 20;

const KINDS: Record<string, DType> = {
  f2: 'F16', f4: 'F32', f8: 'F64', i1: 'I8', i2: 'I16', i4: 'I32', i8: 'I64',
  u1: 'U8', u2: 'U16', u4: 'U32', u8: 'U64', b1: 'BOOL',
};

export interface NpyHeader {
  version: number;
  dtype: DType;
  shape: number[];
  fortranOrder: boolean;
  bigEndian: boolean;
  /** Byte offset of the array data. */
  dataOffset: number;
}

export function isNpyHead(head: Uint8Array): boolean {
  return head.length >= 6 && MAGIC.every((b, i) => head[i] === b);
}

/** Parses the Python literal numpy writes: dicts, tuples, lists, strings, ints, True/False/None. */
function parseLiteral(text: string, file: string): unknown {
  let i = 0;
  const fault = (what: string): never => {
    throw new FormatError(file, `npy header is malformed (${what} at character ${i}): ${text.slice(0, 200)}`);
  };
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const value = (depth: number): unknown => {
    if (depth > 32) fault('nesting too deep');
    ws();
    const c = text[i];
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) fault('unterminated string');
      const s = text.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    if (c === '{' || c === '(' || c === '[') {
      const close = c === '{' ? '}' : c === '(' ? ')' : ']';
      i++;
      const items: unknown[] = [];
      const dict = new Map<unknown, unknown>();
      for (;;) {
        ws();
        if (text[i] === close) {
          i++;
          break;
        }
        const v = value(depth + 1);
        ws();
        if (c === '{') {
          if (text[i] !== ':') fault("':' expected");
          i++;
          dict.set(v, value(depth + 1));
          ws();
        } else items.push(v);
        if (text[i] === ',') i++;
        else if (text[i] !== close) fault(`',' or '${close}' expected`);
      }
      return c === '{' ? dict : items;
    }
    const m = /^(-?\d+)L?|^(True|False|None)/.exec(text.slice(i, i + 40));
    if (!m) return fault('unexpected token');
    i += m[0].length;
    if (m[2]) return m[2] === 'True' ? true : m[2] === 'False' ? false : null;
    return Number(m[1]);
  };
  const v = value(0);
  ws();
  if (i !== text.length) fault('trailing text');
  return v;
}

export async function readNpyHeader(source: ByteSource): Promise<NpyHeader> {
  const file = source.name;
  ensure(source.size >= 10, file, `too small to be a .npy file (${source.size} bytes)`);
  const pre = await source.read(0, Math.min(12, source.size));
  ensure(isNpyHead(pre), file, 'not a .npy file (no \\x93NUMPY magic)');
  const version = pre[6];
  ensure(version >= 1 && version <= 3, file, `unsupported .npy format version ${version}.${pre[7]}`);
  const dv = new DataView(pre.buffer, pre.byteOffset, pre.byteLength);
  let headerLen: number;
  let start: number;
  if (version === 1) {
    headerLen = dv.getUint16(8, true);
    start = 10;
  } else {
    ensure(pre.length >= 12, file, '.npy header is truncated');
    headerLen = dv.getUint32(8, true);
    start = 12;
  }
  ensure(headerLen <= MAX_HEADER, file, `.npy header of ${headerLen} bytes is implausibly large`);
  ensure(start + headerLen <= source.size, file, `.npy header (${headerLen} bytes) runs past the end of the file (truncated)`);
  const raw = await source.read(start, headerLen);
  const text = new TextDecoder(version === 3 ? 'utf-8' : 'latin1').decode(raw).trim();
  const dict = parseLiteral(text, file);
  ensure(dict instanceof Map, file, '.npy header is not a dict');
  const descr = dict.get('descr');
  const fortran = dict.get('fortran_order');
  const shape = dict.get('shape');
  ensure(typeof descr === 'string', file, `.npy dtype ${JSON.stringify(descr ?? null)} is not supported (structured arrays are not read)`);
  ensure(typeof fortran === 'boolean', file, '.npy header lacks fortran_order');
  ensure(Array.isArray(shape) && shape.every((s) => Number.isSafeInteger(s) && s >= 0), file, '.npy shape is not a tuple of non-negative integers');
  const order = descr[0];
  const kind = descr.slice(1);
  ensure(kind[0] !== 'O', file, ".npy object arrays hold pickled Python objects and are refused");
  const dtype = '<>|='.includes(order) ? KINDS[kind] : undefined;
  ensure(dtype, file, `.npy dtype '${descr}' is not supported`);
  return { version, dtype, shape: shape as number[], fortranOrder: fortran, bigEndian: order === '>' && dtypeSize(dtype) > 1, dataOffset: start + headerLen };
}

/** A lazy tensor over an .npy source (a file, or a member of an npz archive). */
export async function npyTensor(source: ByteSource, name: string): Promise<TensorEntry> {
  const file = source.name;
  const h = await readNpyHeader(source);
  const elemSize = dtypeSize(h.dtype);
  const numel = numelOf(h.shape);
  ensure(numel !== null && Number.isSafeInteger(numel * elemSize), file, `.npy shape [${h.shape}] overflows`);
  const byteLength = numel * elemSize;
  const dataBytes = source.size - h.dataOffset;
  ensure(dataBytes === byteLength, file, `.npy data holds ${dataBytes} bytes but shape [${h.shape}] of ${h.dtype} needs ${byteLength}`);
  const data = subSource(source, file, h.dataOffset, byteLength);
  // Fortran order is the reversed-stride view of the same bytes.
  const strides: number[] = [];
  let acc = 1;
  for (let d = 0; d < h.shape.length; d++) {
    strides.push(acc);
    acc *= h.shape[d];
  }
  const layout = h.fortranOrder
    ? { shape: h.shape, strides, offset: 0, elemSize, swap: h.bigEndian }
    : { shape: [numel], strides: [1], offset: 0, elemSize, swap: h.bigEndian };
  return stridedTensor({ name, dtype: h.dtype, shape: h.shape, byteLength, file }, layout, () => data);
}

function stem(name: string): string {
  return baseName(name).replace(/\.npy$/i, '');
}

export const npyReader = defineReader({
  id: 'npy',
  format: 'numpy',
  label: 'NumPy',
  extensions: ['.npy'],
  match(name, head) {
    return isNpyHead(head) || /\.npy$/i.test(name);
  },
  async open(source) {
    const t = await npyTensor(source, stem(source.name));
    return {
      name: baseName(source.name),
      format: 'numpy',
      files: [source.name],
      sharded: false,
      tensors: [t],
      metadata: { format: '.npy' },
      fileBytes: source.size,
    };
  },
});
