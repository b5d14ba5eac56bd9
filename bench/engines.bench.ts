/**
 * Engine throughput: θ_pre + 0.8·(θ_aux − θ_sft) on 64 MiB of bf16 per input (3 × 32M elements), in
 * chunks of each engine's maxChunkElements, upload + compute + readback included. Runs the CPU engine in
 * Node, then both engines in Chromium against a `vite preview` on port 5291 (builds dist/ if missing).
 * Throughput counts input bytes (192 MiB). SwiftShader numbers are CPU emulation, never GPU speed.
 */
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { CpuEngine } from '../src/compute/cpu-engine';
import { setWasmEnabled } from '../src/compute/wasm/enabled';
import type { ChunkInput, Engine, LoraSpec } from '../src/compute/engine';
import { BENCH_SPEC, chunked, engineOps } from './lib/engine-ops';
import { benchInputs } from './lib/inputs';
import { harnessPage } from './lib/serve';

const ELEMENTS = 32 * 2 ** 20;
const PORT = 5291;

/** Per-element time of each CPU op on 4M-element chunks (best of a few runs: the box is shared). */
async function cpuOps(): Promise<string[]> {
  const n = 1 << 22;
  const e = new CpuEngine();
  const rows = ['| CPU op (Node, one thread) | ns / element |', '|---|---|'];
  for (const op of engineOps(n)) {
    let best = Infinity;
    for (let r = 0; r < 4; r++) {
      const t0 = performance.now();
      await op.run(e, op.inputs);
      best = Math.min(best, performance.now() - t0);
    }
    rows.push(`| ${op.name} | ${((best * 1e6) / n).toFixed(1)} |`);
  }
  return rows;
}

/**
 * Mixed dtypes (a bf16 θ_pre beside float32 finetunes; LeRobot's π0 keeps float32 norms beside bf16):
 * the combine on its fast path (WebAssembly, combine-mixed.wat) against the JavaScript loops it had before
 * (and keeps as the fallback), one 4M-element chunk, best of 5 alternating runs each, outputs compared.
 * `npx tsx -e "import('./bench/engines.bench.ts').then(async (m) => console.log(await m.mixedDtypes()))"` runs it alone.
 */
export async function mixedDtypes(): Promise<string> {
  const n = 1 << 22;
  const bf = benchInputs(n, 3);
  const f32 = (c: ChunkInput): ChunkInput => {
    const u = new Uint16Array(c.bytes.buffer, c.bytes.byteOffset, n);
    const w = new Uint32Array(n); // the bf16 value with float32's low bits filled: a float32 finetune of it
    for (let i = 0; i < n; i++) w[i] = ((u[i] << 16) | (Math.imul(i, 0x9e3779b1) >>> 16)) >>> 0;
    return { bytes: new Uint8Array(w.buffer), dtype: 'F32' };
  };
  const cases: [string, ChunkInput[], typeof BENCH_SPEC][] = [
    ['bf16 θ_pre, f32 θ_aux and θ_sft → bf16', [bf[0], f32(bf[1]), f32(bf[2])], BENCH_SPEC],
    ['bf16 θ_pre, f32 θ_aux and θ_sft → f32', [bf[0], f32(bf[1]), f32(bf[2])], { ...BENCH_SPEC, outDtype: 'F32' }],
    ['f32 θ_pre, bf16 θ_aux and θ_sft → f32', [f32(bf[0]), bf[1], bf[2]], { ...BENCH_SPEC, outDtype: 'F32' }],
  ];
  const e = new CpuEngine();
  // WebAssembly and JavaScript runs alternate (best of 5 each), so a load change on the shared machine hits both.
  // Process CPU time (one thread computes), which waiting for a core on a loaded machine does not inflate.
  const timed = async (wasm: boolean, x: ChunkInput[], spec: typeof BENCH_SPEC) => {
    setWasmEnabled(wasm);
    const c0 = process.cpuUsage();
    const out = await e.combine(x, spec);
    const c = process.cpuUsage(c0);
    setWasmEnabled(true);
    return { ms: (c.user + c.system) / 1000, out };
  };
  const rows = [`Mixed dtypes, capvector α = 0.8, ${n / 2 ** 20}M elements, one thread; load average ${loadavg().map((x) => x.toFixed(1)).join(', ')} (${cpus().length} cores).`, '',
    '| inputs → output | WebAssembly (CPU ns / element) | JavaScript fallback (CPU ns / element) | speed-up | outputs bit-identical |', '|---|---|---|---|---|'];
  for (const [name, x, spec] of cases) {
    let fast = Infinity, slow = Infinity, same = true;
    for (let r = 0; r < 5; r++) {
      const a = await timed(true, x, spec), b = await timed(false, x, spec);
      fast = Math.min(fast, a.ms);
      slow = Math.min(slow, b.ms);
      same &&= a.out.length === b.out.length && a.out.every((v, i) => v === b.out[i]);
    }
    rows.push(`| ${name} | ${((fast * 1e6) / n).toFixed(1)} | ${((slow * 1e6) / n).toFixed(1)} | ${(slow / fast).toFixed(1)}× | ${same ? 'yes' : 'NO'} |`);
  }
  return rows.join('\n');
}

