/**
 * `capvector stats --pre P --aux A --sft S [--down D] [--alpha 0.8] [--json] [--by tensor|layer|component]`
 * The same statistics pass as the browser's analysis panel, on the CPU engine, one tensor at a time.
 */
import { CpuEngine } from '../../compute/cpu-engine';
import { buildGrids } from '../../analysis/aggregate';
import { capvectorPlan, DEFAULT_NEAR_ZERO } from '../../analysis/plan';
import { planStatsTasks, runStats, type TensorStats } from '../../analysis/run-stats';
import { metricsTable, toJsonRows, type By } from '../../analysis/tables';
import { openPath } from '../../node/paths';
import type { Checkpoint } from '../../formats/checkpoint';
import { UsageError, type CliIO } from '../main';

interface StatsArgs {
  paths: Record<string, string>;
  alpha: number;
  json: boolean;
  by: By;
  nearZero: number;
}

const VALUE_FLAGS = new Set(['--pre', '--aux', '--sft', '--down', '--alpha', '--by', '--near-zero']);

export function parseStatsArgs(args: string[]): StatsArgs {
  const v: Record<string, string> = {};
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--json') json = true;
    else if (VALUE_FLAGS.has(a)) {
      if (i + 1 >= args.length || args[i + 1].startsWith('--')) throw new UsageError(`${a} needs a value`);
      v[a] = args[++i];
    } else throw new UsageError(`unknown argument '${a}'`);
  }
  for (const r of ['--pre', '--aux', '--sft']) if (!v[r]) throw new UsageError(`${r} is required`);
  const alpha = v['--alpha'] === undefined ? 0.8 : Number(v['--alpha']);
  if (!Number.isFinite(alpha)) throw new UsageError(`--alpha must be a number, got '${v['--alpha']}'`);
  const by = (v['--by'] ?? 'component') as By;
  if (!['tensor', 'layer', 'component'].includes(by)) throw new UsageError(`--by must be tensor, layer or component, got '${by}'`);
  const nearZero = v['--near-zero'] === undefined ? DEFAULT_NEAR_ZERO : Number(v['--near-zero']);
  if (!(nearZero >= 0)) throw new UsageError(`--near-zero must be a number ≥ 0, got '${v['--near-zero']}'`);
  const paths: Record<string, string> = { pre: v['--pre'], aux: v['--aux'], sft: v['--sft'] };
  if (v['--down']) paths.down = v['--down'];
  return { paths, alpha, json, by, nearZero };
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
  for (const [role, p] of Object.entries(a.paths)) byRole[role] = await openPath(p);
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
