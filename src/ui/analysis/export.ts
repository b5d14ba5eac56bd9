/**
 * The analysis exports, built in the page (nothing leaves the machine): tables as CSV or JSON, PNG from
 * a canvas via toBlob, and recharts' SVG serialised, drawn onto a canvas, then saved as PNG.
 */
import { toCsv, toJsonRows, type Table } from '../../analysis/tables';
import { saveBlob } from '../download';

export function downloadCsv(name: string, t: Table): void {
  saveBlob(new Blob([toCsv(t)], { type: 'text/csv' }), name);
}

export function downloadJson(name: string, t: Table, extra: Record<string, unknown> = {}): void {
  saveBlob(new Blob([JSON.stringify({ ...extra, rows: toJsonRows(t) }, null, 1)], { type: 'application/json' }), name);
}

export function canvasToPng(canvas: HTMLCanvasElement, name: string): Promise<void> {
  return new Promise((resolve, reject) =>
    canvas.toBlob((b) => {
      if (!b) return reject(new Error('the canvas could not be encoded as PNG'));
      saveBlob(b, name);
      resolve();
    }, 'image/png'),
  );
}

/** Serialises an inline SVG (with computed colours inlined by the browser's defaults) to PNG. */
export async function svgToPng(svg: SVGSVGElement, name: string, scale = 2): Promise<void> {
  const { width, height } = svg.getBoundingClientRect();
  const clone = svg.cloneNode(true) as SVGSVGElement;
  clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  clone.setAttribute('width', String(width));
  clone.setAttribute('height', String(height));
  const bg = getComputedStyle(document.body).backgroundColor || '#fff';
  const text = new XMLSerializer().serializeToString(clone);
  const img = new Image();
  const url = URL.createObjectURL(new Blob([text], { type: 'image/svg+xml;charset=utf-8' }));
  try {
    await new Promise<void>((res, rej) => {
      img.onload = () => res();
      img.onerror = () => rej(new Error('the chart could not be rendered to an image'));
      img.src = url;
    });
    const c = document.createElement('canvas');
    c.width = Math.ceil(width * scale);
    c.height = Math.ceil(height * scale);
    const ctx = c.getContext('2d')!;
    ctx.fillStyle = bg;
    ctx.fillRect(0, 0, c.width, c.height);
    ctx.scale(scale, scale);
    ctx.drawImage(img, 0, 0, width, height);
    await canvasToPng(c, name);
  } finally {
    URL.revokeObjectURL(url);
  }
}
