/**
 * Colour maps as 256-entry lookup tables built once from a few control points (linear in sRGB,
 * close enough to the matplotlib originals for reading a heatmap). Sequential maps (viridis, magma)
 * span [min, max]; the diverging map is centred at 0 and spans [−m, m] with m = max |value|.
 */
import type { ColorMapId } from '../../store/analysis';

type Stops = [number, number, number][];

const STOPS: Record<'viridis' | 'magma' | 'diverging', Stops> = {
  viridis: [[68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142], [31, 158, 137], [53, 183, 121], [110, 206, 88], [181, 222, 43], [253, 231, 37]],
  magma: [[0, 0, 4], [28, 16, 68], [79, 18, 123], [129, 37, 129], [181, 54, 122], [229, 80, 100], [251, 135, 97], [254, 194, 135], [252, 253, 191]],
  // Blue → near white → red (ColorBrewer RdBu reversed), white at the centre.
  diverging: [[33, 102, 172], [67, 147, 195], [146, 197, 222], [209, 229, 240], [247, 247, 247], [253, 219, 199], [244, 165, 130], [214, 96, 77], [178, 24, 43]],
};

export type Lut = Uint8ClampedArray; // 256 × RGB

const cache = new Map<string, Lut>();

export function lut(id: 'viridis' | 'magma' | 'diverging'): Lut {
  let l = cache.get(id);
  if (l) return l;
  const s = STOPS[id];
  l = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const x = (i / 255) * (s.length - 1);
    const k = Math.min(s.length - 2, Math.floor(x));
    const f = x - k;
    for (let c = 0; c < 3; c++) l[i * 3 + c] = Math.round(s[k][c] + (s[k + 1][c] - s[k][c]) * f);
  }
  cache.set(id, l);
  return l;
}

/** The concrete map for a metric kind when the user leaves it on 'auto'. */
export function resolveMap(id: ColorMapId, kind: string): 'viridis' | 'magma' | 'diverging' {
  if (id !== 'auto') return id;
  return kind === 'cosine' ? 'diverging' : 'viridis';
}

export interface Domain {
  lo: number;
  hi: number;
}

/** Colour domain of some values: symmetric around 0 for the diverging map, [min, max] otherwise. */
export function domainOf(values: Iterable<number>, map: 'viridis' | 'magma' | 'diverging'): Domain {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo > hi) return { lo: 0, hi: 1 };
  if (map === 'diverging') {
    const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    return { lo: -m, hi: m };
  }
  return lo === hi ? { lo: lo - 0.5, hi: hi + 0.5 } : { lo, hi };
}

