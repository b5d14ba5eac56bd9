/**
 * A small pool of GPU buffers so a stream of chunk calls of similar size reuses buffers instead of
 * allocating and destroying them per call. Sizes are rounded up to quarter-power-of-two classes
 * (≤ 19% slack); at most `maxFree` idle buffers are kept, the oldest destroyed first.
 */
export class BufferPool {
  private free: GPUBuffer[] = [];
  private live = new Set<GPUBuffer>();

  constructor(private device: GPUDevice, private maxBufferSize: number, private maxFree = 12) {}

  static sizeClass(bytes: number): number {
    const b = Math.max(256, Math.ceil(bytes / 4) * 4);
    const p = 2 ** Math.floor(Math.log2(b));
    const step = Math.max(4, p / 4);
    return Math.ceil(b / step) * step;
  }

  acquire(bytes: number, usage: number, label: string): GPUBuffer {
    let size = BufferPool.sizeClass(bytes);
    if (size > this.maxBufferSize) size = Math.ceil(bytes / 4) * 4;
    if (size > this.maxBufferSize) throw new Error(`WebGPU: a ${bytes}-byte buffer exceeds the device's maxBufferSize (${this.maxBufferSize})`);
    const i = this.free.findIndex((b) => b.usage === usage && b.size === size);
    let buf: GPUBuffer;
    if (i >= 0) buf = this.free.splice(i, 1)[0];
    else buf = this.device.createBuffer({ size, usage, label });
    this.live.add(buf);
    return buf;
  }

  release(buf: GPUBuffer): void {
    if (!this.live.delete(buf)) return;
    this.free.push(buf);
    while (this.free.length > this.maxFree) this.free.shift()!.destroy();
  }

  /** Destroys a buffer instead of pooling it (after an error, its state is unknown). */
  discard(buf: GPUBuffer): void {
    this.live.delete(buf);
    buf.destroy();
  }

  dispose(): void {
    for (const b of this.free) b.destroy();
    for (const b of this.live) b.destroy();
    this.free = [];
    this.live.clear();
  }
}
