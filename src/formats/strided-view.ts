import type { ByteSource } from './byte-source';
import type { TensorEntry } from './checkpoint';
import { ensure } from './errors';

/**
 * Reading a strided view (torch tensors that are transposes, slices, expands; Fortran-ordered npy) as
 * contiguous row-major bytes. Only the storage span the requested elements touch is read.
 */
export interface StridedLayout {
  shape: readonly number[];
  /** Element strides, one per dimension (may be 0 for expanded dimensions). */
  strides: readonly number[];
  /** First element of the view inside the storage, in elements. */
  offset: number;
  elemSize: number;
  /** Byte-swap each element (big-endian storage). */
  swap: boolean;
}

/** Whether the view is a plain row-major block (dimensions of size 1 may carry any stride). */
export function isRowMajor(shape: readonly number[], strides: readonly number[]): boolean {
  let expect = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] === 1) continue;
    if (strides[i] !== expect) return false;
    expect *= shape[i];
  }
  return true;
}

/** Highest storage element a view touches (offset when empty); used to check views against their storage. */
export function lastElement(l: Pick<StridedLayout, 'shape' | 'strides' | 'offset'>): number {
  let m = l.offset;
  for (let i = 0; i < l.shape.length; i++) if (l.shape[i] > 0) m += (l.shape[i] - 1) * l.strides[i];
  return m;
}

export function byteSwap(bytes: Uint8Array, elemSize: number): void {
  if (elemSize === 1) return;
  for (let i = 0; i + elemSize <= bytes.length; i += elemSize) {
    for (let a = i, b = i + elemSize - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

/** Walks storage indices of row-major elements [first, first + count) of the view. */
function walk(l: StridedLayout, first: number, count: number, visit: (storageIndex: number, k: number) => void): void {
  const nd = l.shape.length;
  const idx = new Array<number>(nd).fill(0);
  let rem = first;
  let at = l.offset;
  for (let d = nd - 1; d >= 0; d--) {
    idx[d] = rem % l.shape[d];
    rem = Math.floor(rem / l.shape[d]);
    at += idx[d] * l.strides[d];
  }
  for (let k = 0; k < count; k++) {
    visit(at, k);
    for (let d = nd - 1; d >= 0; d--) {
      if (++idx[d] < l.shape[d]) {
        at += l.strides[d];
        break;
      }
      at -= (l.shape[d] - 1) * l.strides[d];
      idx[d] = 0;
    }
  }
}

/** A strided read fetches the whole span it touches unless that is both over 8 MiB and 4x the bytes it needs. */
const SPAN_SLACK = 4;
const SPAN_ALWAYS = 8 << 20;
/** Sparse gathers merge storage ranges closer than this into one read. */
const MERGE_GAP = 64 << 10;

/**
 * Gathers a view whose elements are scattered thinly over a large storage (a few elements of a huge
 * tensor): reads only merged runs around the needed elements, so memory follows the request, not the span.
 */
async function gatherSparse(storage: ByteSource, l: StridedLayout, first: number, count: number, out: Uint8Array): Promise<void> {
  const e = l.elemSize;
  const idx = new Float64Array(count);
  walk(l, first, count, (s, k) => {
    idx[k] = s;
  });
  const sorted = idx.slice().sort();
  const starts: number[] = [];
  const ends: number[] = [];
  for (const s of sorted) {
    if (ends.length && (s - ends[ends.length - 1]) * e <= MERGE_GAP) ends[ends.length - 1] = Math.max(ends[ends.length - 1], s + 1);
    else {
      starts.push(s);
      ends.push(s + 1);
    }
  }
  const runs = await Promise.all(starts.map((s, i) => storage.read(s * e, (ends[i] - s) * e)));
  for (let k = 0; k < count; k++) {
    const s = idx[k];
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= s) lo = mid;
      else hi = mid - 1;
    }
    const from = (s - starts[lo]) * e;
    for (let j = 0; j < e; j++) out[k * e + j] = runs[lo][from + j];
  }
}

/** Bytes [start, start + length) of the view's contiguous row-major form. */
export async function readStrided(storage: ByteSource, l: StridedLayout, start: number, length: number): Promise<Uint8Array> {
  const e = l.elemSize;
  if (length === 0) return new Uint8Array(0);
  const a = Math.floor(start / e);
  const b = Math.ceil((start + length) / e);
  const cut = start - a * e;
  let out: Uint8Array;
  if (isRowMajor(l.shape, l.strides)) {
    out = await storage.read((l.offset + a) * e, (b - a) * e);
    if (l.swap) {
      out = out.slice();
      byteSwap(out, e);
    }
  } else {
    let lo = Infinity;
    let hi = -Infinity;
    walk(l, a, b - a, (s) => {
      if (s < lo) lo = s;
      if (s > hi) hi = s;
    });
    out = new Uint8Array((b - a) * e);
    const spanBytes = (hi - lo + 1) * e;
    if (spanBytes <= Math.max(SPAN_SLACK * out.length, SPAN_ALWAYS)) {
      const span = await storage.read(lo * e, spanBytes);
      walk(l, a, b - a, (s, k) => {
        const from = (s - lo) * e;
        for (let j = 0; j < e; j++) out[k * e + j] = span[from + j];
      });
    } else {
      await gatherSparse(storage, l, a, b - a, out);
    }
    if (l.swap) byteSwap(out, e);
  }
  return cut === 0 && out.length === length ? out : out.subarray(cut, cut + length);
}

/** A lazy tensor whose contiguous bytes are the view `layout` of a storage, opened on the first read. */
export function stridedTensor(
  t: Pick<TensorEntry, 'name' | 'dtype' | 'shape' | 'byteLength' | 'file'>, layout: StridedLayout, storage: () => ByteSource | Promise<ByteSource>,
): TensorEntry {
  const { name, byteLength, file } = t;
  return {
    ...t,
    async read(start = 0, length = byteLength - start) {
      ensure(Number.isSafeInteger(start) && Number.isSafeInteger(length) && start >= 0 && length >= 0 && start + length <= byteLength, file, `read of ${length} bytes at ${start} is outside tensor '${name}' (${byteLength} bytes)`);
      return readStrided(await storage(), layout, start, length);
    },
  };
}
