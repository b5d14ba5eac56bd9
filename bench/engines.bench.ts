/**
 * Engine throughput: θ_pre + 0.8·(θ_aux − θ_sft) on 64 MiB of bf16 per input (3 × 32M elements), in
 * chunks of each engine's maxChunkElements, upload + compute + readback included. Runs the CPU engine in
 * Node, then both engines in Chromium against a `vite preview` on port 5291 (builds dist/ if missing).
 * Throughput counts input bytes (192 MiB). SwiftShader numbers are CPU emulation, never GPU speed.
 */
import { spawn, execSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium } from '@playwright/test';
import { CpuEngine } from '../src/compute/cpu-engine';
import { benchInputs, BENCH_SPEC } from '../src/compute/select';
import type { ChunkInput, Engine } from '../src/compute/engine';

const ELEMENTS = 32 * 2 ** 20;
const PORT = 5291;

async function timeChunked(engine: Engine, inputs: ChunkInput[]): Promise<number> {
  const per = engine.maxChunkElements;
  const t0 = performance.now();
  for (let s = 0; s < ELEMENTS; s += per) {
    const e = Math.min(ELEMENTS, s + per);
    await engine.combine(inputs.map((x) => ({ ...x, bytes: x.bytes.subarray(s * 2, e * 2) })), BENCH_SPEC);
  }
  return performance.now() - t0;
}

async function waitFor(url: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      if ((await fetch(url)).ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${url} did not come up`);
}

export async function run(): Promise<string> {
  const mib = (3 * ELEMENTS * 2) / 2 ** 20;
  const rows: string[] = ['| engine | where | time (ms) | input MiB/s |', '|---|---|---|---|'];
  const inputs = benchInputs(ELEMENTS);
  const cpu = new CpuEngine();
  await timeChunked(cpu, inputs.map((x) => ({ ...x, bytes: x.bytes.subarray(0, 1 << 20) })) as ChunkInput[]).catch(() => 0);
  const cpuMs = await timeChunked(cpu, inputs);
  rows.push(`| cpu | Node ${process.version} | ${cpuMs.toFixed(0)} | ${(mib / (cpuMs / 1000)).toFixed(0)} |`);
  cpu.dispose();

  if (!existsSync('dist/harness.html')) execSync('npm run build', { stdio: 'inherit' });
  let server: ChildProcess | null = null;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan'],
  });
  try {
    server = spawn('npx', ['vite', 'preview', '--host', '127.0.0.1', '--port', String(PORT), '--strictPort'], { stdio: 'ignore', detached: true });
    await waitFor(`http://127.0.0.1:${PORT}/harness.html`, 60_000);
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${PORT}/harness.html`);
    await page.waitForFunction('globalThis.harnessReady === true');
    // Passed as source text: tsx's esbuild would wrap a function argument with helpers the page lacks.
    const res: { cpuMs: number; gpuMs: number; adapter?: { software?: boolean; architecture?: string; vendor?: string } } = await page.evaluate(`(async () => {
      const n = ${ELEMENTS};
      const { CpuEngine, WebGpuEngine, benchInputs, BENCH_SPEC } = globalThis.harness.compute;
      const inputs = benchInputs(n);
      const time = async (eng) => {
        await eng.combine(benchInputs(4096), BENCH_SPEC);
        const per = eng.maxChunkElements;
        const t0 = performance.now();
        for (let s = 0; s < n; s += per) {
          const e = Math.min(n, s + per);
          await eng.combine(inputs.map((x) => ({ ...x, bytes: x.bytes.subarray(s * 2, e * 2) })), BENCH_SPEC);
        }
        return performance.now() - t0;
      };
      const gpu = await WebGpuEngine.create();
      const out = { cpuMs: await time(new CpuEngine()), gpuMs: await time(gpu), adapter: gpu.adapter };
      gpu.dispose();
      return out;
    })()`);
    const soft = res.adapter?.software || /swiftshader/i.test(res.adapter?.architecture ?? '');
    const label = soft ? 'SwiftShader (CPU emulation) — not GPU speed' : `${res.adapter?.vendor} ${res.adapter?.architecture}`;
    rows.push(`| cpu | Chromium page | ${res.cpuMs.toFixed(0)} | ${(mib / (res.cpuMs / 1000)).toFixed(0)} |`);
    rows.push(`| webgpu | Chromium page, ${label} | ${res.gpuMs.toFixed(0)} | ${(mib / (res.gpuMs / 1000)).toFixed(0)} |`);
  } finally {
    await browser.close();
    if (server?.pid) try { process.kill(-server.pid); } catch { /* already gone */ }
  }
  return [`combine θ_pre + 0.8·(θ_aux − θ_sft), bf16 → bf16, 3 × ${ELEMENTS / 2 ** 20}M elements (${mib} MiB of input), chunked by each engine's maxChunkElements.`, '', ...rows].join('\n');
}
