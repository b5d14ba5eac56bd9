/**
 * fmtCompact (axis and legend numbers) and niceTicks (the per-layer charts' y ticks). Expected strings
 * are worked out by hand from the documented rules; niceTicks is also checked against its contract
 * (steps of 1, 2 or 5 × 10^k covering the range, about n of them) on seeded random ranges.
 */
import { describe, expect, it } from 'vitest';
import { fmtCompact } from '../../../src/ui/analysis/format';
import { niceTicks } from '../../../src/ui/analysis/LineChartSvg';

describe('fmtCompact', () => {
  it('names the values that are not numbers', () => {
    expect(fmtCompact(null)).toBe('—');
    expect(fmtCompact(undefined)).toBe('—');
    expect(fmtCompact(NaN)).toBe('n/a');
    expect(fmtCompact(Infinity)).toBe('∞');
    expect(fmtCompact(-Infinity)).toBe('−∞');
    expect(fmtCompact(0)).toBe('0');
    expect(fmtCompact(-0)).toBe('0');
  });

  it('keeps at most 4 significant digits and drops trailing zeros between 10⁻³ and 10⁴', () => {
    expect(fmtCompact(1234.5678)).toBe('1235');
    expect(fmtCompact(123.456)).toBe('123.5');
    expect(fmtCompact(100)).toBe('100');
    expect(fmtCompact(0.5)).toBe('0.5');
    expect(fmtCompact(1 / 3)).toBe('0.3333');
    expect(fmtCompact(0.001)).toBe('0.001');
    expect(fmtCompact(0.0012345)).toBe('0.001234'); // 0.0012345 is stored just below …345
    expect(fmtCompact(7)).toBe('7');
  });

  it('uses SI suffixes from 10⁴ up', () => {
    expect(fmtCompact(9999)).toBe('9999');
    expect(fmtCompact(10_000)).toBe('10k');
    expect(fmtCompact(12_340)).toBe('12.34k');
    expect(fmtCompact(2_500_000)).toBe('2.5M');
    expect(fmtCompact(7_241_732_096)).toBe('7.242G');
    expect(fmtCompact(3e12)).toBe('3T');
    expect(fmtCompact(5e15)).toBe('5000T'); // no suffix beyond T
  });

  it('switches to exponent notation below 10⁻³', () => {
    expect(fmtCompact(0.000123456)).toBe('1.235e-4');
    expect(fmtCompact(0.0005)).toBe('5e-4');
    expect(fmtCompact(1e-7)).toBe('1e-7');
    expect(fmtCompact(6.02e-23)).toBe('6.02e-23');
  });

  it('carries a true minus sign (U+2212) in every range', () => {
    expect(fmtCompact(-0.5)).toBe('−0.5');
    expect(fmtCompact(-12_340)).toBe('−12.34k');
    expect(fmtCompact(-0.0005)).toBe('−5e-4');
    expect(fmtCompact(-1234.5678)).toBe('−1235');
  });

  it('does not show toPrecision\'s own exponent form where rounding crosses 10⁴', () => {
    // 9999.9 to 4 digits is "1.000e+4" in toPrecision: shown as 10k instead.
    expect(fmtCompact(9999.9)).toBe('10k');
    expect(fmtCompact(-9999.9)).toBe('−10k');
    // Rounding that carries into the next unit moves up a unit.
    expect(fmtCompact(999_999)).toBe('1M');
    expect(fmtCompact(999_940)).toBe('999.9k');
  });

  it('honours the digits argument', () => {
    expect(fmtCompact(Math.PI, 2)).toBe('3.1');
    expect(fmtCompact(Math.PI, 7)).toBe('3.141593');
    expect(fmtCompact(123.456, 7)).toBe('123.456');
    expect(fmtCompact(0.000123, 2)).toBe('1.2e-4');
    expect(fmtCompact(2_345_678, 2)).toBe('2.3M');
  });
});

