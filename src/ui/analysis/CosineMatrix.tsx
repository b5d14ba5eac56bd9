import { memo, useEffect, useMemo, useRef } from 'react';
import type { Part } from '../../analysis/gram';
import { exprLabel, exprOf } from '../../analysis/gram';
import { cosineMatrix } from '../../analysis/metrics';
import type { StatsPlan } from '../../analysis/plan';
import { lut } from './colormap';
import { cutColLabel, drawHeatmap, fitCanvas, layoutHeatmap } from './heatmap-draw';
import { canvasToPng, downloadCsv } from './export';
import { fmtNum } from './format';
import { readTheme, textOn, textWidth, useColorScheme } from './theme';

const FONT = '11px system-ui, sans-serif';
const CELL_W = 64;
const CELL_H = 28;

/** The pairwise cosine matrix among the selected vectors (Δ included), over the chosen scope. */
export const CosineMatrix = memo(function CosineMatrix({ plan, parts, vectors, scope, onToggle }: {
  plan: StatsPlan; parts: Part[]; vectors: string[]; scope: string; onToggle(id: string, on: boolean): void;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  const all = useMemo(() => [...plan.vectors.map((v) => v.id).filter((id) => id !== 'pre'), ...(exprOf(plan, 'delta') ? ['delta'] : []), 'meta'], [plan]);
  const ids = useMemo(() => vectors.filter((v) => all.includes(v)), [vectors, all]);
  const m = useMemo(() => cosineMatrix(plan, parts, ids), [plan, parts, ids]);
  const labels = useMemo(() => ids.map((id) => exprLabel(plan, id)), [plan, ids]);
  const scheme = useColorScheme();
  useEffect(() => {
    const cv = ref.current;
    if (!cv || ids.length === 0) return;
    const n = ids.length;
    const labelsExtent = {
      rowLabelW: Math.max(...labels.map((t) => textWidth(t, FONT))),
      colLabelW: Math.max(...labels.map((t) => textWidth(cutColLabel(t), FONT))),
    };
    const base = layoutHeatmap(n, n, 10_000, labelsExtent);
    const l = { ...base, cw: CELL_W, ch: CELL_H, width: base.x0 + n * CELL_W + Math.ceil(Math.max(8, labelsExtent.colLabelW / 2 - CELL_W / 2 + 6)), height: base.y0 + n * CELL_H + 4, rowLabelEvery: 1, colLabelEvery: 1 };
    const ctx = fitCanvas(cv, l.width, l.height);
    const values = Float64Array.from(m.flat());
    const t = readTheme();
    const table = lut('diverging');
    drawHeatmap(ctx, { rowLabels: labels, colLabels: labels, values, present: new Uint8Array(n * n).fill(1) }, l, table, { lo: -1, hi: 1 }, {
      text: t.text, muted: t.muted, background: t.background, empty: t.empty, font: FONT,
    });
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        const v = m[r][c];
        // Each value is written in black or white, whichever reads on its cell's colour.
        const i = Number.isFinite(v) ? Math.max(0, Math.min(255, Math.round(((v + 1) / 2) * 255))) * 3 : -1;
        ctx.fillStyle = i >= 0 ? textOn(table[i], table[i + 1], table[i + 2]) : t.text;
        ctx.fillText(Number.isFinite(v) ? v.toFixed(3) : 'n/a', l.x0 + c * l.cw + l.cw / 2, l.y0 + r * l.ch + l.ch / 2);
      }
    }
  }, [m, ids, labels, scheme]);
  return (
    <figure className="cv-card" aria-label="pairwise cosine matrix">
      <figcaption className="cv-toolbar">
        <strong>Pairwise cosines ({scope})</strong>
        <span style={{ flex: 1 }} />
        <button type="button" className="cv-btn cv-btn-small" onClick={() => ref.current && canvasToPng(ref.current, 'cosine-matrix.png')}>Export PNG</button>
        <button type="button" className="cv-btn cv-btn-small" onClick={() => downloadCsv('cosine-matrix.csv', { columns: ['vector', ...labels], rows: m.map((r, i) => [labels[i], ...r]) })}>Export CSV</button>
      </figcaption>
      <fieldset className="cv-toolbar" style={{ border: 0, padding: 0 }}>
        <legend className="cv-small cv-muted">Vectors</legend>
        {all.map((id) => (
          <label key={id} className="cv-field">
            <input type="checkbox" checked={vectors.includes(id)} onChange={(e) => onToggle(id, e.target.checked)} />
            {exprLabel(plan, id)}
          </label>
        ))}
      </fieldset>
      {ids.length ? <canvas ref={ref} role="img" aria-label={`cosine matrix of ${labels.join(', ')}: ${m.map((r, i) => `${labels[i]}: ${r.map((v) => fmtNum(v)).join(' ')}`).join('; ')}`} /> : <p className="cv-muted">Select vectors.</p>}
    </figure>
  );
});
