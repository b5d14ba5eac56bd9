/**
 * The name mapping set by hand in the alignment report (issue 12, item 4), on make_buffer_golden.py's
 * family: θ_aux saved under DDP (`module.`), θ_sft with an extra `model.`. The automatic mapping lines
 * them up; taking θ_aux's names as they are leaves every one of its tensors missing; typing the prefix to
 * strip lines them up again, marked as set by hand.
 */
import { expect, test } from '@playwright/test';
import { join } from 'node:path';
import { dropFiles, filesFromDisk, openApp } from './helpers';

const BUF = join(import.meta.dirname, '../tests/fixtures/buffers');

test('the alignment report’s name mapping can be changed by hand per role', async ({ page }) => {
  await openApp(page);
  await dropFiles(page, [
    ...filesFromDisk([join(BUF, 'pre/model.safetensors')], 'pre'),
    ...filesFromDisk([join(BUF, 'aux-ddp/pytorch_model.bin')], 'aux-ddp'),
    ...filesFromDisk([join(BUF, 'sft-wrapped/model.safetensors')], 'sft-wrapped'),
  ]);
  await expect(page.getByTestId('checkpoint-card')).toHaveCount(3);
  for (const [name, role] of [['pre', 'pre'], ['aux-ddp', 'aux'], ['sft-wrapped', 'sft']]) {
    await page.getByRole('combobox', { name: `Role of ${name}` }).selectOption(role);
  }
  const summary = page.getByTestId('alignment-summary');
  await expect(summary).toContainText('all matched');
  const mappings = page.getByTestId('name-mappings');
  await expect(mappings.locator('[data-role="aux"]')).toContainText('names lined up aux: module.* → *');

  await page.getByText('Change the name mapping').click();
  const aux = page.getByRole('combobox', { name: 'Name mapping for Auxiliary-finetuned θ_aux' });
  await aux.selectOption({ label: 'names as they are (0 tensors)' });
  await expect(summary.locator('[data-count="missing"]')).not.toHaveText('0');
  await expect(mappings.locator('[data-role="aux"]')).toContainText('set by hand aux: * → * (0 tensors');

  await page.getByRole('textbox', { name: "Prefix to strip from Auxiliary-finetuned θ_aux's names" }).fill('module.');
  await page.getByRole('button', { name: 'Use this name mapping for Auxiliary-finetuned θ_aux' }).click();
  await expect(summary).toContainText('all matched');
  await expect(mappings.locator('[data-role="aux"]')).toContainText('set by hand aux: module.* → *');
  await expect(aux).toHaveValue('module.\u0000');

  await aux.selectOption('auto');
  await expect(mappings.locator('[data-role="aux"]')).toContainText('names lined up aux: module.* → *');
});
