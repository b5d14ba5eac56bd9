/**
 * Input hashes cached by file identity, so that a second merge of the same inputs (an α sweep) does
 * not read every input once more. Pure: the store is a HashCache (the CLI: a JSON file under
 * ~/.cache/capvector, src/node/hash-cache-file.ts; the browser: IndexedDB,
 * src/workers/hash-cache-idb.ts; tests: memoryHashCache), the identity of a file a FileStamp.
 *
 * A digest is used only when the key, the size and the version (modification time, inode) all match
 * what was stored; a file whose stamp changed while it was hashed is not stored. A store that fails
 * (unreadable, full, corrupt) costs the cache, never the merge.
 */

/** What identifies one version of a file. */
export interface FileStamp {
  /** Where the file is: the CLI's absolute path, the browser's relative path or name. */
  key: string;
  size: number;
  /** Opaque: changes when the file does (the CLI: mtime in ns and inode; the browser: lastModified). */
  version: string;
}

export interface HashCache {
  /** The digest stored for exactly this stamp, if any. */
  get(stamp: FileStamp): Promise<string | undefined>;
  /** Stores several digests at once (one write of the store). */
  setAll(entries: { stamp: FileStamp; sha256: string }[]): Promise<void>;
  /** Forgets every digest. */
  clear(): Promise<void>;
}

export const sameStamp = (a: FileStamp, b: FileStamp): boolean => a.key === b.key && a.size === b.size && a.version === b.version;

/** A store in memory (tests, and a session's own cache). */
export function memoryHashCache(): HashCache & { entries: Map<string, { stamp: FileStamp; sha256: string }> } {
  const entries = new Map<string, { stamp: FileStamp; sha256: string }>();
  return {
    entries,
    get: (s) => {
      const e = entries.get(s.key);
      return Promise.resolve(e && sameStamp(e.stamp, s) ? e.sha256 : undefined);
    },
    setAll: (list) => {
      for (const e of list) entries.set(e.stamp.key, { stamp: { ...e.stamp }, sha256: e.sha256 });
      return Promise.resolve();
    },
    clear: () => {
      entries.clear();
      return Promise.resolve();
    },
  };
}

const HEX64 = /^[0-9a-f]{64}$/;

export interface CachedHashing<T> {
  cache: HashCache;
  /** The file's stamp now, or null when it has none (then it is always hashed and never stored). */
  stampOf(item: T): Promise<FileStamp | null>;
  /** Hashes the items the cache did not have; hex digests in their order. */
  hash(items: T[], onBytes: (n: number) => void, signal?: AbortSignal): Promise<string[]>;
  /** Bytes of an item, counted as read when its digest comes from the cache (progress stays whole). */
  sizeOf(item: T): number;
}

/** Hex digests of `items` in order: from the cache where the stamp matches, hashed (and stored) otherwise. */
export async function hashWithCache<T>(items: T[], c: CachedHashing<T>, onBytes: (n: number) => void, signal?: AbortSignal): Promise<string[]> {
  const stamps = await Promise.all(items.map((it) => c.stampOf(it).catch(() => null)));
  const out: (string | undefined)[] = await Promise.all(
    stamps.map(async (s) => {
      if (!s) return undefined;
      const got = await c.cache.get(s).catch(() => undefined);
      return got && HEX64.test(got) ? got : undefined;
    }),
  );
  const missing = items.map((_, i) => i).filter((i) => out[i] === undefined);
  for (let i = 0; i < items.length; i++) if (out[i] !== undefined) onBytes(c.sizeOf(items[i]));
  if (missing.length) {
    const digests = await c.hash(missing.map((i) => items[i]), onBytes, signal);
    missing.forEach((i, k) => (out[i] = digests[k]));
    // Stored only when the file did not change while it was read.
    const after = await Promise.all(missing.map((i) => (stamps[i] ? c.stampOf(items[i]).catch(() => null) : null)));
    const fresh = missing.flatMap((i, k) => {
      const s = stamps[i];
      const a = after[k];
      return s && a && sameStamp(s, a) ? [{ stamp: s, sha256: digests[k] }] : [];
    });
    if (fresh.length) await c.cache.setAll(fresh).catch(() => undefined);
  }
  return out as string[];
}
