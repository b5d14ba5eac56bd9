import { memo, useEffect, useMemo, useRef } from 'react';
import type { Part } from '../../analysis/gram';
import { exprLabel, exprOf } from '../../analysis/gram';
import { cosineMatrix } from '../../analysis/metrics';
import type { StatsPlan } from '../../analysis/plan';
import { lut } from './colormap';
import { drawHeatmap, layoutHeatmap } from './heatmap-draw';
import { canvasToPng, downloadCsv } from './export';
import { fmtNum } from './format';

/** The pairwise cosine matrix among the selected vectors (Δ included), over the chosen scope. */
export const CosineMatrix = memo(function CosineMatrix({ plan, parts, vectors, scope, onToggle }: {
  plan: StatsPlan; parts: Part[]; vectors: string[]; scope: string; onToggle(id: string, on: boolean): void;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  const all = useMemo(() => [...plan.vectors.map((v) => v.id).filter((id) => id !== 'pre'), ...(exprOf(plan, 'delta') ? ['delta'] : []), 'meta'], [plan]);
  const ids = useMemo(() => vectors.filter((v) => all.includes(v)), [vectors, all]);
  const m = useMemo(() => cosineMatrix(plan, parts, ids), [plan, parts, ids]);
  const labels = useMemo(() => ids.map((id) => exprLabel(plan, id)), [plan, ids]);
  useEffect(() => {
    const cv = ref.current;
    if (!cv || ids.length === 0) return;
    const n = ids.length;
    const l = { ...layoutHeatmap(n, n, 120 + n * 64), cw: 64, ch: 28 };
    l.width = l.x0 + n * l.cw + 8;
    l.height = l.y0 + n * l.ch + 4;
    cv.width = l.width;
    cv.height = l.height;
    const ctx = cv.getContext('2d')!;
    const values = Float64Array.from(m.flat());
    drawHeatmap(ctx, { rowLabels: labels, colLabels: labels, values, present: new Uint8Array(n * n).fill(1) }, l, lut('diverging'), { lo: -1, hi: 1 }, {
      text: '#1b2230', muted: '#5b6576', background: '#ffffff', empty: '#eef1f5', font: '11px system-ui, sans-serif',
    });
    ctx.fillStyle = '#1b2230';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) ctx.fillText(Number.isFinite(m[r][c]) ? m[r][c].toFixed(3) : 'n/a', l.x0 + c * l.cw + l.cw / 2, l.y0 + r * l.ch + l.ch / 2);
  }, [m, ids, labels]);
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
