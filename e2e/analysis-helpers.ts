/**
 * Shared by the analysis specs (demo family and 7B-shaped): heatmap tooltips read the way a user
 * hovers a cell, and the long tasks of the statistics streaming window.
 */
import { expect, type Locator, type Page } from '@playwright/test';

declare global {
  interface Window {
    /** [startTime, duration] of each long task. */
    __longTasks: [number, number][];
  }
}

/** Records every long task of the page from its first script on. */
export async function observeLongTasks(page: Page): Promise<void> {
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push([e.startTime, e.duration]);
    }).observe({ type: 'longtask', buffered: true });
  });
}

/**
 * The streaming window (the store's 'analysis-start' and 'analysis-done' marks, the end extended by
 * `slackMs` for the last repaint) and the durations of the long tasks that overlap it.
 */
export function longTasksWhileStreaming(page: Page, slackMs = 0): Promise<{ start: number; done: number; long: number[] }> {
  return page.evaluate((slack) => {
    const s = performance.getEntriesByName('analysis-start').at(-1)!.startTime;
    const e = performance.getEntriesByName('analysis-done').at(-1)!.startTime;
    return { start: s, done: e, long: window.__longTasks.filter((t) => t[0] + t[1] > s && t[0] < e + slack).map((t) => t[1]) };
  }, slackMs);
}

/** Hovers the cell (row label, module) of a heatmap canvas and returns the tooltip's value. */
export async function hoverCell(heatmap: Locator, row: string, module: string): Promise<{ text: string; value: number }> {
  const canvas = heatmap.locator('canvas[role="img"]');
  const l = JSON.parse((await canvas.getAttribute('data-layout'))!);
  const r = l.rows.indexOf(row);
  const c = l.cols.indexOf(module);
  expect(r, `row ${row} in ${l.rows}`).toBeGreaterThanOrEqual(0);
  expect(c, `module ${module} in ${l.cols}`).toBeGreaterThanOrEqual(0);
  await canvas.hover({ position: { x: l.x0 + (c + 0.5) * l.cw, y: l.y0 + (r + 0.5) * l.ch } });
  const tip = heatmap.getByRole('tooltip');
  await expect(tip).toBeVisible();
  await expect(tip).toContainText(`${row} · ${module}`);
  const text = (await tip.locator('.cv-tip-value').textContent())!;
  return { text, value: Number(text) };
}

/** Relative difference of a to the reference b. */
export const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
