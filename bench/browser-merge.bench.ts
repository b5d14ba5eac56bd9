/**
 * The merge a person waits for, in the browser and at the command line, side by side in one run on the
 * same files: the merge benchmark's ~1.7 GB bf16 triple (scripts/make_bench_triple.py → bench/data/).
 *
 * - The I/O floor (every input byte read once, the output written once: Node 32 MiB reads, and `cat`) and the CLI
 *   (`capvector merge … --alpha 0.8`) with its defaults (inputs hashed, the hash cache bypassed), with
 *   the inputs' hashes cached (an α sweep's second merge), and without hashing. Median of BENCH_REPEAT.
 * - The browser as a user does it: the built app under `vite preview` in Chromium, the three folders
 *   given to "Open folder…" (setInputFiles passes paths: Chromium reads the files from disk, no copy),
 *   roles pre/aux/sft, the Merge panel's capvector α = 0.8 on the CPU engine, one output file. Timed
 *   from the click on "Run merge" to the download starting and to the download finished (Chromium has
 *   written the file into the downloads folder), and, with "Save to: a file on disk", to the picked file
 *   written and closed. Each with the hash cache cleared first, then again with it warm.
 *   Headless Chromium shows no save picker: a hook (bench/lib/browser-merge-page.ts pickerHook) hands the
 *   app a FileSystemFileHandle from the origin-private file system instead, which it writes through the
 *   same createWritable() as a file on disk (a real picked file adds Chromium's safe-browsing check of
 *   the finished file, which an origin-private one skips).
 * - Where the browser's time goes: the merge Worker's timings ('capvector-merge:*' performance marks),
 *   and the CPU seconds of every run by process (the CLI with its worker threads through /usr/bin/time;
 *   Chromium's browser, renderer and other processes from /proc): on a shared 2-core machine CPU seconds
 *   vary far less than wall time. Chromium's read floor (every input byte read once through
 *   Blob.slice().arrayBuffer() in a Worker, nothing computed or written) shows what reading a user's file
 *   costs the browser before any merging.
 * - Correctness: every downloaded file is compared tensor by tensor with the CLI's output in Node, every
 *   picked file element by element in the page (bytes identical; the metadata differs by design).
 *
 * BENCH_ONLY=<word> keeps the browser runs whose "engine target cached|computed" contains it (e.g. picked).
 * BENCH_WEBGPU=1 adds the same merge on WebGPU (SwiftShader here: CPU emulation, never GPU speed, ~1.5 min;
 * BENCH_WEBGPU_INCLUDE, a tensor-name substring, merges only those tensors and copies the rest).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, linkSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Page } from '@playwright/test';
import { launchedBrowserPid, watchTree, type TreePeak } from './lib/proc-memory';
import { cpuSpent, treeCpu } from './lib/proc-cpu';
import { addRefInput, clearMarks, clearPicked, compareOutput, listRuns, mergeMarks, pickerHook, PICKED_DIR, readAllInWorker, removeRun, writeInWorker, type CompareResult } from './lib/browser-merge-page';
import { compareOutputs, type OutputsCompared } from './lib/compare-outputs';
import { ioFloor } from './lib/io-floor';
import { freePort, waitFor } from './lib/serve';

const ROOT = resolve(import.meta.dirname, '..');
const DATA = join(ROOT, 'bench/data');
const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
const ROLES = ['pre', 'aux', 'sft'] as const;
const REPEAT = Math.max(1, Number(process.env.BENCH_REPEAT ?? 3));
const WEBGPU = process.env.BENCH_WEBGPU === '1';
const WEBGPU_INCLUDE = process.env.BENCH_WEBGPU_INCLUDE || null;
const GOAL_BROWSER = 2;
const GOAL_FLOOR = 3;

const gb = (b: number) => (b / 1e9).toFixed(2);
const mib = (kib: number) => (kib / 1024).toFixed(0);
const s2 = (x: number) => x.toFixed(2);
const load = () => loadavg().map((x) => x.toFixed(1)).join(', ');
const log = (s: string) => process.stderr.write(`[browser-merge] ${s}\n`);

const filesOf = (role: string) => readdirSync(join(DATA, role)).map((f) => join(DATA, role, f));
const safetensorsOf = (role: string) => filesOf(role).filter((f) => f.endsWith('.safetensors')).sort();
const bytesOf = (files: string[]) => files.reduce((s, f) => s + statSync(f).size, 0);

/** Wall seconds and CPU seconds (user + system) of one run. */
interface Run1 {
  seconds: number;
  cpu: number;
}

