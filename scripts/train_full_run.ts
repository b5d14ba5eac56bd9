/**
 * The full run behind docs/train-results.md:
 *   npx tsx scripts/train_full_run.ts [--seeds 1,2,3] [--steps N] [--extract-steps N] [--pre FILE] [--out FILE.json]
 *   npx tsx scripts/train_full_run.ts --merge seed1.json seed2.json … [--out FILE.json]   (runs made in parallel)
 * Every seed starts from the same shipped θ_pre (as the paper starts every run from one pretrained
 * VLA) and runs stages 2–4 on tfjs's CPU backend; the seed changes the demonstrations, the batches,
 * the auxiliary head's initialisation and the evaluation scenes. Writes the measured summaries as
 * JSON and prints the markdown table; nothing is edited by hand.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { Experiment, ARM_LABELS, type ArmId, type ArmSummary } from '../src/train/experiment';
import { DEFAULT_PARAMS, paramsToSearch, type ExperimentParams } from '../src/train/params';
import { safetensorsToWeights } from '../src/train/export';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  // --merge a.json b.json …: one table from runs made in parallel processes.
  const m = process.argv.indexOf('--merge');
  if (m > 0) {
    const parts = process.argv.slice(m + 1).filter((f) => f.endsWith('.json') && !f.startsWith('--')).filter((f, i, all) => all.indexOf(f) === i && f !== arg('out', '')).map((f) => JSON.parse(readFileSync(f, 'utf8')));
    const merged = { ...parts[0], runs: parts.flatMap((p) => p.runs) };
    writeFileSync(arg('out', 'docs/train-results.json'), JSON.stringify(merged, null, 2) + '\n');
    console.log(toMarkdown(merged.runs));
    return;
  }
  await tf.setBackend('cpu');
  const seeds = arg('seeds', '1,2,3').split(',').map(Number);
  const base: ExperimentParams = {
    ...DEFAULT_PARAMS,
    steps: Number(arg('steps', String(DEFAULT_PARAMS.steps))),
    extractSteps: Number(arg('extract-steps', String(DEFAULT_PARAMS.extractSteps))),
    evalEpisodes: Number(arg('eval-episodes', '25')),
    evalEvery: Number(arg('eval-every', '100')),
    lambda: Number(arg('lambda', String(DEFAULT_PARAMS.lambda))),
  };
  const preFile = arg('pre', 'public/pretrained/policy.safetensors');
  const pre = await safetensorsToWeights(preFile, new Uint8Array(readFileSync(preFile)));
  const runs: { seed: number; summaries: ArmSummary[]; seconds: number }[] = [];
  for (const seed of seeds) {
    const t0 = Date.now();
    const exp = new Experiment({ ...base, seed }, { checkpoint: async () => true }, (e) => {
      if (e.type === 'arm-done') {
        const s = e.summary;
        console.error(`seed ${seed} ${s.arm}: success ${(s.finalSuccess * 100).toFixed(1)}%, loss ${s.finalLoss.toFixed(4)}, |cos| ${s.meanAbsCos.toFixed(4)}, ${s.msPerStep.toFixed(1)} ms/step`);
      }
    });
    exp.setPretrained(pre, preFile);
    await exp.runAll();
    runs.push({ seed, summaries: [...exp.summaries.values()], seconds: (Date.now() - t0) / 1000 });
  }
  const result = { params: paramsToSearch(base), backend: 'tfjs cpu (Node)', machine: `${cpus()[0]?.model} × ${cpus().length}`, node: process.version, runs };
  writeFileSync(arg('out', 'docs/train-results.json'), JSON.stringify(result, null, 2) + '\n');
  console.log(toMarkdown(result.runs));
}

export function toMarkdown(runs: { seed: number; summaries: ArmSummary[] }[]): string {
  const arms = Object.keys(ARM_LABELS).filter((a) => a !== 'pretrain') as ArmId[];
  const cell = (a: ArmId, f: (s: ArmSummary) => number, digits: number, pct = false) => {
    const v = runs.map((r) => r.summaries.find((s) => s.arm === a)).filter(Boolean).map((s) => f(s!));
    // JSON turns NaN (no γ to compare with, e.g. the extraction arms) into null.
    if (v.some((x) => x === null || Number.isNaN(x))) return 'n/a';
    const mean = v.reduce((x, y) => x + y, 0) / v.length;
    const sd = Math.sqrt(v.reduce((x, y) => x + (y - mean) ** 2, 0) / Math.max(1, v.length - 1));
    return pct ? `${(mean * 100).toFixed(1)} ± ${(sd * 100).toFixed(1)}% (${v.map((x) => (x * 100).toFixed(0)).join(', ')})` : `${mean.toFixed(digits)} ± ${sd.toFixed(digits)}`;
  };
  const rows = arms.map((a) => `| ${ARM_LABELS[a]} | ${cell(a, (s) => s.finalSuccess, 1, true)} | ${cell(a, (s) => s.finalLoss, 4)} | ${cell(a, (s) => s.meanAbsCos, 4)} | ${cell(a, (s) => s.msPerStep, 1)} |`);
  return ['| arm | final success (mean ± sd; per seed) | final action loss | mean abs cos(Δ_l, γ_l) | ms / step (cpu) |', '|---|---|---|---|---|', ...rows].join('\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
