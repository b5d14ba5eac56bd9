import { memo, useEffect, useMemo, useRef, useState, type KeyboardEvent, type MouseEvent } from 'react';
import type { AlphaSpec, GroupGrid } from '../../analysis/aggregate';
import { gridValues, type GridValues } from '../../analysis/heatmap-grid';
import type { MetricDef } from '../../analysis/metrics';
import type { StatsPlan } from '../../analysis/plan';
import type { ColorMapId, SelectedCell } from '../../store/analysis';
import { domainOf, lut, resolveMap } from './colormap';
import { cutColLabel, drawHeatmap, fitCanvas, hitTest, layoutHeatmap, type DrawStyle } from './heatmap-draw';
import { ColorLegend } from './ColorLegend';
import { canvasToPng } from './export';
import { fmtNum } from './format';
import { readTheme, textWidth, useColorScheme } from './theme';

interface Props {
  plan: StatsPlan;
  grid: GroupGrid;
  metric: MetricDef;
  alpha: AlphaSpec;
  cmap: ColorMapId;
  selected: SelectedCell | null;
  onSelect(c: SelectedCell): void;
}

interface ViewProps {
  grid: GroupGrid;
  /** The cells' values; `beyond` marks values past what was computed (drawn crossed, shown as `beyondText`). */
  data: GridValues & { beyond?: Uint8Array };
  /** Colour-map kind ('cosine' → diverging on 'auto'), label and id (for file names) of what is shown. */
  kind: string;
  label: string;
  fileId: string;
  cmap: ColorMapId;
  selected: SelectedCell | null;
  onSelect(c: SelectedCell): void;
  /** The figure's accessible name; `${grid.label} heatmap` by default. */
  name?: string;
  beyondText?: string;
}

const FONT = '11px system-ui, sans-serif';

