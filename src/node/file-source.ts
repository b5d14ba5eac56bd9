/**
 * ByteSource over a file on disk: the handle opens on the first read and every read is positional,
 * so a 15 GB shard costs one file descriptor and only the bytes asked for.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { ByteSource } from '../formats/byte-source';

const openHandles = new Set<Promise<FileHandle>>();
let sharedReads = false;

/**
 * From now on, reads land in SharedArrayBuffers, so the CPU pool hands them to its worker threads
 * without a copy (a structured clone of every chunk cost the CLI a third of its time). Switched on by
 * the CLI after the checkpoints' headers are parsed: TextDecoder refuses shared memory.
 */
export function shareReads(on: boolean): void {
  sharedReads = on;
  if (!on) free.length = 0;
}

/**
 * Shared read buffers given back once their chunk is computed (RunOptions.recycle), reused by later
 * reads of the same length: fresh memory costs a page fault and zeroing per 4 KB, more than the read.
 * At most MAX_FREE buffers are kept, oldest given back first dropped: full-size chunks come back all
 * the time and stay, while the one-off lengths of tensor tails age out, so the cache stays below
 * MAX_FREE chunks (≤ 128 MiB with 4 MiB chunks) whatever the model.
 */
const free: SharedArrayBuffer[] = [];
const MAX_FREE = 32;
export function recycleReads(chunks: { bytes: Uint8Array }[]): void {
  for (const { bytes } of chunks) {
    const b = bytes.buffer;
    if (!(b instanceof SharedArrayBuffer) || bytes.byteOffset !== 0 || bytes.byteLength !== b.byteLength) continue;
    free.push(b);
    if (free.length > MAX_FREE) free.shift();
  }
}
function sharedBuffer(length: number): Uint8Array {
  const i = free.findIndex((b) => b.byteLength === length);
  return new Uint8Array(i >= 0 ? free.splice(i, 1)[0] : new SharedArrayBuffer(length));
}
/** Buffers waiting for reuse (tests). */
export const recycledCount = () => free.length;

export interface FileSource extends ByteSource {
  readonly path: string;
  close(): Promise<void>;
}

/** A source for `path`, shown as `name` in messages (a relative path, for grouping). */
export async function fileSource(path: string, name: string = path): Promise<FileSource> {
  const { size } = await stat(path);
  let handle: Promise<FileHandle> | null = null;
  const getHandle = () => {
    if (!handle) {
      handle = open(path, 'r');
      openHandles.add(handle);
      handle.catch(() => openHandles.delete(handle!));
    }
    return handle;
  };
  return {
    name,
    size,
    path,
    async read(offset, length) {
      if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
        throw new RangeError(`${name}: read of ${length} bytes at ${offset} is outside the file (${size} bytes)`);
      }
      const out = sharedReads ? sharedBuffer(length) : new Uint8Array(length);
      const fh = await getHandle();
      let done = 0;
      while (done < length) {
        const { bytesRead } = await fh.read(out, done, length - done, offset + done);
        if (bytesRead === 0) throw new RangeError(`${name}: file ended after ${offset + done} bytes (it changed while being read?)`);
        done += bytesRead;
      }
      return out;
    },
    async close() {
      if (!handle) return;
      const h = handle;
      handle = null;
      openHandles.delete(h);
      await (await h).close();
    },
  };
}

/** Closes every handle opened by file sources (end of a CLI command, end of a bench). */
export async function closeAll(): Promise<void> {
  const all = [...openHandles];
  openHandles.clear();
  await Promise.all(all.map(async (h) => {
    try {
      await (await h).close();
    } catch {
      // Already closed or never opened: nothing to release.
    }
  }));
}
