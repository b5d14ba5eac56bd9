import { describe, expect, it } from 'vitest';
import {
  expertAction, PUSH_DISTANCE, IMAGE_SIZE, isDone, isSuccess, MAX_STEP, PATCH, PATCH_COUNT, PATCH_TARGET_DIM, PATCHES_PER_SIDE, patchTargets, probeScene, COLORS, render, resetEnv, rng, stepEnv, tokenize, VOCAB, CONTACT,
  type Task,
} from '../../../src/train/env';
import { TASK_SETS, expertSuccess, makeDataset, sampleBatch } from '../../../src/train/tasks';

const push: Task = { kind: 'push', color: 'red', dir: 'left' };

describe('tabletop env', () => {
  it('is deterministic: same seed → same scene, image and expert rollout', () => {
    const a = resetEnv(push, 42);
    const b = resetEnv(push, 42);
    expect(a).toEqual(b);
    expect(render(a)).toEqual(render(b));
    for (let i = 0; i < 10; i++) {
      stepEnv(a, expertAction(a));
      stepEnv(b, expertAction(b));
    }
    expect(a).toEqual(b);
    expect(resetEnv(push, 43)).not.toEqual(resetEnv(push, 42));
  });

  it('the PRNG is seeded, in [0, 1) and roughly uniform', () => {
    const r = rng(1);
    const xs = Array.from({ length: 4000 }, () => r());
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(xs.reduce((a, b) => a + b, 0) / xs.length).toBeCloseTo(0.5, 1);
    expect(rng(2)()).not.toBe(rng(1)());
    expect(rng(1)()).toBe(xs[0]);
  });

  it('places the target colour and distinct colours', () => {
    for (let s = 0; s < 50; s++) {
      const e = resetEnv({ kind: 'reach', color: 'yellow' }, s);
      expect(e.blocks[0].color).toBe('yellow');
      expect(new Set(e.blocks.map((b) => b.color)).size).toBe(e.blocks.length);
    }
  });

  it('reach succeeds only near the target block', () => {
    const e = resetEnv({ kind: 'reach', color: 'blue' }, 3);
    expect(isSuccess(e)).toBe(false);
    const t = e.blocks[0];
    e.agent = [t.x + CONTACT + 0.01, t.y];
    expect(isSuccess(e)).toBe(true);
    e.agent = [t.x + 0.5, t.y];
    expect(isSuccess(e)).toBe(false);
  });

  it('pushing moves the touched block along the line of centres; push success needs PUSH_DISTANCE in the named direction', () => {
    const e = resetEnv(push, 5);
    const t = e.blocks[0];
    t.x = 0;
    t.y = 0;
    e.start = [0, 0];
    e.agent = [CONTACT + 0.05, 0];
    stepEnv(e, [-1, 0]);
    expect(e.agent[0]).toBeCloseTo(CONTACT + 0.05 - MAX_STEP, 6);
    expect(t.x).toBeCloseTo(e.agent[0] - CONTACT, 6);
    expect(t.y).toBeCloseTo(0, 6);
    expect(isSuccess(e)).toBe(false);
    for (let i = 0; i < 3; i++) stepEnv(e, [-1, 0]);
    expect(t.x).toBeLessThanOrEqual(-PUSH_DISTANCE);
    expect(isSuccess(e)).toBe(true);
    const right = { ...e, task: { kind: 'push', color: 'red', dir: 'right' } as Task };
    expect(isSuccess(right)).toBe(false);
  });

  it('clips actions to norm 1 and ignores non-finite actions', () => {
    const e = resetEnv({ kind: 'reach', color: 'red' }, 9);
    const [x, y] = e.agent;
    stepEnv(e, [NaN, Infinity]);
    expect(e.agent).toEqual([x, y]);
    stepEnv(e, [30, 40]);
    expect(Math.hypot(e.agent[0] - x, e.agent[1] - y)).toBeLessThanOrEqual(MAX_STEP + 1e-9);
  });

  it('episodes time out', () => {
    const e = resetEnv({ kind: 'push', color: 'green', dir: 'right' }, 1);
    let n = 0;
    while (!isDone(e)) {
      stepEnv(e, [0, 0]);
      n++;
    }
    expect(n).toBe(24);
    expect(isSuccess(e)).toBe(false);
  });

  it('the scripted expert solves nearly every task of every set', () => {
    for (const tasks of Object.values(TASK_SETS)) expect(expertSuccess(tasks, 30, 11)).toBeGreaterThan(0.9);
  });

  it('renders colours where the blocks are', () => {
    const e = resetEnv({ kind: 'reach', color: 'red' }, 2);
    const img = render(e);
    expect(img.length).toBe(IMAGE_SIZE * IMAGE_SIZE * 3);
    const b = e.blocks[0];
    const j = Math.floor(((b.x + 1) / 2) * IMAGE_SIZE);
    const i = Math.floor(((1 - b.y) / 2) * IMAGE_SIZE);
    const o = (i * IMAGE_SIZE + j) * 3;
    expect(img[o]).toBeGreaterThan(0.8); // red channel high at the red block's centre
    expect(img[o + 2]).toBeLessThan(0.3);
    // The teacher's patch at the red block's centre sees mostly red, and says where it is.
    const t = patchTargets(e);
    const patch = Math.floor(i / PATCH) * PATCHES_PER_SIDE + Math.floor(j / PATCH);
    const row = Array.from(t.slice(patch * PATCH_TARGET_DIM, (patch + 1) * PATCH_TARGET_DIM));
    expect(row[0]).toBeGreaterThan(0.3);
    expect(row[0]).toBe(Math.max(...row.slice(0, COLORS.length + 2)));
    expect(row[COLORS.length + 2]).toBeCloseTo(0.5 * (-1 + ((Math.floor(j / PATCH) + 0.5) * 2) / PATCHES_PER_SIDE), 6);
    expect(row[COLORS.length + 3]).toBeCloseTo(0.5 * (1 - ((Math.floor(i / PATCH) + 0.5) * 2) / PATCHES_PER_SIDE), 6);
  });

  it('teacher targets: the colour shares of a block add up to the whole block; the shares of every patch to 1', () => {
    const s = probeScene(5);
    const t = patchTargets(s);
    const A = COLORS.length;
    COLORS.forEach((_, k) => {
      let total = 0;
      for (let p = 0; p < PATCH_COUNT; p++) total += t[p * PATCH_TARGET_DIM + k];
      // The rendered disc's soft-edged area against its analytic area: equal within a pixel's rim.
      expect(total).toBeGreaterThan(0.9);
      expect(total).toBeLessThan(1.1);
    });
    for (let p = 0; p < PATCH_COUNT; p++) {
      let seen = 0;
      for (let k = 0; k <= A + 1; k++) seen += t[p * PATCH_TARGET_DIM + k];
      expect(seen).toBeGreaterThanOrEqual(0.999);
    }
  });

  it('probe scenes hold every colour, apart, and are reproducible', () => {
    const s = probeScene(11);
    expect(s.blocks.map((b) => b.color)).toEqual([...COLORS]);
    for (const a of s.blocks) for (const b of s.blocks) if (a !== b) expect(Math.hypot(a.x - b.x, a.y - b.y)).toBeGreaterThan(0.36);
    expect(probeScene(11)).toEqual(s);
    expect(probeScene(12)).not.toEqual(s);
  });

  it('tokenizes with padding and rejects unknown words', () => {
    expect(tokenize('reach red')).toEqual([VOCAB.indexOf('reach'), VOCAB.indexOf('red'), 0, 0, 0, 0, 0]);
    expect(() => tokenize('grab red')).toThrow(/unknown word "grab"/);
  });

  it('datasets and batches are reproducible', () => {
    const a = makeDataset(TASK_SETS.extract, 2, 7);
    const b = makeDataset(TASK_SETS.extract, 2, 7);
    expect(a.size).toBeGreaterThan(8);
    expect(a.images).toEqual(b.images);
    expect(sampleBatch(a, 4, rng(3)).actions).toEqual(sampleBatch(b, 4, rng(3)).actions);
  });
});