interface Timed extends Run1 {
  all: number[];
  load: string;
}

/** Runs `once` REPEAT times (with `before` ahead of each): the median (and its CPU), every run, the load at the end. */
async function repeat(once: () => Promise<Run1> | Run1, before: () => void = () => undefined): Promise<Timed> {
  const runs: Run1[] = [];
  for (let i = 0; i < REPEAT; i++) {
    before();
    runs.push(await once());
  }
  const mid = [...runs].sort((a, b) => a.seconds - b.seconds)[(runs.length - 1) >> 1];
  return { ...mid, all: runs.map((r) => r.seconds), load: load() };
}

function cliMerge(out: string, extra: string[], cacheDir: string): Run1 {
  const args = ['bin/capvector.mjs', 'merge', ...ROLES.flatMap((r) => [`--${r}`, join(DATA, r)]), '--alpha', '0.8', '--out', out, ...extra];
  const t0 = performance.now();
  // /usr/bin/time adds the CPU seconds of the CLI and its worker threads.
  const r = spawnSync('/usr/bin/time', ['-f', 'cpu %U %S', process.execPath, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CAPVECTOR_CACHE_DIR: cacheDir } });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`CLI merge failed: ${r.stderr.slice(-1000)}`);
  const m = /cpu ([\d.]+) ([\d.]+)/.exec(r.stderr);
  return { seconds, cpu: m ? Number(m[1]) + Number(m[2]) : NaN };
}

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
}

type Target = 'download' | 'picked' | 'opfs';

interface BrowserRun {
  label: string;
  target: Target;
  engine: 'cpu' | 'webgpu';
  cached: boolean;
  /** Seconds from the click: the result shown, the download started, the download finished. */
  result: number;
  downloadStarted?: number;
  downloadFinished?: number;
  /** Seconds from the click to each of the Worker's steps (performance marks). */
  steps: Record<string, number>;
  /** CPU seconds of Chromium's processes from the click to the end, by process type. */
  cpu: Record<string, number>;
  peak: TreePeak;
  check: string;
  identical: boolean;
  load: string;
}

