/**
 * The WebGPU backend of the randomised SVD (./backend.ts): M is uploaded once, in row blocks that
 * each fit one storage binding, from its packed F32/F16/BF16 rows, and stays on the GPU for the
 * 2q + 2 products of one SVD; panels are f32 GPU buffers; every product is one gemm.wgsl.ts dispatch
 * per row block (Mᵀ·X sums the blocks' contributions in block order). Only l × l Gram matrices and
 * the last two panels come back to the CPU. Work is queued without waiting; errors of the queued
 * dispatches surface at the next readback.
 */
import type { ComputeDType } from '../../formats/dtype';
import { ELEMENT_BYTES } from '../kernels/common/inputs';
import type { TwoProdMode } from '../kernels/common/common.wgsl';
import type { DenseMatrix, LinalgBackend, Panel } from './backend';
import { writePadded } from '../webgpu-engine';
import { GEMM_TILE, gemmKey, gemmWgsl, type GemmVariant } from './gemm.wgsl';

// GPUBufferUsage / GPUMapMode values, spelled out so this module also loads where those globals are absent.
const MAP_READ = 0x1;
const COPY_SRC = 0x4;
const COPY_DST = 0x8;
const STORAGE = 0x80;

/** A matrix as packed little-endian rows, read a row block at a time. */
export interface PackedMatrix {
  rows: number;
  cols: number;
  dtype: ComputeDType;
  /** Rows [first, first + count) as packed words of `dtype`. */
  readRows(first: number, count: number): Uint8Array | Promise<Uint8Array>;
}

/** A float64 matrix seen as float32 rows (rounded once per element), converted a block at a time. */
export function f32Matrix(m: DenseMatrix): PackedMatrix {
  return {
    rows: m.rows,
    cols: m.cols,
    dtype: 'F32',
    readRows: (first, count) => new Uint8Array(Float32Array.from(m.data.subarray(first * m.cols, (first + count) * m.cols)).buffer),
  };
}

export interface GpuPanel extends Panel {
  buf: GPUBuffer;
}

/** The bind group layout and the compiled GEMM variants of one device, shared by every SVD on it (one per matrix). */
interface Kernels {
  layout: GPUBindGroupLayout;
  pipeline(v: GemmVariant): GPUComputePipeline;
}
const KERNELS = new WeakMap<GPUDevice, Kernels>();

function kernelsOf(device: GPUDevice): Kernels {
  let k = KERNELS.get(device);
  if (k) return k;
  const entry = (binding: number, type: GPUBufferBindingType): GPUBindGroupLayoutEntry => ({ binding, visibility: 4 /* COMPUTE */, buffer: { type } });
  const layout = device.createBindGroupLayout({ entries: [entry(0, 'read-only-storage'), entry(1, 'storage'), entry(2, 'read-only-storage'), entry(3, 'read-only-storage')] });
  const pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [layout] });
  const pipelines = new Map<string, GPUComputePipeline>();
  k = {
    layout,
    pipeline(v) {
      const key = gemmKey(v);
      let p = pipelines.get(key);
      if (!p) {
        const module = device.createShaderModule({ code: gemmWgsl(v), label: key });
        p = device.createComputePipeline({ layout: pipelineLayout, compute: { module, entryPoint: 'main' }, label: key });
        pipelines.set(key, p);
      }
      return p;
    },
  };
  KERNELS.set(device, k);
  return k;
}

interface Block {
  first: number;
  count: number;
  buf: GPUBuffer;
}

export interface WebGpuLinalgOptions {
  /** Cap on rows per block of M (tests force several blocks with it). */
  blockRows?: number;
}

export class WebGpuLinalg implements LinalgBackend<GpuPanel> {
  readonly rows: number;
  readonly cols: number;
  /** Gram matrices come back as (hi, lo) pairs of exact products (~1e-14 of λ_max); panels are f32. */
  readonly dropRatio = 1e-5;
  private readonly kernels: Kernels;
  private readonly pending: Promise<GPUError | null>[] = [];
  private blocks: Block[] = [];
  /** Panels not yet released: dispose() frees them too (an SVD stopped by a cancel leaves some). */
  private readonly live = new Set<GPUBuffer>();

  /** Uploads M in row blocks (at most one binding each) and returns the backend over it. */
  static async create(device: GPUDevice, twoProd: TwoProdMode, m: PackedMatrix, opts: WebGpuLinalgOptions = {}): Promise<WebGpuLinalg> {
    const b = new WebGpuLinalg(device, twoProd, m);
    try {
      const lim = device.limits;
      const rowBytes = m.cols * ELEMENT_BYTES[m.dtype];
      const room = Math.min(lim.maxStorageBufferBindingSize, lim.maxBufferSize) - 4;
      const per = Math.max(1, Math.min(opts.blockRows ?? Infinity, Math.floor(room / rowBytes)));
      if (rowBytes > room) throw new Error(`WebGPU: one row of a ${m.rows}×${m.cols} matrix exceeds a storage binding`);
      for (let first = 0; first < m.rows; first += per) {
        const count = Math.min(per, m.rows - first);
        const bytes = await m.readRows(first, count);
        const buf = device.createBuffer({ size: Math.max(16, Math.ceil(bytes.byteLength / 4) * 4), usage: STORAGE | COPY_DST, label: 'cv-svd-block' });
        b.blocks.push({ first, count, buf });
        writePadded(device.queue, buf, 0, bytes);
      }
    } catch (e) {
      b.dispose();
      throw e;
    }
    return b;
  }

