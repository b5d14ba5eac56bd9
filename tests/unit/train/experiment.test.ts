import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Experiment, DOWNSTREAM_ARMS, type ExperimentEvent } from '../../../src/train/experiment';
import { Cancelled } from '../../../src/train/loop';
import { DEFAULT_PARAMS } from '../../../src/train/params';
import { disposeVars, makeVars, POLICY_SPECS } from '../../../src/train/policy';
import { successRate } from '../../../src/train/evaluate';
import { TASK_SETS } from '../../../src/train/tasks';
import { makeProbe } from '../../../src/train/probe';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// λ is large so the penalty dominates; Adam's momentum carries the (unpenalised) first step for a
// while, so a handful of steps lowers |cos| clearly but does not reach 0 (300 steps reach ~0.001).
const tiny = { ...DEFAULT_PARAMS, steps: 8, extractSteps: 4, pretrainSteps: 3, batch: 4, episodes: 1, pretrainEpisodes: 1, evalEvery: 0, evalEpisodes: 1, lambda: 10, probeScenes: 24 };

describe('experiment pipeline (tfjs cpu)', () => {
  it('runs every stage, emits curves for every arm, and L_orth lowers |cos(Δ, γ)|', async () => {
    const events: ExperimentEvent[] = [];
    const exp = new Experiment(tiny, { checkpoint: async () => true }, (e) => events.push(e));
    await expect(exp.run('downstream')).rejects.toThrow(/needs θ_pre: run the earlier step first/);
    await exp.runAll();
    for (const arm of ['pretrain', 'extract-sft', 'extract-aux', ...DOWNSTREAM_ARMS]) {
      // One point at step 0, then one per step (logEvery is 1 for runs this short).
      expect(events.filter((e) => e.type === 'point' && e.arm === arm).length, arm).toBe((arm === 'pretrain' ? tiny.pretrainSteps : arm.startsWith('extract') ? tiny.extractSteps : tiny.steps) + 1);
    }
    for (const id of ['pre', 'sft', 'aux', 'gamma', 'meta', ...DOWNSTREAM_ARMS]) {
      expect(exp.weights.has(id as never), id).toBe(true);
      // cos(Δ, γ) reads 0 for a NaN tensor, so finiteness is checked on the weights themselves.
      for (const [name, a] of exp.weights.get(id as never)!) expect(a.every(Number.isFinite), `${id} ${name}`).toBe(true);
    }
    const plain = exp.summaries.get('down-meta')!.meanAbsCos;
    const orth = exp.summaries.get('down-meta-orth')!.meanAbsCos;
    expect(plain).toBeGreaterThan(0);
    expect(orth).toBeLessThan(0.8 * plain);
    // The summaries are measurements of the kept weights: re-evaluating them independently gives the same numbers.
    const vars = makeVars(exp.weights.get('down-pre')!, POLICY_SPECS, 'recheck');
    expect(await successRate(vars, TASK_SETS.downstream, tiny.evalEpisodes, tiny.seed)).toBe(exp.summaries.get('down-pre')!.finalSuccess);
    const probe = makeProbe({ fit: tiny.probeScenes, test: tiny.probeScenes });
    expect((await probe.measure(vars)).mean).toBe(exp.summaries.get('down-pre')!.finalProbe);
    disposeVars(vars);

    // The α sweep: α = 0 is θ_pre itself, α = 1 is θ_meta (tiny.alpha = 1).
    const sweep = await exp.alphaSweep([0, 1]);
    const at = async (w: Map<string, Float32Array>) => {
      const v = makeVars(w, POLICY_SPECS, `sweep-check-${Math.random()}`);
      const r = (await probe.measure(v)).mean;
      disposeVars(v);
      return r;
    };
    expect(sweep[0].probe).toBe(await at(exp.weights.get('pre')!));
    expect(sweep[1].probe).toBe(await at(exp.weights.get('meta')!));

    // The λ sweep runs orth_meta again with another λ; a larger λ holds |cos| lower.
    const lambdas: number[] = [];
    const sweepExp = new Experiment({ ...tiny, lambda: 0 }, { checkpoint: async () => true }, (e) => e.type === 'arm-done' && lambdas.push(e.summary.meanAbsCos));
    for (const k of ['pre', 'sft', 'aux', 'gamma', 'meta'] as const) sweepExp.weights.set(k, exp.weights.get(k)!);
    await sweepExp.orthArm(0);
    await sweepExp.orthArm(100);
    expect(lambdas[1]).toBeLessThan(lambdas[0]);
  });

  it('stops between steps when cancelled', async () => {
    let n = 0;
    const exp = new Experiment(tiny, { checkpoint: async () => ++n < 3 }, () => {});
    await expect(exp.run('pretrain')).rejects.toBeInstanceOf(Cancelled);
    expect(exp.weights.has('pre')).toBe(false);
  });
});
