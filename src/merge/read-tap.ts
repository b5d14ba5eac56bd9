/**
 * SHA-256 of an input file from the reads the merge makes anyway, so hashing costs no second pass over
 * the file: a tapped ByteSource hands every byte it reads, in file order, to a streaming hasher. The
 * merge reads a safetensors file front to back (header, then tensors in file order), so normally the
 * whole file goes through the tap; what it skipped (a re-read, a tensor read out of file order, bytes
 * no tensor covers) is read and hashed by finish(), after the merge's reads are done. The digest is the
 * file's SHA-256 whatever the order of the reads.
 */
import type { ByteSource } from '../formats/byte-source';

/** A streaming hash, possibly in another thread: update() resolves when more may be sent. */
export interface StreamHasher {
  update(bytes: Uint8Array): Promise<void>;
  digest(): Promise<string>;
}

export interface ReadTap {
  /** The source to read through (open the checkpoint and read its tensors with it). */
  source: ByteSource;
  /** After the merge's last read: hashes what the tap did not see, then the hex digest. */
  finish(onBytes: (n: number) => void, check?: () => void): Promise<string>;
}

/** A gap up to this size (padding, a skipped small tensor) is read to keep the tap going. */
const GAP_FILL = 1 << 20;
const TAIL_BLOCK = 8 << 20;

export function readTap(raw: ByteSource, hasher: StreamHasher): ReadTap {
  /** Every byte before this offset has been handed to the hasher (or is queued for it). */
  let next = 0;
  let finishing = false;
  let chain: Promise<void> = Promise.resolve();
  let unreported = 0;
  let report: ((n: number) => void) | null = null;
  const feed = (bytes: Uint8Array) => {
    if (report) report(bytes.length);
    else unreported += bytes.length;
    return hasher.update(bytes);
  };

  const offer = (offset: number, bytes: Uint8Array): Promise<void> => {
    const end = offset + bytes.length;
    // Already hashed (a re-read), or too far ahead (out of file order): finish() covers it.
    if (finishing || end <= next || offset > next + GAP_FILL) return chain;
    const from = next;
    next = end;
    chain = chain.then(async () => {
      if (offset > from) await feed(await raw.read(from, offset - from));
      await feed(offset < from ? bytes.subarray(from - offset) : bytes);
    });
    return chain;
  };

  return {
    source: {
      name: raw.name,
      size: raw.size,
      async read(offset, length) {
        const bytes = await raw.read(offset, length);
        // Waiting here is the backpressure: the merge reads no faster than the hasher takes the bytes.
        await offer(offset, bytes);
        return bytes;
      },
    },
    async finish(onBytes, check) {
      finishing = true;
      report = onBytes;
      if (unreported) onBytes(unreported);
      unreported = 0;
      await chain;
      for (let off = next; off < raw.size; off += TAIL_BLOCK) {
        check?.();
        await feed(await raw.read(off, Math.min(TAIL_BLOCK, raw.size - off)));
      }
      return hasher.digest();
    },
  };
}
