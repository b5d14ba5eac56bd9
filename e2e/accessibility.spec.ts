/**
 * Accessibility of every view with the demo loaded: each interactive element has a non-empty
 * accessible name and is reached by Tab, images and canvases have text alternatives, and no request
 * leaves 127.0.0.1. The name is computed here from the DOM (a small subset of the accname rules:
 * aria-labelledby, aria-label, <label for>, a wrapping <label>, alt, own text for buttons/links/tabs,
 * title), and the Tab order is walked with real key presses, not inferred from tabindex.
 */
import { expect, test, type Page } from '@playwright/test';
import { loadDemo, openApp, watchRequests } from './helpers';

const INTERACTIVE = [
  'button', 'a[href]', 'input:not([type="hidden"])', 'select', 'textarea', 'summary',
  '[role="button"]', '[role="tab"]', '[role="slider"]', '[role="checkbox"]', '[role="switch"]', '[tabindex]',
].join(', ');

interface Control {
  id: string;
  what: string;
  name: string;
  focusable: boolean;
  roving: boolean;
}

/**
 * Marks every visible, enabled interactive element with data-a11y (its index) and returns its
 * name and whether it can take focus. Hidden ones (display:none, visibility:hidden, inert, aria-hidden)
 * and disabled ones are skipped: they are not in the Tab order on purpose.
 */
async function controls(page: Page): Promise<Control[]> {
  return page.locator(INTERACTIVE).evaluateAll((els) => {
    const text = (n: Element | null) => (n?.textContent ?? '').replace(/\s+/g, ' ').trim();
    const ownText = (el: Element) => {
      // Text content without nested form controls (a wrapping label holds its own input).
      const c = el.cloneNode(true) as Element;
      c.querySelectorAll('input, select, textarea').forEach((x) => x.remove());
      c.querySelectorAll('[aria-hidden="true"]').forEach((x) => x.remove());
      return text(c);
    };
    const nameOf = (el: HTMLElement): string => {
      const by = el.getAttribute('aria-labelledby');
      if (by) {
        const t = by.split(/\s+/).map((id) => text(document.getElementById(id))).join(' ').trim();
        if (t) return t;
      }
      const aria = el.getAttribute('aria-label')?.trim();
      if (aria) return aria;
      if (el.id) {
        const forLabel = document.querySelector(`label[for="${CSS.escape(el.id)}"]`);
        if (forLabel && ownText(forLabel)) return ownText(forLabel);
      }
      const wrap = el.closest('label');
      if (wrap && wrap !== el && ownText(wrap)) return ownText(wrap);
      if (el instanceof HTMLImageElement && el.alt.trim()) return el.alt.trim();
      if (el instanceof HTMLInputElement && ['button', 'submit', 'reset'].includes(el.type) && el.value.trim()) return el.value.trim();
      const role = el.getAttribute('role');
      const fromContent = ['BUTTON', 'A', 'SUMMARY'].includes(el.tagName) || ['button', 'tab', 'link', 'checkbox', 'switch', 'option', 'menuitem'].includes(role ?? '');
      if (fromContent && ownText(el)) return ownText(el);
      return el.getAttribute('title')?.trim() ?? '';
    };
    const shown = (el: HTMLElement) =>
      el.checkVisibility({ visibilityProperty: true }) && !el.closest('[inert], [aria-hidden="true"]');
    const out: { id: string; what: string; name: string; focusable: boolean; roving: boolean }[] = [];
    els.forEach((node, i) => {
      const el = node as HTMLElement;
      if (!shown(el)) return;
      if ((el as HTMLButtonElement).disabled || el.closest('fieldset:disabled')) return;
      const ti = el.getAttribute('tabindex');
      // An element whose only reason to be listed is tabindex=-1 is focusable by script, not by Tab: not a control.
      if (ti !== null && Number(ti) < 0 && el.matches('[tabindex]') && !el.matches('button, a[href], input, select, textarea, summary, [role]')) return;
      el.dataset.a11y = String(i);
      const what = `<${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.getAttribute('type') ? ` type=${el.getAttribute('type')}` : ''}${el.getAttribute('role') ? ` role=${el.getAttribute('role')}` : ''}${el.className && typeof el.className === 'string' ? ` .${el.className.split(' ')[0]}` : ''}> "${text(el).slice(0, 40)}"`;
      // Items of a composite widget (tabs, listbox options, grid cells) use a roving tabindex: one is
      // in the Tab order, the others are reached with arrow keys.
      const roving = el.tabIndex < 0 && /^(tab|option|row|gridcell|menuitem|radio|treeitem)$/.test(el.getAttribute('role') ?? '');
      out.push({ id: String(i), what, name: nameOf(el), focusable: el.tabIndex >= 0 || roving, roving });
    });
    return out;
  });
}

