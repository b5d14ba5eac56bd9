/**
 * Merge throughput on a ~1.7 GB bf16 triple (scripts/make_bench_triple.py, made once into bench/data/):
 * the CLI (`capvector merge`, CPU engine) against a PyTorch baseline (memory-mapped, per tensor, float32)
 * and against the I/O floor (every input byte read once, the output written once, same chunking), all in
 * one run, with peak RSS from /usr/bin/time -v. Files stay in the page cache between the runs (the floor
 * runs first and warms it), so the comparison is of work, not of disk speed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openPath } from '../src/node/paths';
import { closeAll } from '../src/node/file-source';
import { openvla7bLayout, writeSparseFile } from '../scripts/openvla7b-shaped';
import { ioFloor } from './lib/io-floor';

const ROOT = resolve(import.meta.dirname, '..');
const DATA = join(ROOT, 'bench/data');
/** Debian's python with torch here; BENCH_PYTHON elsewhere. */
const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
const RSS_WRAPPER = 'import resource,subprocess,sys\nr=subprocess.run(sys.argv[1:])\nsys.stderr.write("Maximum resident set size (kbytes): %d\\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\nsys.exit(r.returncode)';

export function timed(cmd: string, args: string[]): { seconds: number; rssBytes: number; stdout: string; stderr: string } {
  const t0 = performance.now();
  // Peak RSS from /usr/bin/time -v, or from getrusage(RUSAGE_CHILDREN) where time(1) is absent.
  const [wrap, wargs] = existsSync('/usr/bin/time') ? ['/usr/bin/time', ['-v']] : [PYTHON, ['-c', RSS_WRAPPER]];
  const r = spawnSync(wrap, [...wargs, cmd, ...args], { encoding: 'utf8', cwd: ROOT, maxBuffer: 1 << 24 });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr.slice(-2000)}`);
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  return { seconds, rssBytes: m ? Number(m[1]) * 1024 : NaN, stdout: r.stdout, stderr: r.stderr };
}

/** Each timed command runs REPEAT times (BENCH_REPEAT, default 3): the median time, the largest peak RSS. */
const REPEAT = Math.max(1, Number(process.env.BENCH_REPEAT ?? 3));
function median(cmd: string, args: string[], cleanup: () => void): ReturnType<typeof timed> & { all: number[] } {
  const runs = Array.from({ length: REPEAT }, (_, i) => {
    if (i > 0) cleanup();
    return timed(cmd, args);
  });
  const sorted = [...runs].sort((a, b) => a.seconds - b.seconds);
  const mid = sorted[(sorted.length - 1) >> 1];
  return { ...mid, rssBytes: Math.max(...runs.map((r) => r.rssBytes)), all: runs.map((r) => r.seconds) };
}

const gb = (b: number) => (b / 1e9).toFixed(2);
const mib = (b: number) => (b / 2 ** 20).toFixed(0);

export async function run(): Promise<string> {
  if (!existsSync(join(DATA, 'sft/model.safetensors.index.json'))) {
    const r = spawnSync(PYTHON, [join(ROOT, 'scripts/make_bench_triple.py')], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('making the bench triple failed');
  }
  const inputFiles = ['pre', 'aux', 'sft'].flatMap((r) => readdirSync(join(DATA, r)).map((f) => join(DATA, r, f)));
  const inputBytes = inputFiles.reduce((s, f) => s + statSync(f).size, 0);
  const preBytes = readdirSync(join(DATA, 'pre')).reduce((s, f) => s + statSync(join(DATA, 'pre', f)).size, 0);
  const loadAtStart = loadavg();
  const tmp = mkdtempSync(join(tmpdir(), 'capvector-bench-'));
  try {
    const floors: number[] = [];
    for (let i = 0; i < REPEAT; i++) {
      floors.push(await ioFloor(inputFiles, preBytes, join(tmp, 'floor.bin')));
      rmSync(join(tmp, 'floor.bin'));
    }
    const floor = [...floors].sort((a, b) => a - b)[(floors.length - 1) >> 1];
    const args = ['bin/capvector.mjs', 'merge', '--pre', join(DATA, 'pre'), '--aux', join(DATA, 'aux'), '--sft', join(DATA, 'sft'), '--alpha', '0.8', '--shard-size', '300MB'];
    // The CLI's bundle is (re)made on its first start after a source change: not part of any timing.
    spawnSync(process.execPath, ['bin/capvector.mjs', '--help'], { cwd: ROOT });
    const rm = (d: string) => () => rmSync(join(tmp, d), { recursive: true, force: true });
    const cliHash = median(process.execPath, [...args, '--no-hash-cache', '--out', join(tmp, 'cli-hash')], rm('cli-hash'));
    rm('cli-hash')();
    const cli = median(process.execPath, [...args, '--no-hash', '--out', join(tmp, 'cli')], rm('cli'));
    const cli1 = median(process.execPath, [...args, '--no-hash', '--threads', '0', '--out', join(tmp, 'cli1')], rm('cli1'));
    rm('cli1')();
    const threads = /engine cpu(?: ×(\d+))?/.exec(cli.stdout)?.[1] ?? '1';
    const torch = median(PYTHON, [join(ROOT, 'bench/torch_merge_baseline.py'), join(DATA, 'pre'), join(DATA, 'aux'), join(DATA, 'sft'), '0.8', join(tmp, 'torch.safetensors')], () => undefined);
    const torchInner = JSON.parse(torch.stdout.trim().split('\n').at(-1)!);
    // The CLI rounds the exact result once (engine contract); the baseline rounds float32 arithmetic
    // f32(pre + f32(0.8·f32(aux − sft))) to bf16, so the two may differ by 1 ulp where float32 rounding
    // decides a bf16 tie. Count both.
    const a = await openPath(join(tmp, 'cli'));
    const b = await openPath(join(tmp, 'torch.safetensors'));
    const bt = new Map(b.tensors.map((t) => [t.name, t]));
    let same = 0, total = 0, oneUlp = 0;
    const ord = (h: number) => (h & 0x8000 ? -(h & 0x7fff) : h);
    for (const t of a.tensors) {
      const x = await t.read(), y = await bt.get(t.name)!.read();
      total += x.length / 2;
      const xu = new Uint16Array(x.slice().buffer), yu = new Uint16Array(y.slice().buffer);
      for (let i = 0; i < xu.length; i++) {
        if (xu[i] === yu[i]) same++;
        else if (Math.abs(ord(xu[i]) - ord(yu[i])) <= 1) oneUlp++;
      }
    }
    await closeAll();
    const rows = [
      ['I/O floor (read inputs once, write output once)', floor, NaN],
      [`CLI \`capvector merge\` (CPU engine in ${threads} worker thread${threads === '1' ? '' : 's'}, --no-hash)`, cli.seconds, cli.rssBytes],
      ['CLI `capvector merge` (CPU engine on the main thread, --threads 0, --no-hash)', cli1.seconds, cli1.rssBytes],
      ['CLI `capvector merge` (CPU engine, SHA-256 of inputs)', cliHash.seconds, cliHash.rssBytes],
      ['PyTorch baseline (mmap, per tensor, f32), wall incl. start-up', torch.seconds, torch.rssBytes],
    ] as const;
    const lines = [
      `Triple: 3 × ${gb(preBytes)} GB bf16 (${gb(inputBytes)} GB read, ${gb(preBytes)} GB written), sharded inputs and output (300 MB shards).`,
      '',
      '| run | seconds | GB/s (in+out) | peak RSS MiB |',
      '|---|---|---|---|',
      ...rows.map(([n, s, r]) => `| ${n} | ${s.toFixed(2)} | ${((inputBytes + preBytes) / 1e9 / s).toFixed(2)} | ${Number.isNaN(r) ? '–' : mib(r)} |`),
      '',
      `Median of ${REPEAT} runs each (BENCH_REPEAT). All runs, seconds: floor ${floors.map((x) => x.toFixed(2)).join(' ')}; CLI ${cli.all.map((x) => x.toFixed(2)).join(' ')}; CLI on the main thread ${cli1.all.map((x) => x.toFixed(2)).join(' ')}; CLI with hashing ${cliHash.all.map((x) => x.toFixed(2)).join(' ')}; PyTorch ${torch.all.map((x) => x.toFixed(2)).join(' ')}.`,
      `PyTorch's own timer (after imports, its median run): ${torchInner.seconds.toFixed(2)} s.`,
      `CLI / PyTorch: ${(cli.seconds / torch.seconds).toFixed(2)}× (target ≤ 0.25×); with hashing ${(cliHash.seconds / torch.seconds).toFixed(2)}×.`,
      `CLI / I/O floor: ${(cli.seconds / floor).toFixed(2)}× (target ≤ 3×); with hashing ${(cliHash.seconds / floor).toFixed(2)}×.`,
      `Peak memory: CLI ${mib(Math.max(cli.rssBytes, cliHash.rssBytes, cli1.rssBytes))} MiB (target < 1024 MiB), PyTorch ${mib(torch.rssBytes)} MiB.`,
      `Per output element: CLI ${((cli1.seconds * 1e9) / (preBytes / 2)).toFixed(1)} ns single-threaded (--threads 0), ${((cli.seconds * 1e9) / (preBytes / 2)).toFixed(1)} ns with workers; I/O floor ${((floor * 1e9) / (preBytes / 2)).toFixed(1)} ns.`,
      `Load average at the start: ${loadAtStart.map((x) => x.toFixed(1)).join(', ')} on ${cpus().length} cores shared with other sessions; the file cache was warm (the floor runs first).`,
      `Outputs agree: ${((100 * same) / total).toFixed(4)}% of ${total.toLocaleString()} bf16 elements bit-identical between the CLI (exact result rounded once) and PyTorch's float32 baseline, ${((100 * (same + oneUlp)) / total).toFixed(4)}% within 1 ulp.`,
    ];
    lines.push('', ...(await sevenBShaped()), '', ...(await loraSevenB()));
    return lines.join('\n');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** How long the 7B-shaped merge may run before it is interrupted (SEVEN_B_SECONDS). */
