import { test } from '@playwright/test';
test('probe', async ({ page }) => {
  await page.goto('/harness.html');
  await page.waitForFunction(() => (globalThis as any).harnessReady === true);
  const r = await page.evaluate(async () => {
    const h = (globalThis as any).harness;
    const { WebGpuEngine, CpuEngine } = h.compute;
    const gpu = await WebGpuEngine.create(); const cpu = new CpuEngine();
    const n = 20000; const alpha = 0.8;
    let seed = 78; const rnd = () => { seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0; return seed / 4294967296; };
    const sft = new Float32Array(n), aux = new Float32Array(n), pre = new Float32Array(n);
    for (let i = 0; i < n; i++) { sft[i] = (rnd() - 0.5) * 0.02; aux[i] = sft[i] + (rnd() - 0.5) * 2e-3; }
    for (let i = 0; i < n; i++) pre[i] = -alpha * (aux[i] - sft[i]) * (1 + (rnd() < 0.5 ? -1 : 1) * 2 ** -(10 + 10 * rnd()));
    const inputs = [pre, aux, sft].map((v) => ({ bytes: new Uint8Array(v.buffer), dtype: 'F32' }));
    const spec = { base: 0, terms: [{ a: 1, b: 2, w: 1 }], scale: alpha, outDtype: 'BF16' };
    const g = new Uint16Array((await gpu.combine(inputs, spec)).buffer);
    const c = new Uint16Array((await cpu.combine(inputs, spec)).buffer);
    const f = new Uint32Array((await gpu.combine(inputs, { ...spec, outDtype: 'F32' })).buffer);
    const out: string[] = [];
    let bad = 0;
    for (let i = 0; i < n; i++) if (g[i] !== c[i]) { bad++; if (out.length < 8) out.push(`#${i} gpu ${g[i].toString(16)} cpu ${c[i].toString(16)} f32 ${f[i].toString(16)} v64 ${pre[i] + alpha * (aux[i] - sft[i])}`); }
    out.push(`bad ${bad}`);
    return out;
  });
  console.log(r.join('\n'));
});
