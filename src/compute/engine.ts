
/**
 * The compute contract every engine honours (WebGPU kernels and their CPU twin).
 * Inputs are packed little-endian chunks of one tensor (F32, F16 or BF16 words). Math is carried out
 * more precisely than float32 (the CPU twin in float64, WebGPU in double-float f32 pairs with fma), so
 * an output equals the exact result rounded ONCE to nearest even into the target dtype, as a float64
 * PyTorch reference does: ≤ 1 ulp everywhere and ≥ 99.9% bit-exact, also for F32 outputs where terms
 * cancel (NaN stays NaN, f16 overflow is ±Inf).
 * All inputs of one call have the same element count. Statistics come back as float64 partial sums,
 * so the caller can add chunks and tensors without losing precision.
 */
export type { ChunkInput, DeltaTerm } from './kernels/common/inputs';
export type { CombineSpec } from './kernels/combine/combine.ref';
export type { TiesSpec } from './kernels/ties/ties.ref';
export type { DareSpec } from './kernels/dare/dare.ref';
export type { LoraFactor, LoraSpec } from './kernels/lora/lora.ref';
export type { StatsSpec, VectorStats, PairStats, StatsResult } from './kernels/stats/stats.ref';
import type { ChunkInput } from './kernels/common/inputs';
import { OP_NAMES, type OpName, type OpResult, type OpSpec } from './ops';

/** One method per op of ops.ts: engine.combine(inputs, spec), engine.stats(inputs, spec), … */
export type OpMethods = { [K in OpName]: (inputs: ChunkInput[], spec: OpSpec<K>) => Promise<OpResult<K>> };

/** An engine: one method per op (a caller with an op's name calls engine[name](inputs, spec)). */
export interface Engine extends OpMethods {
  readonly kind: 'webgpu' | 'cpu';
  /** Largest chunk (elements) one call accepts; the executor splits tensors to fit. */
  readonly maxChunkElements: number;
  dispose(): void;
}

/** An engine that runs every op through run(op, …): the op methods are made here, once for every op in the table. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- see the interface below
export abstract class EngineBase {
  abstract readonly kind: Engine['kind'];
  abstract readonly maxChunkElements: number;
  abstract run<K extends OpName>(op: K, inputs: ChunkInput[], spec: OpSpec<K>): Promise<OpResult<K>>;
  abstract dispose(): void;
}
for (const op of OP_NAMES) {
  Object.defineProperty(EngineBase.prototype, op, {
    value(this: EngineBase, inputs: ChunkInput[], spec: never) {
      return this.run(op, inputs, spec);
    },
    writable: true,
    configurable: true,
  });
}
// The loop above defines exactly the methods OpMethods names (both come from OPS); this tells TypeScript.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type
export interface EngineBase extends OpMethods {}
