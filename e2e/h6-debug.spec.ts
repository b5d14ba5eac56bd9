import { test } from '@playwright/test';
import { loadDemo, openApp } from '/work/main/e2e/helpers';
test('debug', async ({ page }) => {
  await page.addInitScript(() => {
    (window as any).__lt = [];
    new PerformanceObserver((l) => { for (const e of l.getEntries()) (window as any).__lt.push([Math.round(e.startTime), Math.round(e.duration)]); }).observe({ type: 'longtask', buffered: true });
  });
  await openApp(page); await loadDemo(page);
  await page.getByRole('tab', { name: 'Analysis' }).click();
  await page.getByRole('button', { name: 'Start analysis' }).click();
  await page.getByRole('status').filter({ hasText: 'analysis complete' }).waitFor();
  await page.waitForTimeout(500);
  const r = await page.evaluate(() => ({ lt: (window as any).__lt, marks: performance.getEntriesByType('mark').map((m) => [m.name, Math.round(m.startTime)]) }));
  console.log(JSON.stringify(r));
});
