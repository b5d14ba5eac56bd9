/**
 * SHA-256 of the input files for the output's metadata: a second sequential read of each file, beside
 * the merge. Through the caller's `hashFiles` (the CLI: worker threads) or, by default, block by block
 * with the TypeScript/WebAssembly hasher here.
 */
import { createSha256 } from './sha256';
import type { MergeInputs, MergeProgress, RunOptions } from './types';

const HASH_BLOCK = 8 << 20;

export interface HashProgress {
  progress: MergeProgress;
  report(): void;
  /** Throws when the merge was cancelled or failed. */
  check(): void;
}

/** Hex digests in the order of `files`; the bytes hashed count as read. */
export async function hashInputs(files: NonNullable<MergeInputs['files']>, opts: RunOptions, p: HashProgress): Promise<string[]> {
  const onBytes = (n: number) => {
    p.progress.bytesRead += n;
    // Hashing can outlast the merge itself (it reads every input once more): keep progress moving.
    if (p.progress.phase === 'hashing') p.report();
  };
  if (opts.hashFiles) return opts.hashFiles(files, onBytes, opts.signal);
  const make = opts.createHasher ?? createSha256;
  const out: string[] = [];
  for (const f of files) {
    const h = make();
    for (let off = 0; off < f.source.size; off += HASH_BLOCK) {
      p.check();
      const bytes = await f.source.read(off, Math.min(HASH_BLOCK, f.source.size - off));
      h.update(bytes);
      onBytes(bytes.length);
    }
    out.push(h.digest());
  }
  return out;
}
