/**
 * PEFT LoRA adapters in real Chromium (WebGPU on SwiftShader): a base and two adapter folders dropped
 * like a user's folders open as cards (the adapters as "LoRA adapter" with r, alpha and scale), merge in
 * the Merge panel as θ_pre + α·(ΔW_a − ΔW_s) on WebGPU and on the CPU engine, and the downloads equal
 * the float64 PyTorch golden of tests/fixtures/make_lora_golden.py (≤ 1 ulp, ≥ 99.9 % bit-exact).
 * And the WebGPU lora kernel against its CPU twin on random inputs: every dtype, both factor layouts,
 * chunks that start mid-row, many dispatches.
 */
import { expect, test } from '@playwright/test';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { card, dropFiles, filesFromDisk, openApp, watchRequests } from './helpers';

const LORA = join(import.meta.dirname, '../tests/fixtures/lora');
const folder = (name: string) => filesFromDisk(readdirSync(join(LORA, name)).map((f) => join(LORA, name, f)), name);

/** 16-bit words of a bf16 safetensors file's tensors, in file order (parsed by hand). */
function bf16Tensors(buf: Uint8Array): Map<string, Uint16Array> {
  const n = Number(new DataView(buf.buffer, buf.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + n)));
  delete header.__metadata__;
  const out = new Map<string, Uint16Array>();
  for (const [name, e] of Object.entries(header as Record<string, { dtype: string; data_offsets: [number, number] }>)) {
    expect(e.dtype, name).toBe('BF16');
    const bytes = buf.slice(8 + n + e.data_offsets[0], 8 + n + e.data_offsets[1]);
    out.set(name, new Uint16Array(bytes.buffer));
  }
  return out;
}

for (const engine of ['webgpu', 'cpu'] as const) {
  test(`a base and two adapter folders merge on ${engine} to the float64 golden`, async ({ page }, info) => {
    const noLeaks = watchRequests(page);
    await openApp(page, '#checkpoints');
    await dropFiles(page, [...folder('pre-bf16'), ...folder('plain'), ...folder('patterns')]);
    await expect(page.getByTestId('checkpoint-card')).toHaveCount(3);
    const plain = card(page, 'plain');
    await expect(plain.getByTestId('format')).toHaveText('LoRA adapter');
    await expect(plain.locator('[data-field="lora.r"]')).toHaveText('4');
    await expect(plain.locator('[data-field="lora.scale"]')).toHaveText('2 (alpha/r)');
    await expect(plain.locator('[data-field="lora.target_modules"]')).toHaveText('q_proj, v_proj');
    await expect(plain.locator('[data-field="lora.modules"]')).toHaveText('4');
    for (const [name, role] of [['pre-bf16', 'pre'], ['plain', 'aux'], ['patterns', 'sft']]) {
      await card(page, name).getByRole('combobox', { name: `Role of ${name}` }).selectOption(role);
    }
    // The alignment report reads each adapter as θ_pre + ΔW: everything lines up.
    const adapters = page.getByTestId('adapter-roles');
    await expect(adapters.locator('[data-role="aux"]')).toHaveText('LoRA adapter aux: θ_pre + ΔW: 4 tensors updated, the rest θ_pre\'s');
    await expect(adapters.locator('[data-role="sft"]')).toHaveText('LoRA adapter sft: θ_pre + ΔW: 6 tensors updated, the rest θ_pre\'s');
    await expect(page.getByTestId('alignment-summary')).toContainText('all matched');
    await page.getByRole('tab', { name: 'Merge' }).click();
    await page.getByLabel('Merge method').selectOption('capvector');
    await page.getByLabel('α', { exact: true }).fill('0.8');
    await page.getByLabel('Output dtype').selectOption('keep');
    await page.getByLabel('Compute engine').selectOption(engine);
    await page.getByLabel('Save to').selectOption('download');
    await expect.poll(() => page.evaluate(() => decodeURIComponent(location.hash))).toContain('"alpha":0.8');
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Run merge' }).click();
    const dl = await download;
    const out = info.outputPath(dl.suggestedFilename());
    await dl.saveAs(out);
    await expect(page.getByTestId('merge-result').getByTestId('merge-engine')).toContainText(engine === 'webgpu' ? 'Ran on WebGPU' : 'Ran on CPU');
    const got = bf16Tensors(new Uint8Array(readFileSync(out)));
    const want = bf16Tensors(new Uint8Array(readFileSync(join(LORA, 'expected/capvector-adapters.safetensors'))));
    expect([...got.keys()]).toEqual([...want.keys()]);
    let total = 0, exact = 0, worst = 0;
    const ord = (x: number) => (x >= 0x8000 ? -(x - 0x8000) : x);
    for (const [name, w] of want) {
      const g = got.get(name)!;
      expect(g.length, name).toBe(w.length);
      for (let i = 0; i < w.length; i++) {
        total++;
        if (g[i] === w[i]) exact++;
        else worst = Math.max(worst, Math.abs(ord(g[i]) - ord(w[i])));
      }
    }
    console.log(`lora capvector on ${engine}: ${exact}/${total} bit-exact (${((100 * exact) / total).toFixed(3)}%), worst ${worst} ulp`);
    expect(worst, 'no element off by more than 1 ulp').toBeLessThanOrEqual(1);
    expect(exact / total, 'at least 99.9% bit-exact').toBeGreaterThanOrEqual(0.999);
    noLeaks();
  });
}

