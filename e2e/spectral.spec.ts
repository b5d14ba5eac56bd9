/**
 * The low-rank view in the real page: the spectral pass over the built-in demo in the analysis Worker,
 * the stable-rank heatmap on the language model's grid, energy ranks with "> k" cells, a spectrum plot,
 * the spectra CSV against `capvector stats --by tensor --spectral --json` on the same files, the α preview
 * with γ truncated to rank r against the CLI's σ and the float64 reference's sums, and the URL state.
 */
import { expect, test, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hoverCell, rel } from './analysis-helpers';
import { loadDemo, openApp, watchRequests } from './helpers';

const ROOT = join(import.meta.dirname, '..');
const DEMO = join(ROOT, 'public/demo');
const REF = JSON.parse(readFileSync(join(ROOT, 'tests/fixtures/stats/demo_expected.json'), 'utf8'));
const Q_L4 = 'language_model.model.layers.4.self_attn.q_proj.weight';
type Row = Record<string, unknown> & { name: string; sigma?: number[] };
/**
 * The page and Node run the same float64 code on the same bytes, but not the same V8: Math.log/sin/cos
 * of the Gaussian test matrix may differ in the last bit, which the randomised SVD carries to ~1e-15 (measured 1.8e-15 of σ₁).
 */
const SAME = 1e-12;
const near = (a: number, b: number) => Math.abs(a - b) <= SAME * Math.max(Math.abs(b), 1e-300);

/** The CLI on the demo's files: the numbers the app's export must equal. */
function cliRows(): Map<string, Row> {
  const out = execFileSync(process.execPath, [join(ROOT, 'bin/capvector.mjs'), 'stats', '--pre', join(DEMO, 'pre.safetensors'), '--aux', join(DEMO, 'aux'),
    '--sft', join(DEMO, 'sft.safetensors'), '--down', join(DEMO, 'down.safetensors'), '--by', 'tensor', '--spectral', '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return new Map((JSON.parse(out).rows as Row[]).filter((r) => r.sigma).map((r) => [r.name, r]));
}

async function runSpectral(page: Page) {
  await page.getByRole('tab', { name: 'Analysis' }).click();
  await page.getByRole('checkbox', { name: 'Spectral analysis (low-rank view of γ)' }).check();
  await page.getByRole('checkbox', { name: 'Also the τ_aux–τ_sft subspace overlap' }).check();
  await expect(page.getByRole('spinbutton', { name: 'Singular values per matrix (k)' })).toHaveValue('32');
  // The CPU engine: its float64 SVD is the CLI's, so the numbers can be held to 1e-12 (the WebGPU path's
  // parity with it is e2e/spectral-gpu.spec.ts's).
  await page.getByRole('combobox', { name: 'Engine' }).selectOption('cpu');
  await page.getByRole('button', { name: 'Start analysis' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'analysis complete' })).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: /spectral pass complete: 89 \/ 89 matrices/ })).toBeVisible();
}