const SEVEN_B_SECONDS = Number(process.env.SEVEN_B_SECONDS ?? 40);

/**
 * Memory at 7B scale: the CLI merges a triple of sparse files with OpenVLA-7B's layout (3 × 15 GB of
 * bf16 that take no disk and read as zeros) for SEVEN_B_SECONDS, its RSS sampled from /proc every
 * 100 ms (the worker threads are in the same process), then is interrupted with SIGINT: memory must
 * stay flat, and an interrupted export must leave nothing behind.
 */
export async function sevenBShaped(): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cv-bench-7b-merge-'));
  try {
    const layout = openvla7bLayout(1);
    let bytes = 0;
    for (const r of ['pre', 'aux', 'sft']) bytes += writeSparseFile(join(dir, `${r}.safetensors`), layout);
    const out = join(dir, 'out');
    const { code, seconds, rss, lastProgress } = await watchedCli([
      'merge', '--pre', join(dir, 'pre.safetensors'), '--aux', join(dir, 'aux.safetensors'),
      '--sft', join(dir, 'sft.safetensors'), '--alpha', '0.8', '--no-hash', '--progress', '--shard-size', '5GB', '--out', out,
    ]);
    const left = existsSync(out) ? readdirSync(out) : [];
    const pct = Number(/merging ([\d.]+)%/.exec(lastProgress)?.[1] ?? NaN);
    const quarter = (q: number) => Math.max(...rss.slice(Math.floor((q * rss.length) / 4), Math.floor(((q + 1) * rss.length) / 4)).concat(0)) / 2 ** 20;
    return [
      `7B-shaped triple (sparse files, OpenVLA-7B layout, ${layout.length} tensors, 3 × ${(bytes / 3 / 1e9).toFixed(1)} GB): the CLI (2+ workers, --no-hash) ran ${seconds.toFixed(1)} s` +
        (code === 0 ? ' to the end' : `, reached ${pct.toFixed(1)}% of its bytes and was interrupted (SIGINT; exit ${code})`) +
        `; peak RSS ${(Math.max(...rss) / 2 ** 20).toFixed(0)} MiB, per quarter of the run ${[0, 1, 2, 3].map((q) => quarter(q).toFixed(0)).join(' / ')} MiB (${rss.length} samples);` +
        ` files left in the output folder after the interrupt: ${code === 0 ? 'n/a (completed)' : left.length === 0 ? 'none' : left.join(', ')}.`,
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs `capvector ARGS` for at most SEVEN_B_SECONDS (then SIGINT, as a person's Ctrl-C), sampling its RSS
 * every 100 ms and keeping its last "merging …" progress line and the tail of its stderr.
 */
async function watchedCli(args: string[]): Promise<{ code: number | null; seconds: number; rss: number[]; lastProgress: string; tail: string }> {
  const child = spawn(process.execPath, ['bin/capvector.mjs', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let lastProgress = '';
  let stderr = '';
  let tail = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    tail = (tail + d.toString()).slice(-2000);
    const lines = stderr.split('\n');
    stderr = lines.pop()!;
    for (const l of lines) if (l.startsWith('merging')) lastProgress = l;
  });
  child.stdout.resume();
  const rss: number[] = [];
  const sampler = setInterval(() => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) rss.push(Number(m[1]) * 1024);
    } catch {
      // exited
    }
  }, 100);
  const t0 = performance.now();
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  const timer = setTimeout(() => child.kill('SIGINT'), SEVEN_B_SECONDS * 1000);
  const code = await exited;
  clearTimeout(timer);
  clearInterval(sampler);
  return { code, seconds: (performance.now() - t0) / 1000, rss, lastProgress, tail };
}

