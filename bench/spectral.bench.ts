/**
 * Cost of the low-rank view (issue 13, item 6): `capvector stats --by tensor --spectral` over the merge
 * bench's 1.74 GB bf16 triple (scripts/make_bench_triple.py, 290M-element γ: 37 matrices up to
 * 8000 × 2048 and 5632 × 2048) on the CPU engine, against the same command without --spectral (the
 * statistics pass alone), so the spectral pass's own share shows; budget: < 2 minutes for the whole
 * command on this 2-core machine. Then `capvector extract --lora-rank 16` over the same γ (the PEFT
 * adapter export, which factors every matrix at the same SVD cost plus the factors and their error).
 * Each command runs once (BENCH_REPEAT is the merge bench's): time, peak RSS, and the load average.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { timed } from './merge.bench';

const ROOT = resolve(import.meta.dirname, '..');
const DATA = join(ROOT, 'bench/data');
const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
const BUDGET_S = 120;

const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
/** User + system CPU seconds from /usr/bin/time -v: on a shared machine the figure that load does not inflate. */
function cpuSeconds(stderr: string): number {
  const user = /User time \(seconds\): ([\d.]+)/.exec(stderr);
  const sys = /System time \(seconds\): ([\d.]+)/.exec(stderr);
  return user && sys ? Number(user[1]) + Number(sys[1]) : NaN;
}
const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');

export async function run(): Promise<string> {
  if (!existsSync(join(DATA, 'sft/model.safetensors.index.json'))) {
    const r = spawnSync(PYTHON, [join(ROOT, 'scripts/make_bench_triple.py')], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('making the bench triple failed');
  }
  // The CLI's bundle is (re)made on its first start after a source change: not part of any timing.
  spawnSync(process.execPath, ['bin/capvector.mjs', '--help'], { cwd: ROOT });
  const roles = ['--pre', join(DATA, 'pre'), '--aux', join(DATA, 'aux'), '--sft', join(DATA, 'sft')];
  const rows = ['| command | wall time | CPU time (user + sys) | peak RSS | load average (1/5/15 min) before → after |', '|---|---|---|---|---|'];
  const step = (label: string, args: string[]) => {
    const before = load();
    const r = timed(process.execPath, ['bin/capvector.mjs', ...args]);
    const cpu = cpuSeconds(r.stderr);
    rows.push(`| ${label} | **${r.seconds.toFixed(1)} s** | ${cpu.toFixed(1)} s | ${mib(r.rssBytes)} | ${before} → ${load()} |`);
    return { ...r, cpu };
  };
  const stats = step('`stats --by tensor --json` (statistics only)', ['stats', ...roles, '--by', 'tensor', '--json']);
  const spectral = step('`stats --by tensor --spectral --json` (k = 32, 2 power iterations)', ['stats', ...roles, '--by', 'tensor', '--spectral', '--json']);
  const matrices = (JSON.parse(spectral.stdout).rows as { sigma?: number[] }[]).filter((r) => r.sigma).length;
  const tmp = mkdtempSync(join(tmpdir(), 'capvector-bench-lora-'));
  try {
    step('`extract --lora-rank 16` (PEFT adapter of γ)', ['extract', '--aux', join(DATA, 'aux'), '--sft', join(DATA, 'sft'), '--lora-rank', '16', '--out', join(tmp, 'adapter'), '--json']);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const own = spectral.seconds - stats.seconds;
  const ownCpu = spectral.cpu - stats.cpu;
  return [
    `The spectral pass over the merge bench's 1.74 GB bf16 triple (${matrices} matrices of γ), CPU engine, ${cpus().length} cores.`,
    '',
    ...rows,
    '',
    `Spectral pass alone (difference): ${own.toFixed(1)} s wall, ${ownCpu.toFixed(1)} s CPU. Budget: the whole \`--spectral\` command < ${BUDGET_S} s — ` +
      `${spectral.seconds < BUDGET_S ? 'met' : 'NOT met'} in wall time at this load; its CPU time (${spectral.cpu.toFixed(1)} s, what one idle core would take) ${spectral.cpu < BUDGET_S ? 'meets' : 'does not meet'} it.`,
  ].join('\n');
}
