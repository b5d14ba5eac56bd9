/**
 * Choosing the engine by measurement at start-up: the same bf16 combine (θ_pre + α·(θ_aux − θ_sft)) is
 * timed on both engines, upload and readback included, and the faster one wins. A software adapter
 * (SwiftShader) usually loses to plain JS; a real GPU may win. The answer says which engine and why,
 * for the UI to show. `force` skips the race.
 */
import type { Engine, ChunkInput, CombineSpec } from './engine';
import { CpuEngine } from './cpu-engine';
import { WebGpuEngine, type WebGpuEngineOptions } from './webgpu-engine';
import { webgpuUnavailableReason, type AdapterDescription } from './device';

export interface EngineMeasurement {
  engine: 'webgpu' | 'cpu';
  elements: number;
  ms: number;
  /** Input bytes per second of the timed combine, in MiB/s. */
  mibPerS: number;
}

export interface EngineChoice {
  engine: Engine;
  reason: string;
  measurements: EngineMeasurement[];
  adapter?: AdapterDescription;
}

export interface ChooseOptions {
  force?: 'webgpu' | 'cpu';
  /** Elements per input of the timed combine (default 4M, i.e. 3 × 8 MiB of bf16). */
  elements?: number;
  webgpu?: WebGpuEngineOptions & { gpu?: GPU };
}

/** Three bf16 inputs of plausible weights (|x| in [2^-8, 2^-4)) from a fixed xorshift stream. */
export function benchInputs(n: number): ChunkInput[] {
  let s = 0x9e3779b9;
  return [0, 1, 2].map(() => {
    const u = new Uint16Array(n);
    for (let i = 0; i < n; i++) {
      s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
      u[i] = ((s >>> 16) & 0x807f) | (0x3b80 + ((s >>> 8) & 0x3) * 0x80);
    }
    return { bytes: new Uint8Array(u.buffer), dtype: 'BF16' as const };
  });
}

export const BENCH_SPEC: CombineSpec = { base: 0, terms: [{ a: 1, b: 2, w: 1 }], scale: 0.8, outDtype: 'BF16' };

const now = (): number => (globalThis.performance ?? Date).now();

export async function timeCombine(engine: Engine, inputs: ChunkInput[]): Promise<EngineMeasurement> {
  const n = inputs[0].bytes.byteLength / 2;
  const t0 = now();
  await engine.combine(inputs, BENCH_SPEC);
  const ms = now() - t0;
  const bytes = inputs.reduce((s, x) => s + x.bytes.byteLength, 0);
  return { engine: engine.kind, elements: n, ms, mibPerS: bytes / 2 ** 20 / (ms / 1000) };
}

export async function chooseEngine(opts: ChooseOptions = {}): Promise<EngineChoice> {
  if (opts.force === 'cpu') {
    const cpu = new CpuEngine();
    return { engine: cpu, reason: `CPU engine (forced; ${cpu.detail})`, measurements: [] };
  }
  const missing = webgpuUnavailableReason();
  if (missing) {
    if (opts.force === 'webgpu') throw new Error(`WebGPU engine was requested but ${missing}`);
    const cpu = new CpuEngine();
    return { engine: cpu, reason: `CPU engine: ${missing}; ${cpu.detail}`, measurements: [] };
  }
  let gpu: WebGpuEngine;
  try {
    gpu = await WebGpuEngine.create(opts.webgpu);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    if (opts.force === 'webgpu') throw new Error(`WebGPU engine was requested but could not start: ${why}`);
    const cpu = new CpuEngine();
    return { engine: cpu, reason: `CPU engine: WebGPU could not start (${why}); ${cpu.detail}`, measurements: [] };
  }
  const adapter = gpu.adapter;
  const soft = adapter?.software ? ` on ${adapter.architecture || adapter.description || 'a software adapter'} (CPU emulation, not GPU speed)` : '';
  const math = `; double-float math, TwoProd by ${gpu.twoProd === 'fma' ? 'fused fma' : "Dekker's split (this device's fma is not fused)"}`;
  if (opts.force === 'webgpu') return { engine: gpu, reason: `WebGPU engine (forced)${soft}${math}`, measurements: [], adapter };

  const cpu = new CpuEngine();
  const inputs = benchInputs(opts.elements ?? 1 << 22);
  // Warm up: compile the pipeline and fill the buffer pool, JIT the CPU loops.
  const small = benchInputs(4096);
  await gpu.combine(small, BENCH_SPEC);
  await cpu.combine(small, BENCH_SPEC);
  const g = await timeCombine(gpu, inputs);
  const c = await timeCombine(cpu, inputs);
  const measurements = [g, c];
  const fmt = (m: EngineMeasurement) => `${m.engine === 'webgpu' ? 'WebGPU' : 'CPU'} ${m.ms.toFixed(0)} ms`;
  const race = `${fmt(g)} vs ${fmt(c)} for a ${(inputs[0].bytes.byteLength / 2 ** 20).toFixed(0)} MiB ×3 bf16 combine (upload, compute, readback)`;
  if (g.ms < c.ms) {
    cpu.dispose();
    return { engine: gpu, reason: `WebGPU engine${soft}: faster when measured (${race})${math}`, measurements, adapter };
  }
  gpu.dispose();
  return { engine: cpu, reason: `CPU engine: faster when measured (${race})${soft ? `; WebGPU ran${soft}` : ''}; ${cpu.detail}`, measurements, adapter };
}
