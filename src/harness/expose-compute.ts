/** The compute layer on `window.harness.compute` for the WebGPU-vs-CPU parity suite and the engine bench. */
import { CpuEngine } from '../compute/cpu-engine';
import { WebGpuEngine } from '../compute/webgpu-engine';
import { chooseEngine, benchInputs, timeCombine, BENCH_SPEC } from '../compute/select';
import { acquireDevice, webgpuUnavailableReason } from '../compute/device';
import { measureFma } from '../compute/kernels/common/probe.wgsl';
import { dareMask, dareTermKey, dareElementHash, fmix32 } from '../compute/kernels/dare/hash';

export const compute = {
  CpuEngine, WebGpuEngine, chooseEngine, benchInputs, timeCombine, BENCH_SPEC,
  acquireDevice, webgpuUnavailableReason, measureFma, dareMask, dareTermKey, dareElementHash, fmix32,
};
