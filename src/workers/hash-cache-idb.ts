/**
 * The browser's input-hash cache (src/merge/hash-cache.ts) in IndexedDB: one record per
 * (relative path or name, size, lastModified), so an α sweep over the same dropped files hashes them
 * once. Thin on purpose: the rules (when a digest is used, when stored) live in hashWithCache. Any
 * IndexedDB failure (private mode, quota, blocked upgrade) rejects, which hashWithCache treats as a miss.
 */
import type { FileStamp, HashCache } from '../merge/hash-cache';

const DB = 'capvector-hash-cache';
const STORE = 'hashes';

interface Row {
  key: string;
  size: number;
  version: string;
  sha256: string;
}

let db: Promise<IDBDatabase> | null = null;
function openVersion(version?: number): Promise<IDBDatabase> {
  return new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open(DB, version);
    req.onupgradeneeded = () => {
      if (!req.result.objectStoreNames.contains(STORE)) req.result.createObjectStore(STORE, { keyPath: ['key', 'size', 'version'] });
    };
    req.onsuccess = () => {
      const got = req.result;
      // Someone opened the database without creating the store: one version up creates it.
      if (got.objectStoreNames.contains(STORE)) return resolve(got);
      got.close();
      openVersion(got.version + 1).then(resolve, reject);
    };
    req.onerror = () => reject(req.error ?? new Error('IndexedDB unavailable'));
    req.onblocked = () => reject(new Error('IndexedDB blocked'));
  });
}
function open(): Promise<IDBDatabase> {
  db ??= openVersion().then((got) => {
    got.onversionchange = () => {
      got.close(); // let another context upgrade; reopened on next use
      db = null;
    };
    return got;
  }).catch((e: unknown) => {
    db = null; // try again next time
    throw e;
  });
  return db;
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

export function idbHashCache(): HashCache {
  return {
    async get(s: FileStamp) {
      const tx = (await open()).transaction(STORE, 'readonly');
      const req = tx.objectStore(STORE).get([s.key, s.size, s.version]);
      return new Promise<string | undefined>((resolve, reject) => {
        req.onsuccess = () => resolve((req.result as Row | undefined)?.sha256);
        req.onerror = () => reject(req.error ?? new Error('IndexedDB read failed'));
      });
    },
    async setAll(list) {
      const tx = (await open()).transaction(STORE, 'readwrite');
      const store = tx.objectStore(STORE);
      for (const { stamp, sha256 } of list) store.put({ key: stamp.key, size: stamp.size, version: stamp.version, sha256 } satisfies Row);
      await done(tx);
    },
    async clear() {
      const tx = (await open()).transaction(STORE, 'readwrite');
      tx.objectStore(STORE).clear();
      await done(tx);
    },
  };
}

/** The Merge panel's "Clear hash cache". */
export const clearBrowserHashCache = (): Promise<void> => idbHashCache().clear();
