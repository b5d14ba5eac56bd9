/** Shared by the browser benches: find a port for `vite preview`, wait until it answers, open the harness page. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { chromium, type Browser, type Page } from '@playwright/test';

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

/**
 * harness.html of the built app (dist/) in headless Chromium with SwiftShader WebGPU, served by
 * `vite preview` on `port`: open() starts both and waits until the harness is ready; close() stops
 * whatever open() started.
 */
export function harnessPage(port: number): { open(): Promise<Page>; close(): Promise<void> } {
  let browser: Browser | null = null;
  let server: ChildProcess | null = null;
  return {
    async open() {
      browser = await chromium.launch({
        executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
        args: ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan'],
      });
      server = spawn('npx', ['vite', 'preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort'], { stdio: 'ignore', detached: true });
      await waitFor(`http://127.0.0.1:${port}/harness.html`, 60_000);
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${port}/harness.html`);
      await page.waitForFunction('globalThis.harnessReady === true');
      return page;
    },
    async close() {
      await browser?.close();
      if (server?.pid) try { process.kill(-server.pid); } catch { /* already gone */ }
    },
  };
}
