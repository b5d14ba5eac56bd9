/**
 * The Merge panel's "Export γ as LoRA adapter" (extract method) in real Chromium: the four files
 * download, the adapter is PEFT's layout (checked here by hand: names, shapes, config), the report
 * accounts for every tensor of γ, and the downloaded adapter reopens in the workbench.
 */
import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { card, dropFiles, loadDemo, openApp, watchRequests } from './helpers';

/** The safetensors header, parsed by hand (independent of the app's reader). */
function header(buf: Uint8Array): Record<string, { dtype: string; shape: number[] }> {
  const n = Number(new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getBigUint64(0, true));
  const h = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + n)));
  delete h.__metadata__;
  return h;
}

test('extract → LoRA adapter: four files download, PEFT layout, every tensor reported, the adapter reopens', async ({ page }, info) => {
  test.setTimeout(180_000);
  const noLeaks = watchRequests(page);
  await openApp(page, '#checkpoints');
  await loadDemo(page);
  await page.getByRole('tab', { name: 'Merge' }).click();
  await page.getByLabel('Merge method').selectOption('extract');
  await page.getByLabel('Compute engine').selectOption('cpu');
  await page.getByLabel('Save to').selectOption('download');
  await page.getByLabel('Export γ as LoRA adapter').check();
  await page.getByLabel('LoRA rank (largest)').fill('0');
  await expect(page.getByRole('alert').filter({ hasText: 'LoRA rank must be a whole number' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Export LoRA adapter' })).toHaveCount(0);
  await page.getByLabel('LoRA rank (largest)').fill('4');
  await page.getByLabel(/Energy kept per module/).fill('0.9');

  const saved = new Map<string, string>();
  const all = new Promise<void>((resolve) => {
    page.on('download', async (dl) => {
      const out = info.outputPath(dl.suggestedFilename());
      await dl.saveAs(out);
      saved.set(dl.suggestedFilename(), out);
      if (saved.size === 4) resolve();
    });
  });
  await page.getByRole('button', { name: 'Export LoRA adapter' }).click();
  await all;
  expect([...saved.keys()].sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors', 'gamma_dense.safetensors', 'lora-report.json']);
  const result = page.getByTestId('merge-result');
  await expect(result).toContainText('LoRA adapter:');

  const config = JSON.parse(readFileSync(saved.get('adapter_config.json')!, 'utf8'));
  expect(config).toMatchObject({ peft_type: 'LORA', fan_in_fan_out: false, bias: 'none', use_rslora: false, use_dora: false });
  expect(config.lora_alpha).toBe(config.r);
  expect(config.r).toBeLessThanOrEqual(4);
  expect(config.rank_pattern).toEqual(config.alpha_pattern);
  const st = header(new Uint8Array(readFileSync(saved.get('adapter_model.safetensors')!)));
  const modules = config.target_modules as string[];
  expect(modules.length).toBeGreaterThan(0);
  expect(Object.keys(st).length).toBe(2 * modules.length);
  for (const m of modules) {
    const r = config.rank_pattern[m] ?? config.r;
    const a = st[`base_model.model.${m}.lora_A.weight`] ?? st[`base_model.model.${m}.lora_embedding_A`];
    const b = st[`base_model.model.${m}.lora_B.weight`] ?? st[`base_model.model.${m}.lora_embedding_B`];
    expect(a, m).toBeDefined();
    expect(b, m).toBeDefined();
    expect([a.dtype, b.dtype]).toEqual(['F32', 'F32']);
    expect(a.shape[0], m).toBe(r);
    expect(b.shape[1], m).toBe(r);
  }
  const report = JSON.parse(readFileSync(saved.get('lora-report.json')!, 'utf8'));
  const side = header(new Uint8Array(readFileSync(saved.get('gamma_dense.safetensors')!)));
  const dense = report.tensors.filter((t: { kind: string }) => t.kind === 'dense').map((t: { name: string }) => t.name);
  expect(Object.keys(side).sort()).toEqual([...dense].sort());
  expect(report.totals.modules).toBe(modules.length);
  for (const t of report.tensors.filter((x: { kind: string }) => ['linear', 'conv', 'embedding'].includes(x.kind))) {
    expect(t.rank).toBeGreaterThan(0);
    expect(t.error).toBeLessThanOrEqual(t.eckartYoung * 1.0001 + 1e-12);
  }

  // The downloaded adapter reopens in the workbench as a LoRA adapter (its folder: config + weights).
  await page.getByRole('tab', { name: 'Checkpoints' }).click();
  await dropFiles(page, ['adapter_model.safetensors', 'adapter_config.json'].map((f) => ({ path: `gamma-lora/${f}`, data: new Uint8Array(readFileSync(saved.get(f)!)) })));
  const reopened = card(page, 'gamma-lora');
  await expect(reopened.getByTestId('format')).toHaveText('LoRA adapter');
  await expect(reopened.locator('[data-field="tensors"]')).toHaveAttribute('data-value', String(2 * modules.length));
  await expect(reopened.locator('[data-field="lora.modules"]')).toHaveText(String(modules.length));
  await expect(reopened.locator('[data-field="lora.scale"]')).toHaveText('1 (alpha/r)');
  noLeaks();
});

test('the LoRA export fields keep their values when the user visits another tab and comes back', async ({ page }) => {
  await openApp(page, '#checkpoints');
  await loadDemo(page);
  await page.getByRole('tab', { name: 'Merge' }).click();
  await page.getByLabel('Merge method').selectOption('extract');
  await page.getByLabel('Export γ as LoRA adapter').check();
  await page.getByLabel('LoRA rank (largest)').fill('7');
  await page.getByLabel(/Energy kept per module/).fill('0.8');
  await page.getByRole('tab', { name: 'Checkpoints' }).click();
  await page.getByRole('tab', { name: 'Merge' }).click();
  await expect(page.getByLabel('Export γ as LoRA adapter')).toBeChecked();
  await expect(page.getByLabel('LoRA rank (largest)')).toHaveValue('7');
  await expect(page.getByLabel(/Energy kept per module/)).toHaveValue('0.8');
  await expect(page.getByRole('button', { name: 'Export LoRA adapter' })).toBeVisible();
});
