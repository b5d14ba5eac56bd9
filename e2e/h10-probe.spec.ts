import { test } from '@playwright/test';
test('probe', async ({ page }) => {
  await page.goto('/harness.html');
  const r = await page.evaluate(async () => {
    const ad = await navigator.gpu.requestAdapter();
    const dev = await ad!.requestDevice();
    const code = `
@group(0) @binding(0) var<storage, read_write> d: array<f32>;
@group(0) @binding(1) var<storage, read> z: array<u32>;
fn opq(x: f32) -> f32 { return bitcast<f32>(bitcast<u32>(x) ^ z[0]); }
@compute @workgroup_size(1) fn main() {
  let a = d[0]; let b = d[1];
  let p = opq(a * b);
  d[2] = fma(a, b, -p);
  let p2 = a * b;
  d[3] = fma(a, b, -p2);
  let s = opq(a + d[4]); let bb = s - a; d[5] = (a - (s - bb)) + (d[4] - bb);
  let s2 = a + d[4]; let bb2 = s2 - a; d[6] = (a - (s2 - bb2)) + (d[4] - bb2);
  d[7] = d[8] / d[9];
  d[10] = d[11] * 1.0; // subnormal passthrough
  d[12] = d[11] + 0.0;
}`;
    const m = dev.createShaderModule({ code });
    const pl = dev.createComputePipeline({ layout: 'auto', compute: { module: m, entryPoint: 'main' } });
    const data = new Float32Array(16);
    data[0] = 1 + 2 ** -12; data[1] = 1 + 2 ** -12; data[4] = 2 ** -30; data[8] = 1; data[9] = 3;
    data[11] = 2 ** -130;
    const buf = dev.createBuffer({ size: 64, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    dev.queue.writeBuffer(buf, 0, data);
    const zb = dev.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    const rb = dev.createBuffer({ size: 64, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const bg = dev.createBindGroup({ layout: pl.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: buf } }, { binding: 1, resource: { buffer: zb } }] });
    const enc = dev.createCommandEncoder(); const pass = enc.beginComputePass(); pass.setPipeline(pl); pass.setBindGroup(0, bg); pass.dispatchWorkgroups(1); pass.end();
    enc.copyBufferToBuffer(buf, 0, rb, 0, 64); dev.queue.submit([enc.finish()]);
    await rb.mapAsync(1); const out = Array.from(new Float32Array(rb.getMappedRange())); return { out, exp: [2 ** -24, 2 ** -30, Math.fround(1 / 3)] };
  });
  console.log(JSON.stringify(r));
});
