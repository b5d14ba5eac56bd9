/**
 * Measures whether this device's WGSL `fma` is fused (one rounding). WGSL lets `fma` round twice, and
 * SwiftShader does; then TwoProd through fma loses its error term and the engine must use Dekker's
 * split product. The probe runs the engine's own fma TwoProd (and TwoSum) on awkward float32 pairs and
 * checks on the host, in float64, that every pair is error-free.
 */
import { BINDINGS, HELPERS, dfHelpers, PARAM_ZERO } from './common.wgsl';

const N = 256;

/** The probe's outcome; `error` when it could not run (then the engine falls back to Dekker's product). */
export interface FmaProbe {
  fused: boolean;
  error?: string;
}

/** True when TwoProd-by-fma and TwoSum are exact on every probe pair. */
export async function probeFusedFma(device: GPUDevice): Promise<boolean> {
  return (await measureFma(device)).fused;
}

export async function measureFma(device: GPUDevice): Promise<FmaProbe> {
  // HELPERS too: dfHelpers calls is_finite (without it the probe never compiled and fma was never used).
  const code = `${BINDINGS}${HELPERS}${dfHelpers('fma')}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  ZERO = prm[${PARAM_ZERO}u];
  let i = gid.x;
  if (i >= ${N}u) { return; }
  let a = bitcast<f32>(src[2u * i]);
  let b = bitcast<f32>(src[2u * i + 1u]);
  let p = two_prod(a, b);
  let s = two_sum(a, b);
  dst[4u * i] = bitcast<u32>(p.x); dst[4u * i + 1u] = bitcast<u32>(p.y);
  dst[4u * i + 2u] = bitcast<u32>(s.x); dst[4u * i + 3u] = bitcast<u32>(s.y);
}`;
  const input = new Float32Array(2 * N);
  let seed = 0x2545f491;
  const rnd = () => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return (seed >>> 0) / 4294967296; };
  for (let i = 0; i < N; i++) {
    input[2 * i] = (1 + rnd()) * 2 ** Math.floor(rnd() * 20 - 10) * (rnd() < 0.5 ? -1 : 1);
    input[2 * i + 1] = (1 + rnd()) * 2 ** Math.floor(rnd() * 20 - 10);
  }
  input[0] = 1 + 2 ** -12;
  input[1] = 1 + 2 ** -12;
  const usage = { storage: 0x80, copyDst: 0x8, copySrc: 0x4, mapRead: 0x1 };
  const make = (size: number, u: number) => device.createBuffer({ size, usage: u });
  const src = make(input.byteLength, usage.storage | usage.copyDst);
  const dst = make(16 * N, usage.storage | usage.copySrc);
  const prm = make(64, usage.storage | usage.copyDst);
  const read = make(16 * N, usage.mapRead | usage.copyDst);
  try {
    device.queue.writeBuffer(src, 0, input);
    device.queue.writeBuffer(prm, 0, new Uint32Array(16));
    const module = device.createShaderModule({ code });
    const errors = (await module.getCompilationInfo()).messages.filter((m) => m.type === 'error');
    if (errors.length) return { fused: false, error: `the fma probe did not compile: ${errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; ')}` };
    const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    const bind = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [{ binding: 0, resource: { buffer: src } }, { binding: 1, resource: { buffer: dst } }, { binding: 2, resource: { buffer: prm } }],
    });
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bind);
    pass.dispatchWorkgroups(N / 64);
    pass.end();
    enc.copyBufferToBuffer(dst, 0, read, 0, 16 * N);
    device.queue.submit([enc.finish()]);
    await read.mapAsync(1);
    const out = new Float32Array(read.getMappedRange().slice(0));
    read.unmap();
    for (let i = 0; i < N; i++) {
      const a = input[2 * i];
      const b = input[2 * i + 1];
      // a·b of two float32 is exact in float64, and so are these sums of two float32.
      if (out[4 * i] + out[4 * i + 1] !== a * b) return { fused: false };
      if (out[4 * i + 2] + out[4 * i + 3] !== a + b) return { fused: false };
    }
    return { fused: true };
  } catch (e) {
    return { fused: false, error: `the fma probe failed: ${e instanceof Error ? e.message : String(e)}` };
  } finally {
    for (const b of [src, dst, prm, read]) b.destroy();
  }
}
