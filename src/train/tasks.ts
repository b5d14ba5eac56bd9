/**
 * Task sets of the experiment and the imitation datasets built from them.
 *
 * Pretraining shows ONE block at a time (reach red / green / blue): θ_pre learns the language, the
 * control and "go to the block", but never has to tell blocks apart. The extraction set puts
 * distractors on the table: now the encoder must learn which patch holds which colour — a capability
 * the action loss teaches slowly (one 2-D action per image) and the dense per-patch teacher directly.
 * The downstream set is held out: reach yellow, a colour never named before and only ever a
 * distractor in the extraction scenes, which only the teacher's targets name; with two and with three
 * distractors. (Pushing is in the world, but within these budgets no arm learns it from a handful of
 * demonstrations, so it would only add floor-level noise to every comparison.)
 */
import {
  expertAction, IMAGE_SIZE, isSuccess, instructionText, INSTRUCTION_TOKENS, isDone, PATCH_COUNT, PATCH_TARGET_DIM, patchTargets, render,
  resetEnv, rng, stepEnv, tokenize, type Color, type Task,
} from './env';

export type TaskSetId = 'pretrain' | 'extract' | 'downstream';

const reach = (color: Color, objects: number): Task => ({ kind: 'reach', color, objects });

export const TASK_SETS: Record<TaskSetId, Task[]> = {
  pretrain: [reach('red', 1), reach('green', 1), reach('blue', 1)],
  extract: [reach('red', 3), reach('green', 3), reach('blue', 3)],
  downstream: [reach('yellow', 3), reach('yellow', 4)],
};

export const IMAGE_ELEMS = IMAGE_SIZE * IMAGE_SIZE * 3;
export const TEACHER_ELEMS = PATCH_COUNT * PATCH_TARGET_DIM;

/** Observation/label rows, packed so a batch is a few typed-array copies. */
export interface Dataset {
  size: number;
  images: Float32Array; // size × H × W × 3
  states: Float32Array; // size × 2
  tokens: Int32Array; // size × INSTRUCTION_TOKENS
  actions: Float32Array; // size × 2
  /** The teacher's per-patch targets, size × PATCH_COUNT × PATCH_TARGET_DIM (read by the auxiliary loss only). */
  teacher: Float32Array;
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
        rows.push({ img: render(s), st: [...s.agent], tok, act: a, priv: patchTargets(s) });
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
    teacher: new Float32Array(n * TEACHER_ELEMS),
  };
  rows.forEach((row, i) => {
    d.images.set(row.img, i * IMAGE_ELEMS);
    d.states.set(row.st, i * 2);
    d.tokens.set(row.tok, i * INSTRUCTION_TOKENS);
    d.actions.set(row.act, i * 2);
    d.teacher.set(row.priv, i * TEACHER_ELEMS);
  });
  return d;
}

export interface Batch {
  size: number;
  images: Float32Array;
  states: Float32Array;
  tokens: Int32Array;
  actions: Float32Array;
  teacher: Float32Array;
}

/** A batch drawn with replacement from a seeded stream: the same stream gives the same batches. */
export function sampleBatch(d: Dataset, size: number, next: () => number): Batch {
  const b: Batch = {
    size,
    images: new Float32Array(size * IMAGE_ELEMS),
    states: new Float32Array(size * 2),
    tokens: new Int32Array(size * INSTRUCTION_TOKENS),
    actions: new Float32Array(size * 2),
    teacher: new Float32Array(size * TEACHER_ELEMS),
  };
  for (let i = 0; i < size; i++) {
    const k = Math.floor(next() * d.size);
    b.images.set(d.images.subarray(k * IMAGE_ELEMS, (k + 1) * IMAGE_ELEMS), i * IMAGE_ELEMS);
    b.states.set(d.states.subarray(k * 2, k * 2 + 2), i * 2);
    b.tokens.set(d.tokens.subarray(k * INSTRUCTION_TOKENS, (k + 1) * INSTRUCTION_TOKENS), i * INSTRUCTION_TOKENS);
    b.actions.set(d.actions.subarray(k * 2, k * 2 + 2), i * 2);
    b.teacher.set(d.teacher.subarray(k * TEACHER_ELEMS, (k + 1) * TEACHER_ELEMS), i * TEACHER_ELEMS);
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
