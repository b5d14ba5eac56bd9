/**
 * Colours for what the analysis draws itself (canvas heatmaps, SVG charts), read from the CSS
 * tokens of styles.css. Canvas pixels and exported SVGs cannot use var(), so the values are resolved
 * here, once per colour scheme (getComputedStyle forces a style pass; heatmaps repaint per batch).
 */
import { useSyncExternalStore } from 'react';

export interface Theme {
  text: string;
  muted: string;
  background: string;
  empty: string;
  grid: string;
  axis: string;
  /** Line colours for chart series, chosen for contrast on `background`. */
  series: string[];
}

const LIGHT_SERIES = ['#c2410c', '#1f5fbf', '#0f7d6e', '#7c3aed', '#b3261e', '#4d7f37', '#a35f00', '#5b6576'];
const DARK_SERIES = ['#fb923c', '#6ea8ff', '#2dd4bf', '#b794f6', '#ff8a80', '#9ccc65', '#f6c26b', '#c3cad5'];

const QUERY = '(prefers-color-scheme: dark)';
const cache: Partial<Record<'light' | 'dark', Theme>> = {};

function scheme(): 'light' | 'dark' {
  return typeof matchMedia === 'function' && matchMedia(QUERY).matches ? 'dark' : 'light';
}

export function readTheme(): Theme {
  const s = scheme();
  const hit = cache[s];
  if (hit) return hit;
  const cs = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => cs.getPropertyValue(name).trim() || fallback;
  const t: Theme = {
    text: v('--cv-text', '#1b2230'),
    muted: v('--cv-text-muted', '#5b6576'),
    background: v('--cv-surface', '#ffffff'),
    empty: v('--cv-surface-2', '#eef1f5'),
    grid: v('--cv-border', '#d5dae1'),
    axis: v('--cv-border-strong', '#aab3bf'),
    series: s === 'dark' ? DARK_SERIES : LIGHT_SERIES,
  };
  cache[s] = t;
  return t;
}

function subscribe(onChange: () => void): () => void {
  if (typeof matchMedia !== 'function') return () => {};
  const m = matchMedia(QUERY);
  m.addEventListener('change', onChange);
  return () => m.removeEventListener('change', onChange);
}

/** The current colour scheme; components that draw re-render (and repaint) when it changes. */
export function useColorScheme(): 'light' | 'dark' {
  return useSyncExternalStore(subscribe, scheme, () => 'light');
}

/** Black or white text, whichever reads better on an sRGB fill (WCAG relative luminance). */
export function textOn(r: number, g: number, b: number): string {
  const lin = (c: number) => {
    const x = c / 255;
    return x <= 0.04045 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
  };
  const L = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  return L > 0.179 ? '#111111' : '#ffffff';
}

let measurer: CanvasRenderingContext2D | null = null;

/** Width in px of `text` in `font`; a per-character estimate where no canvas exists. */
export function textWidth(text: string, font: string): number {
  if (!measurer && typeof OffscreenCanvas === 'function') measurer = new OffscreenCanvas(1, 1).getContext('2d') as unknown as CanvasRenderingContext2D;
  if (!measurer) return text.length * (parseFloat(font) || 10) * 0.6;
  measurer.font = font;
  return measurer.measureText(text).width;
}
