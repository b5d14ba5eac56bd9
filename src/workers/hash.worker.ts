/**
 * SHA-256 of one input file at a time, for the merge Worker (hash-blobs.ts): hashing runs beside the
 * merge instead of taking turns with it on the merge Worker's thread. Reads 8 MB slices of the Blob
 * into one buffer, reused (../io/blob-reads.ts), reports the bytes hashed after each, then the hex digest.
 */
import { createSha256 } from '../merge/sha256';
import { readBlob } from '../io/blob-reads';

const SLICE = 8 << 20;

self.onmessage = async (e: MessageEvent<{ blob: Blob }>) => {
  try {
    const { blob } = e.data;
    const h = createSha256();
    let buf: ArrayBuffer | undefined;
    for (let off = 0; off < blob.size; off += SLICE) {
      const bytes = await readBlob(blob, off, Math.min(blob.size, off + SLICE) - off, buf);
      buf = bytes.buffer as ArrayBuffer;
      h.update(bytes);
      self.postMessage({ bytes: bytes.length });
    }
    self.postMessage({ digest: h.digest() });
  } catch (err) {
    self.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
};