/** One merge from the click; the output checked against the CLI's, then removed. */
async function mergeOnce(page: Page, pid: number, o: { target: Target; engine: 'cpu' | 'webgpu'; cached: boolean; include?: string | null; cliOut: string; tmp: string }): Promise<BrowserRun> {
  const label = `${o.engine === 'cpu' ? 'CPU engine' : 'WebGPU'} → ${o.target === 'picked' ? 'picked file' : o.target}, hashes ${o.cached ? 'cached' : 'computed'}`;
  await page.getByLabel('Compute engine').selectOption(o.engine);
  await page.getByLabel(/^Include only/).fill(o.include ?? '');
  await page.getByLabel('Save to').selectOption(o.target === 'picked' ? 'disk' : 'download');
  if (!o.cached) {
    await page.getByRole('button', { name: 'Clear hash cache' }).click();
    await page.getByText('Hash cache cleared.').waitFor();
  }
  await page.evaluate(clearPicked);
  await page.evaluate(clearMarks);
  const before = new Set<string>(await page.evaluate(listRuns));
  log(`${label}: running, load ${load()}`);
  const downloads = o.target === 'download' ? page.waitForEvent('download', { timeout: 10 * 60_000 }) : null;
  const watch = watchTree(pid, 200);
  const cpu0 = treeCpu(pid);
  const t0 = Date.now();
  let peak: TreePeak;
  let downloadStarted: number | undefined;
  let downloadFinished: number | undefined;
  let downloadPath: string | null = null;
  let result: number;
  try {
    await page.getByRole('button', { name: 'Run merge' }).click();
    // The last run's result stays up until this run has started (after the picker, for a picked file).
    if (await page.getByTestId('merge-result').count()) await page.getByTestId('merge-result').waitFor({ state: 'detached', timeout: 60_000 });
    const shown = page.locator('[data-testid="merge-result"], [data-testid="merge-error"], [data-testid="merge-cancelled"]').first().waitFor({ timeout: 10 * 60_000 })
      .then(() => (Date.now() - t0) / 1000);
    if (downloads) {
      const dl = await downloads;
      downloadStarted = (Date.now() - t0) / 1000;
      downloadPath = await dl.path();
      downloadFinished = (Date.now() - t0) / 1000;
    }
    result = await shown;
  } finally {
    peak = watch.stop();
  }
  const cpu = cpuSpent(cpu0, treeCpu(pid));
  if (!(await page.getByTestId('merge-result').isVisible())) {
    throw new Error(`${label}: ${await page.locator('[data-testid="merge-error"], [data-testid="merge-cancelled"]').first().textContent()}`);
  }
  const marks: Record<string, number> = await page.evaluate(mergeMarks);
  const click = marks.click ?? t0;
  const steps = Object.fromEntries(Object.entries(marks).filter(([k]) => k !== 'click').map(([k, v]) => [k, (v - click) / 1000]));
  let check: string;
  let identical: boolean;
  const runDir = (await page.evaluate(listRuns) as string[]).find((d) => !before.has(d));
  if (downloadPath) {
    const named = join(o.tmp, 'download.safetensors');
    linkSync(downloadPath, named);
    const c: OutputsCompared = await compareOutputs(named, o.cliOut);
    rmSync(named);
    rmSync(downloadPath);
    identical = c.sameNamesInOrder && c.sameInputHashes && c.faults.length === 0 && c.identicalBytes === c.bytes;
    check = `downloaded file: ${c.tensors} tensors in the CLI's order: ${c.sameNamesInOrder ? 'yes' : 'NO'}; inputs' SHA-256 in the metadata equal to the CLI's: ${c.sameInputHashes ? 'yes' : 'NO'}; ${c.identicalBytes.toLocaleString()} of ${c.bytes.toLocaleString()} tensor bytes identical to the CLI's${c.faults.length ? `; faults: ${c.faults.join('; ')}` : ''}`;
  } else {
    const dir = o.target === 'picked' ? [PICKED_DIR] : ['capvector-merges', runDir ?? ''];
    const c: CompareResult = await page.evaluate(compareOutput({ dir, cliInput: '__bench_cli', preInput: '__bench_pre', include: o.include ?? null }));
    identical = c.sameNamesInOrder && c.faults.length === 0 && c.identical === c.elements;
    check = `${o.target === 'picked' ? 'picked file' : 'browser storage'}: ${c.outTensors} tensors (${c.vsCli} vs CLI, ${c.vsPre} vs θ_pre) in the CLI's order: ${c.sameNamesInOrder ? 'yes' : 'NO'}; ${c.identical.toLocaleString()} of ${c.elements.toLocaleString()} elements bit-identical, worst ${c.worstUlp} ulp${c.faults.length ? `; faults: ${c.faults.join('; ')}` : ''}`;
  }
  if (runDir) await page.evaluate(removeRun(runDir));
  await page.evaluate(clearPicked);
  log(`${label}: result ${s2(result)} s${downloadFinished ? `, download finished ${s2(downloadFinished)} s` : ''}`);
  return { label, target: o.target, engine: o.engine, cached: o.cached, result, downloadStarted, downloadFinished, steps, cpu, peak, check, identical, load: load() };
}

/** What a person waits for: the finished download, else the result (the picked file is closed by then). */
const waited = (r: BrowserRun) => r.downloadFinished ?? r.result;

const STEP_NAMES: [string, string][] = [
  ['received', 'the request reaches the Worker'],
  ['opened', 'inputs reopened'],
  ['engine', 'engine ready'],
  ['merging', 'output opened, merging'],
  ['hashing', 'every tensor written, waiting for the input hashes'],
  ['committing', 'hashes in the header, committing'],
  ['merged', 'output committed'],
  ['finished', 'finished files listed'],
  ['download-handed-off', 'download handed to the browser'],
];

function breakdown(r: BrowserRun): string {
  const seen = STEP_NAMES.filter(([k]) => k in r.steps).map(([k, what]) => `${what} ${s2(r.steps[k])}`);
  if (r.downloadStarted !== undefined) seen.push(`download started ${s2(r.downloadStarted)}`, `download finished ${s2(r.downloadFinished!)}`);
  else seen.push(`result shown ${s2(r.result)}`);
  const cpu = Object.entries(r.cpu).filter(([, v]) => v >= 0.05).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${s2(v)}`).join(', ');
  return `- ${r.label}: ${seen.join(' → ')} s. CPU seconds: ${cpu}. Peak PSS of Chromium's process tree ${mib(r.peak.pssKiB)} MiB.`;
}

