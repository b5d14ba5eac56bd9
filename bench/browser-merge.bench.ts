/**
 * The merge benchmark's ~1.7 GB bf16 triple (scripts/make_bench_triple.py → bench/data/, shared with
 * merge.bench.ts) merged in the browser the way a user does it: the built app under `vite preview`
 * in Chromium, the three folders given to "Open folder…" (setInputFiles passes paths: Chromium reads
 * the files from disk, no copy), roles pre/aux/sft, the Merge panel's capvector α = 0.8 saved to
 * browser storage (OPFS), once with the engine forced to CPU and once to WebGPU.
 *
 * Per run: wall time from the click on "Run merge" to the result summary, throughput over input +
 * output bytes, the engine the UI says ran, and the peak memory of Chromium's process tree from /proc
 * (PSS and RSS summed over every Chromium process, sampled every 200 ms). The app hashes every input
 * (SHA-256 into the output's metadata) in the same run: that is part of the time, as for a user.
 *
 * Correctness: every tensor of the browser's output is compared, element by element in the page,
 * with the CLI's output of the same merge (`capvector merge … --alpha 0.8`), given to the page as a
 * file; tensors an include filter left out are compared with θ_pre's bytes.
 *
 * WebGPU here is SwiftShader (CPU emulation of a GPU): its rows are labelled so, never GPU speed. The
 * whole triple takes ~1.5 min with it on this 2-core machine; where that is too slow, BENCH_WEBGPU_INCLUDE
 * (a tensor-name substring, e.g. 'model.layers.0.') merges only those tensors and copies the rest.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Page } from '@playwright/test';
import { launchedBrowserPid, watchTree, sampleTree, type TreePeak, type TreeSample } from './lib/proc-memory';
import { addRefInput, adapterInfo, compareOutput, listRuns, removeRun, type CompareResult } from './lib/browser-merge-page';
import { freePort, waitFor } from './lib/serve';

const ROOT = resolve(import.meta.dirname, '..');
const DATA = join(ROOT, 'bench/data');
const DIST = join(tmpdir(), 'capvector-bench-dist');
const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
const ROLES = ['pre', 'aux', 'sft'] as const;
/** Optional substring filter for the WebGPU run (unset = the whole triple, ~1.5 min on SwiftShader here). */
const WEBGPU_INCLUDE = process.env.BENCH_WEBGPU_INCLUDE || null;

const gb = (b: number) => (b / 1e9).toFixed(2);
const mib = (kib: number) => (kib / 1024).toFixed(0);
const load = () => loadavg().map((x) => x.toFixed(1)).join(', ');
const log = (s: string) => process.stderr.write(`[browser-merge] ${s}\n`);

function filesOf(role: string): string[] {
  return readdirSync(join(DATA, role)).map((f) => join(DATA, role, f));
}
function safetensorsOf(role: string): string[] {
  return filesOf(role).filter((f) => f.endsWith('.safetensors')).sort();
}
const bytesOf = (files: string[]) => files.reduce((s, f) => s + statSync(f).size, 0);

/** Opens the app and gives it the three folders, then assigns the roles explicitly. */
async function loadTriple(page: Page, base: string): Promise<void> {
  await page.goto(`${base}/index.html#checkpoints`);
  await page.getByRole('heading', { name: 'CapVector Workbench' }).waitFor();
  for (const [i, role] of ROLES.entries()) {
    await page.getByTestId('folder-input').setInputFiles(join(DATA, role));
    await page.getByTestId('checkpoint-card').nth(i).waitFor({ timeout: 60_000 });
  }
  for (const role of ROLES) {
    await page.getByRole('article', { name: `Checkpoint ${role}` }).getByRole('combobox', { name: /Role of/ }).selectOption(role);
  }
  await page.getByRole('tab', { name: 'Merge' }).click();
  await page.getByLabel('Merge method').selectOption('capvector');
  await page.getByLabel('α', { exact: true }).fill('0.8');
  await page.getByLabel('Output dtype').selectOption('keep');
  await page.getByLabel(/Shard size/).fill('0');
  await page.getByLabel('Save to').selectOption('download');
}

interface BrowserRun {
  engineChoice: 'cpu' | 'webgpu';
  include: string | null;
  seconds: number;
  /** Seconds from the click to the first sight of each progress phase. */
  phases: Record<string, number>;
  engineText: string;
  summary: string;
  mergedText: string;
  peak: TreePeak;
  idle: TreeSample;
  check: CompareResult;
  bytesWritten: number;
}

