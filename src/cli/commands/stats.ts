/**
 * `capvector stats --pre P --aux A --sft S [--down D] [--alpha 0.8] [--json] [--by tensor|layer|component]`
 * The same statistics pass as the browser's analysis panel, on the CPU engine, one tensor at a time.
 */
import { CpuEngine } from '../../compute/cpu-engine';
import { buildGrids } from '../../analysis/aggregate';
import { capvectorPlan, DEFAULT_NEAR_ZERO } from '../../analysis/plan';
import { planStatsTasks, runStats, type TensorStats } from '../../analysis/run-stats';
import { metricsTable, toJsonRows, type By } from '../../analysis/tables';
import { openPaths } from '../../node/paths';
import type { Checkpoint } from '../../formats/checkpoint';
import { need, one, parseArgs } from '../args';
import { UsageError, type CliIO } from '../io';

interface StatsArgs {
  paths: Record<string, string>;
  alpha: number;
  json: boolean;
  by: By;
  nearZero: number;
}

export function parseStatsArgs(args: string[]): StatsArgs {
  const p = parseArgs(args, { values: ['pre', 'aux', 'sft', 'down', 'alpha', 'by', 'near-zero'], switches: ['json'] });
  const paths: Record<string, string> = { pre: need(p, 'pre'), aux: need(p, 'aux'), sft: need(p, 'sft') };
  const down = one(p, 'down');
  if (down) paths.down = down;
  const alphaArg = one(p, 'alpha');
  const alpha = alphaArg === undefined ? 0.8 : Number(alphaArg);
  if (!Number.isFinite(alpha)) throw new UsageError(`--alpha must be a number, got '${alphaArg}'`);
  const by = (one(p, 'by') ?? 'component') as By;
  if (!['tensor', 'layer', 'component'].includes(by)) throw new UsageError(`--by must be tensor, layer or component, got '${by}'`);
  const nearZeroArg = one(p, 'near-zero');
  const nearZero = nearZeroArg === undefined ? DEFAULT_NEAR_ZERO : Number(nearZeroArg);
  if (!(nearZero >= 0)) throw new UsageError(`--near-zero must be a number ≥ 0, got '${nearZeroArg}'`);
  return { paths, alpha, json: p.switches.has('json'), by, nearZero };
}

function fmt(x: string | number | null): string {
  if (x === null) return '';
  if (typeof x === 'string') return x;
  if (Number.isInteger(x)) return String(x);
  return Number.isFinite(x) ? x.toPrecision(6) : String(x);
}

export async function run(args: string[], io: CliIO): Promise<number> {
  const a = parseStatsArgs(args);
  const plan = capvectorPlan({ down: !!a.paths.down, nearZero: a.nearZero });
  const byRole: Record<string, Checkpoint> = {};
  const roles = Object.entries(a.paths);
  const opened = await openPaths(roles.map(([, p]) => p));
  roles.forEach(([role], i) => (byRole[role] = opened[i]));
  const { tasks, skipped, issues } = planStatsTasks(plan, byRole);
  if (tasks.length === 0) throw new Error(`${byRole.pre.name}: no float tensor is present with one shape in every checkpoint`);
  const tensors: TensorStats[] = [];
  const engine = new CpuEngine();
  try {
    await runStats({ plan, tasks, engine, onTensor: (t) => tensors.push(t) });
  } finally {
    engine.dispose();
  }
  const grids = buildGrids(plan, tensors);
  const table = metricsTable(plan, a.by, tensors, grids, { global: a.alpha, perLayer: {} });
  if (a.json) {
    io.out(JSON.stringify({
      alpha: a.alpha, by: a.by, nearZero: a.nearZero, engine: 'cpu',
      checkpoints: Object.fromEntries(Object.entries(byRole).map(([r, c]) => [r, c.name])),
      rows: toJsonRows(table), skipped, issues: issues.filter((i) => i.kind !== 'dtype'),
    }, null, 1));
    return 0;
  }
  const cells = [table.columns, ...table.rows.map((r) => r.map(fmt))];
  const widths = table.columns.map((_, i) => Math.max(...cells.map((r) => String(r[i]).length)));
  for (const r of cells) io.out(r.map((c, i) => String(c).padEnd(widths[i])).join('  ').trimEnd());
  if (skipped.length) io.err(`${skipped.length} tensor(s) skipped: ${skipped.slice(0, 3).map((s) => `${s.name} (${s.reason})`).join('; ')}${skipped.length > 3 ? '; …' : ''}`);
  return 0;
}
