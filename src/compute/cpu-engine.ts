/**
 * The CPU twin of every WebGPU kernel and the engine where WebGPU is absent (the Node CLI, old
 * browsers). Semantics: kernels/common/f64.ref.ts and kernels/<op>/<op>.ref.ts — inputs decoded
 * exactly, float64 math in the reference's order, one rounding into the output dtype.
 *
 * Speed matters (the CLI merges 15 GB with it): combine and stats run the fused block loops of
 * src/compute/fused/ (tested bit for bit against kernels/common/run.ref.ts and, for stats, against
 * stats.ref.ts applied block by block); TIES and DARE run the reference kernels on blocks decoded
 * through the same fast tables and encoded by the same block encoders. Everything works in blocks of a few thousand elements, so memory stays at the output plus
 * small scratch whatever the chunk size. Calls run synchronously inside the async methods, so two calls
 * never share the module's scratch at the same time.
 */
import type { ChunkInput, CombineSpec, DareSpec, Engine, StatsResult, StatsSpec, TiesSpec, VectorStats, PairStats } from './engine';
import { checkDareSpec, checkTerms, elementCount } from './kernels/common/inputs';
import { tiesBlock } from './wasm/ties';
import { sumTerms } from './fused/dare';
import { dareTermBlock } from './wasm/dare';
import { checkStatsSpec, emptyPairStats, emptyVectorStats } from './kernels/stats/stats.ref';
import { fusedStats } from './fused/stats';
import { fusedCombine, pack, decodeBlock, type Packed } from './fused/combine';
import { BLOCK, D, outBuffer, roundBlock, roundingOf, writeBlock } from './fused/block';
import { wasmAvailable } from './wasm/combine';

export interface CpuEngineOptions {
  /** Largest chunk the executor should hand us (elements); default 4M. Memory is the output plus small scratch. */
  maxChunkElements?: number;
}

const blockArrays = (k: number) => Array.from({ length: k }, () => new Float64Array(BLOCK));

/** Runs `fill(st, m, out)` per block and encodes each block's float64 values once into the output. */
function perBlock(xs: Packed[], n: number, outDtype: ChunkInput['dtype'], fill: (x: Float64Array[], st: number, m: number, out: Float64Array) => void): Uint8Array {
  const out = outBuffer(outDtype, n);
  const { c, lo, hi } = roundingOf(outDtype);
  const x = blockArrays(xs.length);
  for (let st = 0; st < n; st += BLOCK) {
    const m = Math.min(BLOCK, n - st);
    const xm = x.map((a, k) => {
      decodeBlock(xs[k], st, m, a);
      return a.subarray(0, m);
    });
    fill(xm, st, m, D.subarray(0, m));
    writeBlock(out, st, m, roundBlock(m, c, lo, hi));
  }
  return out.bytes;
}

export class CpuEngine implements Engine {
  readonly kind = 'cpu' as const;
  readonly maxChunkElements: number;

  constructor(opts: CpuEngineOptions = {}) {
    this.maxChunkElements = opts.maxChunkElements ?? 1 << 22;
  }

  /**
   * Which loops run here, for the UI's "which engine ran" line: the kernels of ./wasm/ (combine on
   * bf16, and one-term f16 and f32; TIES; DARE's drop-and-rescale; statistics; SHA-256 without SIMD).
   */
  get detail(): string {
    return wasmAvailable() ? 'combine, TIES, DARE and statistics in WebAssembly (SIMD), SHA-256 in WebAssembly' : 'JavaScript loops (no WebAssembly SIMD here)';
  }

  async combine(inputs: ChunkInput[], spec: CombineSpec): Promise<Uint8Array> {
    const n = elementCount('combine', inputs);
    checkTerms('combine', spec.terms, spec.base, inputs.length);
    return fusedCombine(inputs, spec, n);
  }

  async ties(inputs: ChunkInput[], spec: TiesSpec): Promise<Uint8Array> {
    const n = elementCount('ties', inputs);
    checkTerms('ties', spec.terms, spec.base, inputs.length);
    if (spec.thresholds.length !== spec.terms.length) throw new Error(`ties: ${spec.thresholds.length} thresholds for ${spec.terms.length} terms`);
    const taus = blockArrays(spec.terms.length);
    const w = spec.terms.map((t) => t.w);
    return perBlock(inputs.map((x) => pack(x, n)), n, spec.outDtype, (x, _st, m, out) => {
      const tm = spec.terms.map((t, j) => {
        const tau = taus[j].subarray(0, m);
        const a = x[t.a];
        if (t.b === null) tau.set(a);
        else {
          const b = x[t.b];
          for (let i = 0; i < m; i++) tau[i] = a[i] - b[i];
        }
        return tau;
      });
      tiesBlock(x[spec.base], tm, w, spec.thresholds, spec.lambda, spec.normalize, out);
    });
  }

  async dare(inputs: ChunkInput[], spec: DareSpec): Promise<Uint8Array> {
    const n = elementCount('dare', inputs);
    checkTerms('dare', spec.terms, spec.base, inputs.length);
    checkDareSpec('dare', spec);
    const taus = blockArrays(spec.terms.length);
    const w = spec.terms.map((t) => t.w);
    return perBlock(inputs.map((x) => pack(x, n)), n, spec.outDtype, (x, st, m, out) => {
      const tm = spec.terms.map((t, j) => {
        const tau = taus[j].subarray(0, m);
        dareTermBlock(x[t.a], t.b === null ? null : x[t.b], spec.seed, spec.salts[j], spec.p[j], spec.firstElement + st, tau);
        return tau;
      });
      if (spec.ties) tiesBlock(x[spec.base], tm, w, null, spec.scale, spec.normalize, out);
      else sumTerms(x[spec.base], tm, w, spec.scale, out);
    });
  }

  async stats(inputs: ChunkInput[], spec: StatsSpec): Promise<StatsResult> {
    const n = elementCount('stats', inputs);
    checkStatsSpec(spec, inputs.length);
    const vectors: VectorStats[] = spec.vectors.map(emptyVectorStats);
    const pairs: PairStats[] = spec.pairs.map(emptyPairStats);
    fusedStats(inputs.map((x) => pack(x, n)), spec, n, vectors, pairs);
    return { vectors, pairs };
  }

  dispose(): void {
    /* scratch is module-level and small */
  }
}
