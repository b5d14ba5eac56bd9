/**
 * The CPU twin of every WebGPU kernel: the reference for the parity suite and the engine where WebGPU
 * is absent (the Node CLI, old browsers). Plain loops on typed arrays; the float32 evaluation order of
 * each op is defined in kernels/<op>/<op>.ref.ts and the WGSL follows it.
 *
 * Speed matters (the CLI merges 15 GB with it): inputs are decoded once per call into reused scratch
 * arrays (aligned F32 inputs are used in place), loops are monomorphic with no per-element allocation,
 * and results are encoded straight from scratch. Calls run synchronously inside the async methods, so
 * two calls never share scratch at the same time.
 */
import type { ChunkInput, CombineSpec, DareSpec, Engine, StatsResult, StatsSpec, TiesSpec } from './engine';
import { decodeToF32, encodeFromF32, type ComputeDType } from '../formats/dtype';
import { checkTerms, elementCount } from './kernels/common/inputs';
import { combineRef } from './kernels/combine/combine.ref';
import { tiesRef } from './kernels/ties/ties.ref';
import { dareTermRef } from './kernels/dare/dare.ref';
import { dareDropBelow } from './kernels/dare/hash';
import {
  accumulatePair, accumulateVector, checkStatsSpec, emptyPairStats, emptyVectorStats, vectorValues,
} from './kernels/stats/stats.ref';

export interface CpuEngineOptions {
  /** Largest chunk the executor should hand us (elements); default 4M, i.e. 16 MiB of float32 scratch per input. */
  maxChunkElements?: number;
}

export class CpuEngine implements Engine {
  readonly kind = 'cpu' as const;
  readonly maxChunkElements: number;
  private scratch: Float32Array[] = [];

  constructor(opts: CpuEngineOptions = {}) {
    this.maxChunkElements = opts.maxChunkElements ?? 1 << 22;
  }

  /** A reused float32 array of n elements for `slot` (grown, never shrunk, until dispose). */
  private slot(i: number, n: number): Float32Array {
    let a = this.scratch[i];
    if (!a || a.length < n) {
      a = new Float32Array(Math.max(n, 1024));
      this.scratch[i] = a;
    }
    return a.subarray(0, n);
  }

  private decode(inputs: ChunkInput[], n: number): Float32Array[] {
    return inputs.map((inp, k) => {
      if (inp.dtype === 'F32' && inp.bytes.byteOffset % 4 === 0) return new Float32Array(inp.bytes.buffer, inp.bytes.byteOffset, n);
      return decodeToF32(inp.dtype, inp.bytes, this.slot(k, n));
    });
  }

  /** Result array: the output itself for F32 (no copy), otherwise scratch to encode from. */
  private result(outDtype: ComputeDType, n: number, slot: number): Float32Array {
    return outDtype === 'F32' ? new Float32Array(n) : this.slot(slot, n);
  }

  private encode(outDtype: ComputeDType, r: Float32Array): Uint8Array {
    return outDtype === 'F32' ? new Uint8Array(r.buffer, r.byteOffset, r.byteLength) : encodeFromF32(outDtype, r);
  }

  async combine(inputs: ChunkInput[], spec: CombineSpec): Promise<Uint8Array> {
    const n = elementCount('combine', inputs);
    checkTerms('combine', spec.terms, spec.base, inputs.length);
    const x = this.decode(inputs, n);
    const r = this.result(spec.outDtype, n, inputs.length);
    combineRef(x, spec, r);
    return this.encode(spec.outDtype, r);
  }

  async ties(inputs: ChunkInput[], spec: TiesSpec): Promise<Uint8Array> {
    const n = elementCount('ties', inputs);
    checkTerms('ties', spec.terms, spec.base, inputs.length);
    if (spec.thresholds.length !== spec.terms.length) throw new Error(`ties: ${spec.thresholds.length} thresholds for ${spec.terms.length} terms`);
    const x = this.decode(inputs, n);
    const k = inputs.length;
    const taus = spec.terms.map((t, j) => {
      if (t.b === null) return x[t.a];
      const tau = this.slot(k + 1 + j, n);
      const xa = x[t.a];
      const xb = x[t.b];
      for (let i = 0; i < n; i++) tau[i] = xa[i] - xb[i];
      return tau;
    });
    const r = this.result(spec.outDtype, n, k);
    tiesRef(x[spec.base], taus, spec.terms.map((t) => t.w), spec.thresholds, spec.lambda, spec.normalize, r);
    return this.encode(spec.outDtype, r);
  }

  async dare(inputs: ChunkInput[], spec: DareSpec): Promise<Uint8Array> {
    const n = elementCount('dare', inputs);
    checkTerms('dare', spec.terms, spec.base, inputs.length);
    if (spec.salts.length !== spec.terms.length) throw new Error(`dare: ${spec.salts.length} salts for ${spec.terms.length} terms`);
    if (!Number.isSafeInteger(spec.firstElement) || spec.firstElement < 0) throw new Error(`dare: firstElement ${spec.firstElement} is not a non-negative integer`);
    dareDropBelow(spec.p);
    const x = this.decode(inputs, n);
    const k = inputs.length;
    const taus = spec.terms.map((t, j) => {
      const tau = this.slot(k + 1 + j, n);
      dareTermRef(x[t.a], t.b === null ? null : x[t.b], spec.seed, spec.salts[j], spec.p, spec.firstElement, tau);
      return tau;
    });
    const r = this.result(spec.outDtype, n, k);
    const weights = spec.terms.map((t) => t.w);
    if (spec.ties) tiesRef(x[spec.base], taus, weights, null, spec.scale, spec.normalize, r);
    else {
      const all = [...x, ...taus];
      combineRef(all, { base: spec.base, terms: spec.terms.map((t, j) => ({ a: k + j, b: null, w: t.w })), scale: spec.scale, outDtype: spec.outDtype }, r);
    }
    return this.encode(spec.outDtype, r);
  }

  async stats(inputs: ChunkInput[], spec: StatsSpec): Promise<StatsResult> {
    const n = elementCount('stats', inputs);
    checkStatsSpec(spec, inputs.length);
    const x = this.decode(inputs, n);
    const k = inputs.length;
    const vs = spec.vectors.map((v, j) => {
      const buf = this.slot(k + j, n);
      vectorValues(x, v.a, v.b, buf);
      return buf;
    });
    const vectors = vs.map((v) => {
      const s = emptyVectorStats();
      accumulateVector(v, spec.nearZero, s);
      return s;
    });
    const pairs = spec.pairs.map(([p, q]) => {
      const s = emptyPairStats();
      accumulatePair(vs[p], vs[q], s);
      return s;
    });
    return { vectors, pairs };
  }

  dispose(): void {
    this.scratch = [];
  }
}
