/**
 * The whole reference pipeline of each op on packed chunks, written plainly: decode exactly to float64
 * (f64.ref.ts), the op's reference (<op>.ref.ts), round once and encode (f64.ref.ts). Slow and simple:
 * the CPU engine's fused loops and the WebGPU kernels are tested against these bits.
 */
import type { ChunkInput } from './inputs';
import type { CombineSpec } from '../combine/combine.ref';
import type { DareSpec } from '../dare/dare.ref';
import type { StatsResult, StatsSpec } from '../stats/stats.ref';
import type { TiesSpec } from '../ties/ties.ref';
import type { LoraSpec } from '../lora/lora.ref';
import { decodeF64, encodeF64 } from './f64.ref';
import { combineRef } from '../combine/combine.ref';
import { loraRef } from '../lora/lora.ref';
import { tiesRef } from '../ties/ties.ref';
import { dareTermRef } from '../dare/dare.ref';
import { accumulatePair, accumulateVector, emptyPairStats, emptyVectorStats, vectorValues } from '../stats/stats.ref';

function decodeAll(inputs: ChunkInput[]): { x: Float64Array[]; n: number } {
  const n = inputs[0].bytes.byteLength / (inputs[0].dtype === 'F32' ? 4 : 2);
  return { x: inputs.map((inp) => decodeF64(inp.dtype, inp.bytes, new Float64Array(n))), n };
}

export function refCombine(inputs: ChunkInput[], spec: CombineSpec): Uint8Array {
  const { x, n } = decodeAll(inputs);
  const out = new Float64Array(n);
  combineRef(x, spec, out);
  return encodeF64(spec.outDtype, out);
}

export function refTies(inputs: ChunkInput[], spec: TiesSpec): Uint8Array {
  const { x, n } = decodeAll(inputs);
  const taus = spec.terms.map((t) => {
    const tau = new Float64Array(n);
    for (let i = 0; i < n; i++) tau[i] = t.b === null ? x[t.a][i] : x[t.a][i] - x[t.b][i];
    return tau;
  });
  const out = new Float64Array(n);
  tiesRef(x[spec.base], taus, spec.terms.map((t) => t.w), spec.thresholds, spec.lambda, spec.normalize, out);
  return encodeF64(spec.outDtype, out);
}

export function refDare(inputs: ChunkInput[], spec: DareSpec): Uint8Array {
  const { x, n } = decodeAll(inputs);
  const taus = spec.terms.map((t, j) => {
    const tau = new Float64Array(n);
    dareTermRef(x[t.a], t.b === null ? null : x[t.b], spec.seed, spec.salts[j], spec.p[j], spec.firstElement, tau);
    return tau;
  });
  const out = new Float64Array(n);
  const w = spec.terms.map((t) => t.w);
  if (spec.ties) tiesRef(x[spec.base], taus, w, null, spec.scale, spec.normalize, out);
  else {
    const k = x.length;
    combineRef([...x, ...taus], { base: spec.base, terms: w.map((wj, j) => ({ a: k + j, b: null, w: wj })), scale: spec.scale, outDtype: spec.outDtype }, out);
  }
  return encodeF64(spec.outDtype, out);
}

export function refStats(inputs: ChunkInput[], spec: StatsSpec): StatsResult {
  const { x, n } = decodeAll(inputs);
  const vs = spec.vectors.map((v) => {
    const buf = new Float64Array(n);
    vectorValues(x, v.a, v.b, buf);
    return buf;
  });
  return {
    vectors: vs.map((v) => {
      const s = emptyVectorStats();
      accumulateVector(v, spec.nearZero, s);
      return s;
    }),
    pairs: spec.pairs.map(([p, q]) => {
      const s = emptyPairStats();
      accumulatePair(vs[p], vs[q], s);
      return s;
    }),
  };
}

export function refLora(inputs: ChunkInput[], spec: LoraSpec): Uint8Array {
  const size = (inp: ChunkInput) => inp.bytes.byteLength / (inp.dtype === 'F32' ? 4 : 2);
  const x = inputs.map((inp) => decodeF64(inp.dtype, inp.bytes, new Float64Array(size(inp))));
  const out = new Float64Array(size(inputs[0]));
  loraRef(x, spec, out);
  return encodeF64(spec.outDtype, out);
}
