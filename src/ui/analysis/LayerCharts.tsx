import { useMemo, useRef } from 'react';
import { CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';
import type { AlphaSpec, GroupGrid } from '../../analysis/aggregate';
import { layerParts } from '../../analysis/aggregate';
import { exprCos, exprLabel, exprNorm, exprOf } from '../../analysis/gram';
import type { StatsPlan } from '../../analysis/plan';
import { downloadCsv, svgToPng } from './export';
import { fmtNum } from './format';

const COLORS = ['#c2410c', '#1f5fbf', '#0f9d8a', '#7c3aed', '#b3261e', '#6aa84f', '#e69138', '#5b6576'];

interface Props {
  plan: StatsPlan;
  grid: GroupGrid;
  alpha: AlphaSpec;
  vectors: string[];
}

interface Series {
  key: string;
  label: string;
  at(block: number): number;
}

/** Norms and cosines against depth for one component, one line per selected vector. */
export function LayerCharts({ plan, grid, alpha, vectors }: Props) {
  const blocks = grid.blocks.filter((b): b is number => b !== null);
  const usable = vectors.filter((id) => exprOf(plan, id));
  const norms: Series[] = usable.map((id) => ({ key: `norm:${id}`, label: `‖${exprLabel(plan, id)}‖`, at: (b) => exprNorm(plan, layerParts(grid, b, alpha), exprOf(plan, id)!) }));
  const gamma = exprOf(plan, 'gamma')!;
  const cosines: Series[] = usable.filter((id) => id !== 'gamma' && id !== 'meta').map((id) => ({
    key: `cos:${id}`, label: `cos(γ, ${exprLabel(plan, id)})`, at: (b) => exprCos(plan, layerParts(grid, b, alpha), gamma, exprOf(plan, id)!),
  }));
  if (exprOf(plan, 'tauAux') && exprOf(plan, 'tauSft')) {
    cosines.push({ key: 'cos:tauAux|tauSft', label: 'cos(τ_aux, τ_sft)', at: (b) => exprCos(plan, layerParts(grid, b, alpha), exprOf(plan, 'tauAux')!, exprOf(plan, 'tauSft')!) });
  }
  if (blocks.length < 2) return <p className="cv-muted cv-small">{grid.label}: fewer than two blocks, no depth chart.</p>;
  return (
    <div className="cv-grid" style={{ gridTemplateColumns: 'repeat(auto-fill, minmax(520px, 1fr))' }}>
      <DepthChart title={`${grid.label}: norms by layer`} file={`${grid.group}-norms`} blocks={blocks} series={norms} />
      <DepthChart title={`${grid.label}: cosines by layer`} file={`${grid.group}-cosines`} blocks={blocks} series={cosines} domain={[-1, 1]} />
    </div>
  );
}

function DepthChart({ title, file, blocks, series, domain }: { title: string; file: string; blocks: number[]; series: Series[]; domain?: [number, number] }) {
  const ref = useRef<HTMLDivElement>(null);
  const rows = useMemo(() => blocks.map((b) => Object.fromEntries([['block', b], ...series.map((s) => [s.key, s.at(b)])])), [blocks, series]);
  const safe = file.replace(/[^a-z0-9-]+/gi, '_');
  return (
    <figure className="cv-card" aria-label={title}>
      <figcaption className="cv-toolbar">
        <strong>{title}</strong>
        <span style={{ flex: 1 }} />
        <button type="button" className="cv-btn cv-btn-small" onClick={() => {
          const svg = ref.current?.querySelector('svg.recharts-surface') as SVGSVGElement | null;
          if (svg) void svgToPng(svg, `${safe}.png`);
        }}>Export PNG</button>
        <button type="button" className="cv-btn cv-btn-small" onClick={() => downloadCsv(`${safe}.csv`, {
          columns: ['block', ...series.map((s) => s.label)],
          rows: rows.map((r) => [r.block, ...series.map((s) => r[s.key])]),
        })}>Export CSV</button>
      </figcaption>
      <div ref={ref}>
        <LineChart width={520} height={260} data={rows} margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#d5dae1" />
          <XAxis dataKey="block" type="number" domain={['dataMin', 'dataMax']} allowDecimals={false} tick={{ fontSize: 11 }} />
          <YAxis domain={domain ?? ['auto', 'auto']} tick={{ fontSize: 11 }} tickFormatter={(v: number) => fmtNum(Number(v.toPrecision(3)))} width={60} />
          <Tooltip formatter={(v) => fmtNum(Number(v))} labelFormatter={(b) => `layer ${b}`} />
          <Legend wrapperStyle={{ fontSize: 11 }} />
          {series.map((s, i) => (
            <Line key={s.key} dataKey={s.key} name={s.label} stroke={COLORS[i % COLORS.length]} dot={false} isAnimationActive={false} strokeWidth={1.5} />
          ))}
        </LineChart>
      </div>
    </figure>
  );
}
