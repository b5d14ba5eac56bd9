/**
 * Statistics throughput: the analysis pass's `stats` (θ_pre, γ, τ_aux, τ_sft, θ_down − θ_pre and their
 * 6 pairwise dots/sign agreements) on 4 × 8M bf16 elements (64 MiB of input), chunked by each engine's
 * maxChunkElements. CPU engine in Node (in-thread, and in the worker pool with 2 chunks in flight), the whole pass (read + stats) over the demo family in Node, then
 * both engines in Chromium against a `vite preview` on port 5292 (builds dist/ if missing).
 * GB/s counts input bytes. SwiftShader numbers are CPU emulation, never GPU speed.
 * Then the analysis of a 7B-shaped checkpoint family in Node: pre/aux/sft/down as SPARSE files with
 * the real OpenVLA-7B layout (4 × 15 GB of bf16 that take no disk; the data reads as zeros, which is
 * fine for throughput), streamed tensor by tensor with the CPU engine and cancelled once ~2 GB were
 * read: input GB/s and peak RSS, i.e. that memory stays bounded while a 60 GB family streams.
 */
import { execSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CpuEngine } from '../src/compute/cpu-engine';
import { cpuPool } from '../src/node/cpu-pool';
import type { ChunkInput, Engine } from '../src/compute/engine';
import { capvectorPlan, statsSpec } from '../src/analysis/plan';
import { planStatsTasks, runStats, StatsCancelled, type StatsProgress } from '../src/analysis/run-stats';
import { openvla7bLayout, ROLES, writeSparseFile } from '../scripts/openvla7b-shaped';
import { openPath } from '../src/node/paths';
import type { Checkpoint } from '../src/formats/checkpoint';
import { chunked } from './lib/engine-ops';
import { harnessPage } from './lib/serve';

const ELEMENTS = 8 * 2 ** 20;
const PORT = 5292;
const plan = capvectorPlan({ down: true });

function inputs(n: number): ChunkInput[] {
  return [0, 1, 2, 3].map((k) => {
    const b = new Uint8Array(n * 2);
    for (let i = 0; i < b.length; i += 2) {
      b[i] = (i * 7 + k * 13) & 0xff;
      b[i + 1] = 0x3c + ((i >> 4) & 3);
    }
    return { bytes: b, dtype: 'BF16' as const };
  });
}

async function timeStats(engine: Engine, x: ChunkInput[], n: number): Promise<number> {
  const spec = statsSpec(plan);
  return (await chunked(engine, x, (e, c) => e.stats(c, spec), 2, n)).ms;
}

async function timeStatsConcurrent(engine: Engine, x: ChunkInput[], n: number): Promise<number> {
  const spec = statsSpec(plan);
  const per = Math.min(engine.maxChunkElements, 1 << 21);
  const t0 = performance.now();
  const calls: Promise<unknown>[] = [];
  for (let s = 0; s < n; s += per) {
    const e = Math.min(n, s + per);
    calls.push(engine.stats(x.map((c) => ({ ...c, bytes: c.bytes.subarray(s * 2, e * 2) })), spec));
  }
  await Promise.all(calls);
  return performance.now() - t0;
}

const gbps = (bytes: number, ms: number) => (bytes / (ms / 1000) / 1e9).toFixed(3);

