/**
 * Task sets of the experiment and the imitation datasets built from them.
 *
 * Pretraining teaches three colour words through "reach"; the extraction set teaches pushing on two
 * of them; the downstream set is held out: reaching and pushing yellow (never named before) and
 * pushing blue (never pushed before).
 */
import {
  expertAction, IMAGE_SIZE, isSuccess, instructionText, INSTRUCTION_TOKENS, isDone, PRIVILEGED_DIM, privileged, render,
  resetEnv, rng, stepEnv, tokenize, type Task,
} from './env';

export type TaskSetId = 'pretrain' | 'extract' | 'downstream';

const push = (color: Task['color']): Task[] => [
  { kind: 'push', color, dir: 'left' },
  { kind: 'push', color, dir: 'right' },
];

export const TASK_SETS: Record<TaskSetId, Task[]> = {
  // Yellow is never named before the downstream stage: it is only ever a distractor, so only an
  // objective that asks for every object's position (the auxiliary one) teaches the encoder to find it.
  pretrain: [{ kind: 'reach', color: 'red' }, { kind: 'reach', color: 'green' }, { kind: 'reach', color: 'blue' }],
  extract: [...push('red'), ...push('green')],
  downstream: [{ kind: 'reach', color: 'yellow' }, ...push('yellow'), ...push('blue')],
};

export const IMAGE_ELEMS = IMAGE_SIZE * IMAGE_SIZE * 3;

/** Observation/label rows, packed so a batch is a few typed-array copies. */
export interface Dataset {
  size: number;
  images: Float32Array; // size × H × W × 3
  states: Float32Array; // size × 2
  tokens: Int32Array; // size × INSTRUCTION_TOKENS
  actions: Float32Array; // size × 2
  privileged: Float32Array; // size × PRIVILEGED_DIM
}

/**
 * Expert demonstrations with noisy execution: the recorded label is always the clean expert
 * action, the executed one is perturbed, so the data covers the states a learner drifts into.
 */
export function makeDataset(tasks: Task[], episodesPerTask: number, seed: number, noise = 0.5): Dataset {
  const rows: { img: Float32Array; st: number[]; tok: number[]; act: number[]; priv: Float32Array }[] = [];
  const r = rng(seed);
  tasks.forEach((task, ti) => {
    const tok = tokenize(instructionText(task));
    for (let e = 0; e < episodesPerTask; e++) {
      const s = resetEnv(task, (seed * 7919 + ti * 104729 + e * 31) >>> 0);
      while (!isDone(s)) {
        const a = expertAction(s);
        rows.push({ img: render(s), st: [...s.agent], tok, act: a, priv: privileged(s) });
        stepEnv(s, [a[0] + (r() * 2 - 1) * noise, a[1] + (r() * 2 - 1) * noise]);
      }
    }
  });
  const n = rows.length;
  const d: Dataset = {
    size: n,
    images: new Float32Array(n * IMAGE_ELEMS),
    states: new Float32Array(n * 2),
    tokens: new Int32Array(n * INSTRUCTION_TOKENS),
    actions: new Float32Array(n * 2),
    privileged: new Float32Array(n * PRIVILEGED_DIM),
  };
  rows.forEach((row, i) => {
    d.images.set(row.img, i * IMAGE_ELEMS);
    d.states.set(row.st, i * 2);
    d.tokens.set(row.tok, i * INSTRUCTION_TOKENS);
    d.actions.set(row.act, i * 2);
    d.privileged.set(row.priv, i * PRIVILEGED_DIM);
  });
  return d;
}

export interface Batch {
  size: number;
  images: Float32Array;
  states: Float32Array;
  tokens: Int32Array;
  actions: Float32Array;
  privileged: Float32Array;
}

/** A batch drawn with replacement from a seeded stream: the same stream gives the same batches. */
export function sampleBatch(d: Dataset, size: number, next: () => number): Batch {
  const b: Batch = {
    size,
    images: new Float32Array(size * IMAGE_ELEMS),
    states: new Float32Array(size * 2),
    tokens: new Int32Array(size * INSTRUCTION_TOKENS),
    actions: new Float32Array(size * 2),
    privileged: new Float32Array(size * PRIVILEGED_DIM),
  };
  for (let i = 0; i < size; i++) {
    const k = Math.floor(next() * d.size);
    b.images.set(d.images.subarray(k * IMAGE_ELEMS, (k + 1) * IMAGE_ELEMS), i * IMAGE_ELEMS);
    b.states.set(d.states.subarray(k * 2, k * 2 + 2), i * 2);
    b.tokens.set(d.tokens.subarray(k * INSTRUCTION_TOKENS, (k + 1) * INSTRUCTION_TOKENS), i * INSTRUCTION_TOKENS);
    b.actions.set(d.actions.subarray(k * 2, k * 2 + 2), i * 2);
    b.privileged.set(d.privileged.subarray(k * PRIVILEGED_DIM, (k + 1) * PRIVILEGED_DIM), i * PRIVILEGED_DIM);
  }
  return b;
}

/** Expert success rate over seeds: the ceiling a policy can reach on a task set. */
export function expertSuccess(tasks: Task[], episodes: number, seed: number): number {
  let ok = 0;
  let n = 0;
  tasks.forEach((task, ti) => {
    for (let e = 0; e < episodes; e++) {
      const s = resetEnv(task, (seed + ti * 1000 + e) >>> 0);
      while (!isDone(s)) stepEnv(s, expertAction(s));
      ok += Number(isSuccess(s));
      n++;
    }
  });
  return ok / n;
}
