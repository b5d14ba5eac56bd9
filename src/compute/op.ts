/**
 * What the engines need of one compute op: the checks of a call, the CPU engine's fast path and the
 * WebGPU program, declared in kernels/<op>/<op>.op.ts beside the op's reference (<op>.ref.ts, which
 * the tests hold both against) and registered in ops.ts, through which the engines and the CPU pool
 * dispatch.
 */
import type { ComputeDType } from '../formats/dtype';
import type { KernelPlan, TwoProdMode } from './kernels/common/common.wgsl';
import type { ChunkInput } from './kernels/common/inputs';

/** What an op's own WebGPU driver may use of the engine (webgpu-engine.ts). */
export interface GpuDispatch {
  readonly device: GPUDevice;
  readonly twoProd: TwoProdMode;
  /** Elements per dispatch: inputs (plus padding) and `outBytesPerElement` of output must each fit one binding. */
  dispatchElements(inputs: ChunkInput[], outBytesPerElement: number): number;
  /**
   * Uploads elements [s, s+m) of every input, and all of each `whole` input after them (the lora op's
   * factors), runs `plan` once and hands the mapped output words to `take`.
   */
  dispatch(plan: KernelPlan, inputs: ChunkInput[], s: number, m: number, first: number, groups: number,
    rowThreads: number, outWords: number, take: (words: ArrayBuffer) => void, whole?: ChunkInput[]): Promise<void>;
}

/** An elementwise WGSL program: the engine runs it over every element into the spec's output dtype. */
export interface ElementwiseProgram<S> {
  plan(dtypes: ComputeDType[], spec: S, twoProd: TwoProdMode): KernelPlan;
  outDtype(spec: S): ComputeDType;
  /** Tensor index of the call's first element (DARE's masks depend on it); 0 when absent. */
  firstElement?(spec: S): number;
}

/** An op that drives its dispatches itself (a reduction such as statistics). */
export interface DrivenProgram<S, R> {
  run(gpu: GpuDispatch, inputs: ChunkInput[], spec: S, n: number): Promise<R>;
}

export interface OpDef<S, R> {
  /** Validates a call, with the same message whichever engine runs it, and returns its element count. */
  check(inputs: ChunkInput[], spec: S): number;
  /** The CPU engine's fast path on a checked call: bit for bit the op's reference. */
  cpu(inputs: ChunkInput[], spec: S, n: number): R;
  gpu: (R extends Uint8Array ? ElementwiseProgram<S> : never) | DrivenProgram<S, R>;
}

export function defineOp<S, R>(op: OpDef<S, R>): OpDef<S, R> {
  return op;
}
