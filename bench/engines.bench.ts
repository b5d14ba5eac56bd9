/**
 * Engine throughput: θ_pre + 0.8·(θ_aux − θ_sft) on 64 MiB of bf16 per input (3 × 32M elements), in
 * chunks of each engine's maxChunkElements, upload + compute + readback included. Runs the CPU engine in
 * Node, then both engines in Chromium against a `vite preview` on port 5291 (builds dist/ if missing).
 * Throughput counts input bytes (192 MiB). SwiftShader numbers are CPU emulation, never GPU speed.
 */
import { spawn, execSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { chromium } from '@playwright/test';
import { CpuEngine } from '../src/compute/cpu-engine';
import type { ChunkInput, CombineSpec, Engine } from '../src/compute/engine';
import { waitFor } from './lib/serve';
import { benchInputs } from './lib/inputs';

const ELEMENTS = 32 * 2 ** 20;
const PORT = 5291;

const BENCH_SPEC: CombineSpec = { base: 0, terms: [{ a: 1, b: 2, w: 1 }], scale: 0.8, outDtype: 'BF16' };

/** Per-element time of each CPU op on 4M-element chunks (best of a few runs: the box is shared). */
async function cpuOps(): Promise<string[]> {
  const n = 1 << 22;
  const x = benchInputs(n, 4);
  const f16 = x.map((c) => ({ ...c, dtype: 'F16' as const }));
  const f32 = x.map((c) => {
    const u = new Uint16Array(c.bytes.buffer);
    const f = new Float32Array(n);
    for (let i = 0; i < n; i++) f[i] = (u[i] - 32768) / 4096 + 1 / 3;
    return { bytes: new Uint8Array(f.buffer), dtype: 'F32' as const };
  });
  const terms = [{ a: 1, b: 0, w: 1 }, { a: 2, b: 0, w: 0.6 }, { a: 3, b: 0, w: 0.8 }];
  const e = new CpuEngine();
  const ops: [string, () => Promise<unknown>][] = [
    ['combine θ_pre + 0.8·(θ_aux − θ_sft), bf16 → bf16', () => e.combine(x.slice(0, 3), BENCH_SPEC)],
    ['combine, f16 → f16', () => e.combine(f16.slice(0, 3), { ...BENCH_SPEC, outDtype: 'F16' })],
    ['combine, f32 → f32', () => e.combine(f32.slice(0, 3), { ...BENCH_SPEC, outDtype: 'F32' })],
    ['combine γ = θ_aux − θ_sft, bf16 → f32', () => e.combine(x.slice(0, 3), { base: null, terms: [{ a: 1, b: 2, w: 1 }], scale: 1, outDtype: 'F32' })],
    ['task arithmetic, 3 models, bf16', () => e.combine(x, { base: 0, terms, scale: 1, outDtype: 'BF16' })],
    ['ties, 3 models, bf16', () => e.ties(x, { base: 0, terms, thresholds: [1e-3, 1e-3, 1e-3], lambda: 1, normalize: true, outDtype: 'BF16' })],
    ['dare, 3 models, bf16', () => e.dare(x, { base: 0, terms, p: [0.3, 0.5, 0.7], seed: 1, salts: [1, 2, 3], firstElement: 0, scale: 1, ties: false, normalize: false, outDtype: 'BF16' })],
    ['stats, 2 vectors + 1 pair, bf16', () => e.stats(x, { vectors: [{ a: 1, b: 2 }, { a: 0, b: null }], pairs: [[0, 1]], nearZero: 1e-3 })],
  ];
  const rows = ['| CPU op (Node, one thread) | ns / element |', '|---|---|'];
  for (const [name, f] of ops) {
    let best = Infinity;
    for (let r = 0; r < 4; r++) {
      const t0 = performance.now();
      await f();
      best = Math.min(best, performance.now() - t0);
    }
    rows.push(`| ${name} | ${((best * 1e6) / n).toFixed(1)} |`);
  }
  return rows;
}

async function timeChunked(engine: Engine, inputs: ChunkInput[]): Promise<number> {
  const per = engine.maxChunkElements;
  const t0 = performance.now();
  for (let s = 0; s < ELEMENTS; s += per) {
    const e = Math.min(ELEMENTS, s + per);
    await engine.combine(inputs.map((x) => ({ ...x, bytes: x.bytes.subarray(s * 2, e * 2) })), BENCH_SPEC);
  }
  return performance.now() - t0;
}

export async function run(): Promise<string> {
  const loadAtStart = loadavg();
  const mib = (3 * ELEMENTS * 2) / 2 ** 20;
  const rows: string[] = ['| engine | where | time (ms) | input MiB/s |', '|---|---|---|---|'];
  const inputs = benchInputs(ELEMENTS);
  const cpu = new CpuEngine();
  await timeChunked(cpu, inputs.map((x) => ({ ...x, bytes: x.bytes.subarray(0, 1 << 20) })) as ChunkInput[]).catch(() => 0);
  const cpuMs = await timeChunked(cpu, inputs);
  rows.push(`| cpu | Node ${process.version} | ${cpuMs.toFixed(0)} | ${(mib / (cpuMs / 1000)).toFixed(0)} |`);
  cpu.dispose();
  const perOp = await cpuOps();
  const load = `Load average at the start of the CPU part: ${loadAtStart.map((x) => x.toFixed(1)).join(', ')} (${cpus().length} cores, shared with other sessions: times vary by ±30% between runs).`;
  const head = [`combine θ_pre + 0.8·(θ_aux − θ_sft), bf16 → bf16, 3 × ${ELEMENTS / 2 ** 20}M elements (${mib} MiB of input), chunked by each engine's maxChunkElements.`, ''];
  const tail = ['', load, '', `Node CPU engine: ${((cpuMs * 1e6) / ELEMENTS).toFixed(1)} ns per output element for the combine above.`, '', ...perOp];

  let server: ChildProcess | null = null;
  try {
    if (!existsSync('dist/harness.html')) execSync('npm run build', { stdio: 'inherit' });
  } catch (e) {
    return [...head, ...rows, '', `Browser part not run: the build failed (${(e as Error).message.split('\n')[0]}).`, ...tail].join('\n');
  }
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
  } catch (e) {
    tail.unshift('', `Browser part failed: ${(e as Error).message.split('\n')[0]}`);
  } finally {
    await browser.close();
    if (server?.pid) try { process.kill(-server.pid); } catch { /* already gone */ }
  }
  return [...head, ...rows, ...tail].join('\n');
}
