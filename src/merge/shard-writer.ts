/**
 * Writes the output files in order: each shard's header, then its tensors' chunks as they come, one
 * write queued at most (backpressure on the merge). The input hashes go into the headers: with a sink
 * that can write at a position they are computed beside the merge and patched in at the end (the
 * shards stay open until then); without, they are computed before the first header is written.
 */
import { layoutSafetensors, withHashes, type LayoutOptions, type OutputLayout, type WriterTensor } from './safetensors-writer';
import type { MergeProgress, OutputFile, OutputSink } from './types';

export class ShardWriter {
  layout: OutputLayout;
  /** Hex digests of the inputs once known (empty when not hashed). */
  hashes: string[] = [];
  private readonly open: OutputFile[] = [];
  private current = -1;
  private queued: Promise<void> = Promise.resolve();
  private hashing: Promise<string[]> | null = null;
  private hashed = false;

  constructor(
    private readonly sink: OutputSink,
    private readonly tensors: WriterTensor[],
    private readonly opts: LayoutOptions,
    private readonly progress: MergeProgress,
    private readonly report: (force?: boolean) => void,
    /** Null when the inputs are not hashed. */
    private readonly hashInputs: (() => Promise<string[]>) | null,
  ) {
    this.layout = layoutSafetensors(tensors, opts);
  }

  /** Opens the shard of tensor i if the output has not reached it yet. */
  async enter(tensor: number): Promise<void> {
    const shard = this.layout.shardOf[tensor];
    if (shard !== this.current) await this.openShard(shard);
  }

  /** Opens the first shard (its header written) before any chunk. */
  openFirst(): Promise<void> {
    return this.openShard(0);
  }

  /** Queues bytes after everything written so far; resolves when the write before them is done. */
  append(bytes: Uint8Array): Promise<void> {
    const file = this.open[this.current];
    const prev = this.queued;
    this.queued = prev.then(() => file.write(bytes)).then(() => {
      this.progress.bytesWritten += bytes.length;
    });
    return prev;
  }

  /** After the last chunk: every write done, the hashes patched into the headers, the shards closed. */
  async closeShards(): Promise<void> {
    await this.queued;
    if (this.hashing) {
      // No hashing phase to show when the digests are already known (e.g. all from the hash cache).
      if (!this.hashed) {
        this.progress.phase = 'hashing';
        this.report(true);
      }
      this.setHashes(await this.hashing);
      for (let k = 0; k < this.open.length; k++) await this.open[k].writeAt!(0, this.layout.shards[k].header);
      for (const f of this.open) await f.close();
    } else if (this.current >= 0) await this.open[this.current].close();
  }

  /** The index of a sharded output, then the small files committed with it. */
  async writeIndexAndExtras(extras: { name: string; bytes: Uint8Array }[]): Promise<void> {
    const index = this.layout.index;
    if (index) {
      await this.writeWhole(index.name, index.bytes);
      this.progress.bytesWritten += index.bytes.length;
    }
    for (const x of extras) await this.writeWhole(x.name, x.bytes);
  }

  /** Lets the hashing and the queued write finish (failed or not) before the sink is aborted. */
  async settle(): Promise<void> {
    await this.hashing?.catch(() => undefined);
    await this.queued.catch(() => undefined);
  }

  private async openShard(k: number): Promise<void> {
    const shard = this.layout.shards[k];
    if (k === 0 && this.hashInputs) {
      const first = await this.sink.createFile(shard.name, shard.size);
      this.open.push(first);
      if (first.writeAt) {
        this.hashing = this.hashInputs();
        void this.hashing.then(() => (this.hashed = true), () => undefined);
      } else {
        // No random access: hash first so the header is final when written.
        this.progress.phase = 'hashing';
        this.setHashes(await this.hashInputs());
        this.progress.phase = 'merging';
      }
    } else {
      // Files are kept open until the end only when their header still needs the hashes.
      if (!this.hashing && this.current >= 0) {
        await this.queued;
        await this.open[this.current].close();
      }
      this.open.push(await this.sink.createFile(shard.name, shard.size));
    }
    this.current = k;
    await this.append(this.layout.shards[k].header);
  }

  private setHashes(hashes: string[]): void {
    this.hashes = hashes;
    this.layout = withHashes(this.tensors, this.layout, { ...this.opts, hashes: this.opts.hashes.map((h, i) => ({ ...h, sha256: hashes[i] })) });
  }

  private async writeWhole(name: string, bytes: Uint8Array): Promise<void> {
    const f = await this.sink.createFile(name, bytes.length);
    await f.write(bytes);
    await f.close();
  }
}
