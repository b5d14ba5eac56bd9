/**
 * The finetune panel's "Run experiment" at its defaults (the final protocol of docs/train-results.md),
 * as a person runs it: the built app in Chromium, the shipped θ_pre, every stage and arm in the Worker.
 * Once on tfjs's WebAssembly backend (`?backend=wasm`, what a laptop without WebGPU gets); the figure is
 * the wall time from the click to "Finished." The bound: ≤ 10 minutes on a laptop CPU.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { freePort, waitFor } from './lib/serve';

export async function run(): Promise<string> {
  const out = mkdtempSync(join(tmpdir(), 'capvector-experiment-bench-'));
  let server: ChildProcess | null = null;
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' });
  try {
    execFileSync('npx', ['vite', 'build', '--outDir', out, '--emptyOutDir', '--logLevel', 'warn'], { stdio: 'inherit' });
    const port = await freePort(5301);
    server = spawn('npx', ['vite', 'preview', '--outDir', out, '--host', '127.0.0.1', '--port', String(port), '--strictPort'], { stdio: 'ignore', detached: true });
    await waitFor(`http://127.0.0.1:${port}/index.html`, 60_000);
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/index.html?backend=wasm#finetune`);
    await page.getByLabel('Training backend').and(page.locator('[data-backend="wasm"]')).waitFor({ timeout: 60_000 });
    const loadBefore = loadavg()[0].toFixed(1);
    const t0 = performance.now();
    await page.getByRole('button', { name: 'Run experiment' }).click();
    await page.getByRole('status').filter({ hasText: /^(Finished\.|Cancelled\.)$|failed|error/i }).waitFor({ timeout: 20 * 60_000 });
    const seconds = (performance.now() - t0) / 1000;
    const outcome = await page.getByRole('status').filter({ hasText: /^(Finished\.|Cancelled\.)$|failed|error/i }).textContent();
    const rows = await page.locator('table[aria-label="Arm summary"] tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.children).map((c) => c.textContent?.trim() ?? '')));
    return [
      `Chromium headless, tfjs WebAssembly backend in the Worker, default parameters (final protocol), shipped θ_pre; ${cpus().length} cores (${cpus()[0]?.model}), load ${loadBefore} at the start, ${loadavg()[0].toFixed(1)} at the end.`,
      '',
      `Wall time from the click on "Run experiment" to "${outcome}": **${(seconds / 60).toFixed(1)} min** (bound: 10 min on a laptop CPU).`,
      '',
      '| arm | steps | points | ms / step | final success | probe error (held-out) |',
      '|---|---|---|---|---|---|',
      ...rows.map((r) => `| ${r[0]} | ${r[1]} | ${r[2]} | ${r[3]} | ${r[4]} | ${r[5]} |`),
    ].join('\n');
  } finally {
    await browser.close();
    if (server?.pid) try { process.kill(-server.pid); } catch { /* already gone */ }
    rmSync(out, { recursive: true, force: true });
  }
}
