/**
 * Registration of the linear-algebra backends (see ./backend.ts for why they are not ops of
 * ../ops.ts): the float64 CPU backend by default and for the CPU engine, the WGSL kernels of
 * ./webgpu-linalg.ts when the engine is WebGPU.
 */
import type { Engine } from '../engine';
import type { WebGpuEngine } from '../webgpu-engine';
import type { DenseMatrix, LinalgBackend } from './backend';
import { CpuLinalg } from './cpu-linalg';
import { WebGpuLinalg, f32Matrix } from './webgpu-linalg';

export async function linalgFor(m: DenseMatrix, engine?: Engine): Promise<LinalgBackend> {
  if (engine?.kind !== 'webgpu') return new CpuLinalg(m);
  const gpu = engine as unknown as WebGpuEngine;
  return WebGpuLinalg.create(gpu.device, gpu.twoProd, f32Matrix(m));
}