async function mergeOnce(page: Page, browserPid: number, engine: 'cpu' | 'webgpu', include: string | null, timeoutMs: number): Promise<BrowserRun> {
  await page.getByLabel('Compute engine').selectOption(engine);
  await page.getByLabel(/^Include only/).fill(include ?? '');
  const before = new Set<string>(await page.evaluate(listRuns));
  const idle = sampleTree(browserPid);
  log(`${engine}: running (include ${include ?? 'all'}), load ${load()}`);
  const watch = watchTree(browserPid, 200);
  const t0 = performance.now();
  await page.getByRole('button', { name: 'Run merge' }).click();
  const ticker = setInterval(() => {
    void page.getByTestId('merge-progress').locator('p.cv-small').textContent({ timeout: 1000 }).then((t) => t && log(`${engine}: ${t.replace(/\s+/g, ' ').slice(0, 120)}`), () => undefined);
  }, 15_000);
  // When the progress heading first names each phase ('merging', then 'hashing' = the merge is written
  // and the rest of the input hashing is awaited, then 'committing').
  const phases: Record<string, number> = {};
  let polling = true;
  const pollPhases = async () => {
    while (polling) {
      const h = await page.locator('#merge-progress-h').textContent({ timeout: 500 }).catch(() => null);
      const m = h ? /\((\w+)\)/.exec(h) : null;
      if (m && !(m[1] in phases)) phases[m[1]] = (performance.now() - t0) / 1000;
      // The heading may never say 'hashing' (see the report): 'tensor n/n' marks the last tensor written.
      const p = await page.getByTestId('merge-progress').locator('p.cv-small').textContent({ timeout: 500 }).catch(() => null);
      const all = p ? /tensor (\d+)\/(\d+)/.exec(p) : null;
      if (all && all[1] === all[2] && !('all tensors written' in phases)) phases['all tensors written'] = (performance.now() - t0) / 1000;
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const phasePoll = pollPhases();
  let peak: TreePeak;
  let seconds: number;
  try {
    await page.locator('[data-testid="merge-result"], [data-testid="merge-error"], [data-testid="merge-cancelled"]').first().waitFor({ timeout: timeoutMs });
    seconds = (performance.now() - t0) / 1000;
  } finally {
    clearInterval(ticker);
    peak = watch.stop();
    polling = false;
    await phasePoll;
  }
  const result = page.getByTestId('merge-result');
  if (!(await result.isVisible())) {
    const why = await page.locator('[data-testid="merge-error"], [data-testid="merge-cancelled"]').first().textContent();
    throw new Error(`${engine} merge did not finish: ${why}`);
  }
  const badge = result.getByTestId('merge-engine');
  const engineText = `${await badge.locator('.cv-badge').textContent()} — ${await badge.locator('.cv-muted').textContent()}`.replace(/\s+/g, ' ').trim();
  const dl = ((await result.locator('dl').textContent()) ?? '').replace(/\s+/g, ' ');
  const summary = /Time(.*?)Throughput(.*?)Saved/.exec(dl)?.slice(1, 3).map((s) => s.trim()).join(', ') ?? dl;
  const mergedText = /Tensors\s*(.*?)Time/.exec(dl)?.[1].trim() ?? '';
  const runDir = (await page.evaluate(listRuns) as string[]).find((d) => !before.has(d));
  if (!runDir) throw new Error(`${engine}: no new run folder in OPFS`);
  log(`${engine}: ${seconds.toFixed(1)} s; comparing with the CLI's output`);
  const check: CompareResult = await page.evaluate(compareOutput({ runDir, cliInput: '__bench_cli', preInput: '__bench_pre', include }));
  await page.evaluate(removeRun(runDir));
  const bytesWritten = check.outFiles.reduce((s, f) => s + f.bytes, 0);
  return { engineChoice: engine, include, seconds, phases, engineText, summary, mergedText, peak, idle, check, bytesWritten };
}

export async function run(): Promise<string> {
  if (!existsSync(join(DATA, 'sft/model.safetensors.index.json'))) {
    const r = spawnSync(PYTHON, [join(ROOT, 'scripts/make_bench_triple.py')], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('making the bench triple failed');
  }
  const loadAtStart = load();
  const inputBytes = ROLES.reduce((s, r) => s + bytesOf(filesOf(r)), 0);
  const tmp = mkdtempSync(join(tmpdir(), 'capvector-browser-bench-'));
  let server: ChildProcess | null = null;
  // A persistent profile, as a user has: Playwright's usual contexts are off-the-record, where Chromium
  // keeps the origin-private file system in the browser process's memory (measured here: +560 MiB of
  // PSS for a 0.59 GB OPFS file), which would count the output's size as merge memory.
  const context = await chromium.launchPersistentContext(join(tmp, 'profile'), {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan'],
    // No downloads: the OPFS file is what the bench reads; a download would copy 0.6 GB for nothing.
    acceptDownloads: false,
  });
  try {
    // The reference: the CLI's output of the same merge, one file like the browser's.
    log('CLI reference merge');
    const cliOut = join(tmp, 'cli.safetensors');
    const t0 = performance.now();
    const cli = spawnSync(process.execPath, ['bin/capvector.mjs', 'merge', ...ROLES.flatMap((r) => [`--${r}`, join(DATA, r)]), '--alpha', '0.8', '--no-hash', '--out', cliOut], { cwd: ROOT, encoding: 'utf8' });
    if (cli.status !== 0) throw new Error(`CLI merge failed: ${cli.stderr.slice(-1000)}`);
    const cliSeconds = (performance.now() - t0) / 1000;

    log(`building the app into ${DIST}`);
    const build = spawnSync('npx', ['vite', 'build', '--outDir', DIST, '--emptyOutDir', '--logLevel', 'warn'], { cwd: ROOT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`build failed: ${build.stderr.slice(-1000)}`);
    const port = await freePort(5293);
    server = spawn('npx', ['vite', 'preview', '--outDir', DIST, '--host', '127.0.0.1', '--port', String(port), '--strictPort'], { cwd: ROOT, stdio: 'ignore', detached: true });
    const base = `http://127.0.0.1:${port}`;
    await waitFor(`${base}/index.html`, 60_000);

    const page = context.pages()[0] ?? (await context.newPage());
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const prepare = async () => {
      await loadTriple(page, base);
      // The references for the check, given to the page by path like the inputs.
      await page.evaluate(addRefInput('__bench_cli'));
      await page.evaluate(addRefInput('__bench_pre'));
      await page.locator('#__bench_cli').setInputFiles([cliOut]);
      await page.locator('#__bench_pre').setInputFiles(safetensorsOf('pre'));
    };
    await prepare();
    const adapter: { vendor: string; architecture: string; description: string; fallback: boolean } | null = await page.evaluate(adapterInfo);
    const pid = launchedBrowserPid();
    if (!pid) throw new Error('no browser process id');

    const runs: BrowserRun[] = [];
    const failures: string[] = [];
    for (const [engine, include, minutes] of [['cpu', null, 6], ['webgpu', WEBGPU_INCLUDE, 8]] as const) {
      try {
        runs.push(await mergeOnce(page, pid, engine, include, minutes * 60_000));
      } catch (e) {
        // One engine failing (no WebGPU adapter, a timeout) still reports the other.
        failures.push(`- The ${engine} run failed: ${(e as Error).message.split('\n')[0]}`);
        await page.goto('about:blank'); // a hash-only goto would keep the app's state
        await prepare();
      }
    }

    const soft = !adapter || adapter.fallback || /swiftshader/i.test(`${adapter.architecture} ${adapter.vendor} ${adapter.description}`);
    const where = (r: BrowserRun) => r.engineChoice === 'cpu' ? 'CPU engine (Worker)' : soft ? 'WebGPU — SwiftShader (CPU emulation) — not GPU speed' : `WebGPU — ${adapter?.vendor} ${adapter?.architecture}`;
    const preBytes = bytesOf(safetensorsOf('pre'));
    const lines = [
      `Triple: 3 × ${gb(preBytes)} GB bf16, 2 shards each (${gb(inputBytes)} GB of input files); output one file of ${gb(runs[0]?.bytesWritten ?? NaN)} GB in the origin-private file system.`,
      `Chromium ${context.browser()?.version() ?? '?'} (${process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'}), app built with \`vite build\` and served by \`vite preview\`; WebGPU adapter: ${adapter ? `${adapter.vendor || '?'} / ${adapter.architecture || '?'}${adapter.description ? ` (${adapter.description})` : ''}` : 'none'}.`,
      '',
      '| run | tensors | wall s (click → result) | GB/s (in+out) | app\'s own figures | engine the UI reports | peak PSS MiB (idle) | peak RSS MiB | peak renderer / GPU RSS MiB |',
      '|---|---|---|---|---|---|---|---|---|',
      ...runs.map((r) => {
        const gbps = (inputBytes + r.bytesWritten) / 1e9 / r.seconds;
        return `| ${where(r)}${r.include ? `, merging only \`${r.include}*\`` : ''} | ${r.mergedText} | ${r.seconds.toFixed(1)} | ${gbps.toFixed(3)} | ${r.summary} | ${r.engineText} | ${mib(r.peak.pssKiB)} (${mib(r.idle.pssKiB)}) | ${mib(r.peak.rssKiB)} | ${mib(r.peak.rssByType.renderer ?? 0)} / ${mib(r.peak.rssByType['gpu-process'] ?? 0)} |`;
      }),
      '',
      `For comparison, the CLI (\`node bin/capvector.mjs merge … --alpha 0.8 --no-hash\`, the reference below) took ${cliSeconds.toFixed(1)} s in this run (${((inputBytes + preBytes) / 1e9 / cliSeconds).toFixed(2)} GB/s).`,
      '',
      'Where the time and memory went:',
      ...runs.map((r) => {
        const ph = Object.entries(r.phases).map(([k, v]) => `${k} seen at ${v.toFixed(1)} s`).join(', ') +
          ('all tensors written' in r.phases ? ' (from then on only the inputs\' SHA-256 was left)' : ' (the last tensor and the result came within one 250 ms poll: the hashing was not left over)');
        const types = Object.keys({ ...r.idle.rssByType, ...r.peak.rssByType }).sort();
        const mem = types.map((k) => `${k} ${mib(r.idle.pssByType[k] ?? 0)} → ${mib(r.peak.pssByType[k] ?? 0)} (RSS ${mib(r.idle.rssByType[k] ?? 0)} → ${mib(r.peak.rssByType[k] ?? 0)})`).join(', ');
        const tl = r.peak.timeline;
        const at = (f: number) => mib(Math.max(...tl.filter((x) => x.ms <= f * r.seconds * 1000 && x.ms > (f - 0.25) * r.seconds * 1000).map((x) => x.pssKiB), 0));
        return `- ${r.engineChoice}: ${ph || 'no progress seen'}, result at ${r.seconds.toFixed(1)} s. PSS MiB by process type, idle → peak: ${mem}. Peak PSS sum in each quarter of the run: ${[0.25, 0.5, 0.75, 1].map(at).join(', ')} MiB (${r.peak.samples} samples).`;
      }),
      '',
      'Correctness (every element of the browser output against the CLI output; tensors outside the include filter against θ_pre):',
      ...runs.map((r) => {
        const c = r.check;
        const pct = c.elements ? ((100 * c.identical) / c.elements).toFixed(4) : '–';
        return `- ${r.engineChoice}: ${c.outTensors} tensors (${c.vsCli} vs CLI, ${c.vsPre} vs θ_pre), names in the CLI's order: ${c.sameNamesInOrder ? 'yes' : 'NO'}; ${c.identical.toLocaleString()} of ${c.elements.toLocaleString()} bf16 elements bit-identical (${pct}%), worst ${c.worstUlp} ulp${c.faults.length ? `; faults: ${c.faults.join('; ')}` : ''}.`;
      }),
      '',
      'Notes:',
      '- Wall time includes what a user waits for: the Worker reopening the inputs, the engine set-up, SHA-256 of every input file (the app always records the inputs\' hashes in `__metadata__`) and the merge; not the download the app offers afterwards (downloads were refused in this bench).',
      `- GB/s = (${gb(inputBytes)} GB of input files + output bytes) / wall time, as merge.bench.ts counts.`,
      '- Memory: Chromium\'s whole process tree (browser, renderer with the page and its Workers, GPU process, utilities) sampled from /proc every 200 ms; PSS (smaps_rollup) is the honest sum, RSS double-counts shared pages. "idle" is just before the click, with the three checkpoints loaded. A persistent (on-disk) profile: in an off-the-record context Chromium holds OPFS files in the browser process\'s memory. Not CDP `Performance.getMetrics` (main-thread JS heap only: the merge runs in a Worker).',
      `- The WebGPU run ${WEBGPU_INCLUDE ? `merges only the tensors whose names contain \`${WEBGPU_INCLUDE}\` (BENCH_WEBGPU_INCLUDE) and copies the rest from θ_pre: its GB/s is not comparable to the CPU row.` : 'merges the whole triple, like the CPU run.'} Its adapter is ${soft ? 'SwiftShader, a CPU emulation of a GPU: its time says nothing about GPU speed' : 'a real GPU'}.`,
      `- Load average at the start: ${loadAtStart}; at the end: ${load()} on ${cpus().length} cores shared with other sessions (other benchmarks ran at the same time: figures vary by ±30%). The input files were in the page cache (the CLI reference ran first).`,
      ...failures,
      ...(pageErrors.length ? [`- Page errors: ${pageErrors.slice(0, 3).join(' | ')}`] : []),
    ];
    return lines.join('\n');
  } finally {
    await context.close();
    if (server?.pid) try { process.kill(-server.pid); } catch { /* already gone */ }
    rmSync(tmp, { recursive: true, force: true });
  }
}
