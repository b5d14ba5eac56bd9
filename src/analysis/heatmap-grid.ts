import type { AlphaSpec, Cell, GroupGrid } from './aggregate';
import { alphaFor, cellKey } from './aggregate';
import type { MetricDef } from './metrics';
import type { StatsPlan } from './plan';

/**
 * One metric over a group's blocks × modules grid, as flat arrays for the canvas. Each cell's value
 * comes from its summed accumulator at its layer's α, so the live α preview is a re-evaluation of a
 * few Gram entries per cell, never a pass over the weights.
 */
export interface GridValues {
  rowLabels: string[];
  colLabels: string[];
  values: Float64Array;
  present: Uint8Array;
  cells: (Cell | null)[];
}

export function blockLabel(b: number | null): string {
  return b === null ? '—' : `L${b}`;
}

export function gridValues(plan: StatsPlan, g: GroupGrid, metric: MetricDef, alpha: AlphaSpec): GridValues {
  const rows = g.blocks.length;
  const cols = g.modules.length;
  const values = new Float64Array(rows * cols).fill(NaN);
  const present = new Uint8Array(rows * cols);
  const cells: (Cell | null)[] = new Array(rows * cols).fill(null);
  g.blocks.forEach((b, r) => {
    const a = alphaFor(alpha, g.group, b);
    g.modules.forEach((m, c) => {
      const cell = g.cells.get(cellKey(b, m));
      if (!cell) return;
      const k = r * cols + c;
      present[k] = 1;
      cells[k] = cell;
      values[k] = metric.value(plan, [{ acc: cell.acc, alpha: a }]);
    });
  });
  return { rowLabels: g.blocks.map(blockLabel), colLabels: g.modules, values, present, cells };
}
