/**
 * `capvector extract --aux A --sft S --lora-rank R [--lora-energy q] [--lora-power N] [--threads N] --out DIR`:
 * γ written as a PEFT LoRA adapter (../../merge/lora/export.ts) into a folder, with a per-tensor
 * report on stdout (also saved as lora-report.json beside the adapter).
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { CpuEngine } from '../../compute/cpu-engine';
import { exportLora, type LoraExportResult } from '../../merge/lora/export';
import { MergePlanError } from '../../merge/plan';
import type { Checkpoint } from '../../formats/checkpoint';
import type { MergeInputs, Recipe } from '../../merge/types';
import { closeAll } from '../../node/file-source';
import { fileSink } from '../../node/file-sink';
import { openPaths } from '../../node/paths';
import { spectralPool } from '../../node/spectral-pool';
import { formatBytes } from '../../text/bytes';
import { one, type Args } from '../args';
import { UsageError, type CliIO } from '../io';
import { reportPlanError } from '../run-merge';

export const LORA_OPTIONS = ['lora-rank', 'lora-energy', 'lora-power'];

export interface LoraArgs {
  maxRank: number;
  energy?: number;
  powerIterations: number;
}

/** The --lora-* options, or null when --lora-rank is absent (a dense extract). */
export function loraArgs(p: Args): LoraArgs | null {
  const rank = one(p, 'lora-rank');
  if (rank === undefined) {
    for (const o of LORA_OPTIONS) if (one(p, o) !== undefined) throw new UsageError(`--${o} needs --lora-rank`);
    return null;
  }
  const maxRank = Number(rank);
  if (!Number.isInteger(maxRank) || maxRank < 1) throw new UsageError(`--lora-rank must be a whole number ≥ 1, got '${rank}'`);
  const e = one(p, 'lora-energy');
  const energy = e === undefined ? undefined : Number(e);
  if (energy !== undefined && !(energy > 0 && energy <= 1)) throw new UsageError(`--lora-energy must be a number in (0, 1], got '${e}'`);
  const pw = one(p, 'lora-power');
  const powerIterations = pw === undefined ? 2 : Number(pw);
  if (!Number.isInteger(powerIterations) || powerIterations < 0 || powerIterations > 20) throw new UsageError(`--lora-power must be a whole number from 0 to 20, got '${pw}'`);
  return { maxRank, energy, powerIterations };
}

const pct = (x: number | undefined) => (x === undefined ? '' : `${(100 * x).toFixed(2)}%`);
const sci = (x: number | undefined) => (x === undefined ? '' : x.toPrecision(4));

/** The per-tensor table and the totals, as printed. */
export function reportLines(r: LoraExportResult): string[] {
  const head = ['tensor', 'kind', 'shape', 'rank', 'energy kept', '‖γ−γ_r‖_F', 'Eckart–Young', 'ratio', 'bytes', 'dense bytes'];
  const rows = r.tensors.map((t) => [
    t.name, t.kind, t.shape.join('×'), t.rank === undefined ? '' : String(t.rank), pct(t.energyKept), sci(t.error),
    t.eckartYoung === undefined ? '' : `${sci(t.eckartYoung)}${t.exactSvd ? '' : '*'}`,
    t.error !== undefined && t.eckartYoung ? (t.error / t.eckartYoung).toFixed(4) : '',
    String(t.bytes), String(t.denseBytes),
  ]);
  const cells = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...cells.map((c) => c[i].length)));
  const lines = cells.map((c) => c.map((x, i) => x.padEnd(widths[i])).join('  ').trimEnd());
  const t = r.totals;
  lines.push(
    '',
    `adapter: ${t.modules} LoRA module(s), ${formatBytes(t.adapterBytes, 'decimal')} (float32)` +
      (t.dense ? ` + ${t.dense} tensor(s) whole in gamma_dense.safetensors (${formatBytes(t.denseSideBytes, 'decimal')})` : '') +
      (t.zero ? ` · ${t.zero} zero γ matrix(es) left out (ΔW = 0)` : '') +
      ` · dense γ ${formatBytes(t.denseGammaBytes, 'decimal')} → ${((100 * (t.adapterBytes + t.denseSideBytes)) / Math.max(1, t.denseGammaBytes)).toFixed(1)}% of it`,
    '* randomised SVD: the Eckart–Young column comes from the computed spectrum (an upper estimate of the true one)',
  );
  return lines;
}

export async function runLoraExport(spec: { recipe: Recipe; rolePaths: Record<string, string>; out: string; parsed: Args; lora: LoraArgs }, io: CliIO): Promise<number> {
  const { out, parsed, lora } = spec;
  if (out.endsWith('.safetensors')) throw new UsageError('--out of a LoRA export is a folder (adapter_config.json, adapter_model.safetensors, …)');
  const dir = resolve(out);
  const engine = new CpuEngine();
  // Matrices factored on worker threads (--threads, default as merges; 0: the main thread), at most 1 GiB
  // of float64 matrices in flight besides one of any size.
  const threadsArg = one(parsed, 'threads');
  const threads = threadsArg === undefined ? Math.min(6, Math.max(2, availableParallelism() - 1)) : Number(threadsArg);
  if (!Number.isInteger(threads) || threads < 0 || threads > 64) throw new UsageError(`--threads must be a whole number from 0 to 64 (0 = the main thread), got '${threadsArg}'`);
  const pool = threads > 0 ? await spectralPool(threads) : null;
  const ac = new AbortController();
  const onSig = () => ac.abort(Object.assign(new Error('cancelled (interrupt): no output was left behind'), { name: 'AbortError' }));
  process.once('SIGINT', onSig);
  process.once('SIGTERM', onSig);
  const tty = !!process.stderr.isTTY && !parsed.switches.has('quiet');
  let lastLen = 0;
  try {
    const opened = await openPaths([spec.rolePaths.aux, spec.rolePaths.sft]);
    const inputs: MergeInputs = { aux: opened[0] as Checkpoint, sft: opened[1] as Checkpoint };
    const result = await exportLora({
      recipe: spec.recipe, inputs, engine, sink: fileSink(dir), signal: ac.signal, ...lora,
      ...(pool ? { factor: pool.factor, concurrency: pool.workers, maxInFlightBytes: 2 ** 30 } : {}),
      onProgress: (p) => {
        if (!tty && !parsed.switches.has('progress')) return;
        const line = `factoring ${((100 * p.bytesRead) / Math.max(1, p.totalBytes)).toFixed(1)}% · ${p.tensorsDone}/${p.tensorCount} tensors · ${p.currentTensor}`.slice(0, 150);
        if (tty) process.stderr.write(`\r${line.padEnd(lastLen)}`);
        else io.err(line);
        lastLen = line.length;
      },
    });
    if (tty) process.stderr.write(`\r${' '.repeat(lastLen)}\r`);
    if (parsed.switches.has('json')) io.out(JSON.stringify(result));
    else {
      for (const l of reportLines(result)) io.out(l);
      io.out(`→ ${dir} (${result.files.map((f) => f.name).join(', ')}) in ${result.seconds.toFixed(1)} s`);
    }
    return 0;
  } catch (e) {
    if (tty) process.stderr.write('\n');
    if (e instanceof MergePlanError) return reportPlanError(e, io);
    throw e;
  } finally {
    engine.dispose();
    pool?.dispose();
    process.off('SIGINT', onSig);
    process.off('SIGTERM', onSig);
    await closeAll();
  }
}
