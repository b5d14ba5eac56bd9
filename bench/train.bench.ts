/**
 * Training speed of the finetune policy on tfjs's CPU backend in Node: steps per second of plain SFT,
 * SFT + auxiliary objective, and SFT + L_orth (batch 32). The WebGPU figure comes from the browser
 * (e2e/train.spec.ts logs the panel's ms/step); in CI that browser is SwiftShader, a CPU emulation
 * of a GPU, whose times say nothing about real GPU speed.
 */
import * as tf from '@tensorflow/tfjs';
import { trainArm, type ArmConfig } from '../src/train/loop';
import { TASK_SETS, makeDataset } from '../src/train/tasks';
import { initWeights, POLICY_SPECS, AUX_HEAD_SPECS, parameterTotal } from '../src/train/policy';
import { DEFAULT_ORTH } from '../src/train/orth-reg';

export async function run(): Promise<string> {
  await tf.setBackend('cpu');
  const steps = Number(process.env.TRAIN_BENCH_STEPS ?? 20);
  const dataset = makeDataset(TASK_SETS.downstream, 10, 1);
  const init = initWeights(POLICY_SPECS, 1);
  const gamma = initWeights(POLICY_SPECS, 2);
  const base: ArmConfig = { id: 'bench', init, dataset, steps, lr: 1e-3, batch: 32, seed: 1, evalTasks: [], evalEvery: 0, evalEpisodes: 0, logEvery: steps };
  const arms: [string, Partial<ArmConfig>][] = [
    ['SFT', {}],
    ['SFT + aux objective', { aux: { weight: 1, head: initWeights(AUX_HEAD_SPECS, 3) } }],
    ['SFT + L_orth (cos², per tensor)', { orth: { gamma, opt: DEFAULT_ORTH } }],
  ];
  const rows: string[] = [];
  for (const [name, extra] of arms) {
    // evalTasks is empty, so the final evaluation is skipped by successRate's empty batch.
    await trainArm({ ...base, ...extra, steps: 3, logEvery: 3 }, { checkpoint: async () => true }, () => {}); // warm-up
    const r = await trainArm({ ...base, ...extra }, { checkpoint: async () => true }, () => {});
    rows.push(`| ${name} | ${r.msPerStep.toFixed(1)} | ${(1000 / r.msPerStep).toFixed(2)} |`);
  }
  return [
    `tfjs ${tf.version.tfjs}, backend ${tf.getBackend()} (Node), policy ${parameterTotal()} parameters, batch 32, ${steps} timed steps after 3 warm-up steps.`,
    'The machine is shared: figures vary with load.',
    '',
    '| arm | ms / step | steps / s |',
    '|---|---|---|',
    ...rows,
  ].join('\n');
}
