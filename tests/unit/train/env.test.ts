import { describe, expect, it } from 'vitest';
import {
  expertAction, PUSH_DISTANCE, IMAGE_SIZE, isDone, isSuccess, MAX_STEP, privileged, render, resetEnv, rng, stepEnv, tokenize, VOCAB, CONTACT,
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
    expect(Array.from(privileged(e).slice(0, 3))).toEqual([Math.fround(b.x), Math.fround(b.y), 1]);
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
