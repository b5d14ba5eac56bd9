/**
 * Reads of the user's files into buffers the caller hands over, for the Workers that read every input
 * byte (the merge, the input hashes). Blob.slice().arrayBuffer() gives a fresh buffer per read, and
 * fresh memory costs the renderer a page fault and zeroing per 4 KB on top of the copy; a read through
 * the slice's byte stream (a BYOB reader) lands in a buffer already mapped: about half the renderer's CPU
 * of reading a file (bench/browser-merge.bench.ts).
 */
import { checkedSource, type ByteSource } from '../formats/byte-source';

/**
 * `length` bytes of `blob` from `offset` into `into` (its first `length` bytes; a new buffer when
 * absent or too small). The buffer handed over is detached: use the returned view's buffer next time.
 * Where a Blob's stream has no BYOB reader, the bytes come through slice().arrayBuffer() instead.
 */
export async function readBlob(blob: Blob, offset: number, length: number, into?: ArrayBuffer): Promise<Uint8Array> {
  const part = blob.slice(offset, offset + length);
  let reader: ReadableStreamBYOBReader;
  try {
    reader = part.stream().getReader({ mode: 'byob' });
  } catch {
    return new Uint8Array(await part.arrayBuffer());
  }
  let buf = into && into.byteLength >= length ? into : new ArrayBuffer(length);
  let got = 0;
  try {
    while (got < length) {
      const { value, done } = await reader.read(new Uint8Array(buf, got, length - got));
      if (value) buf = value.buffer as ArrayBuffer;
      if (done) break;
      got += value.byteLength;
    }
  } finally {
    // Cancel, not just release: a slice's stream left open keeps its data pipe in the browser.
    await reader.cancel().catch(() => undefined);
  }
  if (got !== length) throw new RangeError(`read ${got} of ${length} bytes at ${offset}: the file changed while being read?`);
  return new Uint8Array(buf, 0, length);
}

/**
 * Buffers given back once their chunk is computed (RunOptions.recycle), reused by later reads of the
 * same length, as the CLI's file-source.ts does. Full-size chunks come back all the time and stay;
 * the one-off lengths of tensor tails age out: at most MAX_FREE buffers are kept.
 */
const free: ArrayBuffer[] = [];
const MAX_FREE = 8;
export function recycleBlobReads(chunks: { bytes: Uint8Array }[]): void {
  for (const { bytes } of chunks) {
    const b = bytes.buffer;
    if (!(b instanceof ArrayBuffer) || bytes.byteOffset !== 0 || bytes.byteLength !== b.byteLength || b.byteLength === 0) continue;
    free.push(b);
    if (free.length > MAX_FREE) free.shift();
  }
}
/** Buffers waiting for reuse (tests). */
export const recycledBlobReads = () => free.length;

/** A ByteSource over a Blob whose reads land in recycled buffers (see recycleBlobReads). */
export function recyclingBlobSource(blob: Blob, name: string): ByteSource {
  return checkedSource(name, blob.size, (offset, length) => {
    const i = free.findIndex((b) => b.byteLength === length);
    return readBlob(blob, offset, length, i >= 0 ? free.splice(i, 1)[0] : undefined).catch((e: unknown) => {
      throw e instanceof RangeError ? new RangeError(`${name}: ${e.message}`) : e;
    });
  });
}
