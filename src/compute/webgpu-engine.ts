/**
 * The WebGPU engine: raw WebGPU (no tfjs), WGSL generated per call shape and cached by shaderKey.
 * Inputs are uploaded as packed u32 words (F32 one element a word, F16/BF16 two, odd counts padded)
 * into one storage buffer; math is double-float (f32 pairs with error-free transforms, see
 * kernels/common/common.wgsl.ts) mirroring the float64 semantics of kernels/<op>/<op>.ref.ts, and each
 * output is the (hi, lo) result rounded once into the target dtype with integer code. TwoProd uses `fma`
 * only when `create()` measured it fused on this device (a probe kernel); otherwise Dekker's product. A call larger than one binding (or than
 * `maxDispatchElements`) runs as several dispatches, each 2D when it needs more workgroups than one
 * dimension allows. Calls may overlap (each owns its buffers, taken from a small pool); nothing is locked.
 * The ops come from ops.ts: an elementwise program runs through `elementwise`, an op with its own driver
 * (statistics) dispatches through this engine as its GpuDispatch.
 */
import type { ComputeDType } from '../formats/dtype';
import { acquireDevice, type AdapterDescription } from './device';
import { BufferPool } from './buffer-pool';
import { EngineBase } from './engine';
import { ELEMENT_BYTES, type ChunkInput } from './kernels/common/inputs';
import { WORKGROUP, type KernelPlan, type TwoProdMode } from './kernels/common/common.wgsl';
import { hashKernel } from './kernels/dare/dare.wgsl';
import { probeFusedFma } from './kernels/common/probe.wgsl';
import type { GpuDispatch } from './op';
import { opDef, type OpName, type OpResult, type OpSpec } from './ops';

// GPUBufferUsage / GPUMapMode values, spelled out so this module also loads where those globals are absent.
const MAP_READ = 0x1;
const COPY_SRC = 0x4;
const COPY_DST = 0x8;
const STORAGE = 0x80;

export interface WebGpuEngineOptions {
  /** Cap on elements per dispatch (the parity tests force multi-dispatch calls with it). */
  maxDispatchElements?: number;
  /** Cap on workgroups per dispatch dimension (tests force 2D dispatch with it). */
  maxWorkgroupsPerDimension?: number;
  adapter?: AdapterDescription;
  /** TwoProd implementation; `create()` measures it when not given, the constructor defaults to 'dekker' (always exact). */
  twoProd?: TwoProdMode;
}

export class WebGpuEngine extends EngineBase implements GpuDispatch {
  readonly kind = 'webgpu' as const;
  readonly maxChunkElements: number;
  readonly adapter: AdapterDescription | undefined;
  /** 'fma' when this device's fma was measured fused, else 'dekker'. */
  readonly twoProd: TwoProdMode;
  private readonly bindingBytes: number;
  private readonly maxDim: number;
  private readonly maxDispatch: number;
  private readonly layout: GPUBindGroupLayout;
  private readonly pipelineLayout: GPUPipelineLayout;
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();
  private readonly pool: BufferPool;
  private disposed = false;

  /** Acquires a device (largest buffer limits) and builds the engine on it. */
  static async create(opts: WebGpuEngineOptions & { gpu?: GPU } = {}): Promise<WebGpuEngine> {
    const { device, adapter } = await acquireDevice(opts.gpu);
    const twoProd = opts.twoProd ?? ((await probeFusedFma(device)) ? 'fma' : 'dekker');
    return new WebGpuEngine(device, { ...opts, adapter, twoProd });
  }

