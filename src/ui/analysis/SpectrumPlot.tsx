import { memo, useMemo, useRef } from 'react';
import type { TensorSpectral } from '../../analysis/run-spectral';
import type { SpectralSummary } from '../../analysis/spectral';
import { cumulativeEnergy } from '../../analysis/spectral-grid';
import { downloadCsv, svgToPng } from './export';
import { fmtCompact, fmtNum } from './format';
import { niceTicks } from './LineChartSvg';
import { readTheme, useColorScheme } from './theme';

const W = 520;
const H = 250;
const M = { top: 14, right: 44, bottom: 46, left: 54 };

/**
 * One matrix's spectrum (of γ, or of Δ / τ where computed: `g`, named `vector`): σᵢ on a log scale (left axis), the cumulative energy E(r) = Σ_{i≤r} σᵢ²/‖γ‖²_F
 * (right axis, 0…1), and the chosen ranks marked (the energy rank at q, the truncation rank).
 * Its own small SVG: two y axes, one logarithmic, which the per-layer line chart has no use for.
 */
export const SpectrumPlot = memo(function SpectrumPlot({ s, g, vector, q, rank, k }: {
  s: TensorSpectral; g: SpectralSummary; vector: string; q: number; rank: number; k: number;
}) {
  useColorScheme();
  const theme = readTheme();
  const svgRef = useRef<SVGSVGElement>(null);
  const energy = useMemo(() => cumulativeEnergy(g.sigma, g.frobeniusSq), [g]);
  const qRank = q === 0.9 ? g.energyRank90 : q === 0.95 ? g.energyRank95 : g.energyRank99;
  const geo = useMemo(() => {
    const pos = g.sigma.filter((x) => x > 0);
    const lo = Math.floor(Math.log10(pos.length ? Math.min(...pos) : 1));
    const hi = Math.max(lo + 1, Math.ceil(Math.log10(pos.length ? Math.max(...pos) : 10)));
    const n = Math.max(1, g.sigma.length);
    const pw = W - M.left - M.right;
    const ph = H - M.top - M.bottom;
    const sx = (i: number) => M.left + (n === 1 ? pw / 2 : ((i - 1) / (n - 1)) * pw);
    const sy = (v: number) => M.top + ph - ((Math.log10(v) - lo) / (hi - lo)) * ph;
    const se = (e: number) => M.top + ph - e * ph;
    const decades = Array.from({ length: hi - lo + 1 }, (_, i) => lo + i).filter((_, i, a) => a.length <= 7 || i % Math.ceil(a.length / 6) === 0);
    const xTicks = niceTicks(1, n, Math.min(8, n)).filter((t) => Number.isInteger(t) && t >= 1);
    return { pw, ph, sx, sy, se, decades, xTicks };
  }, [g]);
  const sigmaPath = g.sigma.map((v, i) => (v > 0 ? `${i === 0 ? 'M' : 'L'}${geo.sx(i + 1).toFixed(1)},${geo.sy(v).toFixed(1)}` : '')).join('');
  const energyPath = energy.map((e, i) => `${i === 0 ? 'M' : 'L'}${geo.sx(i + 1).toFixed(1)},${geo.se(e).toFixed(1)}`).join('');
  const marks = [
    ...(qRank !== null && qRank > 0 ? [{ r: qRank, label: `energy rank ${qRank} (q = ${q})` }] : []),
    // The α preview truncates γ only.
    ...(rank > 0 && rank <= g.sigma.length && g === s.gamma ? [{ r: rank, label: `truncation rank ${rank}` }] : []),
  ];
  const [cs, ce, cm] = [theme.series[0], theme.series[1], theme.text];
  // A layer of a stacked tensor is named `name[layer]` in titles and files.
  const id = s.layer === undefined ? s.name : `${s.name}[${s.layer}]`;
  const base = `${id}${g === s.gamma ? '' : `-${vector}`}`.replace(/[^a-z0-9.-]+/gi, '_');
  return (
    <figure className="cv-card" aria-label={`spectrum of ${id}`} data-tensor={id}>
      <figcaption className="cv-toolbar">
        <strong>Spectrum of {vector}</strong> <code className="cv-small">{id}</code>
        <span className="cv-muted cv-small">[{s.matrix.join(' × ')}] · {g.exact ? 'exact SVD' : `randomised SVD, k = ${k}`} · stable rank {fmtNum(g.stableRank)}
          {qRank === null ? ` · energy rank at q = ${q}: > ${k}` : ''}</span>
        <span style={{ flex: 1 }} />
        <button type="button" className="cv-btn cv-btn-small" aria-label={`Export spectrum PNG of ${id}`}
          onClick={() => svgRef.current && void svgToPng(svgRef.current, `spectrum-${base}.png`)}>Export PNG</button>
        <button type="button" className="cv-btn cv-btn-small" aria-label={`Export spectrum CSV of ${id}`}
          onClick={() => downloadCsv(`spectrum-${base}.csv`, { columns: ['i', 'sigma', 'energy'], rows: g.sigma.map((v, i) => [i + 1, v, energy[i]]) })}>Export CSV</button>
      </figcaption>
      <svg ref={svgRef} width={W} height={H} viewBox={`0 0 ${W} ${H}`} role="img" fontFamily="system-ui, sans-serif" fontSize={11}
        aria-label={`singular values on a log scale and cumulative energy of ${id}`}>
        <rect x={0} y={0} width={W} height={H} fill={theme.background} />
        {geo.decades.map((d) => (
          <g key={`d${d}`}>
            <line x1={M.left} x2={M.left + geo.pw} y1={geo.sy(10 ** d)} y2={geo.sy(10 ** d)} stroke={theme.grid} strokeDasharray="3 3" />
            <text x={M.left - 6} y={geo.sy(10 ** d)} textAnchor="end" dominantBaseline="middle" fill={theme.muted}>{fmtCompact(10 ** d, 2)}</text>
          </g>
        ))}
        {[0, 0.5, 0.9, 1].map((e) => (
          <text key={`e${e}`} x={M.left + geo.pw + 6} y={geo.se(e)} dominantBaseline="middle" fill={ce}>{e}</text>
        ))}
        {geo.xTicks.map((t) => <text key={`x${t}`} x={geo.sx(t)} y={M.top + geo.ph + 14} textAnchor="middle" fill={theme.muted}>{t}</text>)}
        <text x={M.left + geo.pw} y={M.top + geo.ph + 27} textAnchor="end" fill={theme.muted} fontSize={10}>i (rank)</text>
        <line x1={M.left} x2={M.left} y1={M.top} y2={M.top + geo.ph} stroke={theme.axis} />
        <line x1={M.left} x2={M.left + geo.pw} y1={M.top + geo.ph} y2={M.top + geo.ph} stroke={theme.axis} />
        {marks.map((m, i) => (
          <g key={m.label} data-mark={m.label}>
            <line x1={geo.sx(m.r)} x2={geo.sx(m.r)} y1={M.top} y2={M.top + geo.ph} stroke={cm} strokeDasharray={i ? '2 2' : '6 3'} />
            {/* Right of the line in the plot's left half, left of it beyond: the label never leaves the plot. */}
            <text x={geo.sx(m.r) + (geo.sx(m.r) > M.left + geo.pw / 2 ? -4 : 4)} y={M.top + 10 + i * 13} textAnchor={geo.sx(m.r) > M.left + geo.pw / 2 ? 'end' : 'start'}
              fill={cm} fontSize={10}>{m.label}</text>
          </g>
        ))}
        <path d={sigmaPath} fill="none" stroke={cs} strokeWidth={1.75} />
        {g.sigma.map((v, i) => v > 0 && <circle key={i} cx={geo.sx(i + 1)} cy={geo.sy(v)} r={2} fill={cs} />)}
        <path d={energyPath} fill="none" stroke={ce} strokeWidth={1.75} />
        <g transform={`translate(${M.left}, ${H - 12})`}>
          <line x1={0} x2={16} y1={0} y2={0} stroke={cs} strokeWidth={2.5} />
          <text x={21} y={0} dominantBaseline="middle" fill={theme.text}>σᵢ (log scale, left)</text>
          <line x1={170} x2={186} y1={0} y2={0} stroke={ce} strokeWidth={2.5} />
          <text x={191} y={0} dominantBaseline="middle" fill={theme.text}>cumulative energy E(r) (right)</text>
        </g>
      </svg>
    </figure>
  );
});
