/**
 * Heatmap drawing on a 2D canvas, kept apart from React so the harness can time it alone.
 * Cells adapt to the model: large (capped) for a 6-layer demo, a few pixels tall for an 80-layer LLM,
 * with axis labels thinned so they never overlap. One fillRect per cell: thousands of cells draw in a few ms.
 */
import type { Domain, Lut } from './colormap';

export interface HeatmapData {
  rowLabels: string[];
  colLabels: string[];
  /** rows × cols, row-major; NaN where a value is undefined, `present` 0 where no tensor exists. */
  values: Float64Array;
  present: Uint8Array;
  /** 1 where a value lies beyond what was computed (an energy rank "> k"): the map's top colour, crossed. */
  beyond?: Uint8Array;
}

export interface HeatmapLayout {
  x0: number;
  y0: number;
  cw: number;
  ch: number;
  rows: number;
  cols: number;
  width: number;
  height: number;
  rowLabelEvery: number;
  colLabelEvery: number;
}

const LABEL_W = 52;
const HEADER_H = 70;
const MIN_LABEL_GAP = 12;
/** Cells never grow past this: a 2-module projector should not become a wall of colour. */
const MAX_CELL_W = 56;
const MAX_CELL_H = 32;
const MIN_CELL_W = 10;
/** Column labels are drawn rotated by 60°, cut to this many characters. */
export const COL_LABEL_CHARS = 12;

export interface LabelExtent {
  /** Width in px of the widest row label. */
  rowLabelW: number;
  /** Width in px of the widest (cut) column label, before rotation. */
  colLabelW: number;
}

export function cutColLabel(label: string): string {
  return label.length > COL_LABEL_CHARS ? `${label.slice(0, COL_LABEL_CHARS - 1)}…` : label;
}

/**
 * Cell size from the room there is: square-ish and up to MAX_CELL_* for small models, a few px tall
 * for 80-layer ones. Margins come from the measured labels (or generous defaults without them).
 */
export function layoutHeatmap(rows: number, cols: number, maxWidth: number, labels?: LabelExtent): HeatmapLayout {
  const x0 = labels ? Math.ceil(Math.max(24, labels.rowLabelW + 10)) : LABEL_W;
  // A label rotated by 60° rises sin(60°)·w above its anchor; a little extra for the glyphs' height.
  const y0 = labels ? Math.ceil(Math.max(24, labels.colLabelW * Math.sin(Math.PI / 3) + 14)) : HEADER_H;
  // The last column's label leans right by cos(60°)·w past its cell's centre.
  const right = (cw0: number) => (labels ? Math.ceil(Math.max(8, labels.colLabelW * 0.5 - cw0 / 2 + 6)) : 8);
  const cw = Math.max(MIN_CELL_W, Math.min(MAX_CELL_W, Math.floor((maxWidth - x0 - right(MIN_CELL_W)) / Math.max(1, cols))));
  const ch = rows <= 16 ? Math.max(18, Math.min(MAX_CELL_H, cw)) : rows <= 32 ? 14 : rows <= 64 ? 9 : Math.max(5, Math.floor(640 / rows));
  return {
    x0,
    y0,
    cw,
    ch,
    rows,
    cols,
    width: x0 + cols * cw + right(cw),
    height: y0 + rows * ch + 4,
    rowLabelEvery: Math.ceil(MIN_LABEL_GAP / ch),
    colLabelEvery: Math.ceil(MIN_LABEL_GAP / cw),
  };
}

export function hitTest(l: HeatmapLayout, x: number, y: number): { r: number; c: number } | null {
  const c = Math.floor((x - l.x0) / l.cw);
  const r = Math.floor((y - l.y0) / l.ch);
  return r >= 0 && r < l.rows && c >= 0 && c < l.cols ? { r, c } : null;
}

export interface DrawStyle {
  text: string;
  muted: string;
  background: string;
  empty: string;
  font: string;
}

