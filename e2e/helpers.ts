/**
 * Shared Playwright helpers for the workbench page: open the app, drop files into it the way a
 * user's drag-and-drop does (a DataTransfer with Files, relative paths kept), load the demo, and
 * make sure no request leaves the machine.
 */
import { expect, type Page } from '@playwright/test';
import { appendFileSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';

export interface DropFile {
  /** Relative path as a folder drop gives it ('aux/model-00001-of-00002.safetensors') or a bare name. */
  path: string;
  data: Uint8Array;
  type?: string;
}

/** Reads files from disk as DropFiles; `as` renames (e.g. to put them under a folder). */
export function filesFromDisk(paths: string[], folder?: string): DropFile[] {
  return paths.map((p) => ({ path: folder ? `${folder}/${basename(p)}` : basename(p), data: new Uint8Array(readFileSync(p)) }));
}

/** Opens the app and waits until its shell is interactive. */
export async function openApp(page: Page, hash = ''): Promise<void> {
  await page.goto(`/index.html${hash}`);
  await expect(page.getByRole('heading', { name: 'CapVector Workbench' })).toBeVisible();
  await expect(page.getByRole('tablist', { name: 'Workbench views' })).toBeVisible();
}

/**
 * Drops files onto the app. Files created by script have no backing entry, so the app takes them
 * through getAsFile(); the relative path travels as `webkitRelativePath`, as a folder picker sets it.
 */
export async function dropFiles(page: Page, files: DropFile[], selector = '[data-testid="drop-zone"]'): Promise<void> {
  const payload = files.map((f) => ({ path: f.path, type: f.type ?? 'application/octet-stream', b64: Buffer.from(f.data).toString('base64') }));
  const dt = await page.evaluateHandle((items) => {
    const transfer = new DataTransfer();
    for (const it of items) {
      const bin = atob(it.b64);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      const name = it.path.split('/').pop()!;
      const file = new File([bytes], name, { type: it.type });
      if (it.path !== name) Object.defineProperty(file, 'webkitRelativePath', { value: it.path });
      transfer.items.add(file);
    }
    return transfer;
  }, payload);
  await page.dispatchEvent(selector, 'dragenter', { dataTransfer: dt });
  await page.dispatchEvent(selector, 'dragover', { dataTransfer: dt });
  await page.dispatchEvent(selector, 'drop', { dataTransfer: dt });
  await dt.dispose();
}

/** Clicks “Load demo” and waits for its four checkpoints. */
export async function loadDemo(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Load demo' }).click();
  await expect(page.getByTestId('checkpoint-card')).toHaveCount(4);
  await expect(page.getByRole('button', { name: 'Load demo' })).toBeEnabled();
}

/** The card of a checkpoint by its display name. */
export function card(page: Page, name: string) {
  return page.getByRole('article', { name: `Checkpoint ${name}` });
}

/**
 * Records every request the page makes; call the returned function at the end of a test to assert
 * that none left 127.0.0.1 (data: and blob: URLs stay in the page).
 */
export function watchRequests(page: Page): () => void {
  const outside: string[] = [];
  page.on('request', (req) => {
    const url = new URL(req.url());
    if (url.protocol === 'data:' || url.protocol === 'blob:') return;
    if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost') outside.push(req.url());
  });
  return () => expect(outside, 'requests that left the machine').toEqual([]);
}

/**
 * A duration the user feels (a long task, a draw, a filter). Tests never assert on it — the machine may
 * be loaded by anything — they record it: printed, and appended as a JSON line to $CV_TIMINGS when set,
 * which `npm run bench -- responsiveness` reads to report each figure against the bound users expect.
 */
export function recordTiming(name: string, ms: number, boundMs: number, detail = ''): void {
  console.log(`[timing] ${name}: ${ms.toFixed(1)} ms (bound ${boundMs} ms)${detail ? ` ${detail}` : ''}`);
  const out = process.env.CV_TIMINGS;
  if (out) appendFileSync(out, `${JSON.stringify({ name, ms, boundMs, detail })}\n`);
}
