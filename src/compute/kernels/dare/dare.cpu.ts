/**
 * DARE on the CPU engine: each term's drop-and-rescale per block in WebAssembly (src/compute/wasm/dare.wat)
 * or in dareTermFast — dare.ref.ts's per-element definition with the per-chunk constants hoisted (the
 * hash of the element index's high word changes at most once in a chunk of < 2^32 elements) — then the
 * sum or TIES of the terms. Same values bit for bit; the tests compare the engine with the reference.
 */
import type { ChunkInput } from '../common/inputs';
import { perTermBlock } from '../../fused/packed';
import { wasmDareTerm } from '../../wasm/dare';
import { tiesBlock } from '../../wasm/ties';
import type { DareSpec } from './dare.ref';
import { dareDropBelow, dareElementHash, dareTermKey, fmix32 } from './hash';

/** τ'_j for `out.length` elements starting at tensor element `first`; `xb` null means x[a] alone. */
export function dareTermFast(
  xa: Float64Array, xb: Float64Array | null, seed: number, salt: number, p: number, first: number, out: Float64Array,
): void {
  const n = out.length;
  const key = dareTermKey(seed, salt);
  const drop = dareDropBelow(p);
  const density = 1 - p;
  const firstLo = first >>> 0;
  const firstHi = Math.floor(first / 4294967296);
  const mixLo = fmix32((key ^ firstHi) >>> 0);
  const mixHi = fmix32((key ^ (firstHi + 1)) >>> 0);
  if (xb === null) {
    for (let i = 0; i < n; i++) {
      const lo = (firstLo + i) >>> 0;
      const d = xa[i];
      out[i] = dareElementHash(lo < firstLo ? mixHi : mixLo, lo) >= drop ? d / density : d * 0;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const lo = (firstLo + i) >>> 0;
      const d = xa[i] - xb[i];
      out[i] = dareElementHash(lo < firstLo ? mixHi : mixLo, lo) >= drop ? d / density : d * 0;
    }
  }
}

/**
 * base + scale · Σ_j w_j · τ'_j in combine.ref.ts's order (acc = w_0·τ'_0, acc = acc + w_j·τ'_j,
 * v = base + scale·acc), term by term over the block instead of element by element.
 */
export function sumTerms(base: Float64Array, taus: Float64Array[], w: number[], scale: number, out: Float64Array): void {
  const m = out.length;
  if (taus.length === 0) out.fill(0);
  for (let j = 0; j < taus.length; j++) {
    const t = taus[j], wj = w[j];
    if (j === 0) for (let i = 0; i < m; i++) out[i] = wj * t[i];
    else for (let i = 0; i < m; i++) out[i] = out[i] + wj * t[i];
  }
  for (let i = 0; i < m; i++) out[i] = base[i] + scale * out[i];
}

/** The CPU engine's DARE (or DARE-TIES) of a checked call of n elements. */
export function dareCpu(inputs: ChunkInput[], spec: DareSpec, n: number): Uint8Array {
  return perTermBlock(inputs, spec, n, (x, j, st, tau) => {
    const t = spec.terms[j];
    const xb = t.b === null ? null : x[t.b];
    const first = spec.firstElement + st;
    if (!wasmDareTerm(x[t.a], xb, spec.seed, spec.salts[j], spec.p[j], first, tau)) dareTermFast(x[t.a], xb, spec.seed, spec.salts[j], spec.p[j], first, tau);
  }, (x, taus, w, out) => {
    if (spec.ties) tiesBlock(x[spec.base], taus, w, null, spec.scale, spec.normalize, out);
    else sumTerms(x[spec.base], taus, w, spec.scale, out);
  });
}
