import type { AlphaSpec, GroupGrid } from './aggregate';
import { alphaFor, groupParts, modelParts } from './aggregate';
import type { Part } from './gram';
import { metricsFor } from './metrics';
import type { StatsPlan } from './plan';
import type { TensorStats } from './run-stats';

/**
 * Tables of metrics by tensor, by layer and by component, for the CLI, the CSV/JSON exports and the
 * detail views. Cells are numbers or strings; CSV writes numbers with full precision (17 digits).
 */
export type By = 'tensor' | 'layer' | 'component';

export interface Table {
  columns: string[];
  rows: (string | number | null)[][];
}

function metricCells(plan: StatsPlan, parts: Part[]): number[] {
  return metricsFor(plan).map((m) => m.value(plan, parts));
}

export function metricsTable(plan: StatsPlan, by: By, tensors: readonly TensorStats[], grids: readonly GroupGrid[], alpha: AlphaSpec): Table {
  const ids = metricsFor(plan).map((m) => m.id);
  if (by === 'tensor') {
    return {
      columns: ['name', 'component', 'block', 'module', 'param', 'numel', 'dtypes', 'alpha', ...ids],
      rows: tensors.map((t) => {
        const a = alphaFor(alpha, t.group, t.key.block);
        return [t.name, t.group, t.key.block, t.key.module, t.key.param, t.numel, t.dtypes.join('/'), a, ...metricCells(plan, [{ acc: t.acc, alpha: a }])];
      }),
    };
  }
  if (by === 'layer') {
    const rows: Table['rows'] = [];
    for (const g of grids) {
      for (const b of g.blocks) {
        const a = alphaFor(alpha, g.group, b);
        rows.push([g.group, b, a, ...metricCells(plan, [{ acc: g.layers.get(b)!, alpha: a }])]);
      }
    }
    return { columns: ['component', 'block', 'alpha', ...ids], rows };
  }
  const rows: Table['rows'] = grids.map((g) => [g.group, g.tensorCount, g.numel, ...metricCells(plan, groupParts(g, alpha))]);
  const all = modelParts(grids, alpha);
  rows.push(['(model)', grids.reduce((s, g) => s + g.tensorCount, 0), grids.reduce((s, g) => s + g.numel, 0), ...metricCells(plan, all)]);
  return { columns: ['component', 'tensors', 'numel', ...ids], rows };
}

function csvCell(v: string | number | null): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function toCsv(t: Table): string {
  return [t.columns.map(csvCell).join(','), ...t.rows.map((r) => r.map(csvCell).join(','))].join('\n') + '\n';
}

/** JSON rows keyed by column; non-finite numbers become null (JSON has no NaN). */
export function toJsonRows(t: Table): Record<string, string | number | null>[] {
  return t.rows.map((r) => Object.fromEntries(t.columns.map((c, i) => {
    const v = r[i];
    return [c, typeof v === 'number' && !Number.isFinite(v) ? null : v];
  })));
}
