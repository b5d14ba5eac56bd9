/**
 * The claim test behind docs/train-results.{json,md} (issue 10), protocol frozen before the final run:
 *   npx tsx scripts/train_full_run.ts [--seeds 1,2,3,4,5] [--out docs/train-results.json] [--backend wasm|cpu]
 *                                     [--steps N --extract-steps N --episodes N --eval-episodes N --eval-every N --probe-scenes N]  (smaller runs)
 * Per seed, from the one shipped θ_pre: sft_extraction and aux_extraction on the extraction tasks;
 * γ = θ_aux − θ_sft; the α sweep of θ_pre + α·γ (probe and zero-shot success, no training); then on the
 * held-out downstream tasks sft_pre, aux_pre (the expensive baseline), sft_meta and orth_meta, and the λ
 * sweep of orth_meta. Every arm records its curve (success, probe error, losses, |cos(Δ, γ)| against
 * steps and training seconds). The seed changes the demonstrations, the batches, the aux head's
 * initialisation and the evaluation scenes; the probe's scenes are fixed. The pilot's seeds (101, 102)
 * are never final seeds. Writes the JSON and prints the verdicts; nothing is edited by hand.
 */
import { execSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { useBackend } from './lib/tf-node';
import { arg, nums, paramsFromArgs } from './lib/args';
import { Experiment, type AlphaPoint, type ArmId, type ExperimentEvent } from '../src/train/experiment';
import type { ArmPoint } from '../src/train/loop';
import { DEFAULT_PARAMS, paramsToSearch, type ExperimentParams } from '../src/train/params';
import { safetensorsToWeights } from '../src/train/export';
import { paired, premiseHolds, stepsToReach, verdictC1, verdictC2, type Interval } from '../src/train/claims';
import { makeDataset, TASK_SETS } from '../src/train/tasks';


/** The issue's arm ids, from the experiment's. */
const ARM_IDS: Partial<Record<ArmId, string>> = {
  'extract-sft': 'sft_extraction', 'extract-aux': 'aux_extraction', 'down-pre': 'sft_pre', 'down-pre-aux': 'aux_pre', 'down-meta': 'sft_meta', 'down-meta-orth': 'orth_meta',
};
export const ALPHAS = [0, 0.5, 1, 1.5, 2];
export const LAMBDAS = [0.1, 10];
/** "Steps to reach" this downstream success level. */
export const SUCCESS_LEVEL = 0.5;

interface SeedRecord {
  seed: number;
  success: number;
  probeError: number;
  probeErrorHeldOut: number;
  msPerStep: number;
  stepsToLevel: number | null;
  meanAbsCos: number;
  curve: { step: number; trainSeconds: number; success?: number; probe?: number; probeHeldOut?: number; actionLoss: number; auxLoss: number; orthLoss: number; meanAbsCos?: number }[];
}

function curveOf(points: ArmPoint[]): SeedRecord['curve'] {
  return points.map((p) => {
    const cos = p.cos ? p.cos.slice(0, -1) : null;
    return {
      step: p.step, trainSeconds: p.trainMs / 1000, success: p.success, probe: p.probe, probeHeldOut: p.probeHeldOut,
      actionLoss: p.actionLoss, auxLoss: p.auxLoss, orthLoss: p.orthLoss,
      meanAbsCos: cos && cos.length ? cos.reduce((s, c) => s + Math.abs(c), 0) / cos.length : undefined,
    };
  });
}

/** The commit the run starts from, and whether files the run depends on differ from it. */
function gitState(): { commit: string; dirty: boolean } {
  try {
    const commit = execSync('git rev-parse HEAD', { encoding: 'utf8' }).trim();
    const dirty = execSync('git status --porcelain -- src/train scripts public/pretrained', { encoding: 'utf8' }).trim() !== '';
    return { commit, dirty };
  } catch {
    return { commit: 'unknown', dirty: true };
  }
}

async function main(): Promise<void> {
  const git = gitState();
  const backend = await useBackend(arg('backend', 'wasm') as 'wasm' | 'cpu');
  const seeds = nums(arg('seeds', '1,2,3,4,5'));
  const params: ExperimentParams = paramsFromArgs(DEFAULT_PARAMS, {
    steps: 'steps', 'extract-steps': 'extractSteps', episodes: 'episodes', 'eval-episodes': 'evalEpisodes', 'eval-every': 'evalEvery', 'probe-scenes': 'probeScenes',
  });
  const preFile = arg('pre', 'public/pretrained/policy.safetensors');
  const pre = await safetensorsToWeights(preFile, new Uint8Array(readFileSync(preFile)));
  const arms: Record<string, { seeds: SeedRecord[] }> = {};
  const alphaSweep: { seed: number; points: AlphaPoint[] }[] = [];
  const lambdaSweep: Record<string, { seeds: SeedRecord[] }> = {};
  const seconds: Record<string, number> = {};

  // What the teacher costs here: its per-patch targets for one extraction dataset, measured alone.
  const t0 = performance.now();
  makeDataset(TASK_SETS.extract, params.episodes, 0);
  const datasetMs = performance.now() - t0;

  for (const seed of seeds) {
    const started = Date.now();
    let points = new Map<ArmId, ArmPoint[]>();
    const record = (into: Record<string, { seeds: SeedRecord[] }>, id: string) => (e: ExperimentEvent) => {
      if (e.type === 'arm-start') points.set(e.arm, []);
      else if (e.type === 'point') points.get(e.arm)!.push(e.point);
      else if (e.type === 'arm-done') {
        const s = e.summary;
        const key = id || ARM_IDS[s.arm];
        if (!key) return;
        const curve = curveOf(points.get(s.arm) ?? []);
        (into[key] ??= { seeds: [] }).seeds.push({
          seed, success: s.finalSuccess, probeError: s.finalProbe, probeErrorHeldOut: s.finalProbeHeldOut, msPerStep: s.msPerStep,
          stepsToLevel: s.arm.startsWith('down') ? stepsToReach(curve, SUCCESS_LEVEL) : null, meanAbsCos: s.meanAbsCos, curve,
        });
        console.error(`seed ${seed} ${key}: success ${(s.finalSuccess * 100).toFixed(0)}%, probe ${s.finalProbe.toFixed(3)} (held-out ${s.finalProbeHeldOut.toFixed(3)}), |cos| ${s.meanAbsCos.toFixed(3)}, ${s.msPerStep.toFixed(1)} ms/step`);
      }
    };
    const exp = new Experiment({ ...params, seed }, { checkpoint: async () => true }, record(arms, ''));
    exp.setPretrained(pre, preFile);
    await exp.run('extract');
    await exp.run('meta');
    const sweep = await exp.alphaSweep(ALPHAS);
    alphaSweep.push({ seed, points: sweep });
    console.error(`seed ${seed} α sweep: ${sweep.map((p) => `α ${p.alpha}: ${(p.success * 100).toFixed(0)}% / probe ${p.probe.toFixed(3)}`).join(', ')}`);
    await exp.run('downstream');
    for (const lambda of LAMBDAS) {
      points = new Map();
      const sweepExp = new Experiment({ ...params, seed }, { checkpoint: async () => true }, record(lambdaSweep, `orth_meta_lambda_${lambda}`));
      for (const k of ['pre', 'sft', 'aux', 'gamma', 'meta'] as const) sweepExp.weights.set(k, exp.weights.get(k)!);
      await sweepExp.orthArm(lambda);
    }
    seconds[seed] = (Date.now() - started) / 1000;
  }

  const by = (id: string, f: (r: SeedRecord) => number, from = arms) => new Map((from[id]?.seeds ?? []).map((r) => [r.seed, f(r)]));
  const success = (id: string) => by(id, (r) => r.success);
  const probe = (id: string) => by(id, (r) => r.probeError);
  const comparisons: Record<string, Interval> = {
    'premise: success aux_extraction − sft_extraction': paired(success('aux_extraction'), success('sft_extraction')),
    'premise: probe error aux_extraction − sft_extraction': paired(probe('aux_extraction'), probe('sft_extraction')),
    'C1: success sft_meta − sft_pre': paired(success('sft_meta'), success('sft_pre')),
    'C1: success sft_meta − aux_pre': paired(success('sft_meta'), success('aux_pre')),
    'C1: probe error sft_meta − sft_pre': paired(probe('sft_meta'), probe('sft_pre')),
    'C2: probe error orth_meta − sft_meta': paired(probe('orth_meta'), probe('sft_meta')),
    'C2: success orth_meta − sft_meta': paired(success('orth_meta'), success('sft_meta')),
  };
  const c = comparisons;
  const premise = premiseHolds(c['premise: success aux_extraction − sft_extraction'], c['premise: probe error aux_extraction − sft_extraction']);
  const verdict = {
    premise: premise ? 'holds' : 'does not hold',
    C1: verdictC1(c['C1: success sft_meta − sft_pre'], c['C1: success sft_meta − aux_pre']),
    C2: verdictC2(c['C2: probe error orth_meta − sft_meta'], c['C2: success orth_meta − sft_meta']),
    C3: 'not tested',
  };
  const result = {
    protocol: {
      command: `npx tsx scripts/train_full_run.ts ${process.argv.slice(2).join(' ')}`.trim(),
      commit: git.commit, uncommittedChanges: git.dirty, backend, machine: `${cpus()[0]?.model} × ${cpus().length}`, node: process.version,
      params: paramsToSearch(params), seeds, pre: preFile, alphas: ALPHAS, lambdas: LAMBDAS, successLevel: SUCCESS_LEVEL,
      tasks: TASK_SETS, teacherMsPerExtractionDataset: datasetMs,
      statistics: 'paired by seed; mean and 95% Student-t interval of the differences (src/train/claims.ts)',
    },
    arms,
    alphaSweep,
    lambdaSweep,
    comparisons,
    verdict,
    secondsPerSeed: seconds,
  };
  writeFileSync(arg('out', 'docs/train-results.json'), JSON.stringify(result, null, 2) + '\n');
  for (const [k, v] of Object.entries(comparisons)) console.log(`${k}: ${v.mean.toFixed(4)} [${v.lo.toFixed(4)}, ${v.hi.toFixed(4)}] (n = ${v.n})`);
  console.log(JSON.stringify(verdict));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