  constructor(readonly device: GPUDevice, opts: WebGpuEngineOptions = {}) {
    super();
    const lim = device.limits;
    this.adapter = opts.adapter;
    this.twoProd = opts.twoProd ?? 'dekker';
    this.bindingBytes = Math.min(lim.maxStorageBufferBindingSize, lim.maxBufferSize);
    this.maxDim = Math.max(1, Math.min(lim.maxComputeWorkgroupsPerDimension, opts.maxWorkgroupsPerDimension ?? Infinity));
    this.maxDispatch = Math.max(512, Math.floor((opts.maxDispatchElements ?? Infinity) / 512) * 512);
    // Room for four float32 inputs in one binding: the executor's chunks then need one dispatch.
    this.maxChunkElements = Math.floor(this.bindingBytes / 16 / 512) * 512;
    this.pool = new BufferPool(device, lim.maxBufferSize);
    const entry = (binding: number, type: GPUBufferBindingType): GPUBindGroupLayoutEntry => ({ binding, visibility: 4 /* COMPUTE */, buffer: { type } });
    this.layout = device.createBindGroupLayout({ entries: [entry(0, 'read-only-storage'), entry(1, 'storage'), entry(2, 'read-only-storage')] });
    this.pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [this.layout] });
  }

  private pipeline(plan: KernelPlan): Promise<GPUComputePipeline> {
    let p = this.pipelines.get(plan.key);
    if (!p) {
      const module = this.device.createShaderModule({ code: plan.code, label: plan.key });
      p = this.device.createComputePipelineAsync({ layout: this.pipelineLayout, compute: { module, entryPoint: 'main' }, label: plan.key })
        .catch(async (e) => {
          this.pipelines.delete(plan.key);
          const info = await module.getCompilationInfo().catch(() => null);
          const msgs = info?.messages.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; ');
          throw new Error(`WebGPU kernel ${plan.key} failed to compile: ${msgs || (e as Error).message}`);
        });
      this.pipelines.set(plan.key, p);
    }
    return p;
  }

  /** Elements per dispatch: inputs (plus padding) and output must each fit one binding (GpuDispatch, for op drivers). */
  dispatchElements(inputs: ChunkInput[], outBytesPerElement: number): number {
    const inBytes = inputs.reduce((s, x) => s + ELEMENT_BYTES[x.dtype], 0);
    const room = this.bindingBytes - 8 * inputs.length - 16;
    const cap = Math.floor(room / Math.max(inBytes, outBytesPerElement, 1));
    return Math.max(512, Math.min(this.maxDispatch, Math.floor(cap / 512) * 512));
  }

  private grid(groups: number): [number, number] {
    return groups <= this.maxDim ? [groups, 1] : [this.maxDim, Math.ceil(groups / this.maxDim)];
  }

  /**
   * Uploads elements [s, s+m) of every input, runs `plan` once and hands the mapped output words to `take`
   * (GpuDispatch, for op drivers).
   */
  async dispatch(plan: KernelPlan, inputs: ChunkInput[], s: number, m: number, first: number, groups: number,
    rowThreads: number, outWords: number, take: (words: ArrayBuffer) => void, whole: ChunkInput[] = []): Promise<void> {
    if (this.disposed) throw new Error('WebGPU engine was disposed');
    const pipeline = await this.pipeline(plan);
    const dev = this.device;
    const offsets: number[] = [];
    let words = 0;
    for (const x of inputs) {
      offsets.push(words);
      words += Math.ceil((m * ELEMENT_BYTES[x.dtype]) / 4);
    }
    for (const x of whole) {
      offsets.push(words);
      words += Math.ceil(x.bytes.byteLength / 4);
    }
    const [gx, gy] = this.grid(groups);
    const params = new Uint32Array([m, gx * rowThreads, first >>> 0, Math.floor(first / 4294967296), 0, ...offsets, ...plan.params]);
    const bufs: GPUBuffer[] = [];
    const src = this.pool.acquire(Math.max(4, words * 4), STORAGE | COPY_DST, 'cv-src');
    bufs.push(src);
    const prm = this.pool.acquire(params.byteLength, STORAGE | COPY_DST, 'cv-params');
    bufs.push(prm);
    const dst = this.pool.acquire(outWords * 4, STORAGE | COPY_SRC, 'cv-dst');
    bufs.push(dst);
    const read = this.pool.acquire(outWords * 4, MAP_READ | COPY_DST, 'cv-read');
    bufs.push(read);
    let ok = false;
    try {
      dev.pushErrorScope('out-of-memory');
      dev.pushErrorScope('validation');
      inputs.forEach((x, k) => {
        const size = ELEMENT_BYTES[x.dtype];
        writePadded(dev.queue, src, offsets[k] * 4, x.bytes.subarray(s * size, (s + m) * size));
      });
      whole.forEach((x, k) => writePadded(dev.queue, src, offsets[inputs.length + k] * 4, x.bytes));
      dev.queue.writeBuffer(prm, 0, params);
      const bind = dev.createBindGroup({
        layout: this.layout,
        entries: [
          { binding: 0, resource: { buffer: src, size: Math.max(4, words * 4) } },
          { binding: 1, resource: { buffer: dst, size: outWords * 4 } },
          { binding: 2, resource: { buffer: prm, size: params.byteLength } },
        ],
      });
      const enc = dev.createCommandEncoder({ label: plan.key });
      const pass = enc.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bind);
      pass.dispatchWorkgroups(gx, gy);
      pass.end();
      enc.copyBufferToBuffer(dst, 0, read, 0, outWords * 4);
      dev.queue.submit([enc.finish()]);
      const validation = dev.popErrorScope();
      const oom = dev.popErrorScope();
      const [ve, oe] = await Promise.all([validation, oom]);
      if (ve || oe) throw new Error(`WebGPU ${plan.key}: ${(ve ?? oe)!.message}`);
      await read.mapAsync(1 /* GPUMapMode.READ */, 0, outWords * 4);
      take(read.getMappedRange(0, outWords * 4));
      read.unmap();
      ok = true;
    } finally {
      for (const b of bufs) if (ok) this.pool.release(b);
      else this.pool.discard(b);
    }
  }

  /** Runs an elementwise plan over all elements (several dispatches if needed) into outDtype bytes. */
  private async elementwise(plan: KernelPlan, inputs: ChunkInput[], n: number, outDtype: ComputeDType, first: number): Promise<Uint8Array> {
    const size = ELEMENT_BYTES[outDtype];
    const out = new Uint8Array(n * size);
    const per = this.dispatchElements(inputs, size);
    for (let s = 0; s < n; s += per) {
      const m = Math.min(per, n - s);
      const threads = Math.ceil(m / 2);
      const groups = Math.ceil(threads / WORKGROUP);
      const outWords = Math.ceil((m * size) / 4);
      await this.dispatch(plan, inputs, s, m, first + s, groups, WORKGROUP, outWords, (buf) => {
        out.set(new Uint8Array(buf, 0, m * size), s * size);
      });
    }
    return out;
  }

  /** Runs one op of ops.ts: its elementwise program over every element, or its own driver. */
  async run<K extends OpName>(op: K, inputs: ChunkInput[], spec: OpSpec<K>): Promise<OpResult<K>> {
    const def = opDef(op);
    const n = def.check(inputs, spec);
    const gpu = def.gpu;
    if ('run' in gpu) return gpu.run(this, inputs, spec, n);
    const plan = gpu.plan(inputs.map((x) => x.dtype), spec, this.twoProd);
    return this.elementwise(plan, inputs, n, gpu.outDtype(spec), gpu.firstElement?.(spec) ?? 0) as Promise<OpResult<K>>;
  }

  /** The raw DARE hash of n elements from `firstElement` (diagnostics: parity tests compare it with hash.ts). */
  async dareHashes(seed: number, salt: number, firstElement: number, n: number): Promise<Uint32Array> {
    const out = new Uint32Array(n);
    const per = this.dispatchElements([], 4);
    for (let s = 0; s < n; s += per) {
      const m = Math.min(per, n - s);
      await this.dispatch(hashKernel(seed, salt), [], s, m, firstElement + s, Math.ceil(m / WORKGROUP), WORKGROUP, m, (buf) => {
        out.set(new Uint32Array(buf, 0, m), s);
      });
    }
    return out;
  }

  dispose(): void {
    this.disposed = true;
    this.pool.dispose();
    this.pipelines.clear();
  }
}

/** queue.writeBuffer needs 4-byte multiples: the ragged tail of a 16-bit input goes in a zero-padded word. */
export function writePadded(queue: GPUQueue, buf: GPUBuffer, offset: number, bytes: Uint8Array): void {
  const whole = bytes.byteLength & ~3;
  if (whole > 0) queue.writeBuffer(buf, offset, bytes as Uint8Array<ArrayBuffer>, 0, whole);
  if (whole < bytes.byteLength) {
    const tail = new Uint8Array(4);
    tail.set(bytes.subarray(whole));
    queue.writeBuffer(buf, offset + whole, tail);
  }
}

