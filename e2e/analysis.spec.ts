/**
 * The analysis panel in the real page: the demo family (pre/aux/sft/down) streamed through the
 * analysis Worker, heatmap tooltips checked against the float64 PyTorch reference
 * (tests/fixtures/stats/demo_expected.json, made by tests/fixtures/make_stats_golden.py), metric and
 * colour-map switches, live α preview, PNG/CSV exports, URL state, long tasks, and draw time.
 */
import { expect, test, type Locator, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hoverCell, longTasksWhileStreaming, observeLongTasks, rel } from './analysis-helpers';
import { loadDemo, openApp, recordTiming, watchRequests } from './helpers';

const ROOT = join(import.meta.dirname, '..');
const REF = JSON.parse(readFileSync(join(ROOT, 'tests/fixtures/stats/demo_expected.json'), 'utf8'));
const Q_L4 = 'language_model.model.layers.4.self_attn.q_proj.weight';

async function startAnalysis(page: Page) {
  await page.getByRole('tab', { name: 'Analysis' }).click();
  await expect(page.getByRole('button', { name: 'Start analysis' })).toBeEnabled();
  await page.getByRole('button', { name: 'Start analysis' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'analysis complete' })).toBeVisible();
}

test('heatmaps of the demo family: tooltip equals the float64 reference, switches, α preview, exports', async ({ page }) => {
  const noneLeft = watchRequests(page);
  await observeLongTasks(page);
  await openApp(page);
  await loadDemo(page);
  await startAnalysis(page);
  const { long: longTasks } = await longTasksWhileStreaming(page);
  recordTiming('demo analysis: longest main-thread task while statistics streamed', Math.max(0, ...longTasks), 50, `(${longTasks.length} long tasks)`);

  // One heatmap per component; the language model's shows ‖γ‖ by default.
  const lang = page.getByRole('figure', { name: 'Language model heatmap' });
  await expect(lang).toBeVisible();
  await expect(page.getByRole('figure', { name: 'Vision backbone heatmap' })).toBeVisible();
  const drawMs = Number(await lang.locator('canvas').first().getAttribute('data-draw-ms'));
  expect(Number.isFinite(drawMs), 'the heatmap reports its draw time').toBe(true);
  recordTiming('demo analysis: language heatmap draw', drawMs, 100);

  // ‖γ‖ of layer 4's q_proj (the cell's only tensor) against torch float64: 7 significant digits shown.
  const want = REF.tensors[Q_L4];
  const g = await hoverCell(lang, 'L4', 'q');
  expect(rel(g.value, Math.sqrt(want.sumSq.gamma))).toBeLessThan(1e-5);
  expect(rel(g.value, want.metrics['0.8'].normGamma)).toBeLessThan(1e-5);

  // Switch to cos(γ, Δ): the automatic colour map becomes diverging; Δ is derived from dots in the app,
  // materialised as a vector in the reference.
  await page.getByRole('combobox', { name: 'Metric' }).selectOption('cosGammaDelta');
  await expect(lang.locator('[data-colormap]')).toHaveAttribute('data-colormap', 'diverging');
  const c = await hoverCell(lang, 'L4', 'q');
  expect(Math.abs(c.value - want.metrics['0.8'].cosGammaDelta)).toBeLessThan(1e-5);
  await page.getByRole('combobox', { name: 'Colour map' }).selectOption('magma');
  await expect(lang.locator('[data-colormap]')).toHaveAttribute('data-colormap', 'magma');
  expect(page.url()).toMatch(/#analysis\?.*metric=cosGammaDelta.*cmap=magma/);

  // Click opens the tensor's details.
  await lang.locator('canvas[role="img"]').click({ position: await cellCentre(lang, 'L4', 'q') });
  await expect(page.getByRole('region', { name: 'tensor details' })).toContainText(Q_L4);

  // Live α preview (for the chosen component): ‖θ_meta − θ_pre‖ of layer 4 = |α|·‖γ_L4‖ from the reference's per-tensor sums.
  await page.getByRole('combobox', { name: 'Component' }).selectOption('language');
  await expect(page.getByRole('figure', { name: 'Vision backbone heatmap' })).toHaveCount(0);
  await page.getByRole('spinbutton', { name: 'Global alpha' }).fill('0.3');
  const l4 = Object.entries<any>(REF.tensors).filter(([n]) => n.startsWith('language_model.model.layers.4.'));
  const gammaL4 = Math.sqrt(l4.reduce((s, [, t]) => s + t.sumSq.gamma, 0));
  const row = page.getByRole('region', { name: 'alpha preview' }).locator('tr[data-layer="language/4"]');
  const shown = Number((await row.locator('td.num').first().textContent())!);
  expect(rel(shown, 0.3 * gammaL4)).toBeLessThan(1e-5);
  // A per-layer override changes that layer only.
  await row.getByRole('spinbutton').fill('2');
  expect(rel(Number((await row.locator('td.num').first().textContent())!), 2 * gammaL4)).toBeLessThan(1e-5);
  await row.getByRole('spinbutton').fill('');
  await page.getByRole('spinbutton', { name: 'Global alpha' }).fill('0.8');

  // PNG export of the heatmap.
  const [png] = await Promise.all([page.waitForEvent('download'), lang.getByRole('button', { name: 'Export PNG' }).click()]);
  expect(png.suggestedFilename()).toBe('heatmap-language-cosGammaDelta.png');
  const pngBytes = readFileSync((await png.path())!);
  expect([...pngBytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

  // CSV by tensor: every float tensor, values equal to the reference.
  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'CSV by tensor' }).click()]);
  const lines = readFileSync((await csv.path())!, 'utf8').trim().split('\n');
  const head = lines[0].split(',');
  expect(head.slice(0, 3)).toEqual(['name', 'component', 'block']);
  expect(lines.length - 1).toBe(Object.keys(REF.tensors).length);
  const qrow = lines.find((l) => l.startsWith(`${Q_L4},`))!.split(',');
  for (const k of ['normGamma', 'normTauSft', 'normDelta', 'cosGammaDelta', 'cosGammaTauAux']) {
    const w = want.metrics['0.8'][k];
    expect(Math.abs(Number(qrow[head.indexOf(k)]) - w), k).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(w)));
  }

  // Chart PNG (recharts SVG serialised to a canvas).
  const chart = page.getByRole('figure', { name: /norms by layer/ });
  const [chartPng] = await Promise.all([page.waitForEvent('download'), chart.getByRole('button', { name: 'Export PNG' }).click()]);
  expect([...readFileSync((await chartPng.path())!).subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
  noneLeft();
});

