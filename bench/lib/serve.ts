/** Shared by the browser benches: find a port for `vite preview` and wait until it answers. */
import { createServer } from 'node:net';

/** The first free loopback port from `from` on (benches may run beside a dev server or e2e run). */
export async function freePort(from: number): Promise<number> {
  for (let p = from; p < from + 50; p++) {
    const ok = await new Promise<boolean>((res) => {
      const s = createServer();
      s.once('error', () => res(false));
      s.listen(p, '127.0.0.1', () => s.close(() => res(true)));
    });
    if (ok) return p;
  }
  throw new Error(`no free port in ${from}–${from + 49}`);
}

/** Polls `url` until it answers 2xx, or fails after `ms`. */
export async function waitFor(url: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      if ((await fetch(url)).ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${url} did not come up`);
}
