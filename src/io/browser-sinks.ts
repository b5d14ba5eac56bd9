/**
 * Browser OutputSinks for the merge executor, used inside the merge Worker. Both write while the merge
 * runs (never the whole model in memory) and neither leaves a complete-looking file on cancel/failure:
 *
 * - OPFS (origin-private file system): each file through a FileSystemSyncAccessHandle (synchronous,
 *   Worker-only, the fast path) in a folder per run; the finished files are then offered as downloads.
 *   abort() deletes the run folder. Works wherever OPFS does (every current browser).
 * - File System Access (a file from showSaveFilePicker or a folder from showDirectoryPicker): each file
 *   through createWritable(), which Chromium writes to a swap file and only moves into place on close();
 *   so close() is deferred to commit(), and abort() calls writable.abort() and removes entries this run
 *   created (the picker itself creates an empty file, which is removed too).
 */
import type { OutputFile, OutputSink } from '../merge/types';

export const OPFS_RUNS_DIR = 'capvector-merges';

export interface FinishedFile {
  name: string;
  bytes: number;
  /** Read-back handle (OPFS always; FSA when readable). */
  file?: File;
}

export interface BrowserSink extends OutputSink {
  /** The files written, after commit() resolved. */
  finished(): Promise<FinishedFile[]>;
}

async function runsDir(): Promise<FileSystemDirectoryHandle> {
  const root = await navigator.storage.getDirectory();
  return root.getDirectoryHandle(OPFS_RUNS_DIR, { create: true });
}

/** Removes OPFS run folders left by earlier sessions (keeps the ones named in `keep`). */
export async function sweepOpfsRuns(keep: Set<string> = new Set()): Promise<number> {
  const dir = await runsDir();
  let removed = 0;
  for await (const name of (dir as any).keys() as AsyncIterable<string>) {
    if (keep.has(name)) continue;
    try {
      await dir.removeEntry(name, { recursive: true });
      removed += 1;
    } catch {
      // Still open elsewhere (another tab): leave it for a later sweep.
    }
  }
  return removed;
}

export async function opfsSink(runId: string): Promise<BrowserSink> {
  const parent = await runsDir();
  const dir = await parent.getDirectoryHandle(runId, { create: true });
  const open: { name: string; handle: FileSystemFileHandle; access: FileSystemSyncAccessHandle | null; size: number }[] = [];
  let state: 'open' | 'committed' | 'aborted' = 'open';

  const closeAll = () => {
    for (const f of open) {
      if (f.access) {
        try {
          f.access.flush();
          f.access.close();
        } catch {
          // Already closed.
        }
        f.access = null;
      }
    }
  };

  return {
    async createFile(name: string, _size: number): Promise<OutputFile> {
      if (state !== 'open') throw new Error(`output is already ${state}`);
      const handle = await dir.getFileHandle(name, { create: true });
      const access = await handle.createSyncAccessHandle();
      access.truncate(0);
      const rec = { name, handle, access: access as FileSystemSyncAccessHandle | null, size: 0 };
      open.push(rec);
      let pos = 0;
      const put = (bytes: Uint8Array, at: number) => {
        if (!rec.access) throw new Error(`${name}: written after close`);
        let done = 0;
        // write() may write fewer bytes than asked (quota); loop until all are down or it stalls.
        while (done < bytes.byteLength) {
          const n = rec.access.write(bytes.subarray(done), { at: at + done });
          if (n <= 0) throw new Error(`${name}: the browser storage refused the write (quota full?)`);
          done += n;
        }
      };
      return {
        async write(bytes) {
          put(bytes, pos);
          pos += bytes.byteLength;
          rec.size = Math.max(rec.size, pos);
        },
        async writeAt(position, bytes) {
          put(bytes, position);
          rec.size = Math.max(rec.size, position + bytes.byteLength);
        },
        async close() {
          if (rec.access) {
            rec.access.flush();
            rec.access.close();
            rec.access = null;
          }
        },
      };
    },
    async commit() {
      if (state !== 'open') throw new Error(`output is already ${state}`);
      closeAll();
      state = 'committed';
    },
    async abort() {
      if (state === 'aborted') return;
      closeAll();
      state = 'aborted';
      await parent.removeEntry(runId, { recursive: true }).catch(() => undefined);
    },
    async finished() {
      if (state !== 'committed') throw new Error('output not committed');
      return Promise.all(open.map(async (f) => ({ name: f.name, bytes: f.size, file: await f.handle.getFile() })));
    },
  };
}

/** A File System Access sink writing into one picked file (single-file output) or a picked folder. */
export function fsaSink(target: { file: FileSystemFileHandle } | { dir: FileSystemDirectoryHandle }): BrowserSink {
  const open: { name: string; handle: FileSystemFileHandle; writable: FileSystemWritableFileStream; created: boolean; size: number }[] = [];
  let state: 'open' | 'committed' | 'aborted' = 'open';

  async function handleFor(name: string): Promise<{ handle: FileSystemFileHandle; created: boolean }> {
    if ('file' in target) {
      if (open.length > 0) {
        throw new Error(`this merge writes several files (${open[0].name}, ${name}, …): choose a folder, or set the shard size to 0`);
      }
      // The save picker has already created (or will overwrite) the file: treat it as ours to remove on abort.
      return { handle: target.file, created: true };
    }
    try {
      return { handle: await target.dir.getFileHandle(name), created: false };
    } catch {
      return { handle: await target.dir.getFileHandle(name, { create: true }), created: true };
    }
  }

  return {
    async createFile(name: string, _size: number): Promise<OutputFile> {
      if (state !== 'open') throw new Error(`output is already ${state}`);
      const { handle, created } = await handleFor(name);
      const writable = await handle.createWritable({ keepExistingData: false });
      const rec = { name, handle, writable, created, size: 0 };
      open.push(rec);
      let pos = 0;
      return {
        async write(bytes) {
          await writable.write(bytes as Uint8Array<ArrayBuffer>);
          pos += bytes.byteLength;
          rec.size = Math.max(rec.size, pos);
        },
        async writeAt(position, bytes) {
          await writable.write({ type: 'write', position, data: bytes as Uint8Array<ArrayBuffer> });
          await writable.seek(pos);
          rec.size = Math.max(rec.size, position + bytes.byteLength);
        },
        // The swap file becomes the real file only on writable.close(): that waits for commit().
        async close() {},
      };
    },
    async commit() {
      if (state !== 'open') throw new Error(`output is already ${state}`);
      for (const f of open) await f.writable.close();
      state = 'committed';
    },
    async abort() {
      if (state === 'aborted') return;
      const wasCommitted = state === 'committed';
      state = 'aborted';
      for (const f of open) {
        if (!wasCommitted) await f.writable.abort().catch(() => undefined);
        if (!f.created) continue;
        if ('dir' in target) await target.dir.removeEntry(f.name).catch(() => undefined);
        else await (f.handle as any).remove?.().catch(() => undefined);
      }
    },
    async finished() {
      if (state !== 'committed') throw new Error('output not committed');
      return Promise.all(
        open.map(async (f) => ({ name: f.name, bytes: f.size, file: await f.handle.getFile().catch(() => undefined) })),
      );
    },
  };
}