export function drawHeatmap(
  ctx: CanvasRenderingContext2D, d: HeatmapData, l: HeatmapLayout, lut: Lut, dom: Domain, s: DrawStyle,
  highlight?: { r: number; c: number } | null,
): void {
  ctx.fillStyle = s.background;
  ctx.fillRect(0, 0, l.width, l.height);
  // Cells go into an ImageData of one pixel per cell, scaled up without smoothing: one drawImage
  // instead of thousands of fillStyle parses. Absent cells stay transparent (the background shows).
  const span = dom.hi - dom.lo || 1;
  const img = new ImageData(Math.max(1, l.cols), Math.max(1, l.rows));
  const px = img.data;
  const empty = parseRgb(s.empty);
  for (let k = 0; k < l.rows * l.cols; k++) {
    if (!d.present[k]) continue;
    const v = d.values[k];
    const o = k * 4;
    if (d.beyond?.[k]) {
      px[o] = lut[765];
      px[o + 1] = lut[766];
      px[o + 2] = lut[767];
    } else if (Number.isFinite(v)) {
      const i = Math.max(0, Math.min(255, Math.round(((v - dom.lo) / span) * 255))) * 3;
      px[o] = lut[i];
      px[o + 1] = lut[i + 1];
      px[o + 2] = lut[i + 2];
    } else {
      px[o] = empty[0];
      px[o + 1] = empty[1];
      px[o + 2] = empty[2];
    }
    px[o + 3] = 255;
  }
  const off = new OffscreenCanvas(img.width, img.height);
  off.getContext('2d')!.putImageData(img, 0, 0);
  ctx.save();
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(off, l.x0, l.y0, l.cols * l.cw, l.rows * l.ch);
  ctx.restore();
  if (l.cw > 12 && l.ch > 8) {
    // 1 px gaps between cells, drawn as background lines.
    ctx.fillStyle = s.background;
    for (let c = 1; c <= l.cols; c++) ctx.fillRect(l.x0 + c * l.cw - 1, l.y0, 1, l.rows * l.ch);
    for (let r = 1; r <= l.rows; r++) ctx.fillRect(l.x0, l.y0 + r * l.ch - 1, l.cols * l.cw, 1);
  }
  // A hairline frame around the grid: the darkest colours of a map stay apart from a dark background.
  ctx.strokeStyle = s.muted;
  ctx.globalAlpha = 0.5;
  ctx.lineWidth = 1;
  ctx.strokeRect(l.x0 - 0.5, l.y0 - 0.5, l.cols * l.cw + 1, l.rows * l.ch + 1);
  ctx.globalAlpha = 1;
  if (d.beyond) {
    // A diagonal across each "> k" cell: apart from the largest computed value, which has the same colour.
    ctx.strokeStyle = s.background;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    for (let k = 0; k < l.rows * l.cols; k++) {
      if (!d.beyond[k] || !d.present[k]) continue;
      const x = l.x0 + (k % l.cols) * l.cw;
      const y = l.y0 + Math.floor(k / l.cols) * l.ch;
      ctx.moveTo(x + 2, y + l.ch - 2);
      ctx.lineTo(x + l.cw - 3, y + 2);
    }
    ctx.stroke();
  }
  if (highlight) {
    ctx.strokeStyle = s.text;
    ctx.lineWidth = 2;
    ctx.strokeRect(l.x0 + highlight.c * l.cw + 1, l.y0 + highlight.r * l.ch + 1, l.cw - 2, l.ch - 2);
  }
  ctx.font = s.font;
  ctx.fillStyle = s.muted;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (let r = 0; r < l.rows; r += l.rowLabelEvery) ctx.fillText(d.rowLabels[r], l.x0 - 4, l.y0 + r * l.ch + l.ch / 2);
  ctx.textAlign = 'left';
  for (let c = 0; c < l.cols; c += l.colLabelEvery) {
    ctx.save();
    ctx.translate(l.x0 + c * l.cw + l.cw / 2, l.y0 - 4);
    ctx.rotate(-Math.PI / 3);
    ctx.fillText(cutColLabel(d.colLabels[c]), 0, 0);
    ctx.restore();
  }
}

/** A horizontal colour bar with its domain, for the legend and PNG exports. */
export function drawColorBar(ctx: CanvasRenderingContext2D, lut: Lut, width: number, height: number): void {
  for (let x = 0; x < width; x++) {
    const i = Math.round((x / Math.max(1, width - 1)) * 255) * 3;
    ctx.fillStyle = `rgb(${lut[i]},${lut[i + 1]},${lut[i + 2]})`;
    ctx.fillRect(x, 0, 1, height);
  }
}

/** '#rrggbb' or 'rgb(r, g, b)' → [r, g, b] (the theme's CSS variables use both). */
function parseRgb(c: string): [number, number, number] {
  const h = /^#([0-9a-f]{6})$/i.exec(c.trim());
  if (h) {
    const n = parseInt(h[1], 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  }
  const m = /rgba?\(\s*(\d+)[,\s]+(\d+)[,\s]+(\d+)/.exec(c);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [238, 241, 245];
}

/**
 * Sizes a canvas to `width` × `height` CSS pixels with a backing store at the screen's pixel ratio (sharp
 * on HiDPI screens) and returns its context, scaled so drawing works in CSS pixels.
 */
export function fitCanvas(cv: HTMLCanvasElement, width: number, height: number): CanvasRenderingContext2D {
  const dpr = window.devicePixelRatio || 1;
  cv.width = Math.round(width * dpr);
  cv.height = Math.round(height * dpr);
  cv.style.width = `${width}px`;
  cv.style.height = `${height}px`;
  const ctx = cv.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}
