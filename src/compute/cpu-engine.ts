/**
 * The CPU twin of every WebGPU kernel and the engine where WebGPU is absent (the Node CLI, old
 * browsers). Semantics: kernels/common/f64.ref.ts and kernels/<op>/<op>.ref.ts — inputs decoded
 * exactly, float64 math in the reference's order, one rounding into the output dtype.
 *
 * Speed matters (the CLI merges 15 GB with it): each op runs its fast path (kernels/<op>/<op>.cpu.ts:
 * the fused block loops of src/compute/fused/ and the WebAssembly SIMD kernels of src/compute/wasm/,
 * tested bit for bit against the reference with WebAssembly on and off). Everything works in blocks
 * of a few thousand elements, so memory stays at the output plus small scratch whatever the chunk
 * size. Calls run synchronously inside the async methods, so two calls never share the module's
 * scratch at the same time.
 */
import type { ChunkInput } from './kernels/common/inputs';
import { EngineBase } from './engine';
import { opDef, type OpName, type OpResult, type OpSpec } from './ops';
import { wasmAvailable } from './wasm/combine';

export interface CpuEngineOptions {
  /** Largest chunk the executor should hand us (elements); default 4M. Memory is the output plus small scratch. */
  maxChunkElements?: number;
}

export class CpuEngine extends EngineBase {
  readonly kind = 'cpu' as const;
  readonly maxChunkElements: number;

  constructor(opts: CpuEngineOptions = {}) {
    super();
    this.maxChunkElements = opts.maxChunkElements ?? 1 << 22;
  }

  /** Shown in the UI (the engine's reason): what runs in WebAssembly, the paths that go to src/compute/wasm/. */
  get detail(): string {
    return wasmAvailable()
      ? 'combine (bf16, f16, f32 and every mix of them), TIES, DARE, LoRA (ΔW = B·A per chunk) and statistics in WebAssembly (SIMD); SHA-256 in WebAssembly'
      : 'JavaScript loops (WebAssembly SIMD missing or switched off)';
  }

  async run<K extends OpName>(op: K, inputs: ChunkInput[], spec: OpSpec<K>): Promise<OpResult<K>> {
    const def = opDef(op);
    return def.cpu(inputs, spec, def.check(inputs, spec));
  }

  dispose(): void {
    /* scratch is module-level and small */
  }
}
