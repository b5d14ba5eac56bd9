/**
 * The engine ops both engine benches time (engines.bench.ts: the CPU engine in Node; device/webgpu-node.ts:
 * the WGSL kernels on a lent GPU against the CPU engine), on the same inputs, and the chunked loop they
 * run them in.
 */
import type { ChunkInput, CombineSpec, Engine } from '../../src/compute/engine';
import { benchInputs } from './inputs';

/** θ_pre + 0.8·(θ_aux − θ_sft), bf16 → bf16: the engines bench's headline combine. */
export const BENCH_SPEC: CombineSpec = { base: 0, terms: [{ a: 1, b: 2, w: 1 }], scale: 0.8, outDtype: 'BF16' };

export interface EngineOp {
  name: string;
  run(e: Engine, x: ChunkInput[]): Promise<Uint8Array | object>;
  inputs: ChunkInput[];
  /** Bytes of an input element, of an output element (0: statistics), and how many inputs it reads. */
  inSize: number;
  outSize: number;
  reads: number;
}

/** The same four inputs as bf16, f16 (the bf16 words read as IEEE half) and f32. */
function inputSets(n: number) {
  const bf = benchInputs(n, 4);
  const f16 = bf.map((c) => ({ ...c, dtype: 'F16' as const }));
  const f32 = bf.map((c) => {
    const u = new Uint16Array(c.bytes.buffer);
    const f = new Float32Array(n);
    for (let i = 0; i < n; i++) f[i] = (u[i] - 32768) / 4096 + 1 / 3;
    return { bytes: new Uint8Array(f.buffer), dtype: 'F32' as const };
  });
  return { bf, f16, f32 };
}

/** Every op of the tables, over `n` elements per input. */
export function engineOps(n: number): EngineOp[] {
  const { bf, f16, f32 } = inputSets(n);
  const terms = [{ a: 1, b: 0, w: 1 }, { a: 2, b: 0, w: 0.6 }, { a: 3, b: 0, w: 0.8 }];
  const op = (name: string, run: EngineOp['run'], inputs: ChunkInput[], inSize: number, outSize: number, reads: number): EngineOp => ({ name, run, inputs, inSize, outSize, reads });
  return [
    op('combine θ_pre + 0.8·(θ_aux − θ_sft), bf16 → bf16', (e, x) => e.combine(x.slice(0, 3), BENCH_SPEC), bf, 2, 2, 3),
    op('combine, f16 → f16', (e, x) => e.combine(x.slice(0, 3), { ...BENCH_SPEC, outDtype: 'F16' }), f16, 2, 2, 3),
    op('combine, f32 → f32', (e, x) => e.combine(x.slice(0, 3), { ...BENCH_SPEC, outDtype: 'F32' }), f32, 4, 4, 3),
    op('combine γ = θ_aux − θ_sft, bf16 → f32', (e, x) => e.combine(x.slice(0, 3), { base: null, terms: [{ a: 1, b: 2, w: 1 }], scale: 1, outDtype: 'F32' }), bf, 2, 4, 3),
    op('task arithmetic, 3 models, bf16', (e, x) => e.combine(x, { base: 0, terms, scale: 1, outDtype: 'BF16' }), bf, 2, 2, 4),
    op('ties, 3 models, bf16', (e, x) => e.ties(x, { base: 0, terms, thresholds: [1e-3, 1e-3, 1e-3], lambda: 1, normalize: true, outDtype: 'BF16' }), bf, 2, 2, 4),
    op('dare, 3 models, bf16', (e, x) => e.dare(x, { base: 0, terms, p: [0.3, 0.5, 0.7], seed: 1, salts: [1, 2, 3], firstElement: 0, scale: 1, ties: false, normalize: false, outDtype: 'BF16' }), bf, 2, 2, 4),
    op('stats, 2 vectors + 1 pair, bf16', (e, x) => e.stats(x, { vectors: [{ a: 1, b: 2 }, { a: 0, b: null }], pairs: [[0, 1]], nearZero: 1e-3 }), bf, 2, 0, 3),
  ];
}

/**
 * `run` over the first `n` elements of `x` in chunks of the engine's maxChunkElements (upload, compute
 * and readback of each chunk included); the outputs are kept only when `keep` (for comparisons).
 */
export async function chunked(e: Engine, x: ChunkInput[], run: EngineOp['run'], size: number, n: number, keep = false): Promise<{ ms: number; out: (Uint8Array | object)[] }> {
  const per = Math.min(e.maxChunkElements, n);
  const out: (Uint8Array | object)[] = [];
  const t0 = performance.now();
  for (let s = 0; s < n; s += per) {
    const end = Math.min(n, s + per);
    const r = await run(e, x.map((c) => ({ ...c, bytes: c.bytes.subarray(s * size, end * size) })));
    if (keep) out.push(r);
  }
  return { ms: performance.now() - t0, out };
}
