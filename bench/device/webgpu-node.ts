/**
 * The WGSL kernels on a real GPU: the app's WebGpuEngine in Node through Dawn (npm `webgpu`, Vulkan),
 * on the lent device machine (which has no browser). Every op of engines.bench.ts's CPU table runs on
 * both engines over the same inputs; the table gives the GPU's time (upload, dispatches and readback
 * included, chunked by the engine's maxChunkElements; best of 3 after a warm-up), the CPU engine's
 * time on one thread of the same machine, and how many output elements are bit-identical.
 * Bundled with esbuild (see bench/device/webgpu-bench.sh) so the device needs no node_modules.
 */
import { CpuEngine } from '../../src/compute/cpu-engine';
import { WebGpuEngine } from '../../src/compute/webgpu-engine';
import { chunked, engineOps } from '../lib/engine-ops';

const N = Number(process.env.ELEMENTS ?? 16 * 2 ** 20);

const ord16 = (h: number) => (h & 0x8000 ? -(h & 0x7fff) : h);

async function main(): Promise<void> {
  const mod = (await import(process.env.WEBGPU_MODULE ?? 'webgpu')) as { create: (o: string[]) => GPU; globals: object };
  Object.assign(globalThis, mod.globals);
  // dawn.node 0.6.2 on the device's NVIDIA driver crashes the process in two async paths the browser
  // handles fine (a segfault in createComputePipelineAsync, a glibc mutex assertion after
  // popErrorScope): the pipelines are made synchronously and error scopes are left out here. Errors
  // still surface (uncaptured errors are printed and the outputs are compared with the CPU engine).
  const dev = (mod.globals as { GPUDevice: { prototype: Record<string, unknown> } }).GPUDevice.prototype;
  dev.createComputePipelineAsync = function (this: GPUDevice, d: GPUComputePipelineDescriptor) {
    return Promise.resolve(this.createComputePipeline(d));
  };
  dev.pushErrorScope = () => undefined;
  dev.popErrorScope = () => Promise.resolve(null);
  const forced = process.env.TWO_PROD as 'fma' | 'dekker' | undefined;
  const gpu = await WebGpuEngine.create({ gpu: mod.create([]), ...(forced ? { twoProd: forced } : {}) });
  const cpu = new CpuEngine();
  const ops = engineOps(N);
  const a = gpu.adapter;
  console.log(`# WGSL kernels on a real GPU (Node ${process.version}, Dawn via npm webgpu)`);
  console.log(`adapter: ${a?.vendor} · ${a?.architecture} · ${a?.device} · ${a?.description}; software: ${a?.software}; TwoProd: ${gpu.twoProd}; maxChunkElements ${gpu.maxChunkElements}`);
  console.log(`${N.toLocaleString()} elements per op (inputs ${N * 2 / 2 ** 20} MiB each for 16-bit dtypes); GPU: best of 3 after a warm-up, upload + compute + readback; CPU engine: one thread, one run.`);
  console.log('');
  console.log('| op | GPU ms | GPU input GB/s | CPU engine ms (1 thread) | GPU ÷ CPU time | outputs bit-identical to the CPU engine |');
  console.log('|---|---|---|---|---|---|');
  for (const { name, run: f, inputs: x, inSize: size, outSize, reads: read } of ops) {
    await chunked(gpu, x, f, size, Math.min(N, 1 << 16));
    let best = Infinity;
    let g: { ms: number; out: unknown[] } | null = null;
    for (let r = 0; r < 3; r++) {
      const run = await chunked(gpu, x, f, size, N, true);
      if (run.ms < best) best = run.ms;
      g = run;
    }
    const c = await chunked(cpu, x, f, size, N, true);
    let same = 0, total = 0, worst = 0;
    let agree = '';
    if (g!.out[0] instanceof Uint8Array) {
      for (let j = 0; j < g!.out.length; j++) {
        const p = g!.out[j] as Uint8Array, q = c.out[j] as Uint8Array;
        if (p.byteLength !== q.byteLength) throw new Error(`${name}: output sizes differ`);
        if (outSize === 4) {
          const pu = new Int32Array(p.slice().buffer), qu = new Int32Array(q.slice().buffer);
          const o32 = (v: number) => (v < 0 ? -(v & 0x7fffffff) : v);
          for (let i = 0; i < pu.length; i++) { total++; if (pu[i] === qu[i]) same++; else worst = Math.max(worst, Math.abs(o32(pu[i]) - o32(qu[i]))); }
        } else {
          const pu = new Uint16Array(p.slice().buffer), qu = new Uint16Array(q.slice().buffer);
          for (let i = 0; i < pu.length; i++) { total++; if (pu[i] === qu[i]) same++; else worst = Math.max(worst, Math.abs(ord16(pu[i]) - ord16(qu[i]))); }
        }
      }
      agree = `${((100 * same) / total).toFixed(4)}% of ${total.toLocaleString()} (worst ${worst} ulp)`;
    } else {
      const gv = JSON.stringify(g!.out), cv = JSON.stringify(c.out);
      const nums = (s: string) => (s.match(/-?\d+(\.\d+)?(e[-+]?\d+)?/g) ?? []).map(Number);
      const gn = nums(gv), cn = nums(cv);
      let rel = 0;
      for (let i = 0; i < Math.min(gn.length, cn.length); i++) rel = Math.max(rel, Math.abs(gn[i] - cn[i]) / Math.max(1e-300, Math.abs(cn[i])));
      agree = `statistics: largest relative difference ${rel.toExponential(2)} over ${cn.length} numbers`;
    }
    const inBytes = read * N * size;
    console.log(`| ${name} | ${best.toFixed(1)} | ${(inBytes / 1e9 / (best / 1000)).toFixed(2)} | ${c.ms.toFixed(0)} | ${(best / c.ms).toFixed(3)} | ${agree} |`);
  }
  gpu.dispose();
}

main().then(() => process.exit(0), (e) => {
  console.error(`webgpu bench failed: ${e instanceof Error ? e.stack : String(e)}`);
  process.exit(2);
});
