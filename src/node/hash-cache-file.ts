/**
 * The CLI's input-hash cache (src/merge/hash-cache.ts): one small JSON file,
 * `$CAPVECTOR_CACHE_DIR/hashes.json` (default `$XDG_CACHE_HOME/capvector`, else `~/.cache/capvector`),
 * keyed by absolute path and stamped with size, mtime (ns) and inode. Written atomically (a temporary
 * file renamed over it), merged with what another run wrote meanwhile; a file that cannot be read or
 * parsed counts as empty, one that cannot be written is left as it was.
 */
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { sameStamp, type FileStamp, type HashCache } from '../merge/hash-cache';

/** Entries kept at most: the most recently stored win. */
const MAX_ENTRIES = 4096;
const VERSION = 1;

interface Entry {
  size: number;
  version: string;
  sha256: string;
}

export function hashCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CAPVECTOR_CACHE_DIR) return resolve(env.CAPVECTOR_CACHE_DIR);
  return join(env.XDG_CACHE_HOME ? resolve(env.XDG_CACHE_HOME) : join(homedir(), '.cache'), 'capvector');
}

export const hashCachePath = (dir = hashCacheDir()) => join(dir, 'hashes.json');

/** The stamp of the file at `path` now (absolute path, size, mtime in ns and inode). */
export async function fileStamp(path: string): Promise<FileStamp> {
  const key = resolve(path);
  const s = await stat(key, { bigint: true });
  return { key, size: Number(s.size), version: `${s.mtimeNs}:${s.ino}` };
}

async function load(file: string): Promise<Map<string, Entry>> {
  const map = new Map<string, Entry>();
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return map; // missing or corrupt: an empty cache
  }
  if (!parsed || typeof parsed !== 'object' || (parsed as { version?: unknown }).version !== VERSION) return map;
  const entries = (parsed as { entries?: unknown }).entries;
  if (!entries || typeof entries !== 'object') return map;
  for (const [k, v] of Object.entries(entries as Record<string, unknown>)) {
    const e = v as Partial<Entry> | null;
    if (e && typeof e.size === 'number' && typeof e.version === 'string' && typeof e.sha256 === 'string' && /^[0-9a-f]{64}$/.test(e.sha256)) {
      map.set(k, { size: e.size, version: e.version, sha256: e.sha256 });
    }
  }
  return map;
}

async function save(file: string, map: Map<string, Entry>): Promise<void> {
  const keep = [...map].slice(-MAX_ENTRIES);
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(tmp, JSON.stringify({ version: VERSION, entries: Object.fromEntries(keep) }));
    await rename(tmp, file);
  } catch {
    await rm(tmp, { force: true }).catch(() => undefined);
  }
}

/** The cache file in `dir` (read once, lazily). */
export function fileHashCache(dir = hashCacheDir()): HashCache {
  const file = hashCachePath(dir);
  let loaded: Promise<Map<string, Entry>> | null = null;
  return {
    async get(s) {
      const e = (await (loaded ??= load(file))).get(s.key);
      return e && sameStamp({ key: s.key, size: e.size, version: e.version }, s) ? e.sha256 : undefined;
    },
    async setAll(list) {
      // What another run stored since this one read the file is kept.
      const map = await load(file);
      for (const { stamp, sha256 } of list) {
        map.delete(stamp.key); // re-inserted last: the newest survive the cap
        map.set(stamp.key, { size: stamp.size, version: stamp.version, sha256 });
      }
      await save(file, map);
      loaded = Promise.resolve(map);
    },
    async clear() {
      await rm(file, { force: true });
      loaded = Promise.resolve(new Map());
    },
  };
}
