/**
 * The I/O floor of a merge, for merge.bench.ts and browser-merge.bench.ts: every input byte read once and
 * an output of the merged size written once, 32 MiB at a time, as `cat` does (no computing, no hashing).
 */
import { open } from 'node:fs/promises';

const CHUNK = 32 << 20;

/** Seconds to read `files` once and write `outBytes` of them into `out` (a new file). */
export async function ioFloor(files: string[], outBytes: number, out: string): Promise<number> {
  const t0 = performance.now();
  const buf = new Uint8Array(CHUNK);
  const w = await open(out, 'w');
  let written = 0;
  for (const f of files) {
    const h = await open(f, 'r');
    for (;;) {
      const { bytesRead } = await h.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) break;
      // Output volume = one input's volume: write while reading the first third of the bytes.
      if (written < outBytes) {
        const n = Math.min(bytesRead, outBytes - written);
        await w.write(buf, 0, n);
        written += n;
      }
    }
    await h.close();
  }
  await w.close();
  return (performance.now() - t0) / 1000;
}
