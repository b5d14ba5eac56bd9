/**
 * OutputSink on disk: every file is written as `<name>.partial` and renamed only on commit, so a
 * cancelled or failed export never leaves a file that looks complete; abort deletes the partials.
 */
import { mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { OutputFile, OutputSink } from '../merge/types';

export interface FileSink extends OutputSink {
  readonly dir: string;
  /** Final paths, once committed. */
  readonly written: string[];
}

export function fileSink(dir: string): FileSink {
  const partials: { path: string; final: string; handle: FileHandle | null }[] = [];
  const written: string[] = [];
  let done = false;
  return {
    dir,
    written,
    async createFile(name: string, size: number): Promise<OutputFile> {
      if (done) throw new Error('output already committed or aborted');
      await mkdir(dir, { recursive: true });
      const final = join(dir, name);
      const rec = { path: `${final}.partial`, final, handle: null as FileHandle | null };
      partials.push(rec);
      const fh = await open(rec.path, 'w');
      rec.handle = fh;
      let pos = 0;
      const writeFully = async (bytes: Uint8Array, at: number) => {
        let off = 0;
        while (off < bytes.length) {
          const { bytesWritten } = await fh.write(bytes, off, bytes.length - off, at + off);
          off += bytesWritten;
        }
      };
      return {
        async write(bytes) {
          if (pos + bytes.length > size) throw new Error(`${name}: write past the planned size ${size}`);
          await writeFully(bytes, pos);
          pos += bytes.length;
        },
        async writeAt(position, bytes) {
          if (position + bytes.length > pos) throw new Error(`${name}: patch outside the written bytes`);
          await writeFully(bytes, position);
        },
        async close() {
          if (pos !== size) throw new Error(`${name}: ${pos} of ${size} bytes were written`);
          rec.handle = null;
          await fh.close();
        },
      };
    },
    async commit() {
      for (const p of partials) if (p.handle) throw new Error(`${p.final}: still open at commit`);
      for (const p of partials) {
        await rename(p.path, p.final);
        written.push(p.final);
      }
      done = true;
    },
    async abort() {
      done = true;
      for (const p of partials) {
        await p.handle?.close().catch(() => undefined);
        p.handle = null;
        await unlink(p.path).catch(() => undefined);
      }
    },
  };
}
