/**
 * `capvector stats --pre P --aux A --sft S [--down D] [--alpha 0.8] [--json] [--by tensor|layer|component]
 *   [--spectral [--spectral-k 32] [--spectral-power 2] [--threads N]]`
 * The same statistics pass as the browser's analysis panel, on the CPU engine, one tensor at a time.
 * `--spectral` (with `--by tensor`) adds the low-rank view of γ per matrix (../../analysis/run-spectral.ts),
 * its matrices computed on --threads worker threads (../../node/spectral-pool.ts; 0: the main thread).
 */
import { CpuEngine } from '../../compute/cpu-engine';
import { alphaFor, buildGrids, type AlphaSpec } from '../../analysis/aggregate';
import { capvectorPlan, DEFAULT_NEAR_ZERO } from '../../analysis/plan';
import { planStatsTasks, runStats, type TensorStats } from '../../analysis/run-stats';
import { runSpectral, SPECTRAL_SEED, type TensorSpectral } from '../../analysis/run-spectral';
import { DEFAULT_SPECTRAL_K } from '../../analysis/spectral';
import { matrixView } from '../../analysis/stacked-split';
import { metricsTable, toJsonRows, type By } from '../../analysis/tables';
import { openPaths } from '../../node/paths';
import type { Checkpoint } from '../../formats/checkpoint';
import { nameMaps, need, one, parseArgs } from '../args';
import type { NameMapOverride } from '../../model/align';
import { UsageError, type CliIO } from '../io';

interface StatsArgs {
  paths: Record<string, string>;
  alpha: number;
  json: boolean;
  /** Progress lines on stderr (also without a terminal). */
  progress: boolean;
  by: By;
  nearZero: number;
  /** Leading singular values per matrix for --spectral; null without it. */
  spectralK: number | null;
  spectralPower: number;
  /** --map ROLE:FROM=TO: name mappings set by hand (θ_pre's names are the reference). */
  maps: Record<string, NameMapOverride>;
}

export function parseStatsArgs(args: string[]): StatsArgs {
  const p = parseArgs(args, { values: ['pre', 'aux', 'sft', 'down', 'alpha', 'by', 'near-zero', 'spectral-k', 'spectral-power', 'map'], switches: ['json', 'spectral', 'progress'] });
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
  const kArg = one(p, 'spectral-k');
  const spectral = p.switches.has('spectral');
  if (kArg !== undefined && !spectral) throw new UsageError('--spectral-k needs --spectral');
  const spectralK = kArg === undefined ? DEFAULT_SPECTRAL_K : Number(kArg);
  if (!Number.isInteger(spectralK) || spectralK < 1) throw new UsageError(`--spectral-k must be an integer ≥ 1, got '${kArg}'`);
  const powerArg = one(p, 'spectral-power');
  if (powerArg !== undefined && !spectral) throw new UsageError('--spectral-power needs --spectral');
  const spectralPower = powerArg === undefined ? 2 : Number(powerArg);
  if (!Number.isInteger(spectralPower) || spectralPower < 0 || spectralPower > 20) throw new UsageError(`--spectral-power must be an integer from 0 to 20, got '${powerArg}'`);
  if (spectral && by !== 'tensor') throw new UsageError('--spectral needs --by tensor (the spectra are per matrix)');
  const maps = nameMaps(p);
  for (const role of Object.keys(maps)) {
    if (role === 'pre') throw new UsageError("--map: θ_pre's names are the reference; map aux, sft or down instead");
    if (!paths[role]) throw new UsageError(`--map: role '${role}' is not given (${Object.keys(paths).filter((r) => r !== 'pre').join(', ')})`);
  }
  return { paths, alpha, json: p.switches.has('json'), by, nearZero, spectralK: spectral ? spectralK : null, spectralPower, maps, progress: p.switches.has('progress') };
}


