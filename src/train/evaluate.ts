/**
 * Closed-loop evaluation: the policy drives every episode from reset until success or timeout.
 * All episodes advance together, one batched forward pass per time step.
 */
import * as tf from '@tensorflow/tfjs';
import { INSTRUCTION_TOKENS, instructionText, isDone, isSuccess, render, resetEnv, stepEnv, tokenize, type EnvState, type Task } from './env';
import { forward, inputTensors, type Vars } from './policy';
import { IMAGE_ELEMS } from './tasks';

/** Seeds of evaluation episodes are disjoint from the training data's (those use seed·7919 + …). */
export const EVAL_SEED_BASE = 0x5eed0000;

export async function successRate(p: Vars, tasks: Task[], episodesPerTask: number, seed: number): Promise<number> {
  const envs: { s: EnvState; tok: number[] }[] = [];
  tasks.forEach((task, ti) => {
    const tok = tokenize(instructionText(task));
    for (let e = 0; e < episodesPerTask; e++) envs.push({ s: resetEnv(task, (EVAL_SEED_BASE + seed * 65537 + ti * 1009 + e) >>> 0), tok });
  });
  for (;;) {
    const live = envs.filter((x) => !isDone(x.s));
    if (live.length === 0) break;
    const n = live.length;
    const images = new Float32Array(n * IMAGE_ELEMS);
    const states = new Float32Array(n * 2);
    const tokens = new Int32Array(n * INSTRUCTION_TOKENS);
    live.forEach((x, i) => {
      render(x.s, images, i * IMAGE_ELEMS);
      states.set(x.s.agent, i * 2);
      tokens.set(x.tok, i * INSTRUCTION_TOKENS);
    });
    const out = tf.tidy(() => forward(p, inputTensors(images, states, tokens, n)).action);
    const a = await out.data();
    out.dispose();
    live.forEach((x, i) => stepEnv(x.s, [a[i * 2], a[i * 2 + 1]]));
  }
  return envs.filter((x) => isSuccess(x.s)).length / envs.length;
}
