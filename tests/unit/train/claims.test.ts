import { describe, expect, it } from 'vitest';
import { interval, paired, premiseHolds, stepsToReach, verdictC1, verdictC2, type Interval } from '../../../src/train/claims';

const iv = (mean: number, lo: number, hi: number): Interval => ({ n: 5, mean, lo, hi });

describe('claim statistics', () => {
  it('the 95% t-interval of a sample, by hand', () => {
    // 1, 2, 3, 4, 5: mean 3, sd √2.5, t(4) = 2.776, half-width 2.776·√2.5/√5 = 1.96292…
    const i = interval([1, 2, 3, 4, 5]);
    expect(i.n).toBe(5);
    expect(i.mean).toBe(3);
    expect(i.hi - 3).toBeCloseTo(2.776 * Math.sqrt(2.5) / Math.sqrt(5), 12);
    expect(3 - i.lo).toBeCloseTo(2.776 * Math.sqrt(0.5), 12);
    expect(Number.isNaN(interval([4]).lo)).toBe(true);
    expect(interval([NaN, 1, 3]).n).toBe(2);
  });

  it('pairs by seed, only seeds both arms have', () => {
    const a = new Map([[1, 0.5], [2, 0.7], [3, 0.9], [9, 5]]);
    const b = new Map([[1, 0.4], [2, 0.4], [3, 0.6]]);
    const d = paired(a, b);
    expect(d.n).toBe(3);
    expect(d.mean).toBeCloseTo((0.1 + 0.3 + 0.3) / 3, 12);
  });

  it('steps to a success level: the first logged point at or above it', () => {
    const curve = [{ step: 0, success: 0 }, { step: 50 }, { step: 100, success: 0.4 }, { step: 150, success: 0.6 }, { step: 200, success: 0.5 }];
    expect(stepsToReach(curve, 0.5)).toBe(150);
    expect(stepsToReach(curve, 0.7)).toBeNull();
  });

  it('verdict rules', () => {
    expect(premiseHolds(iv(0.1, 0.02, 0.2), iv(-0.05, -0.08, -0.01))).toBe(true);
    expect(premiseHolds(iv(0.1, -0.02, 0.2), iv(-0.05, -0.08, -0.01))).toBe(false);
    expect(premiseHolds(iv(0.1, 0.02, 0.2), iv(-0.05, -0.08, 0.01))).toBe(false);
    expect(verdictC1(iv(0.1, 0.05, 0.15), iv(-0.02, -0.06, 0.01))).toBe('reproduced');
    expect(verdictC1(iv(0.1, 0.05, 0.15), iv(-0.1, -0.15, -0.05))).toBe('partly');
    expect(verdictC1(iv(0.05, -0.05, 0.15), iv(0, -0.1, 0.1))).toBe('partly');
    expect(verdictC1(iv(-0.05, -0.1, 0.01), iv(-0.1, -0.2, 0.01))).toBe('not reproduced');
    expect(verdictC2(iv(-0.05, -0.08, -0.02), iv(-0.01, -0.05, 0.03))).toBe('reproduced');
    expect(verdictC2(iv(-0.05, -0.08, -0.02), iv(-0.1, -0.15, -0.05))).toBe('partly');
    expect(verdictC2(iv(0.01, -0.02, 0.04), iv(-0.1, -0.15, -0.05))).toBe('not reproduced');
  });
});
