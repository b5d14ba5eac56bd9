/**
 * Training speed in the browser on `window.harness.train`, for bench/train.bench.ts: times the same
 * trainArm step (plain SFT, same policy, data and batch) the Node bench times, on tfjs's WebGPU or CPU
 * backend. The WebGPU backend is imported on demand so loading the harness does not change the tfjs
 * backend other harness users get.
 */
import * as tf from '@tensorflow/tfjs';
import { trainArm, type ArmConfig } from '../train/loop';
import { TASK_SETS, makeDataset } from '../train/tasks';
import type { OrthVariant } from '../train/orth-reg';
import { disposeVars, forward, initWeights, inputTensors, makeVars, POLICY_SPECS, parameterTotal } from '../train/policy';
import { IMAGE_ELEMS } from '../train/tasks';
import { INSTRUCTION_TOKENS } from '../train/env';

/** The bench's plain-SFT arm; bench/train.bench.ts builds its Node arms from this too. */
export function sftBenchConfig(steps: number, batch: number): ArmConfig {
  const dataset = makeDataset(TASK_SETS.downstream, 10, 1);
  const init = initWeights(POLICY_SPECS, 1);
  // evalTasks is empty, so the final evaluation is skipped by successRate's empty batch.
  return { id: 'bench', init, dataset, steps, lr: 1e-3, batch, seed: 1, evalTasks: [], evalEvery: 0, evalEpisodes: 0, logEvery: steps };
}

export interface TrainSpeed {
  backend: string;
  msPerStep: number;
  stepsPerSecond: number;
  parameters: number;
  tfjs: string;
  /** GPUAdapterInfo fields, WebGPU only (empty strings where the browser hides them). */
  adapter?: { vendor: string; architecture: string; device: string; description: string };
}

const always = { checkpoint: async () => true };

async function useBackend(backend: 'webgpu' | 'cpu'): Promise<TrainSpeed['adapter']> {
  if (backend === 'cpu') {
    if (!(await tf.setBackend('cpu'))) throw new Error('tfjs CPU backend failed to start');
    await tf.ready();
    return undefined;
  }
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) throw new Error('WebGPU is not available in this browser (navigator.gpu is missing)');
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs WebGPU backend failed to start');
  await tf.ready();
  const info = (await gpu.requestAdapter())?.info;
  return { vendor: info?.vendor ?? '', architecture: info?.architecture ?? '', device: info?.device ?? '', description: info?.description ?? '' };
}

/** Steps per second of plain SFT after `warmup` untimed steps (shader compiles, first allocations). */
async function trainStepsPerSecond(opts: { backend: 'webgpu' | 'cpu'; steps: number; batch: number; warmup?: number }): Promise<TrainSpeed> {
  const adapter = await useBackend(opts.backend);
  const warmup = opts.warmup ?? 3;
  if (warmup > 0) await trainArm(sftBenchConfig(warmup, opts.batch), always, () => {});
  const r = await trainArm(sftBenchConfig(opts.steps, opts.batch), always, () => {});
  return { backend: tf.getBackend(), msPerStep: r.msPerStep, stepsPerSecond: 1000 / r.msPerStep, parameters: parameterTotal(), tfjs: tf.version.tfjs, adapter };
}


/** A short SFT + L_orth arm from `init`-like weights against a synthetic γ: are the weights still finite? */
async function orthArmFinite(opts: { backend: 'webgpu' | 'cpu'; steps: number; lambda: number; variant?: OrthVariant }): Promise<{ finite: boolean; firstBad: string | null }> {
  await useBackend(opts.backend);
  const cfg = sftBenchConfig(opts.steps, 8);
  const gamma = initWeights(POLICY_SPECS, 5);
  for (const a of gamma.values()) for (let i = 0; i < a.length; i++) a[i] *= 0.01;
  const r = await trainArm({ ...cfg, orth: { gamma, opt: { lambda: opts.lambda, variant: opts.variant ?? 'cos2', scope: 'tensor' } }, monitorGamma: gamma }, always, () => {});
  for (const [name, a] of r.weights) if (!a.every(Number.isFinite)) return { finite: false, firstBad: name };
  return { finite: true, firstBad: null };
}


/** The policy's forward pass on `backend` against tfjs's CPU backend (same weights and images): the largest differences. */
async function forwardParity(backend: 'webgpu' | 'wasm'): Promise<{ tokens: number; action: number; scale: number }> {
  const w = initWeights(POLICY_SPECS, 3);
  const n = 5;
  const sample = makeDataset(TASK_SETS.extract, 1, 2);
  const run = async () => {
    const vars = makeVars(w, POLICY_SPECS, `parity-${tf.getBackend()}`);
    const out = tf.tidy(() => {
      const f = forward(vars, inputTensors(sample.images.slice(0, n * IMAGE_ELEMS), sample.states.slice(0, n * 2), sample.tokens.slice(0, n * INSTRUCTION_TOKENS), n));
      return [f.tokens, f.action];
    });
    const [tokens, action] = await Promise.all(out.map((t) => t.data()));
    tf.dispose(out);
    disposeVars(vars);
    return { tokens, action };
  };
  if (backend === 'webgpu') await useBackend('webgpu');
  else if (!(await tf.setBackend('wasm'))) throw new Error('tfjs WebAssembly backend failed to start');
  const got = await run();
  await useBackend('cpu');
  const want = await run();
  const worst = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
  return { tokens: worst(got.tokens, want.tokens), action: worst(got.action, want.action), scale: Math.max(...Array.from(want.tokens, Math.abs)) };
}

export const train = { trainStepsPerSecond, orthArmFinite, forwardParity };