test('spectral heatmaps, spectrum plot, truncated α preview and spectra CSV equal to the CLI on the demo', async ({ page }) => {
  const noneLeft = watchRequests(page);
  const cli = cliRows();
  expect(cli.size).toBe(89); // 86 2-D weights, the conv kernel, cls_token and pos_embed
  await openApp(page);
  await loadDemo(page);
  await runSpectral(page);

  // The stable-rank heatmap on the language model's blocks × modules grid.
  const view = page.getByRole('region', { name: 'low-rank view' });
  const lang = view.getByRole('figure', { name: 'Language model low-rank heatmap' });
  await expect(lang).toBeVisible();
  const layout = JSON.parse((await lang.locator('canvas[role="img"]').getAttribute('data-layout'))!);
  expect(layout.rows).toEqual(['—', 'L0', 'L1', 'L2', 'L3', 'L4', 'L5', 'L6', 'L7']);
  expect(layout.cols).toEqual(expect.arrayContaining(['q', 'k', 'v', 'o', 'gate', 'up', 'down']));
  const sr = await hoverCell(lang, 'L4', 'q');
  expect(rel(sr.value, cli.get(Q_L4)!.stableRank as number)).toBeLessThan(1e-6);

  // Spectra CSV: every matrix, numbers equal to the CLI's JSON.
  const [csv] = await Promise.all([page.waitForEvent('download'), view.getByRole('button', { name: 'Spectra CSV' }).click()]);
  expect(csv.suggestedFilename()).toBe('capvector-spectra-by-tensor.csv');
  const lines = readFileSync((await csv.path())!, 'utf8').trim().split('\n');
  const head = lines[0].split(',');
  expect(head).toEqual(['name', 'component', 'block', 'module', 'rows', 'cols', 'sigma1', 'stableRank', 'energyRank90', 'energyRank95', 'energyRank99',
    'overlapGammaDelta', 'overlapTauAuxTauSft', 'sigma',
    ...['delta', 'tauAux', 'tauSft'].flatMap((v) => ['Sigma1', 'StableRank', 'EnergyRank90', 'EnergyRank95', 'EnergyRank99', 'Sigma'].map((f) => `${v}${f}`))]);
  expect(lines.length - 1).toBe(cli.size);
  const rows = lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [head[i], v])));
  let beyond: Record<string, string> | undefined;
  let worst = 0;
  for (const r of rows) {
    const c = cli.get(r.name)!;
    expect(c, r.name).toBeDefined();
    const sig = r.sigma.split(' ').map(Number);
    expect(sig.length).toBe(c.sigma!.length);
    sig.forEach((x, i) => expect(Math.abs(x - c.sigma![i]), `${r.name} σ${i + 1}`).toBeLessThanOrEqual(SAME * c.sigma![0]));
    worst = Math.max(worst, ...sig.map((x, i) => Math.abs(x - c.sigma![i]) / c.sigma![0]));
    for (const f of ['stableRank', 'overlapGammaDelta']) expect(near(Number(r[f]), c[f] as number), `${r.name} ${f}: ${r[f]} vs ${c[f]}`).toBe(true);
    for (const f of ['energyRank90', 'energyRank95', 'energyRank99']) expect(r[f], `${r.name} ${f}`).toBe(c[f] === null ? '>32' : String(c[f]));
    expect(Number(r.overlapTauAuxTauSft)).toBeGreaterThanOrEqual(0);
    if (!beyond && r.component === 'language' && r.energyRank99 === '>32') beyond = r;
  }
  console.log(`spectra CSV vs CLI: largest |Δσ|/σ₁ = ${worst.toExponential(2)}`);

  // Energy rank at q = 0.99: a cell beyond k shows "> 32"; the URL keeps the view.
  await view.getByRole('combobox', { name: 'Spectral metric' }).selectOption('energyRank');
  await view.getByRole('combobox', { name: 'Energy level q' }).selectOption('0.99');
  expect(beyond, 'a language matrix whose 99% energy rank lies beyond k').toBeDefined();
  const tip = await hoverCell(lang, `L${beyond!.block}`, beyond!.module);
  expect(tip.text).toBe('> 32');
  expect(page.url()).toMatch(/#analysis\?.*spectral=32&tau=1&spec=energyRank&q=0\.99/);

  // The stable rank of Δ (whose SVD the γ–Δ overlap takes anyway): the tooltip shows the CSV's number.
  await view.getByRole('combobox', { name: 'Spectral metric' }).selectOption('stableRank');
  await view.getByRole('combobox', { name: 'Spectrum of' }).selectOption('delta');
  await expect(lang).toContainText('stable rank of Δ');
  const dq = await hoverCell(lang, 'L4', 'q');
  expect(rel(dq.value, Number(rows.find((r) => r.name === Q_L4)!.deltaStableRank))).toBeLessThan(1e-6);
  await view.getByRole('combobox', { name: 'Spectrum of' }).selectOption('gamma');
  await view.getByRole('combobox', { name: 'Spectral metric' }).selectOption('energyRank');

  // A cell opens the spectrum plot of its matrix, the energy rank at q marked.
  await view.getByRole('combobox', { name: 'Energy level q' }).selectOption('0.9');
  const lc = JSON.parse((await lang.locator('canvas[role="img"]').getAttribute('data-layout'))!);
  await lang.locator('canvas[role="img"]').click({ position: { x: lc.x0 + (lc.cols.indexOf('q') + 0.5) * lc.cw, y: lc.y0 + (lc.rows.indexOf('L4') + 0.5) * lc.ch } });
  const plot = view.getByRole('figure', { name: `spectrum of ${Q_L4}` });
  await expect(plot).toBeVisible();
  await expect(plot.locator(`[data-mark="energy rank ${cli.get(Q_L4)!.energyRank90} (q = 0.9)"]`)).toHaveCount(1);
  const [plotCsv] = await Promise.all([page.waitForEvent('download'), plot.getByRole('button', { name: `Export spectrum CSV of ${Q_L4}` }).click()]);
  const pl = readFileSync((await plotCsv.path())!, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
  pl.forEach((r, i) => expect(Math.abs(r[1] - cli.get(Q_L4)!.sigma![i])).toBeLessThanOrEqual(SAME * cli.get(Q_L4)!.sigma![0]));
  const [png] = await Promise.all([page.waitForEvent('download'), plot.getByRole('button', { name: `Export spectrum PNG of ${Q_L4}` }).click()]);
  expect([...readFileSync((await png.path())!).subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
  const [hpng] = await Promise.all([page.waitForEvent('download'), lang.getByRole('button', { name: 'Export PNG' }).click()]);
  expect(hpng.suggestedFilename()).toBe('heatmap-language-energyRank90.png');

  // α preview with γ truncated to rank 3: layer 4's ‖θ_meta − θ_pre‖ = α·√(Σ_matrices Σ_{i≤3} σᵢ² + Σ_others ‖γ‖²),
  // σ from the CLI, the other tensors' ‖γ‖² from the float64 PyTorch reference.
  await page.getByRole('combobox', { name: 'Component' }).selectOption('language');
  await page.getByRole('spinbutton', { name: 'Truncate γ to rank r (0 = whole)' }).fill('3');
  await expect(page.getByRole('note')).toContainText('γ truncated to rank 3');
  const l4 = Object.entries<any>(REF.tensors).filter(([n]) => n.startsWith('language_model.model.layers.4.'));
  const gg = l4.reduce((s, [n, t]) => s + (cli.has(n) ? cli.get(n)!.sigma!.slice(0, 3).reduce((a, x) => a + x * x, 0) : t.sumSq.gamma), 0);
  const row = page.getByRole('region', { name: 'alpha preview' }).locator('tr[data-layer="language/4"]');
  expect(rel(Number((await row.locator('td.num').first().textContent())!), 0.8 * Math.sqrt(gg))).toBeLessThan(1e-5);
  expect(page.url()).toMatch(/rank=3/);
  noneLeft();
});

test('the low-rank view is restored from the URL', async ({ page }) => {
  await openApp(page, '#analysis?spectral=8&spec=energyRank&q=0.9&rank=2');
  await expect(page.getByRole('checkbox', { name: 'Spectral analysis (low-rank view of γ)' })).toBeChecked();
  await expect(page.getByRole('spinbutton', { name: 'Singular values per matrix (k)' })).toHaveValue('8');
  await page.getByRole('tab', { name: 'Checkpoints' }).click();
  await loadDemo(page);
  await page.getByRole('tab', { name: 'Analysis' }).click();
  await page.getByRole('combobox', { name: 'Engine' }).selectOption('cpu');
  await page.getByRole('button', { name: 'Start analysis' }).click();
  await expect(page.getByRole('status').filter({ hasText: /spectral pass complete/ })).toBeVisible();
  await expect(page.getByRole('combobox', { name: 'Spectral metric' })).toHaveValue('energyRank');
  await expect(page.getByRole('combobox', { name: 'Energy level q' })).toHaveValue('0.9');
  await expect(page.getByRole('spinbutton', { name: 'Truncate γ to rank r (0 = whole)' })).toHaveValue('2');
  const lang = page.getByRole('figure', { name: 'Language model low-rank heatmap' });
  await expect(lang).toContainText('energy rank of γ at q = 0.9');
});

test('Cancel stops the spectral pass between matrices and keeps what it computed', async ({ page }) => {
  await openApp(page);
  await loadDemo(page);
  await page.getByRole('tab', { name: 'Analysis' }).click();
  await page.getByRole('checkbox', { name: 'Spectral analysis (low-rank view of γ)' }).check();
  // k = 200 and the τ overlap: exact SVDs of every matrix, four per matrix, a pass of minutes on this demo.
  await page.getByRole('spinbutton', { name: 'Singular values per matrix (k)' }).fill('200');
  await page.getByRole('checkbox', { name: 'Also the τ_aux–τ_sft subspace overlap' }).check();
  await page.getByRole('combobox', { name: 'Engine' }).selectOption('cpu');
  await page.getByRole('button', { name: 'Start analysis' }).click();
  const running = page.getByRole('status').filter({ hasText: /^spectral pass: [1-9]\d* \/ 89 matrices/ });
  await expect(running).toBeVisible();
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'cancelled' })).toBeVisible();
  const stopped = page.getByRole('status').filter({ hasText: /^spectral pass stopped: / });
  await expect(stopped).toBeVisible();
  const done = Number(/(\d+) \/ 89/.exec((await stopped.textContent())!)![1]);
  expect(done).toBeGreaterThan(0);
  expect(done).toBeLessThan(89);
  await expect(page.getByRole('button', { name: 'Start analysis' })).toBeEnabled();
  await expect(page.getByRole('region', { name: 'low-rank view' }).getByRole('figure').first()).toBeVisible();
});