export async function run(): Promise<string> {
  if (!existsSync(join(DATA, 'sft/model.safetensors.index.json'))) {
    const r = spawnSync(PYTHON, [join(ROOT, 'scripts/make_bench_triple.py')], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('making the bench triple failed');
  }
  const loadAtStart = load();
  const inputFiles = ROLES.flatMap(filesOf);
  const inputBytes = bytesOf(inputFiles);
  const preBytes = bytesOf(safetensorsOf('pre'));
  const tmp = mkdtempSync(join(tmpdir(), 'capvector-browser-bench-'));
  const cacheDir = join(tmp, 'hash-cache');
  // Its own build folder: other sessions may build theirs at the same time.
  const DIST = join(tmp, 'dist');
  let server: ChildProcess | null = null;
  try {
    // The CLI's bundle is (re)made on its first start after a source change: not part of any timing.
    spawnSync(process.execPath, ['bin/capvector.mjs', '--help'], { cwd: ROOT });
    const cliOut = join(tmp, 'cli.safetensors');
    const rmOut = () => rmSync(cliOut, { force: true });
    log('I/O floor and CLI');
    const catFloor = await repeat(() => {
      const t0 = performance.now();
      const q = (fs: string[]) => fs.map((f) => JSON.stringify(f)).join(' ');
      const sh = `cat ${q(safetensorsOf('pre'))} > ${JSON.stringify(join(tmp, 'floor.bin'))}; cat ${q([...safetensorsOf('aux'), ...safetensorsOf('sft')])} > /dev/null`;
      const r = spawnSync('/usr/bin/time', ['-f', 'cpu %U %S', 'sh', '-c', sh], { encoding: 'utf8' });
      const seconds = (performance.now() - t0) / 1000;
      rmSync(join(tmp, 'floor.bin'));
      const m = /cpu ([\d.]+) ([\d.]+)/.exec(r.stderr);
      return { seconds, cpu: m ? Number(m[1]) + Number(m[2]) : NaN };
    });
    const floor = await repeat(async () => {
      const c0 = process.cpuUsage();
      const t = await ioFloor(inputFiles, preBytes, join(tmp, 'floor.bin'));
      const c = process.cpuUsage(c0);
      rmSync(join(tmp, 'floor.bin'));
      return { seconds: t, cpu: (c.user + c.system) / 1e6 };
    });
    const cliNoHash = await repeat(() => cliMerge(cliOut, ['--no-hash'], cacheDir), rmOut);
    const cliHashed = await repeat(() => cliMerge(cliOut, ['--no-hash-cache'], cacheDir), rmOut);
    rmOut();
    cliMerge(cliOut, [], cacheDir); // fills the hash cache
    const cliCached = await repeat(() => cliMerge(cliOut, [], cacheDir), rmOut);

    log(`building the app into ${DIST}`);
    const build = spawnSync('npx', ['vite', 'build', '--outDir', DIST, '--emptyOutDir', '--logLevel', 'warn'], { cwd: ROOT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`build failed: ${build.stderr.slice(-1000)}`);
    const port = await freePort(5293);
    server = spawn('npx', ['vite', 'preview', '--outDir', DIST, '--host', '127.0.0.1', '--port', String(port), '--strictPort'], { cwd: ROOT, stdio: 'ignore', detached: true });
    const base = `http://127.0.0.1:${port}`;
    await waitFor(`${base}/index.html`, 60_000);

    // A persistent profile, as a user has: in Playwright's usual off-the-record contexts Chromium keeps
    // the origin-private file system in the browser process's memory.
    const context = await chromium.launchPersistentContext(join(tmp, 'profile'), {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan'],
      acceptDownloads: true,
      downloadsPath: join(tmp, 'downloads'),
    });
    const runs: BrowserRun[] = [];
    const failures: string[] = [];
    let browserReads: Timed | null = null;
    let browserSyncWrites: Timed | null = null;
    let browserWritable: Timed | null = null;
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      await page.addInitScript(pickerHook);
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));
      await loadTriple(page, base);
      await page.evaluate(addRefInput('__bench_cli'));
      await page.evaluate(addRefInput('__bench_pre'));
      await page.locator('#__bench_cli').setInputFiles([cliOut]);
      await page.locator('#__bench_pre').setInputFiles(safetensorsOf('pre'));
      await page.evaluate(addRefInput('__bench_all'));
      await page.locator('#__bench_all').setInputFiles(ROLES.flatMap(safetensorsOf));
      const pid = launchedBrowserPid();
      if (!pid) throw new Error('no browser process id');
      log(`Chromium's read and write floors, load ${load()}`);
      const inPage = (js: string) => async () => {
        const c0 = treeCpu(pid);
        const t0 = performance.now();
        await page.evaluate(js);
        return { seconds: (performance.now() - t0) / 1000, cpu: Object.values(cpuSpent(c0, treeCpu(pid))).reduce((a, b) => a + b, 0) };
      };
      browserReads = await repeat(inPage(readAllInWorker('__bench_all')));
      browserSyncWrites = await repeat(inPage(writeInWorker('sync', preBytes)));
      browserWritable = await repeat(inPage(writeInWorker('writable', preBytes)));
      const plan: { target: Target; engine: 'cpu' | 'webgpu'; cached: boolean; include?: string | null }[] = [
        { target: 'download', engine: 'cpu', cached: false },
        { target: 'download', engine: 'cpu', cached: true },
        { target: 'picked', engine: 'cpu', cached: false },
        { target: 'picked', engine: 'cpu', cached: true },
        ...(WEBGPU ? [{ target: 'opfs' as const, engine: 'webgpu' as const, cached: true, include: WEBGPU_INCLUDE }] : []),
      ];
      // BENCH_ONLY=picked (or download, cached, computed…): only the runs whose label contains it.
      const only = process.env.BENCH_ONLY;
      for (const p of plan.filter((x) => !only || `${x.engine} ${x.target} ${x.cached ? 'cached' : 'computed'}`.includes(only))) {
        try {
          runs.push(await mergeOnce(page, pid, { ...p, cliOut, tmp }));
        } catch (e) {
          failures.push(`- ${p.engine} → ${p.target} failed: ${(e as Error).message.split('\n')[0]}`);
          if (!(await page.getByRole('button', { name: 'Run merge' }).isVisible().catch(() => false))) await loadTriple(page, base);
          else await page.getByRole('button', { name: 'Dismiss' }).click().catch(() => undefined);
        }
      }
      if (pageErrors.length) failures.push(`- Page errors: ${pageErrors.slice(0, 3).join(' | ')}`);
    } finally {
      await context.close();
    }

    const cliFor = (r: BrowserRun) => (r.cached ? cliCached : cliHashed);
    // What Chromium's own I/O costs before any merging: the reads, the write, and (downloads) its copy into the downloads folder.
    const browserFloors = (): string[] => {
      if (!browserReads || !browserSyncWrites || !browserWritable) return [];
      const copy = runs.find((r) => r.downloadFinished !== undefined);
      const dl = browserReads.seconds + browserSyncWrites.seconds + (copy ? copy.downloadFinished! - copy.downloadStarted! : 0);
      const picked = browserReads.seconds + browserWritable.seconds;
      return [
        `- Chromium's I/O alone, run one after the other (the merge overlaps them): to a finished download ${s2(dl)} s (reads + storage write${copy ? ' + the download\'s copy' : ''}) = ${(dl / cliCached.seconds).toFixed(2)}× the CLI with cached hashes; to a picked file ${s2(picked)} s (reads + createWritable) = ${(picked / cliCached.seconds).toFixed(2)}×.`,
      ];
    };
    const ratio = (r: BrowserRun) => waited(r) / cliFor(r).seconds;
    const verdict = (x: number, goal: number) => `${x.toFixed(2)}× (goal ≤ ${goal}×: ${x <= goal ? 'met' : 'NOT met'})`;
    const cpuRuns = runs.filter((r) => r.engine === 'cpu');
    return [
      `Triple: 3 × ${gb(preBytes)} GB bf16, ${safetensorsOf('pre').length} shards each (${gb(inputBytes)} GB of input files); output one file of ${gb(preBytes)} GB.`,
      `Chromium ${context.browser()?.version() ?? '?'} (${process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'}, headless), app built with \`vite build\`, served by \`vite preview\`. Warm page cache throughout (the floor runs first).`,
      '',
      '| run | seconds (median) | CPU seconds | all runs | load average after |',
      '|---|---|---|---|---|',
      `| I/O floor: read every input byte once, write the output once (32 MiB reads, Node) | ${s2(floor.seconds)} | ${s2(floor.cpu)} | ${floor.all.map(s2).join(' ')} | ${floor.load} |`,
      `| I/O floor with \`cat\` (θ_pre's files into the output file, θ_aux's and θ_sft's to /dev/null) | ${s2(catFloor.seconds)} | ${s2(catFloor.cpu)} | ${catFloor.all.map(s2).join(' ')} | ${catFloor.load} |`,
      ...([
        [browserReads, 'Chromium\'s read floor: every input byte read once through Blob.slice().arrayBuffer() in a Worker (16 MiB, all files side by side), nothing written'],
        [browserSyncWrites, `Chromium's write floor before a download: ${gb(preBytes)} GB into browser storage through a sync access handle in a Worker (16 MiB writes)`],
        [browserWritable, `Chromium's write floor for a picked file: ${gb(preBytes)} GB through createWritable() in a Worker (16 MiB writes), closed`],
      ] as const).flatMap(([t, what]) => (t ? [`| ${what} | ${s2(t.seconds)} | ${s2(t.cpu)} | ${t.all.map(s2).join(' ')} | ${t.load} |`] : [])),
      `| CLI \`capvector merge … --alpha 0.8\`, inputs hashed (\`--no-hash-cache\`) | ${s2(cliHashed.seconds)} | ${s2(cliHashed.cpu)} | ${cliHashed.all.map(s2).join(' ')} | ${cliHashed.load} |`,
      `| CLI, inputs' hashes cached (the default, second merge of the same inputs) | ${s2(cliCached.seconds)} | ${s2(cliCached.cpu)} | ${cliCached.all.map(s2).join(' ')} | ${cliCached.load} |`,
      `| CLI \`--no-hash\` | ${s2(cliNoHash.seconds)} | ${s2(cliNoHash.cpu)} | ${cliNoHash.all.map(s2).join(' ')} | ${cliNoHash.load} |`,
      ...runs.map((r) => `| browser, ${r.label}: click → ${r.downloadFinished !== undefined ? 'download finished' : r.target === 'picked' ? 'picked file written and closed' : 'result'} | ${s2(waited(r))} | ${s2(Object.values(r.cpu).reduce((a, b) => a + b, 0))} | ${r.downloadStarted !== undefined ? `download started at ${s2(r.downloadStarted)}` : 'one run'} | ${r.load} |`),
      '',
      'Ratios (the browser against the CLI in the same hashing state; the CLI without hashing against the floor):',
      ...cpuRuns.map((r) => `- browser ${r.label} / CLI ${r.cached ? 'cached' : 'hashed'}: ${verdict(ratio(r), GOAL_BROWSER)}; in CPU seconds ${(Object.values(r.cpu).reduce((a, b) => a + b, 0) / cliFor(r).cpu).toFixed(2)}×`),
      `- CLI --no-hash / I/O floor (the lower of the two floors): ${verdict(cliNoHash.seconds / Math.min(floor.seconds, catFloor.seconds), GOAL_FLOOR)}`,
      ...browserFloors(),
      '',
      'Where the browser\'s time goes (seconds from the click, the merge Worker\'s performance marks):',
      ...runs.map(breakdown),
      '',
      'Correctness (tensor bytes against the CLI\'s output of the same merge; the metadata differs by design):',
      ...runs.map((r) => `- ${r.label}: ${r.identical ? 'identical' : 'DIFFERENT'} — ${r.check}.`),
      '',
      'Notes:',
      '- The picked file is a FileSystemFileHandle from the origin-private file system handed to the app by a stand-in for showSaveFilePicker (headless Chromium shows no picker); the app writes it through createWritable() as it would a file on disk. A real file on disk adds Chromium\'s safe-browsing check on close.',
      '- "Download finished" is Playwright\'s download.path() resolving: Chromium has written the whole file into the downloads folder.',
      `- Load average at the start: ${loadAtStart}; at the end: ${load()}, on ${cpus().length} cores shared with other sessions.`,
      ...failures,
    ].join('\n');
  } finally {
    if (server?.pid) try { process.kill(-server.pid); } catch { /* already gone */ }
    rmSync(tmp, { recursive: true, force: true });
  }
}
