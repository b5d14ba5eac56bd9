import { memo, useMemo, useState, type MouseEvent } from 'react';
import { fmtNum } from './format';

/**
 * A small SVG line chart (values against layer index) for the per-layer views.
 * Why not recharts: its first mount cascades synchronous re-renders through its internal store from
 * layout effects (measured 150 ms in the production build, 450 ms in development, for the two depth
 * charts), which cannot be time-sliced and broke the 50 ms long-task bound while statistics stream.
 * This chart is one <svg> of a few dozen elements: a mount or an update costs ~1 ms, so it can follow
 * the stream live. Legend and axes are inside the SVG, so the PNG export shows everything.
 */
export interface ChartSeries {
  key: string;
  label: string;
  /** One value per x (NaN = gap). */
  values: number[];
}

const COLORS = ['#c2410c', '#1f5fbf', '#0f9d8a', '#7c3aed', '#b3261e', '#6aa84f', '#e69138', '#5b6576'];
const M = { top: 10, right: 14, bottom: 26, left: 62 };

/** About `n` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (lo === hi) return [lo];
  const raw = (hi - lo) / Math.max(1, n);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  return out;
}

function extent(series: ChartSeries[], domain?: [number, number]): [number, number] {
  if (domain) return domain;
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) for (const v of s.values) if (Number.isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
  if (lo === Infinity) return [0, 1];
  if (lo === hi) return [lo - (Math.abs(lo) || 1) * 0.1, hi + (Math.abs(hi) || 1) * 0.1];
  const pad = (hi - lo) * 0.05;
  return [lo >= 0 && lo - pad < 0 ? 0 : lo - pad, hi + pad];
}

/** Polyline paths, split at non-finite values. */
function pathOf(xs: number[], ys: number[], sx: (x: number) => number, sy: (y: number) => number): string {
  let d = '';
  let pen = false;
  for (let i = 0; i < xs.length; i++) {
    const y = ys[i];
    if (!Number.isFinite(y)) { pen = false; continue; }
    d += `${pen ? 'L' : 'M'}${sx(xs[i]).toFixed(1)},${sy(y).toFixed(1)}`;
    pen = true;
  }
  return d;
}

export const LineChartSvg = memo(function LineChartSvg({ xs, series, domain, width = 520, height = 260, xLabel = 'layer' }: {
  xs: number[]; series: ChartSeries[]; domain?: [number, number]; width?: number; height?: number; xLabel?: string;
}) {
  const [hover, setHover] = useState<number | null>(null);
  const legendRows = Math.ceil(series.length / 2);
  const plotH = height - M.top - M.bottom - legendRows * 14;
  const plotW = width - M.left - M.right;
  const geo = useMemo(() => {
    const [lo, hi] = extent(series, domain);
    const x0 = xs.length ? xs[0] : 0;
    const x1 = xs.length ? xs[xs.length - 1] : 1;
    const sx = (x: number) => M.left + (x1 === x0 ? plotW / 2 : ((x - x0) / (x1 - x0)) * plotW);
    const sy = (y: number) => M.top + plotH - ((y - lo) / (hi - lo || 1)) * plotH;
    const yTicks = niceTicks(lo, hi, 5);
    const every = Math.max(1, Math.ceil(xs.length / Math.max(1, Math.floor(plotW / 28))));
    const xTicks = xs.filter((_, i) => i % every === 0);
    const paths = series.map((s) => pathOf(xs, s.values, sx, sy));
    return { sx, sy, yTicks, xTicks, paths };
  }, [xs, series, domain, plotW, plotH]);

  const onMove = (e: MouseEvent<SVGSVGElement>) => {
    if (!xs.length) return;
    const r = e.currentTarget.getBoundingClientRect();
    const x = e.clientX - r.left;
    let best = 0;
    for (let i = 1; i < xs.length; i++) if (Math.abs(geo.sx(xs[i]) - x) < Math.abs(geo.sx(xs[best]) - x)) best = i;
    setHover(best);
  };

  return (
    <div style={{ position: 'relative', width }}>
      <svg className="cv-chart-surface" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img"
        aria-label={series.map((s) => s.label).join(', ')} onMouseMove={onMove} onMouseLeave={() => setHover(null)}
        fontFamily="system-ui, sans-serif" fontSize={11}>
        <rect x={0} y={0} width={width} height={height} fill="#ffffff" />
        {geo.yTicks.map((t) => (
          <g key={`y${t}`}>
            <line x1={M.left} x2={M.left + plotW} y1={geo.sy(t)} y2={geo.sy(t)} stroke="#d5dae1" strokeDasharray="3 3" />
            <text x={M.left - 6} y={geo.sy(t)} textAnchor="end" dominantBaseline="middle" fill="#5b6576">{fmtNum(Number(t.toPrecision(3)))}</text>
          </g>
        ))}
        {geo.xTicks.map((t) => (
          <text key={`x${t}`} x={geo.sx(t)} y={M.top + plotH + 14} textAnchor="middle" fill="#5b6576">{t}</text>
        ))}
        <text x={M.left + plotW} y={M.top + plotH + 24} textAnchor="end" fill="#5b6576" fontSize={10}>{xLabel}</text>
        <line x1={M.left} x2={M.left} y1={M.top} y2={M.top + plotH} stroke="#5b6576" />
        <line x1={M.left} x2={M.left + plotW} y1={M.top + plotH} y2={M.top + plotH} stroke="#5b6576" />
        {geo.paths.map((d, i) => <path key={series[i].key} d={d} fill="none" stroke={COLORS[i % COLORS.length]} strokeWidth={1.5} />)}
        {hover !== null && xs.length > 0 && <line x1={geo.sx(xs[hover])} x2={geo.sx(xs[hover])} y1={M.top} y2={M.top + plotH} stroke="#1b2230" strokeOpacity={0.4} />}
        {series.map((s, i) => {
          const x = M.left + (i % 2) * (plotW / 2);
          const y = height - legendRows * 14 + Math.floor(i / 2) * 14 + 4;
          return (
            <g key={`l${s.key}`}>
              <line x1={x} x2={x + 16} y1={y} y2={y} stroke={COLORS[i % COLORS.length]} strokeWidth={2} />
              <text x={x + 20} y={y} dominantBaseline="middle" fill="#1b2230">{s.label}</text>
            </g>
          );
        })}
      </svg>
      {hover !== null && xs.length > 0 && (
        <div role="tooltip" className="cv-heatmap-tip" style={{ position: 'absolute', left: Math.min(geo.sx(xs[hover]) + 10, width - 220), top: M.top }}>
          <div><strong>{xLabel} {xs[hover]}</strong></div>
          {series.map((s, i) => <div key={s.key}><span style={{ color: COLORS[i % COLORS.length] }}>■</span> {s.label}: {fmtNum(s.values[hover])}</div>)}
        </div>
      )}
    </div>
  );
});