export async function run(): Promise<string> {
  const bytes = 4 * ELEMENTS * 2;
  const rows = ['| engine | where | time (ms) | input GB/s |', '|---|---|---|---|'];
  const x = inputs(ELEMENTS);
  const cpu = new CpuEngine();
  await timeStats(cpu, x, 1 << 20);
  const cpuMs = await timeStats(cpu, x, ELEMENTS);
  rows.push(`| cpu | Node ${process.version}, stats only | ${cpuMs.toFixed(0)} | ${gbps(bytes, cpuMs)} |`);
  // The pool runs the same CpuEngine in worker threads; it only pays where a core is free.
  const pool = await cpuPool(2, cpu.maxChunkElements);
  try {
    await timeStatsConcurrent(pool, x, 1 << 20);
    const poolMs = await timeStatsConcurrent(pool, x, ELEMENTS);
    rows.push(`| cpu | Node, stats only, worker pool ×2 (2 chunks in flight; ${cpus().length} cores, load ${loadavg()[0].toFixed(1)}) | ${poolMs.toFixed(0)} | ${gbps(bytes, poolMs)} |`);
  } finally {
    pool.dispose();
  }

  // The whole pass over the demo family: file reads, chunking, per-tensor accumulation.
  const byRole: Record<string, Checkpoint> = {};
  for (const r of plan.roles) byRole[r] = await openPath(`public/demo/${r === 'aux' ? 'aux' : `${r}.safetensors`}`);
  const { tasks } = planStatsTasks(plan, byRole);
  const demoBytes = tasks.reduce((s, t) => s + t.entries.reduce((b, e) => b + e.byteLength, 0), 0);
  const t0 = performance.now();
  await runStats({ plan, tasks, engine: cpu, onTensor: () => {} });
  const passMs = performance.now() - t0;
  rows.push(`| cpu | Node, whole pass over public/demo (${tasks.length} tensors, ${(demoBytes / 2 ** 20).toFixed(1)} MiB) | ${passMs.toFixed(0)} | ${gbps(demoBytes, passMs)} |`);
  cpu.dispose();

  rows.push(await sevenBShaped());

  if (!existsSync('dist/harness.html')) execSync('npm run build', { stdio: 'inherit' });
  const harness = harnessPage(PORT);
  try {
    const page = await harness.open();
    for (const kind of ['cpu', 'webgpu'] as const) {
      const r = await page.evaluate(([k, n]) => (globalThis as any).harness.analysis.statsThroughput(k, n, 1), [kind, ELEMENTS] as const);
      const where = kind === 'webgpu' ? 'Chromium page, SwiftShader (CPU emulation) — not GPU speed' : 'Chromium page';
      rows.push(`| ${kind} | ${where} | ${(r.seconds * 1000).toFixed(0)} | ${r.gbps.toFixed(3)} |`);
    }
  } catch (e) {
    rows.push(`| (browser) | not measured: ${(e as Error).message.split('\n')[0]} | | |`);
  } finally {
    await harness.close();
  }
  return [`stats over 5 vectors and 6 pairs, 4 bf16 inputs × ${ELEMENTS / 2 ** 20}M elements (${bytes / 2 ** 20} MiB of input), chunked by each engine's maxChunkElements.`, '', ...rows].join('\n');
}

/** Stop after this much input (or this long), whichever comes first: the point is a steady rate and bounded memory. */
const SEVEN_B_BYTES = 2e9;
const SEVEN_B_SECONDS = 90;

export async function sevenBShaped(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'cv-bench-7b-'));
  const cpu = new CpuEngine();
  try {
    const layout = openvla7bLayout(1);
    let familyBytes = 0;
    const byRole: Record<string, Checkpoint> = {};
    for (const r of ROLES) {
      const path = join(dir, `openvla-7b-${r}.safetensors`);
      familyBytes += writeSparseFile(path, layout);
      byRole[r] = await openPath(path);
    }
    const { tasks } = planStatsTasks(plan, byRole);
    const ctrl = new AbortController();
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    let last: StatsProgress | null = null;
    const t0 = performance.now();
    try {
      await runStats({
        plan, tasks, engine: cpu, signal: ctrl.signal, onTensor: () => {},
        onProgress: (p) => {
          last = p;
          if (p.bytesDone >= SEVEN_B_BYTES || p.elapsed >= SEVEN_B_SECONDS) ctrl.abort();
        },
      });
    } catch (e) {
      if (!(e instanceof StatsCancelled)) throw e;
    } finally {
      clearInterval(sampler);
    }
    const ms = performance.now() - t0;
    peak = Math.max(peak, process.memoryUsage().rss);
    const p = last as StatsProgress | null;
    const read = p?.bytesDone ?? 0;
    return `| cpu | Node, 7B-shaped family (sparse OpenVLA-7B layout, ${tasks.length} tensors × 4 roles, ${(familyBytes / 1e9).toFixed(1)} GB): `
      + `cancelled after ${p?.tensorsDone ?? 0} tensors, ${(read / 1e9).toFixed(2)} GB read; peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB (${(rss0 / 2 ** 20).toFixed(0)} MiB before) | ${ms.toFixed(0)} | ${gbps(read, ms)} |`;
  } finally {
    cpu.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}
