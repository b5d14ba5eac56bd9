/**
 * Exact k-th largest |τ| of a tensor for TIES trimming (mergekit keeps each tensor's top-k by magnitude).
 * The absolute value of a float32 ordered as an unsigned integer of its bits orders like the value
 * (NaN above +Inf), so the selection works on bits: a tensor that fits one chunk is selected in memory;
 * a larger one streams twice — a 65536-bin histogram of the high 16 bits finds the bin holding the k-th
 * value, a second histogram of the low 16 bits inside that bin gives the exact value. Memory stays at
 * one chunk plus 2 × 256 KiB whatever the tensor size.
 */

/** Absolute-value bits of τ = a − b in float32 (b null: τ = a). */
export function absDeltaBits(a: Float32Array, b: Float32Array | null, out: Uint32Array): Uint32Array {
  const f = new Float32Array(out.buffer, out.byteOffset, out.length);
  if (b) for (let i = 0; i < a.length; i++) f[i] = a[i] - b[i];
  else f.set(a);
  for (let i = 0; i < out.length; i++) out[i] &= 0x7fffffff;
  return out;
}

const bitsToFloat = (u: number) => new Float32Array(new Uint32Array([u]).buffer)[0];

/** k-th largest (1-based) of unsigned values, in place (Hoare-style quickselect, deterministic pivot). */
export function selectKthLargest(v: Uint32Array, k: number): number {
  let lo = 0, hi = v.length - 1;
  const target = k - 1; // index in descending order
  while (lo < hi) {
    const pivot = v[(lo + hi) >>> 1];
    let i = lo, j = hi;
    while (i <= j) {
      while (v[i] > pivot) i++;
      while (v[j] < pivot) j--;
      if (i <= j) {
        const t = v[i]; v[i] = v[j]; v[j] = t;
        i++; j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return v[target];
  }
  return v[target];
}

/** Threshold (as a float) from k and the tensor size: keep |τ| ≥ threshold. */
export function thresholdForK(k: number, numel: number): 'all' | 'none' | 'select' {
  if (k >= numel) return 'all';
  if (k <= 0) return 'none';
  return 'select';
}

/** mergekit: k = int(density · numel). */
export const topK = (density: number, numel: number) => (density >= 1 ? numel : Math.floor(density * numel));

export function kthFromSingleChunk(bits: Uint32Array, k: number): number {
  return bitsToFloat(selectKthLargest(bits, k));
}

/** Two-pass exact selection over chunks supplied by `forEachChunk` (called twice). */
export async function kthFromChunks(
  forEachChunk: (visit: (bits: Uint32Array) => void) => Promise<void>,
  k: number,
): Promise<number> {
  const hi = new Float64Array(65536);
  await forEachChunk((bits) => {
    for (let i = 0; i < bits.length; i++) hi[bits[i] >>> 16] += 1;
  });
  let rem = k, bin = 65535;
  for (; bin >= 0; bin--) {
    if (hi[bin] >= rem) break;
    rem -= hi[bin];
  }
  const lo = new Float64Array(65536);
  await forEachChunk((bits) => {
    for (let i = 0; i < bits.length; i++) if (bits[i] >>> 16 === bin) lo[bits[i] & 0xffff] += 1;
  });
  let low = 65535;
  for (; low >= 0; low--) {
    if (lo[low] >= rem) break;
    rem -= lo[low];
  }
  return bitsToFloat(((bin << 16) | low) >>> 0);
}