/**
 * The lora op (a PEFT LoRA adapter's ΔW = s·B·A formed per chunk and folded in: θ_pre + s·B·A, PEFT's
 * merge-and-unload) on a bf16 [1024, 4096] tensor with bf16 factors, in WebAssembly (wasm/lora.wat) and in
 * the JavaScript loops it replaces (kept as the fallback), one 4M-element chunk, best of 5 alternating runs
 * each in process CPU time, outputs compared.
 * `npx tsx -e "import('./bench/engines.bench.ts').then(async (m) => console.log(await m.loraOp()))"` runs it alone.
 */
export async function loraOp(): Promise<string> {
  const rows = 1024, cols = 4096, n = rows * cols;
  const [pre] = benchInputs(n, 1);
  const e = new CpuEngine();
  const cases: [string, number, boolean][] = [['r = 8', 8, false], ['r = 32', 32, false], ['r = 32, (B·A)ᵀ (fan_in_fan_out)', 32, true]];
  const lines = [`LoRA op θ_pre + s·B·A, bf16 [${rows}, ${cols}] with bf16 factors → bf16, one thread; load average ${loadavg().map((x) => x.toFixed(1)).join(', ')} (${cpus().length} cores).`, '',
    '| rank | WebAssembly (CPU ns / element) | JavaScript fallback (CPU ns / element) | speed-up | outputs bit-identical |', '|---|---|---|---|---|'];
  for (const [name, r, transpose] of cases) {
    // Factor words of the bench's bf16 kind (|x| ≈ 2^-8 … 2^-5), A [r, in] and B [out, r].
    const [A, B] = [r * (transpose ? rows : cols), (transpose ? cols : rows) * r].map((len) => benchInputs(len, 1)[0]);
    const spec: LoraSpec = { base: 0, terms: [], scale: 1, outDtype: 'BF16', dense: 1, rows, cols, first: 0, factors: [{ a: 1, b: 2, rank: r, w: 16 / r, transpose }] };
    const timed = async (wasm: boolean) => {
      setWasmEnabled(wasm);
      const c0 = process.cpuUsage();
      const out = await e.lora([pre, A, B], spec);
      const c = process.cpuUsage(c0);
      setWasmEnabled(true);
      return { ms: (c.user + c.system) / 1000, out };
    };
    let fast = Infinity, slow = Infinity, same = true;
    for (let k = 0; k < 5; k++) {
      const a = await timed(true), b = await timed(false);
      fast = Math.min(fast, a.ms);
      slow = Math.min(slow, b.ms);
      same &&= a.out.length === b.out.length && a.out.every((v, i) => v === b.out[i]);
    }
    lines.push(`| ${name} | ${((fast * 1e6) / n).toFixed(1)} | ${((slow * 1e6) / n).toFixed(1)} | ${(slow / fast).toFixed(1)}× | ${same ? 'yes' : 'NO'} |`);
  }
  return lines.join('\n');
}

const combineMs = async (engine: Engine, inputs: ChunkInput[]) => (await chunked(engine, inputs, (e, x) => e.combine(x, BENCH_SPEC), 2, ELEMENTS)).ms;

export async function run(): Promise<string> {
  const loadAtStart = loadavg();
  const mib = (3 * ELEMENTS * 2) / 2 ** 20;
  const rows: string[] = ['| engine | where | time (ms) | input MiB/s |', '|---|---|---|---|'];
  const inputs = benchInputs(ELEMENTS);
  const cpu = new CpuEngine();
  await combineMs(cpu, inputs.map((x) => ({ ...x, bytes: x.bytes.subarray(0, 1 << 20) })) as ChunkInput[]).catch(() => 0);
  const cpuMs = await combineMs(cpu, inputs);
  rows.push(`| cpu | Node ${process.version} | ${cpuMs.toFixed(0)} | ${(mib / (cpuMs / 1000)).toFixed(0)} |`);
  cpu.dispose();
  const perOp = [...(await cpuOps()), '', await mixedDtypes(), '', await loraOp()];
  const load = `Load average at the start of the CPU part: ${loadAtStart.map((x) => x.toFixed(1)).join(', ')} (${cpus().length} cores, shared with other sessions: times vary by ±30% between runs).`;
  const head = [`combine θ_pre + 0.8·(θ_aux − θ_sft), bf16 → bf16, 3 × ${ELEMENTS / 2 ** 20}M elements (${mib} MiB of input), chunked by each engine's maxChunkElements.`, ''];
  const tail = ['', load, '', `Node CPU engine: ${((cpuMs * 1e6) / ELEMENTS).toFixed(1)} ns per output element for the combine above.`, '', ...perOp];

  try {
    if (!existsSync('dist/harness.html')) execSync('npm run build', { stdio: 'inherit' });
  } catch (e) {
    return [...head, ...rows, '', `Browser part not run: the build failed (${(e as Error).message.split('\n')[0]}).`, ...tail].join('\n');
  }
  const harness = harnessPage(PORT);
  try {
    const page = await harness.open();
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
    await harness.close();
  }
  return [...head, ...rows, ...tail].join('\n');
}
