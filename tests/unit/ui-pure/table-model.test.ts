import { describe, expect, it } from 'vitest';
import { filterAndSort, makeMatcher, visibleRange } from '../../../src/ui/checkpoints/table-model';

const rows = [
  { name: 'layers.10.q_proj.weight', dtype: 'BF16', shape: [4, 4], byteLength: 32 },
  { name: 'layers.2.q_proj.weight', dtype: 'F32', shape: [4, 4], byteLength: 64 },
  { name: 'layers.2.k_proj.weight', dtype: 'BF16', shape: [2, 4], byteLength: 16 },
  { name: 'embed_tokens.weight', dtype: 'BF16', shape: [8, 4], byteLength: 64 },
];

describe('tensor table model', () => {
  it('filters by case-insensitive substring or regex, and reports a bad regex', () => {
    expect(filterAndSort(rows, makeMatcher('Q_PROJ', false).test, null, 'asc')).toEqual([0, 1]);
    expect(filterAndSort(rows, makeMatcher('^layers\\.2\\.', true).test, null, 'asc')).toEqual([1, 2]);
    expect(filterAndSort(rows, makeMatcher('   ', false).test, null, 'asc')).toEqual([0, 1, 2, 3]);
    const bad = makeMatcher('layers.[', true);
    expect(bad.error).toBeTruthy();
    expect(bad.test('layers.[')).toBe(false);
  });

  it('sorts names numerically, sizes and dtypes stably, both directions', () => {
    const all = () => true;
    expect(filterAndSort(rows, all, 'name', 'asc')).toEqual([3, 2, 1, 0]);
    expect(filterAndSort(rows, all, 'name', 'desc')).toEqual([0, 1, 2, 3]);
    expect(filterAndSort(rows, all, 'size', 'asc')).toEqual([2, 0, 1, 3]); // ties keep file order
    expect(filterAndSort(rows, all, 'size', 'desc')).toEqual([1, 3, 0, 2]);
    expect(filterAndSort(rows, all, 'dtype', 'asc')).toEqual([0, 2, 3, 1]);
  });

  it('renders only the rows in view plus overscan', () => {
    expect(visibleRange(0, 280, 28, 10_000, 5)).toEqual([0, 15]);
    expect(visibleRange(28 * 5000, 280, 28, 10_000, 5)).toEqual([4995, 5015]);
    expect(visibleRange(28 * 9999, 280, 28, 10_000, 5)).toEqual([9994, 10_000]);
    expect(visibleRange(0, 280, 28, 0)).toEqual([0, 0]);
  });
});