/**
 * A LoRA adapter on the 7B-shaped base: OpenVLA's finetune (PEFT LoRA, r = 32, lora_alpha = 16, every
 * linear layer but lm_head, bf16) applied as PEFT's merge-and-unload (`capvector apply --vector ADAPTER`),
 * ΔW formed per chunk by the lora op. Sparse files (zeros; the arithmetic is the same), run for
 * SEVEN_B_SECONDS with RSS sampled, then interrupted like sevenBShaped. LORA_BENCH_SCALE divides every
 * width (the check at small scale: LORA_BENCH_SCALE=16 runs it to the end in seconds).
 */
export async function loraSevenB(scale = Number(process.env.LORA_BENCH_SCALE ?? 1)): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cv-bench-7b-lora-'));
  try {
    const layout = openvla7bLayout(scale);
    const baseBytes = writeSparseFile(join(dir, 'pre.safetensors'), layout);
    const r = 32;
    const linear = layout.filter((t) => t.shape.length === 2 && t.name.endsWith('.weight') && !/embed_tokens|lm_head|pos_embed|_token/.test(t.name));
    const factors = linear.flatMap((t) => {
      const m = `base_model.model.${t.name.slice(0, -'.weight'.length)}`;
      return [{ name: `${m}.lora_A.weight`, shape: [r, t.shape[1]] }, { name: `${m}.lora_B.weight`, shape: [t.shape[0], r] }];
    });
    const adapter = join(dir, 'lora_adapter');
    mkdirSync(adapter);
    const adapterBytes = writeSparseFile(join(adapter, 'adapter_model.safetensors'), factors);
    const targets = [...new Set(linear.map((t) => t.name.split('.').at(-2)!))];
    writeFileSync(join(adapter, 'adapter_config.json'), JSON.stringify({ peft_type: 'LORA', r, lora_alpha: 16, target_modules: targets, lora_dropout: 0, use_rslora: false }));
    const out = join(dir, 'out');
    const load = loadavg();
    const { code, seconds, rss, lastProgress, tail } = await watchedCli([
      'apply', '--pre', join(dir, 'pre.safetensors'), '--vector', adapter, '--alpha', '1', '--no-hash', '--progress', '--shard-size', '5GB', '--out', out,
    ]);
    if (code !== 0 && code !== null && !lastProgress) throw new Error(`the LoRA apply failed (${code}):\n${tail}`);
    const pct = code === 0 ? 100 : Number(/merging ([\d.]+)%/.exec(lastProgress)?.[1] ?? NaN);
    const left = existsSync(out) ? readdirSync(out) : [];
    return [
      `LoRA on the 7B-shaped base (${scale === 1 ? 'OpenVLA-7B layout' : `OpenVLA-7B layout with widths ÷ ${scale}`}, ${(baseBytes / 1e9).toFixed(2)} GB bf16; adapter r = ${r}, lora_alpha = 16, ` +
        `${linear.length} linear modules, ${(adapterBytes / 1e6).toFixed(0)} MB of bf16 factors): \`capvector apply --vector lora_adapter --alpha 1\` (merge-and-unload, --no-hash) ran ${seconds.toFixed(1)} s` +
        (code === 0 ? ' to the end' : `, reached ${pct.toFixed(1)}% of its bytes and was interrupted (SIGINT; exit ${code})`) +
        `, ≈ ${((pct / 100) * baseBytes / 1e9 / seconds).toFixed(2)} GB of θ_pre per second; peak RSS ${(Math.max(...rss, 0) / 2 ** 20).toFixed(0)} MiB (${rss.length} samples);` +
        ` files left after an interrupt: ${code === 0 ? 'n/a (completed)' : left.length === 0 ? 'none' : left.join(', ')}. Load average at the start ${load.map((x) => x.toFixed(1)).join(', ')} on ${cpus().length} cores.`,
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