async function cellCentre(heatmap: Locator, row: string, module: string) {
  const l = JSON.parse((await heatmap.locator('canvas[role="img"]').getAttribute('data-layout'))!);
  return { x: l.x0 + (l.cols.indexOf(module) + 0.5) * l.cw, y: l.y0 + (l.rows.indexOf(row) + 0.5) * l.ch };
}

test('the view is restored from the URL', async ({ page }) => {
  await openApp(page, '#analysis?metric=cosGammaTauSft&cmap=viridis&alpha=0.5&vectors=gamma,tauSft');
  await expect(page.getByRole('button', { name: 'Start analysis' })).toBeVisible();
  await page.getByRole('tab', { name: 'Checkpoints' }).click();
  await loadDemo(page);
  await startAnalysis(page);
  await expect(page.getByRole('combobox', { name: 'Metric' })).toHaveValue('cosGammaTauSft');
  await expect(page.getByRole('combobox', { name: 'Colour map' })).toHaveValue('viridis');
  await expect(page.getByRole('spinbutton', { name: 'Global alpha' })).toHaveValue('0.5');
  const lang = page.getByRole('figure', { name: 'Language model heatmap' });
  await expect(lang.locator('[data-colormap]')).toHaveAttribute('data-colormap', 'viridis');
  const g = await hoverCell(lang, 'L4', 'q');
  expect(Math.abs(g.value - REF.tensors[Q_L4].metrics['0.8'].cosGammaTauSft)).toBeLessThan(1e-5);
});

test('heatmaps of an 80-layer model with thousands of tensors: every group and cell drawn (time recorded)', async ({ page }) => {
  await page.goto('/harness.html');
  await page.waitForFunction(() => (window as any).harnessReady === true);
  // The first call includes compiling the code; the figure is the median of warm calls (the machine is shared).
  const runs = await page.evaluate(() => [0, 1, 2, 3, 4, 5].map(() => (window as any).harness.analysis.renderSynthetic(80)));
  const r = runs[0];
  expect(r.tensors).toBeGreaterThan(1800);
  expect(r.groups).toBe(3);
  const warm = runs.slice(1).map((x: { totalMs: number }) => x.totalMs).sort((a: number, b: number) => a - b);
  // Every run draws the same grid: the rendering is deterministic whatever the machine's load.
  for (const x of runs) expect({ tensors: x.tensors, groups: x.groups, cells: x.cells }).toEqual({ tensors: r.tensors, groups: r.groups, cells: r.cells });
  recordTiming('80-layer heatmaps: warm median render', warm[2], 100, `(${r.tensors} tensors, ${r.cells} cells)`);
  recordTiming('80-layer heatmaps: first (cold) render', r.totalMs, 1000);
});
