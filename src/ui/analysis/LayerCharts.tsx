import { memo, useEffect, useMemo, useRef, useState } from 'react';
import type { AlphaSpec, GroupGrid } from '../../analysis/aggregate';
import { layerParts } from '../../analysis/aggregate';
import { exprCos, exprLabel, exprNorm, exprOf } from '../../analysis/gram';
import type { StatsPlan } from '../../analysis/plan';
import { downloadCsv, svgToPng } from './export';
import { LineChartSvg, type ChartSeries } from './LineChartSvg';

interface Props {
  plan: StatsPlan;
  grid: GroupGrid;
  alpha: AlphaSpec;
  vectors: string[];
}

/**
 * Norms and cosines against depth for one component, one line per selected vector. Values come from
 * the layers' summed Gram entries (O(layers × vectors) per update), so the charts follow the stream.
 */
export const LayerCharts = memo(function LayerCharts({ plan, grid, alpha, vectors }: Props) {
  const { blocks, norms, cosines } = useMemo(() => {
    const blocks = grid.blocks.filter((b): b is number => b !== null);
    const usable = vectors.filter((id) => exprOf(plan, id));
    const per = (f: (b: number) => number) => blocks.map(f);
    const norms: ChartSeries[] = usable.map((id) => ({
      key: `norm:${id}`, label: `‖${exprLabel(plan, id)}‖`, values: per((b) => exprNorm(plan, layerParts(grid, b, alpha), exprOf(plan, id)!)),
    }));
    const gamma = exprOf(plan, 'gamma');
    const cosines: ChartSeries[] = gamma
      ? usable.filter((id) => id !== 'gamma' && id !== 'meta').map((id) => ({
        key: `cos:${id}`, label: `cos(γ, ${exprLabel(plan, id)})`, values: per((b) => exprCos(plan, layerParts(grid, b, alpha), gamma, exprOf(plan, id)!)),
      }))
      : [];
    const ta = exprOf(plan, 'tauAux');
    const ts = exprOf(plan, 'tauSft');
    if (ta && ts) cosines.push({ key: 'cos:tauAux|tauSft', label: 'cos(τ_aux, τ_sft)', values: per((b) => exprCos(plan, layerParts(grid, b, alpha), ta, ts)) });
    return { blocks, norms, cosines };
  }, [plan, grid, alpha, vectors]);
  if (blocks.length < 2) return <p className="cv-muted cv-small">{grid.label}: fewer than two blocks, no depth chart.</p>;
  return (
    <div className="cv-chart-grid">
      <DepthChart title={`${grid.label}: norms by layer`} file={`${grid.group}-norms`} blocks={blocks} series={norms} />
      <DepthChart title={`${grid.label}: cosines by layer`} file={`${grid.group}-cosines`} blocks={blocks} series={cosines} domain={COS_DOMAIN} />
    </div>
  );
});

const COS_DOMAIN: [number, number] = [-1, 1];

function DepthChart({ title, file, blocks, series, domain }: { title: string; file: string; blocks: number[]; series: ChartSeries[]; domain?: [number, number] }) {
  const ref = useRef<HTMLDivElement>(null);
  // The chart fills its card, measured by an observer (not in a layout effect: see Heatmap).
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const fit = () => setWidth(Math.max(320, Math.floor(el.clientWidth)));
    const ro = new ResizeObserver(fit);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const safe = file.replace(/[^a-z0-9-]+/gi, '_');
  return (
    <figure className="cv-card cv-chart-card" aria-label={title} data-points={blocks.length}>
      <figcaption className="cv-toolbar">
        <strong>{title}</strong>
        <span style={{ flex: 1 }} />
        <button type="button" className="cv-btn cv-btn-small" onClick={() => {
          const svg = ref.current?.querySelector('svg.cv-chart-surface') as SVGSVGElement | null;
          if (svg) void svgToPng(svg, `${safe}.png`);
        }}>Export PNG</button>
        <button type="button" className="cv-btn cv-btn-small" onClick={() => downloadCsv(`${safe}.csv`, {
          columns: ['block', ...series.map((s) => s.label)],
          rows: blocks.map((b, i) => [b, ...series.map((s) => s.values[i])]),
        })}>Export CSV</button>
      </figcaption>
      <div ref={ref} className="cv-chart-box">
        {width > 0 && <LineChartSvg xs={blocks} series={series} domain={domain} width={width} />}
      </div>
    </figure>
  );
}
