/**
 * What a person feels while the app works: the longest main-thread task while statistics stream (demo
 * family and the 7B-shaped family), a heatmap's draw, the 80-layer heatmap render, the filter of a
 * 12,000-tensor table. The e2e specs that exercise these paths record each duration (recordTiming in
 * e2e/helpers.ts) instead of asserting it, since a loaded machine can stretch any of them; this bench
 * runs those specs against a fresh build and reports every figure beside the bound users expect and
 * the load average at the time.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from './lib/serve';

const ROOT = resolve(import.meta.dirname, '..');
const SPECS = ['e2e/analysis.spec.ts', 'e2e/analysis-7b.spec.ts', 'e2e/foundation.spec.ts'];
/** Only the tests that record a timing (their titles); the rest of each spec is not needed here. */
const GREP = 'heatmaps of the demo family|80-layer|7B-shaped|12,000 tensors';
const load = () => loadavg().map((x) => x.toFixed(1)).join(', ');

interface Timing { name: string; ms: number; boundMs: number; detail: string }

export async function run(): Promise<string> {
  const tmp = mkdtempSync(join(tmpdir(), 'capvector-responsiveness-'));
  const out = join(tmp, 'timings.jsonl');
  try {
    const build = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: ROOT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`build failed: ${build.stderr.slice(-1000)}`);
    const port = await freePort(4390);
    const loadBefore = load();
    const pw = spawnSync('npx', ['playwright', 'test', ...SPECS, '--grep', GREP], {
      cwd: ROOT, encoding: 'utf8', env: { ...process.env, CV_TIMINGS: out, PW_PORT: String(port), CI: '1' },
    });
    const loadAfter = load();
    const rows: Timing[] = existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
    const lines = [
      `Chromium (${process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'}) headless, app built with \`vite build\` and served by \`vite preview\`; specs: ${SPECS.join(', ')} (tests matching /${GREP}/).`,
      '',
      '| figure | measured | bound users expect | within |',
      '|---|---|---|---|',
      ...rows.map((r) => `| ${r.name} ${r.detail} | ${r.ms.toFixed(1)} ms | < ${r.boundMs} ms | ${r.ms < r.boundMs ? 'yes' : '**no**'} |`),
      '',
      `Load average before: ${loadBefore}; after: ${loadAfter} (${cpus().length} cores). A long task is the browser's own measure (PerformanceObserver 'longtask', ≥ 50 ms by definition), so "0" means none.`,
      'These figures used to be test assertions; a loaded machine stretched them past their bounds (52 and 54 ms once against < 50) and failed CI, so the tests record them and this bench reports them.',
    ];
    if (pw.status !== 0) lines.push('', `The specs failed (exit ${pw.status}): ${(pw.stdout + pw.stderr).slice(-1500)}`);
    return lines.join('\n');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
