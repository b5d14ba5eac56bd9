/** An in-memory OutputSink (tests, small exports, the harness): files become visible only on commit. */
import type { OutputFile, OutputSink } from './types';

export interface MemorySink extends OutputSink {
  /** Committed files by name (empty until commit). */
  readonly files: Map<string, Uint8Array>;
  /** Files being written (what an aborted export leaves: must be empty after abort). */
  readonly pending: Map<string, Uint8Array>;
  committed: boolean;
  aborted: boolean;
}

export function memorySink(): MemorySink {
  const files = new Map<string, Uint8Array>();
  const pending = new Map<string, Uint8Array>();
  const sink: MemorySink = {
    files,
    pending,
    committed: false,
    aborted: false,
    async createFile(name, size): Promise<OutputFile> {
      const buf = new Uint8Array(size);
      let pos = 0;
      pending.set(name, buf);
      return {
        async write(bytes) {
          if (pos + bytes.length > size) throw new Error(`${name}: write past the declared size ${size}`);
          buf.set(bytes, pos);
          pos += bytes.length;
        },
        async writeAt(position, bytes) {
          if (position + bytes.length > pos) throw new Error(`${name}: patch outside written bytes`);
          buf.set(bytes, position);
        },
        async close() {
          if (pos !== size) throw new Error(`${name}: ${pos} of ${size} bytes written`);
        },
      };
    },
    async commit() {
      for (const [k, v] of pending) files.set(k, v);
      pending.clear();
      sink.committed = true;
    },
    async abort() {
      pending.clear();
      sink.aborted = true;
    },
  };
  return sink;
}