/** The --spectral fields of a matrix's JSON row (energy ranks null beyond k: "> k"). */
export function spectralFields(s: TensorSpectral, down: boolean): Record<string, number | number[] | null> {
  const g = s.gamma;
  return {
    sigma: g.sigma, stableRank: g.stableRank, energyRank90: g.energyRank90, energyRank95: g.energyRank95, energyRank99: g.energyRank99,
    ...(down ? { overlapGammaDelta: s.overlapGammaDelta ?? null } : {}),
  };
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
  const { tasks, skipped, issues } = planStatsTasks(plan, byRole, a.maps);
  if (tasks.length === 0) throw new Error(`${byRole.pre.name}: no float tensor is present with one shape in every checkpoint`);
  const tensors: TensorStats[] = [];
  const engine = new CpuEngine();
  try {
    await runStats({ plan, tasks, engine, onTensor: (t) => tensors.push(t) });
  } finally {
    engine.dispose();
  }
  const grids = buildGrids(plan, tensors);
  const alpha: AlphaSpec = { global: a.alpha, perLayer: {} };
  const table = metricsTable(plan, a.by, tensors, grids, alpha);
  // One spectrum per matrix; a stacked tensor [L, out, in] has one per layer.
  const spectra = new Map<string, TensorSpectral[]>();
  if (a.spectralK !== null) {
    const byName = new Map(tensors.map((t) => [t.name, t]));
    // A line per matrix on a terminal (or with --progress); an interrupt stops between matrices with one error line.
    const tty = !!process.stderr.isTTY;
    const matrices = tasks.filter((t) => matrixView(t.entries[0].shape, t.name)).length;
    const ac = new AbortController();
    const onSig = () => ac.abort();
    process.once('SIGINT', onSig);
    try {
      await runSpectral({
        plan, tasks, k: a.spectralK, powerIterations: a.spectralPower, seed: SPECTRAL_SEED, signal: ac.signal,
        onTensor: (s) => spectra.set(s.name, [...(spectra.get(s.name) ?? []), s]),
        onProgress: (p) => {
          const line = `spectral ${p.tensorsDone}/${matrices} matrices`;
          if (tty) process.stderr.write(`\r${line.padEnd(40)}${p.tensorsDone === matrices ? '\n' : ''}`);
          else if (a.progress) io.err(line);
        },
        alpha: (name) => { const t = byName.get(name)!; return alphaFor(alpha, t.group, t.key.block); },
      });
    } finally {
      process.off('SIGINT', onSig);
    }
  }
  const down = !!a.paths.down;
  if (a.json) {
    const rows = toJsonRows(table).map((r) => {
      const s = spectra.get(r.name as string);
      if (!s) return r;
      return s[0].layer === undefined ? { ...r, ...spectralFields(s[0], down) } : { ...r, layers: s.map((x) => ({ layer: x.layer, ...spectralFields(x, down) })) };
    });
    io.out(JSON.stringify({
      alpha: a.alpha, by: a.by, nearZero: a.nearZero, engine: 'cpu',
      ...(a.spectralK !== null ? { spectral: { k: a.spectralK, oversample: 10, powerIterations: a.spectralPower, seed: SPECTRAL_SEED, vector: 'gamma' } } : {}),
      checkpoints: Object.fromEntries(Object.entries(byRole).map(([r, c]) => [r, c.name])),
      rows, skipped, issues: issues.filter((i) => i.kind !== 'dtype'),
    }, null, 1));
    return 0;
  }
  if (a.spectralK !== null) {
    const k = a.spectralK;
    const rank = (r: number | null) => (r === null ? `>${k}` : r);
    table.columns.push('sigma1', 'stableRank', 'energyRank90', 'energyRank95', 'energyRank99', ...(down ? ['overlapGammaDelta'] : []));
    table.rows.forEach((r) => {
      const all = spectra.get(r[0] as string);
      if (all && all[0].layer !== undefined) {
        // A stacked tensor: its per-layer spectra are in --json.
        r.push(`${all.length} layers (--json)`, null, null, null, null, ...(down ? [null] : []));
        return;
      }
      const s = all?.[0];
      const g = s?.gamma;
      r.push(...(g ? [g.sigma1, g.stableRank, rank(g.energyRank90), rank(g.energyRank95), rank(g.energyRank99)] : [null, null, null, null, null]));
      if (down) r.push(s?.overlapGammaDelta ?? null);
    });
  }
  const cells = [table.columns, ...table.rows.map((r) => r.map(fmt))];
  const widths = table.columns.map((_, i) => Math.max(...cells.map((r) => String(r[i]).length)));
  for (const r of cells) io.out(r.map((c, i) => String(c).padEnd(widths[i])).join('  ').trimEnd());
  if (skipped.length) io.err(`${skipped.length} tensor(s) skipped: ${skipped.slice(0, 3).map((s) => `${s.name} (${s.reason})`).join('; ')}${skipped.length > 3 ? '; …' : ''}`);
  return 0;
}
