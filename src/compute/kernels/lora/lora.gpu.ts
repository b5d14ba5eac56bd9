/**
 * lora on the WebGPU engine: the dense inputs go through the engine's dispatches like any elementwise
 * op; the factors, small next to a chunk (r·(rows + cols) elements), are uploaded whole with every
 * dispatch (GpuDispatch.dispatch's `whole`), and each dispatch carries its first element so the kernel
 * knows every element's row and column.
 */
import { ELEMENT_BYTES, type ChunkInput } from '../common/inputs';
import { WORKGROUP } from '../common/common.wgsl';
import type { GpuDispatch } from '../../op';
import type { LoraSpec } from './lora.ref';
import { loraKernel } from './lora.wgsl';

export async function loraGpu(gpu: GpuDispatch, inputs: ChunkInput[], spec: LoraSpec, n: number): Promise<Uint8Array> {
  const dense = inputs.slice(0, spec.dense);
  const whole = inputs.slice(spec.dense);
  if (spec.first + n > 0xffffffff) throw new Error(`lora: tensors of 2^32 elements and more are not supported on WebGPU`);
  const plan = loraKernel(inputs.map((x) => x.dtype), spec, gpu.twoProd);
  const size = ELEMENT_BYTES[spec.outDtype];
  const out = new Uint8Array(n * size);
  const lim = gpu.device.limits;
  const factorBytes = whole.reduce((s, x) => s + x.bytes.byteLength + 4, 0);
  const perElement = dense.reduce((s, x) => s + ELEMENT_BYTES[x.dtype], 0);
  const room = Math.min(lim.maxStorageBufferBindingSize, lim.maxBufferSize) - factorBytes - 8 * inputs.length - 16;
  if (room < 512 * perElement) throw new Error(`lora: the factors (${factorBytes} bytes) leave no room in one WebGPU binding`);
  const per = Math.max(512, Math.min(gpu.dispatchElements(dense, size), Math.floor(room / perElement / 512) * 512));
  for (let s = 0; s < n; s += per) {
    const m = Math.min(per, n - s);
    const groups = Math.ceil(Math.ceil(m / 2) / WORKGROUP);
    await gpu.dispatch(plan, dense, s, m, spec.first + s, groups, WORKGROUP, Math.ceil((m * size) / 4), (buf) => {
      out.set(new Uint8Array(buf, 0, m * size), s * size);
    }, whole);
  }
  return out;
}