test('WebGPU lora matches its CPU twin: every dtype, B·A and (B·A)ᵀ, chunks from mid-row, many dispatches', async ({ page }) => {
  await page.goto('/harness.html');
  await page.waitForFunction(() => (globalThis as any).harnessReady === true);
  const lines: string[] = await page.evaluate(async () => {
    const h = (globalThis as any).harness;
    const { CpuEngine, WebGpuEngine } = h.compute;
    const { f32ToF16Bits, f32ToBf16Bits } = h.dtype;
    let seed = 7;
    const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);
    const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
    const encode = (d: string, n: number, s: number) => {
      const v = Float64Array.from({ length: n }, () => gauss() * s);
      if (d === 'F32') return { dtype: d, bytes: new Uint8Array(Float32Array.from(v).buffer) };
      const u = Uint16Array.from(v, (x) => (d === 'F16' ? f32ToF16Bits(x) : f32ToBf16Bits(x)));
      return { dtype: d, bytes: new Uint8Array(u.buffer) };
    };
    const words = (d: string, b: Uint8Array) => (d === 'F32' ? new Uint32Array(b.slice().buffer) : new Uint16Array(b.slice().buffer));
    const cpu = new CpuEngine();
    const gpu = await WebGpuEngine.create();
    const multi = await WebGpuEngine.create({ maxDispatchElements: 2048, maxWorkgroupsPerDimension: 2 });
    const out: string[] = [];
    let total = 0, exact = 0, worst = 0;
    const D = ['F32', 'F16', 'BF16'];
    for (const dense of D) for (const fac of D) for (const od of D) for (const transpose of [false, true]) {
      const rows = 67, cols = 45, r = 5;
      const first = 101, n = rows * cols - first - 13;
      // Two adapters' factors, the first in the layout under test, the second (rank 3) as B·A.
      const inputs = [encode(dense, n, 0.05), encode(dense, n, 0.05), encode(fac, r * (transpose ? rows : cols), 0.2), encode(fac, (transpose ? cols : rows) * r, 0.2),
        encode(fac, 3 * cols, 0.2), encode(fac, rows * 3, 0.2)];
      const spec = {
        base: 0, terms: [{ a: 1, b: 0, w: 0.5 }], scale: 0.8, outDtype: od, dense: 2, rows, cols, first,
        factors: [{ a: 2, b: 3, rank: r, w: 1.25, transpose }, { a: 4, b: 5, rank: 3, w: -0.5, transpose: false }],
      };
      for (const eng of [gpu, multi]) {
        const g = words(od, await eng.lora(inputs, spec));
        const c = words(od, await cpu.lora(inputs, spec));
        const sign = od === 'F32' ? 0x80000000 : 0x8000;
        const ord = (x: number) => (x >= sign ? -(x - sign) : x);
        for (let i = 0; i < c.length; i++) {
          total++;
          if (g[i] === c[i]) exact++;
          else worst = Math.max(worst, Math.abs(ord(g[i]) - ord(c[i])));
        }
      }
    }
    out.push(`lora: ${total} elements, ${((100 * exact) / total).toFixed(4)}% bit-exact against the CPU twin, worst ${worst} ulp`);
    gpu.dispose(); multi.dispose(); cpu.dispose();
    return out;
  });
  for (const l of lines) console.log(l);
  const m = /([\d.]+)% bit-exact .* worst (\d+) ulp/.exec(lines[0])!;
  expect(Number(m[2])).toBeLessThanOrEqual(1);
  expect(Number(m[1])).toBeGreaterThanOrEqual(99.9);
});
