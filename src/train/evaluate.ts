/**
 * Closed-loop evaluation: the policy drives every episode from reset until success or timeout.
 * All episodes advance together, one batched forward pass per time step.
 */
import * as tf from '@tensorflow/tfjs';
import { expertAction, INSTRUCTION_TOKENS, instructionText, isDone, isSuccess, render, resetEnv, stepEnv, tokenize, type EnvState, type Task } from './env';
import { forward, inputTensors, type Vars } from './policy';
import { IMAGE_ELEMS } from './tasks';

/** Seeds of evaluation episodes are disjoint from the training data's (those use seed·7919 + …). */
export const EVAL_SEED_BASE = 0x5eed0000;

/** One closed-loop episode: the scene it started from, the agent's path, the outcome. */
export interface Rollout {
  task: Task;
  text: string;
  /** The scene at reset (blocks and agent), for drawing. */
  start: EnvState;
  /** Agent positions, from the reset position to the last. */
  path: [number, number][];
  /** Where the blocks ended. */
  blocks: EnvState['blocks'];
  success: boolean;
}

/** Episode seeds of a task set's evaluation (disjoint from the training data's). */
function evalSeed(seed: number, ti: number, e: number): number {
  return (EVAL_SEED_BASE + seed * 65537 + ti * 1009 + e) >>> 0;
}

/** Rolls the policy out on every task × episode, all episodes advancing together (one batched forward per time step). */
export async function rollouts(p: Vars, tasks: Task[], episodesPerTask: number, seed: number): Promise<Rollout[]> {
  const envs: { s: EnvState; tok: number[]; start: EnvState; path: [number, number][]; text: string }[] = [];
  tasks.forEach((task, ti) => {
    const text = instructionText(task);
    const tok = tokenize(text);
    for (let e = 0; e < episodesPerTask; e++) {
      const s = resetEnv(task, evalSeed(seed, ti, e));
      envs.push({ s, tok, text, start: structuredClone(s), path: [[...s.agent]] });
    }
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
    live.forEach((x, i) => {
      stepEnv(x.s, [a[i * 2], a[i * 2 + 1]]);
      x.path.push([...x.s.agent]);
    });
  }
  return envs.map((x) => ({ task: x.s.task, text: x.text, start: x.start, path: x.path, blocks: x.s.blocks, success: isSuccess(x.s) }));
}

/** The scripted expert's path on the same evaluation scenes (what the policy imitates). */
export function expertRollouts(tasks: Task[], episodesPerTask: number, seed: number): Rollout[] {
  const out: Rollout[] = [];
  tasks.forEach((task, ti) => {
    for (let e = 0; e < episodesPerTask; e++) {
      const s = resetEnv(task, evalSeed(seed, ti, e));
      const start = structuredClone(s);
      const path: [number, number][] = [[...s.agent]];
      while (!isDone(s)) {
        stepEnv(s, expertAction(s));
        path.push([...s.agent]);
      }
      out.push({ task, text: instructionText(task), start, path, blocks: s.blocks, success: isSuccess(s) });
    }
  });
  return out;
}

/** The fraction of evaluation episodes the policy solves. */
export async function successRate(p: Vars, tasks: Task[], episodesPerTask: number, seed: number): Promise<number> {
  const r = await rollouts(p, tasks, episodesPerTask, seed);
  return r.filter((x) => x.success).length / r.length;
}
