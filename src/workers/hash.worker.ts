/**
 * SHA-256 of one input file at a time, for the merge Worker (hash-blobs.ts): hashing runs beside the
 * merge instead of taking turns with it on the merge Worker's thread. Reads 8 MB slices of the Blob,
 * reports the bytes hashed after each, then the hex digest.
 */
import { createSha256 } from '../merge/sha256';

const SLICE = 8 << 20;

self.onmessage = async (e: MessageEvent<{ blob: Blob }>) => {
  try {
    const { blob } = e.data;
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