describe('niceTicks', () => {
  it('gives round ticks for typical ranges', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(-1, 1, 5)).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(niceTicks(3, 97, 5)).toEqual([20, 40, 60, 80]);
    expect(niceTicks(0, 7e9, 5)).toEqual([0, 2e9, 4e9, 6e9]);
    expect(niceTicks(0, 1e-6, 4)).toEqual([0, 5e-7, 1e-6]);
  });

  it('has no floating-point drift in the tick values', () => {
    // Accumulating 0.1 three times gives 0.30000000000000004; the ticks must be the round numbers.
    expect(niceTicks(0, 0.3, 3)).toEqual([0, 0.1, 0.2, 0.3]);
    expect(niceTicks(0.7, 1.3, 6)).toEqual([0.7, 0.8, 0.9, 1, 1.1, 1.2, 1.3]);
    expect(niceTicks(0, 0.3, 3).map((t) => fmtCompact(t))).toEqual(['0', '0.1', '0.2', '0.3']);
  });

  it('handles degenerate ranges', () => {
    expect(niceTicks(2, 2)).toEqual([2]);
    expect(niceTicks(NaN, 1)).toEqual([]);
    expect(niceTicks(0, Infinity)).toEqual([]);
    expect(niceTicks(-Infinity, 0)).toEqual([]);
  });

  it('meets its contract on random ranges: 1-2-5 steps, inside the range, about n ticks', () => {
    let s = 12345;
    const rnd = () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 2 ** 32;
    };
    for (let i = 0; i < 2000; i++) {
      const scale = 10 ** Math.floor(rnd() * 24 - 12);
      const lo = (rnd() * 2 - 1) * scale;
      const hi = lo + rnd() * scale + scale * 1e-3;
      // n ≥ 3: with n = 2 the 5·10^k step can fall between the range's multiples and leave no tick at
      // all (niceTicks(0.0033, 0.0434, 2) = []); the charts ask for 5.
      const n = 3 + Math.floor(rnd() * 10);
      const t = niceTicks(lo, hi, n);
      const where = `niceTicks(${lo}, ${hi}, ${n}) = [${t}]`;
      expect(t.length, where).toBeLessThanOrEqual(n + 1);
      expect(t.length, where).toBeGreaterThanOrEqual(Math.max(1, Math.floor(n / 2.5)));
      if (t.length === 1) {
        // A wide step (5·10^k for a small n) can leave one tick: it must still lie in the range.
        expect(t[0] >= lo && t[0] <= hi, where).toBe(true);
        continue;
      }
      const step = t[1] - t[0];
      // The step is 1, 2 or 5 times a power of ten.
      const mant = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
      expect([1, 2, 5].some((m) => Math.abs(mant - m) < 1e-6), where).toBe(true);
      // At least the range over n, and less than 2.5× that (the next 1-2-5 value up).
      expect(step, where).toBeGreaterThanOrEqual(((hi - lo) / n) * (1 - 1e-9));
      expect(step, where).toBeLessThan(((hi - lo) / n) * 2.5 * (1 + 1e-9));
      // Evenly spaced, increasing, within [lo, hi], and no room for another tick at either end.
      for (let k = 1; k < t.length; k++) expect(Math.abs(t[k] - t[k - 1] - step), where).toBeLessThan(step * 1e-6);
      expect(t[0], where).toBeGreaterThanOrEqual(lo - step * 1e-6);
      expect(t.at(-1)!, where).toBeLessThanOrEqual(hi + step * 1e-6);
      expect(t[0] - step, where).toBeLessThan(lo + step * 1e-6);
      expect(t.at(-1)! + step, where).toBeGreaterThan(hi - step * 1e-6);
      // Round numbers: each tick is an integer multiple of the step, printed without noise digits.
      for (const v of t) expect(Math.abs(v / step - Math.round(v / step)), where).toBeLessThan(1e-6);
    }
  });
});
