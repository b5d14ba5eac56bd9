/**
 * A γ matrix holding NaN or ±Inf (a damaged checkpoint) has no low-rank factorisation: factorMatrix must
 * say so, not hand back rank 0 (which the export wrote as an all-zero "zero" tensor with energy kept 1).
 */
import { describe, expect, it } from 'vitest';
import { factorMatrix } from '../../../src/merge/lora/factor';

describe('factorMatrix on a non-finite matrix', () => {
  for (const bad of [NaN, Infinity, -Infinity]) {
    it(`rejects a matrix holding ${bad}`, async () => {
      const rows = 6, cols = 5;
      const data = new Float64Array(rows * cols).map((_, i) => Math.sin(i + 1));
      data[7] = bad;
      await expect(factorMatrix({ rows, cols, data }, { maxRank: 2 })).rejects.toThrow(/NaN or ±Inf/);
    });
  }
  it('still factors a finite matrix', async () => {
    const data = new Float64Array(30).map((_, i) => Math.sin(i + 1));
    const f = await factorMatrix({ rows: 6, cols: 5, data }, { maxRank: 2 });
    expect(f.rank).toBe(2);
  });
});