  private constructor(readonly device: GPUDevice, readonly twoProd: TwoProdMode, private readonly m: PackedMatrix) {
    this.rows = m.rows;
    this.cols = m.cols;
    this.kernels = kernelsOf(device);
  }

  private buffer(bytes: number, usage: number, label: string): GPUBuffer {
    return this.device.createBuffer({ size: Math.max(16, Math.ceil(bytes / 4) * 4), usage, label });
  }

  /** Queues C[cRow.., :] (+)= op(A)·X[xRow.., :] (see gemm.wgsl.ts for the parameters). */
  private gemm(v: Omit<GemmVariant, 'twoProd'>, a: GPUBuffer, x: GPUBuffer, c: GPUBuffer, I: number, J: number, K: number, lda: number, xRow: number, cRow: number): void {
    const gx = Math.ceil(I / GEMM_TILE), gy = Math.ceil(J / GEMM_TILE);
    const maxDim = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (gx > maxDim || gy > maxDim) throw new Error(`WebGPU: a ${I}×${J} product needs more than ${maxDim} workgroups in one dimension`);
    const dev = this.device;
    const pipeline = this.kernels.pipeline({ ...v, twoProd: this.twoProd });
    const prm = dev.createBuffer({ size: 32, usage: STORAGE, mappedAtCreation: true, label: 'cv-svd-params' });
    new Uint32Array(prm.getMappedRange()).set([I, J, K, lda, 0, 0, xRow, cRow]);
    prm.unmap();
    dev.pushErrorScope('validation');
    const bind = dev.createBindGroup({
      layout: this.kernels.layout,
      entries: [{ binding: 0, resource: { buffer: a } }, { binding: 1, resource: { buffer: c } }, { binding: 2, resource: { buffer: prm } }, { binding: 3, resource: { buffer: x } }],
    });
    const enc = dev.createCommandEncoder({ label: pipeline.label });
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bind);
    pass.dispatchWorkgroups(gx, gy);
    pass.end();
    dev.queue.submit([enc.finish()]);
    this.pending.push(dev.popErrorScope());
    prm.destroy();
  }

  private async check(): Promise<void> {
    const errs = await Promise.all(this.pending.splice(0));
    const e = errs.find((x) => x);
    if (e) throw new Error(`WebGPU randomised SVD: ${e.message}`);
  }

  private async readWords(buf: GPUBuffer, bytes: number): Promise<Float32Array> {
    const read = this.buffer(bytes, MAP_READ | COPY_DST, 'cv-svd-read');
    try {
      const enc = this.device.createCommandEncoder();
      enc.copyBufferToBuffer(buf, 0, read, 0, read.size);
      this.device.queue.submit([enc.finish()]);
      await this.check();
      await read.mapAsync(1 /* GPUMapMode.READ */);
      return new Float32Array(read.getMappedRange(0, bytes).slice(0));
    } finally {
      read.destroy();
    }
  }

  private newPanel(rows: number, cols: number): GpuPanel {
    const buf = this.buffer(rows * cols * 4, STORAGE | COPY_SRC | COPY_DST, 'cv-svd-panel');
    this.live.add(buf);
    return { rows, cols, buf };
  }

  async panel(data: Float64Array, r: number, l: number): Promise<GpuPanel> {
    const p = this.newPanel(r, l);
    this.device.queue.writeBuffer(p.buf, 0, Float32Array.from(data));
    return p;
  }

  async mul(x: GpuPanel): Promise<GpuPanel> {
    const out = this.newPanel(this.rows, x.cols);
    for (const b of this.blocks) {
      this.gemm({ dtype: this.m.dtype, transposeA: false, accumulate: false, pairs: false }, b.buf, x.buf, out.buf, b.count, x.cols, this.cols, this.cols, 0, b.first);
    }
    return out;
  }

  async mulT(x: GpuPanel): Promise<GpuPanel> {
    const out = this.newPanel(this.cols, x.cols);
    this.blocks.forEach((b, i) => {
      this.gemm({ dtype: this.m.dtype, transposeA: true, accumulate: i > 0, pairs: false }, b.buf, x.buf, out.buf, this.cols, x.cols, b.count, this.cols, b.first, 0);
    });
    return out;
  }

  async gram(p: GpuPanel): Promise<Float64Array> {
    const l = p.cols;
    const g = this.buffer(l * l * 8, STORAGE | COPY_SRC, 'cv-svd-gram');
    try {
      this.gemm({ dtype: 'F32', transposeA: true, accumulate: false, pairs: true }, p.buf, p.buf, g, l, l, p.rows, l, 0, 0);
      const w = await this.readWords(g, l * l * 8);
      return Float64Array.from({ length: l * l }, (_, i) => w[2 * i] + w[2 * i + 1]);
    } finally {
      g.destroy();
    }
  }

  async times(p: GpuPanel, t: Float64Array, tCols: number): Promise<GpuPanel> {
    const tb = await this.panel(t, p.cols, tCols);
    const out = this.newPanel(p.rows, tCols);
    this.gemm({ dtype: 'F32', transposeA: false, accumulate: false, pairs: false }, p.buf, tb.buf, out.buf, p.rows, tCols, p.cols, p.cols, 0, 0);
    this.release(tb);
    return out;
  }

  async read(p: GpuPanel): Promise<Float64Array> {
    return Float64Array.from(await this.readWords(p.buf, p.rows * p.cols * 4));
  }

  release(p: GpuPanel): void {
    this.live.delete(p.buf);
    p.buf.destroy();
  }

  dispose(): void {
    for (const b of this.blocks) b.buf.destroy();
    for (const b of this.live) b.destroy();
    this.blocks = [];
    this.live.clear();
  }
}
