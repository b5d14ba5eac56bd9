/**
 * SHA-256 of input files in worker threads (the CLI's hashFiles for runMerge): several files at once,
 * each streamed from disk by its worker, so hashing neither blocks the main thread that feeds the
 * merge nor waits for one file after another. node:crypto's SHA-256 (SHA-NI where the CPU has it).
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';

const WORKER = `
const { parentPort } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const { createHash } = require('node:crypto');
const buf = Buffer.allocUnsafe(8 << 20);
parentPort.on('message', ({ path }) => {
  let fd = -1;
  try {
    fd = openSync(path, 'r');
    const h = createHash('sha256');
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
      parentPort.postMessage({ bytes: n });
    }
    parentPort.postMessage({ digest: h.digest('hex') });
  } catch (e) {
    parentPort.postMessage({ error: e instanceof Error ? e.message : String(e) });
  } finally {
    if (fd >= 0) closeSync(fd);
  }
});
`;

/** Hex digests of `paths` in order; up to `parallel` files at a time. */
export async function hashFilesInWorkers(paths: string[], onBytes: (n: number) => void, signal?: AbortSignal, parallel = Math.max(1, Math.min(4, availableParallelism() - 1))): Promise<string[]> {
  const out: string[] = new Array(paths.length);
  const workers: Worker[] = [];
  let next = 0;
  const stop = () => workers.forEach((w) => void w.terminate());
  signal?.addEventListener('abort', stop, { once: true });
  try {
    const one = (w: Worker): Promise<void> => {
      if (next >= paths.length) return Promise.resolve();
      const i = next++;
      return new Promise<void>((resolve, reject) => {
        const onMessage = (m: { bytes?: number; digest?: string; error?: string }) => {
          if (m.bytes !== undefined) return onBytes(m.bytes);
          w.off('message', onMessage);
          w.off('exit', onExit);
          if (m.error !== undefined) reject(new Error(`${paths[i]}: ${m.error}`));
          else {
            out[i] = m.digest!;
            resolve();
          }
        };
        const onExit = () => reject(signal?.reason instanceof Error ? signal.reason : new Error('hashing was stopped'));
        w.on('message', onMessage);
        w.once('exit', onExit);
        w.postMessage({ path: paths[i] });
      }).then(() => one(w));
    };
    const n = Math.min(parallel, paths.length);
    for (let k = 0; k < n; k++) workers.push(new Worker(WORKER, { eval: true }));
    await Promise.all(workers.map(one));
    return out;
  } finally {
    signal?.removeEventListener('abort', stop);
    stop();
  }
}