/** Presses Tab from the top of the page until focus comes back round (or a cap), returning each visited data-a11y id. */
async function tabWalk(page: Page, cap: number): Promise<Set<string>> {
  await page.evaluate(() => {
    (document.activeElement as HTMLElement | null)?.blur();
    window.scrollTo(0, 0);
  });
  await page.locator('body').focus();
  const seen = new Set<string>();
  let first: string | null = null;
  for (let i = 0; i < cap; i++) {
    await page.keyboard.press('Tab');
    const id = await page.evaluate(() => {
      let a = document.activeElement;
      while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement;
      return a && a !== document.body ? ((a as HTMLElement).dataset.a11y ?? `untracked:${a.tagName}`) : null;
    });
    if (id === null) continue;
    if (id === first) break;
    first ??= id;
    seen.add(id);
  }
  return seen;
}

/** Images, canvases and SVG images without a text alternative (decorative ones are aria-hidden). */
async function unlabelledGraphics(page: Page): Promise<string[]> {
  return page.locator('img, canvas, svg[role="img"], svg:not([aria-hidden="true"])').evaluateAll((els) =>
    els.flatMap((el) => {
      if (el.closest('[aria-hidden="true"]')) return [];
      if (!(el as HTMLElement).checkVisibility?.() && !(el instanceof SVGElement)) return [];
      if (el instanceof SVGElement && el.closest('svg') !== el) return []; // nested <svg> inside a labelled one
      const labelled = el.getAttribute('aria-label')?.trim() || el.getAttribute('aria-labelledby')
        || (el instanceof HTMLImageElement && el.hasAttribute('alt'))
        || el.querySelector(':scope > title')?.textContent?.trim()
        || el.getAttribute('title')?.trim()
        // A graphic inside a labelled figure or img container is described by that container.
        || el.parentElement?.closest('[role="img"][aria-label], figure[aria-label]');
      if (labelled) return [];
      // An <svg> without role is only a graphic when it draws something; tiny icon svgs inside a named button are fine.
      if (el instanceof SVGElement && !el.getAttribute('role') && el.closest('button, a, [role="button"]')) return [];
      return [`<${el.tagName.toLowerCase()} class="${el.getAttribute('class') ?? ''}">`];
    }),
  );
}

async function audit(page: Page, view: string): Promise<string[]> {
  const list = await controls(page);
  expect(list.length, `${view}: interactive elements found`).toBeGreaterThan(3);
  const problems: string[] = [];
  for (const c of list) {
    if (!c.name) problems.push(`${view}: no accessible name: ${c.what}`);
    if (!c.focusable) problems.push(`${view}: not focusable by Tab (tabindex < 0): ${c.what}`);
  }
  const reached = await tabWalk(page, list.length + 40);
  for (const c of list) if (c.focusable && !c.roving && !reached.has(c.id)) problems.push(`${view}: not reached by Tab: ${c.what}`);
  for (const g of await unlabelledGraphics(page)) problems.push(`${view}: graphic without text alternative: ${g}`);
  return problems;
}

test('every view: controls are named and reachable by Tab, graphics have text alternatives, nothing leaves the machine', async ({ page }) => {
  test.setTimeout(240_000);
  const noneLeft = watchRequests(page);
  await openApp(page);
  await loadDemo(page);
  const problems: string[] = [];

  problems.push(...await audit(page, 'Checkpoints'));

  await page.getByRole('tab', { name: 'Merge' }).click();
  await expect(page.getByRole('button', { name: 'Run merge' })).toBeVisible(); // the panel is loaded lazily
  problems.push(...await audit(page, 'Merge'));

  await page.getByRole('tab', { name: 'Analysis' }).click();
  // With the spectral pass, so the low-rank view's controls, heatmaps and spectrum plot are audited too.
  await page.getByRole('checkbox', { name: 'Spectral analysis (low-rank view of γ)' }).check();
  await page.getByRole('button', { name: 'Start analysis' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'analysis complete' })).toBeVisible({ timeout: 90_000 });
  await expect(page.getByRole('status').filter({ hasText: 'spectral pass complete' })).toBeVisible();
  // Open a cell's details with the keyboard, so that panel's controls are audited too.
  const canvas = page.getByRole('figure', { name: 'Language model heatmap' }).locator('canvas[role="img"]');
  await canvas.focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('region', { name: 'tensor details' })).toBeVisible();
  await expect(page.getByRole('figure', { name: /^spectrum of / })).toBeVisible();
  problems.push(...await audit(page, 'Analysis'));

  await page.getByRole('tab', { name: 'Finetune' }).click();
  await expect(page.getByRole('button', { name: 'Run experiment' })).toBeVisible(); // the panel is loaded lazily
  problems.push(...await audit(page, 'Finetune'));

  expect(problems, problems.join('\n')).toEqual([]);
  noneLeft();
});
