import { memo, useMemo, useState, type MouseEvent } from 'react';
import { fmtCompact, fmtNum } from './format';
import { readTheme, textWidth, useColorScheme } from './theme';

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

const M = { top: 12, right: 16, bottom: 28 };
const FONT_PX = 11;
const FONT = `${FONT_PX}px system-ui, sans-serif`;

/** About `n` round tick values covering [lo, hi], spaced 1, 2 or 5 × 10^k. */
export function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (lo === hi) return [lo];
  const raw = (hi - lo) / Math.max(1, n);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw * (1 - 1e-9)) ?? 10 * mag;
  const out: number[] = [];
  // Ticks as integer multiples of the step: accumulating `v += step` drifts (0.30000000000000004).
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) out.push(k === 0 ? 0 : Number((k * step).toPrecision(12)));
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
  useColorScheme(); // re-render with the other palette when the scheme changes
  const theme = readTheme();
  const colors = theme.series;
  const legendRows = Math.ceil(series.length / 2);
  const geo = useMemo(() => {
    const [lo, hi] = extent(series, domain);
    const yTicks = niceTicks(lo, hi, 5);
    const yLabels = yTicks.map((t) => fmtCompact(t));
    // The left margin fits the longest tick label, so none is cut at the edge.
    const left = Math.ceil(Math.max(24, ...yLabels.map((l) => textWidth(l, FONT))) + 14);
    const plotH = height - M.top - M.bottom - legendRows * 16;
    const plotW = width - left - M.right;
    const x0 = xs.length ? xs[0] : 0;
    const x1 = xs.length ? xs[xs.length - 1] : 1;
    const sx = (x: number) => left + (x1 === x0 ? plotW / 2 : ((x - x0) / (x1 - x0)) * plotW);
    const sy = (y: number) => M.top + plotH - ((y - lo) / (hi - lo || 1)) * plotH;
    const every = Math.max(1, Math.ceil(xs.length / Math.max(1, Math.floor(plotW / 28))));
    const xTicks = xs.filter((_, i) => i % every === 0);
    const paths = series.map((s) => pathOf(xs, s.values, sx, sy));
    return { left, plotW, plotH, sx, sy, yTicks, yLabels, xTicks, paths };
  }, [xs, series, domain, width, height, legendRows]);
  const { left, plotW, plotH } = geo;

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
        fontFamily="system-ui, sans-serif" fontSize={FONT_PX}>
        <rect x={0} y={0} width={width} height={height} fill={theme.background} />
        {geo.yTicks.map((t, i) => (
          <g key={`y${t}`}>
            <line x1={left} x2={left + plotW} y1={geo.sy(t)} y2={geo.sy(t)} stroke={theme.grid} strokeDasharray="3 3" />
            <text x={left - 6} y={geo.sy(t)} textAnchor="end" dominantBaseline="middle" fill={theme.muted}>{geo.yLabels[i]}</text>
          </g>
        ))}
        {geo.xTicks.map((t) => (
          <text key={`x${t}`} x={geo.sx(t)} y={M.top + plotH + 14} textAnchor="middle" fill={theme.muted}>{t}</text>
        ))}
        <text x={left + plotW} y={M.top + plotH + 26} textAnchor="end" fill={theme.muted} fontSize={10}>{xLabel}</text>
        <line x1={left} x2={left} y1={M.top} y2={M.top + plotH} stroke={theme.axis} />
        <line x1={left} x2={left + plotW} y1={M.top + plotH} y2={M.top + plotH} stroke={theme.axis} />
        {geo.paths.map((d, i) => <path key={series[i].key} d={d} fill="none" stroke={colors[i % colors.length]} strokeWidth={1.75} />)}
        {hover !== null && xs.length > 0 && <line x1={geo.sx(xs[hover])} x2={geo.sx(xs[hover])} y1={M.top} y2={M.top + plotH} stroke={theme.text} strokeOpacity={0.4} />}
        {series.map((s, i) => {
          const x = left + (i % 2) * (plotW / 2);
          const y = height - legendRows * 16 + Math.floor(i / 2) * 16 + 6;
          return (
            <g key={`l${s.key}`}>
              <line x1={x} x2={x + 16} y1={y} y2={y} stroke={colors[i % colors.length]} strokeWidth={2.5} />
              <text x={x + 21} y={y} dominantBaseline="middle" fill={theme.text}>{s.label}</text>
            </g>
          );
        })}
      </svg>
      {hover !== null && xs.length > 0 && (
        <div role="tooltip" className="cv-heatmap-tip" style={{ position: 'absolute', left: Math.max(0, Math.min(geo.sx(xs[hover]) + 10, width - 220)), top: M.top }}>
          <div><strong>{xLabel} {xs[hover]}</strong></div>
          {series.map((s, i) => <div key={s.key}><span style={{ color: colors[i % colors.length] }} aria-hidden="true">■</span> {s.label}: {fmtNum(s.values[hover])}</div>)}
        </div>
      )}
    </div>
  );
});
