/**
 * The merge Worker's hashFiles (RunOptions): SHA-256 of the input files in their own Workers
 * (hash.worker.ts), a few files at once, so hashing (pure TypeScript, the slowest part of a browser
 * merge) overlaps the merge instead of sharing its thread. Digests come back in the files' order.
 */
export async function hashBlobsInWorkers(blobs: Blob[], names: string[], onBytes: (n: number) => void, signal?: AbortSignal): Promise<string[]> {
  const out: string[] = new Array(blobs.length);
  // One per core, not one less: the merge itself is done long before the hashes (WebAssembly SHA-256, ~330 MB per CPU-second: no SHA-NI instructions there, against Node's ~1.8 GB).
  const parallel = Math.max(1, Math.min(4, navigator.hardwareConcurrency || 2, blobs.length));
  const workers: Worker[] = [];
  let next = 0;
  let stopped: ((e: Error) => void)[] = [];
  const stop = () => {
    workers.forEach((w) => w.terminate());
    const err = signal?.reason instanceof Error ? signal.reason : new DOMException('cancelled', 'AbortError');
    stopped.forEach((f) => f(err));
    stopped = [];
  };
  signal?.addEventListener('abort', stop, { once: true });
  try {
    const one = (w: Worker): Promise<void> => {
      if (next >= blobs.length || signal?.aborted) return Promise.resolve();
      const i = next++;
      return new Promise<void>((resolve, reject) => {
        stopped.push(reject);
        w.onmessage = (e: MessageEvent<{ bytes?: number; digest?: string; error?: string }>) => {
          const m = e.data;
          if (m.bytes !== undefined) return onBytes(m.bytes);
          if (m.error !== undefined) reject(new Error(`${names[i]}: ${m.error}`));
          else {
            out[i] = m.digest!;
            resolve();
          }
        };
        w.onerror = (e) => reject(new Error(`${names[i]}: hashing failed (${e.message})`));
        w.postMessage({ blob: blobs[i] });
      }).then(() => one(w));
    };
    for (let k = 0; k < parallel; k++) workers.push(new Worker(new URL('./hash.worker.ts', import.meta.url), { type: 'module', name: 'hash' }));
    await Promise.all(workers.map(one));
    if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new DOMException('cancelled', 'AbortError');
    return out;
  } finally {
    signal?.removeEventListener('abort', stop);
    workers.forEach((w) => w.terminate());
  }
}
