/**
 * Training speed of the finetune policy in Node on tfjs's WebAssembly backend (2 threads, what the
 * scripts use) and its CPU backend: steps per second of plain SFT, SFT + the dense auxiliary objective,
 * and SFT + L_orth (batch 32). Then plain SFT in Chromium, on tfjs's WebGPU
 * and CPU backends, through window.harness.train against a private build served by `vite preview`.
 * In CI that browser's WebGPU is SwiftShader, a CPU emulation of a GPU, whose times say nothing about
 * real GPU speed; the row says so.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { chromium } from '@playwright/test';
import { trainArm, type ArmConfig } from '../src/train/loop';
import { initWeights, POLICY_SPECS, AUX_HEAD_SPECS, parameterTotal } from '../src/train/policy';
import { DEFAULT_ORTH } from '../src/train/orth-reg';
import { sftBenchConfig, type TrainSpeed } from '../src/harness/expose-train';
import { freePort, waitFor } from './lib/serve';
import { useBackend } from '../scripts/lib/tf-node';

const BATCH = 32;
/** Browser steps: SwiftShader is slow, so the browser part times fewer steps than Node by default. */
const BROWSER_STEPS = Number(process.env.TRAIN_BENCH_BROWSER_STEPS ?? 8);

/** Builds the app into a private temp folder (others' dist/ untouched) and times SFT in Chromium. */
async function browserRows(): Promise<string[]> {
  const out = mkdtempSync(join(tmpdir(), 'capvector-train-bench-'));
  let server: ChildProcess | null = null;
  let browser: Awaited<ReturnType<typeof chromium.launch>> | null = null;
  try {
    execFileSync('npx', ['vite', 'build', '--outDir', out, '--emptyOutDir', '--logLevel', 'warn'], { stdio: 'inherit' });
    const port = await freePort(5297);
    server = spawn('npx', ['vite', 'preview', '--outDir', out, '--host', '127.0.0.1', '--port', String(port), '--strictPort'], { stdio: 'ignore', detached: true });
    const url = `http://127.0.0.1:${port}/harness.html`;
    await waitFor(url, 60_000);
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan'],
    });
    const rows: string[] = [];
    for (const backend of ['webgpu', 'cpu'] as const) {
      // A fresh page per backend, so the second does not inherit the first's tfjs state.
      const page = await browser.newPage();
      try {
        await page.goto(url);
        await page.waitForFunction('globalThis.harnessReady === true');
        // Passed as source text: tsx's esbuild would wrap a function argument with helpers the page lacks.
        const r: TrainSpeed = await page.evaluate(
          `globalThis.harness.train.trainStepsPerSecond({ backend: '${backend}', steps: ${BROWSER_STEPS}, batch: ${BATCH}, warmup: 2 })`,
        );
        const a = r.adapter;
        const soft = a && /swiftshader/i.test(`${a.vendor} ${a.architecture} ${a.device} ${a.description}`);
        const where = backend === 'cpu' ? 'Chromium page, tfjs CPU backend'
          : `Chromium page, tfjs WebGPU, ${soft ? 'SwiftShader (CPU emulation) — not GPU speed' : [a?.vendor, a?.architecture, a?.device].filter(Boolean).join(' · ') || 'adapter details hidden'}`;
        rows.push(`| SFT | ${where} (backend ${r.backend}) | ${r.msPerStep.toFixed(1)} | ${r.stepsPerSecond.toFixed(2)} |`);
      } catch (e) {
        rows.push(`| SFT | Chromium page, ${backend}: failed — ${(e as Error).message.split('\n')[0]} | – | – |`);
      } finally {
        await page.close();
      }
    }
    return rows;
  } catch (e) {
    return [`| SFT | Chromium: not run — ${(e as Error).message.split('\n')[0]} | – | – |`];
  } finally {
    await browser?.close();
    if (server?.pid) try { process.kill(-server.pid); } catch { /* already gone */ }
    rmSync(out, { recursive: true, force: true });
  }
}

export async function run(): Promise<string> {
  const steps = Number(process.env.TRAIN_BENCH_STEPS ?? 20);
  const gamma = initWeights(POLICY_SPECS, 2);
  const base: ArmConfig = sftBenchConfig(steps, BATCH);
  const arms: [string, Partial<ArmConfig>][] = [
    ['SFT', {}],
    ['SFT + aux objective', { aux: { weight: 1, head: initWeights(AUX_HEAD_SPECS, 3) } }],
    ['SFT + L_orth (cos², per tensor)', { orth: { gamma, opt: DEFAULT_ORTH } }],
  ];
  const rows: string[] = [];
  // Both Node backends in one run, so their ratio is measured under the same load.
  const perStep: Record<string, number[]> = {};
  for (const backend of ['wasm', 'cpu'] as const) {
    const label = await useBackend(backend);
    for (const [name, extra] of arms) {
      await trainArm({ ...base, ...extra, steps: 3, logEvery: 3 }, { checkpoint: async () => true }, () => {}); // warm-up
      const r = await trainArm({ ...base, ...extra }, { checkpoint: async () => true }, () => {});
      (perStep[name] ??= []).push(r.msPerStep);
      rows.push(`| ${name} | Node, ${label} | ${r.msPerStep.toFixed(1)} | ${(1000 / r.msPerStep).toFixed(2)} |`);
    }
  }
  for (const [name, [wasm, cpu]] of Object.entries(perStep)) rows.push(`| ${name} | Node: WebAssembly is ${(cpu / wasm).toFixed(1)}× faster than CPU | | |`);
  rows.push(...(await browserRows()));
  return [
    `tfjs ${tf.version.tfjs}, policy ${parameterTotal()} parameters, batch ${BATCH}. Node: ${steps} timed steps after 3 warm-up steps; Chromium: ${BROWSER_STEPS} timed steps after 2 warm-up steps.`,
    'The machine is shared: figures vary with load. SwiftShader WebGPU runs on the CPU: its figure is not GPU speed.',
    '',
    '| arm | where | ms / step | steps / s |',
    '|---|---|---|---|',
    ...rows,
  ].join('\n');
}
