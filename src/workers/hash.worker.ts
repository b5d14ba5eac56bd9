/**
 * SHA-256 in a Worker beside the merge (hash-blobs.ts, hash-pool.ts), so hashing does not take turns with
 * the merge on its thread. Two ways in:
 * - { blob }: reads the whole Blob in 8 MB slices, reports the bytes hashed after each, then the digest;
 * - { id, bytes } … { id, end: true }: bytes the merge has read anyway, transferred here (no second read
 *   of the file), several streams at once; each update is acknowledged ({ id, took }) for backpressure.
 */
import { createSha256 } from '../merge/sha256';
import type { Hasher } from '../merge/types';

const SLICE = 8 << 20;
const streams = new Map<number, Hasher>();

type In = { blob: Blob } | { id: number; bytes: Uint8Array } | { id: number; end: true };

self.onmessage = async (e: MessageEvent<In>) => {
  const m = e.data;
  if ('id' in m) {
    try {
      let h = streams.get(m.id);
      if (!h) streams.set(m.id, (h = createSha256()));
      if ('bytes' in m) {
        h.update(m.bytes);
        self.postMessage({ id: m.id, took: m.bytes.length });
      } else {
        streams.delete(m.id);
        self.postMessage({ id: m.id, digest: h.digest() });
      }
    } catch (err) {
      self.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) });
    }
    return;
  }
  try {
    const { blob } = m;
    const h = createSha256();
    for (let off = 0; off < blob.size; off += SLICE) {
      const bytes = new Uint8Array(await blob.slice(off, Math.min(blob.size, off + SLICE)).arrayBuffer());
      h.update(bytes);
      self.postMessage({ bytes: bytes.length });
    }
    self.postMessage({ digest: h.digest() });
  } catch (err) {
    self.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
};