function drawStyle(): DrawStyle {
  const t = readTheme();
  return { text: t.text, muted: t.muted, background: t.background, empty: t.empty, font: FONT };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Heatmaps with many rows or modules take a whole row of the grid of cards. */
export function isWideHeatmap(rows: number, cols: number): boolean {
  return rows > 24 || cols > 14;
}

/**
 * One component's blocks × modules heatmap of a statistics metric. Memoised: while statistics stream,
 * only the heatmaps of components a batch touched (their grid is a new snapshot, see appendToGrids)
 * recompute and repaint.
 */
export const Heatmap = memo(function Heatmap({ plan, grid, metric, alpha, cmap, selected, onSelect }: Props) {
  const data = useMemo(() => gridValues(plan, grid, metric, alpha), [plan, grid, metric, alpha]);
  return <HeatmapView grid={grid} data={data} kind={metric.kind} label={metric.label} fileId={metric.id} cmap={cmap} selected={selected} onSelect={onSelect} />;
});

/** Any values on a component's blocks × modules grid, on a canvas, with a hover tooltip and keyboard focus. */
export const HeatmapView = memo(function HeatmapView({ grid, data, kind, label, fileId, cmap, selected, onSelect, name, beyondText = '> k' }: ViewProps) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const boxRef = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  const scheme = useColorScheme();
  const [hover, setHover] = useState<{ r: number; c: number; x: number; y: number } | null>(null);
  const [focus, setFocus] = useState<{ r: number; c: number } | null>(null);

  // Measured by the observer (its first report comes before the first paint) rather than in a layout
  // effect: a layout effect's update re-renders synchronously, inside the task that mounted the
  // component, and mounts happen while statistics stream (50 ms long-task budget).
  useEffect(() => {
    const el = boxRef.current;
    if (!el) return;
    const fit = () => setWidth(Math.max(240, Math.min(1400, el.clientWidth)));
    const ro = new ResizeObserver(fit);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const map = resolveMap(cmap, kind);
  const domain = useMemo(() => domainOf(data.values, map), [data, map]);
  // Keyed by the label text: the arrays are new per batch, the labels rarely change.
  const rowKey = data.rowLabels.join('\n');
  const colKey = data.colLabels.join('\n');
  const labelExtent = useMemo(() => ({
    rowLabelW: Math.max(0, ...rowKey.split('\n').map((l) => textWidth(l, FONT))),
    colLabelW: Math.max(0, ...colKey.split('\n').map((l) => textWidth(cutColLabel(l), FONT))),
  }), [rowKey, colKey]);
  const layout = useMemo(() => layoutHeatmap(data.rowLabels.length, data.colLabels.length, width || 480, labelExtent),
    [data.rowLabels.length, data.colLabels.length, width, labelExtent]);
  const selRC = useMemo(() => {
    if (!selected || selected.group !== grid.group) return null;
    const r = grid.blocks.indexOf(selected.block);
    const c = grid.modules.indexOf(selected.module);
    return r >= 0 && c >= 0 ? { r, c } : null;
  }, [selected, grid]);

  useEffect(() => {
    const cv = canvasRef.current;
    if (!cv) return;
    const t0 = performance.now();
    const ctx = fitCanvas(cv, layout.width, layout.height);
    drawHeatmap(ctx, data, layout, lut(map), domain, drawStyle(), focus ?? selRC);
    // Written to the DOM directly: a state update here would render the component a second time.
    cv.dataset.drawMs = (performance.now() - t0).toFixed(2);
  }, [data, layout, map, domain, focus, selRC, scheme]);

  const at = (e: MouseEvent<HTMLCanvasElement>) => {
    const rect = e.currentTarget.getBoundingClientRect();
    const x = e.clientX - rect.left;
    const y = e.clientY - rect.top;
    const h = hitTest(layout, x, y);
    return h && data.present[h.r * layout.cols + h.c] ? { ...h, x, y } : null;
  };
  const select = (r: number, c: number) => onSelect({ group: grid.group, block: grid.blocks[r], module: grid.modules[c] });

  const onKey = (e: KeyboardEvent<HTMLCanvasElement>) => {
    const cur = focus ?? selRC ?? { r: 0, c: 0 };
    const moves: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (moves[e.key]) {
      e.preventDefault();
      const r = Math.max(0, Math.min(layout.rows - 1, cur.r + moves[e.key][0]));
      const c = Math.max(0, Math.min(layout.cols - 1, cur.c + moves[e.key][1]));
      setFocus({ r, c });
    } else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      if (data.present[cur.r * layout.cols + cur.c]) select(cur.r, cur.c);
    }
  };

  const tip = hover ?? (focus ? { ...focus, x: layout.x0 + (focus.c + 1) * layout.cw, y: layout.y0 + focus.r * layout.ch } : null);
  const tipCell = tip ? data.cells[tip.r * layout.cols + tip.c] : null;
  const tipValue = tip ? data.values[tip.r * layout.cols + tip.c] : NaN;
  const tipBeyond = !!tip && !!data.beyond?.[tip.r * layout.cols + tip.c];
  const file = `${grid.group.replace(/[^a-z0-9]+/gi, '_')}-${fileId}`;

  return (
    <figure className={`cv-card cv-heatmap${isWideHeatmap(layout.rows, layout.cols) ? ' cv-heatmap-wide' : ''}`} data-group={grid.group} aria-label={name ?? `${grid.label} heatmap`}>
      <figcaption className="cv-heatmap-head">
        <span className="cv-toolbar">
          <strong>{grid.label}</strong>
          <span className="cv-spacer" style={{ flex: 1 }} />
          <button type="button" className="cv-btn cv-btn-small" onClick={() => canvasRef.current && canvasToPng(canvasRef.current, `heatmap-${file}.png`)}>
            Export PNG
          </button>
        </span>
        <span className="cv-muted cv-small">{plural(grid.blocks.length, 'row')} × {plural(grid.modules.length, 'module')} · {plural(grid.tensorCount, 'tensor')} · {label}</span>
      </figcaption>
      <ColorLegend map={map} domain={domain} />
      <div ref={boxRef} className="cv-heatmap-box">
        <canvas
          ref={canvasRef}
          tabIndex={0}
          role="img"
          aria-label={`${grid.label}: ${label} by block and module. Arrow keys move, Enter opens the cell.`}
          data-layout={JSON.stringify({ x0: layout.x0, y0: layout.y0, cw: layout.cw, ch: layout.ch, rows: data.rowLabels, cols: data.colLabels })}
          onMouseMove={(e) => setHover(at(e))}
          onMouseLeave={() => setHover(null)}
          onClick={(e) => {
            const h = at(e);
            if (h) select(h.r, h.c);
          }}
          onKeyDown={onKey}
          onBlur={() => setFocus(null)}
        />
        {tip && tipCell && (
          <div role="tooltip" className="cv-heatmap-tip" data-value={tipBeyond ? beyondText : String(tipValue)}
            style={{ position: 'absolute', left: Math.min(tip.x + 12, layout.width - 200), top: tip.y + 12 }}>
            <div><strong>{data.rowLabels[tip.r]} · {data.colLabels[tip.c]}</strong></div>
            <div>{label}: <span className="cv-tip-value">{tipBeyond ? beyondText : fmtNum(tipValue)}</span></div>
            <div className="cv-muted">{tipCell.tensors.length} tensor{tipCell.tensors.length === 1 ? '' : 's'}</div>
          </div>
        )}
      </div>
    </figure>
  );
});
