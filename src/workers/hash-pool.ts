/**
 * Streaming SHA-256 hashers in hash Workers (hash.worker.ts), for the inputs the merge Worker hashes
 * from its own reads (src/merge/read-tap.ts). Each hasher lives in one Worker, the one with the fewest
 * open hashers when its first bytes come: the merge reads its inputs side by side (θ_pre, θ_aux, θ_sft),
 * so at least three Workers, else two inputs would share one while a core idles. Its bytes are copied once and the copy transferred, since the merge still computes on
 * the original. At most MAX_QUEUED bytes per hasher wait in its Worker: beyond that update() waits for
 * the Worker to catch up, which slows the merge's reads instead of filling memory.
 */
import type { StreamHasher } from '../merge/read-tap';

const MAX_QUEUED = 48 << 20;

type Out = { id: number; took: number } | { id: number; digest: string } | { id: number; error: string };

interface Stream {
  queued: number;
  /** Resolves the update waiting for room, if any. */
  room: (() => void) | null;
  worker: number;
  done: ((digest: string) => void) | null;
  failed: Error | null;
  fail: ((e: Error) => void) | null;
}

export interface HashPool {
  hasher(): StreamHasher;
  /** Stops every Worker; hashers still running fail. */
  dispose(): void;
}

export function hashPool(size = Math.min(4, Math.max(3, navigator.hardwareConcurrency || 2))): HashPool {
  const workers: Worker[] = [];
  const open = new Array<number>(size).fill(0);
  const streams = new Map<number, Stream>();
  let nextId = 1;
  const failAll = (e: Error) => {
    for (const s of streams.values()) {
      s.failed ??= e;
      s.fail?.(e);
      s.room?.();
    }
  };
  const worker = (k: number): Worker => {
    if (workers[k]) return workers[k];
    const w = new Worker(new URL('./hash.worker.ts', import.meta.url), { type: 'module', name: 'hash' });
    w.onmessage = (e: MessageEvent<Out>) => {
      const m = e.data;
      const s = streams.get(m.id);
      if (!s) return;
      if ('took' in m) {
        s.queued -= m.took;
        if (s.queued <= MAX_QUEUED && s.room) {
          const r = s.room;
          s.room = null;
          r();
        }
      } else if ('digest' in m) {
        streams.delete(m.id);
        open[s.worker] -= 1;
        s.done?.(m.digest);
      } else {
        s.failed = new Error(m.error);
        s.fail?.(s.failed);
        s.room?.();
      }
    };
    w.onerror = (e) => {
      e.preventDefault();
      failAll(new Error(`hashing failed (${e.message || 'the hash worker stopped'})`));
    };
    workers[k] = w;
    return w;
  };

  return {
    hasher(): StreamHasher {
      const id = nextId++;
      const s: Stream = { queued: 0, room: null, worker: -1, done: null, failed: null, fail: null };
      streams.set(id, s);
      const assigned = (): Worker => {
        if (s.worker < 0) {
          s.worker = open.indexOf(Math.min(...open));
          open[s.worker] += 1;
        }
        return worker(s.worker);
      };
      return {
        async update(bytes) {
          if (s.failed) throw s.failed;
          const w = assigned();
          const copy = bytes.slice();
          s.queued += copy.length;
          w.postMessage({ id, bytes: copy }, [copy.buffer]);
          if (s.queued > MAX_QUEUED) await new Promise<void>((r) => (s.room = r));
          if (s.failed) throw s.failed;
        },
        digest() {
          if (s.failed) return Promise.reject(s.failed);
          return new Promise<string>((resolve, reject) => {
            s.done = resolve;
            s.fail = reject;
            assigned().postMessage({ id, end: true });
          });
        },
      };
    },
    dispose() {
      workers.forEach((w) => w?.terminate());
      failAll(new DOMException('cancelled', 'AbortError') as unknown as Error);
    },
  };
}
