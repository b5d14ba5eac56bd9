/** Filtering and sorting of the tensor table, kept pure (unit-tested in tests/unit/ui-pure). */

export interface TensorRow {
  name: string;
  dtype: string;
  shape: number[];
  byteLength: number;
}

export type SortKey = 'name' | 'size' | 'dtype' | 'file';
export type SortDir = 'asc' | 'desc';

/** A name matcher from the filter box; a bad regular expression gives an error instead of throwing. */
export function makeMatcher(query: string, regex: boolean): { test(name: string): boolean; error?: string } {
  const q = query.trim();
  if (!q) return { test: () => true };
  if (regex) {
    try {
      const re = new RegExp(q, 'i');
      return { test: (n) => re.test(n) };
    } catch (e) {
      return { test: () => false, error: e instanceof Error ? e.message : String(e) };
    }
  }
  const lower = q.toLowerCase();
  return { test: (n) => n.toLowerCase().includes(lower) };
}

/** Indices of the rows to show, filtered then sorted (stable; ties keep file order). */
export function filterAndSort<T extends TensorRow>(rows: T[], match: (name: string) => boolean, key: SortKey | null, dir: SortDir): number[] {
  const idx: number[] = [];
  for (let i = 0; i < rows.length; i++) if (match(rows[i].name)) idx.push(i);
  if (!key || key === 'file') return dir === 'desc' ? idx.reverse() : idx;
  const sign = dir === 'asc' ? 1 : -1;
  const cmp =
    key === 'name'
      ? (a: number, b: number) => rows[a].name.localeCompare(rows[b].name, undefined, { numeric: true })
      : key === 'size'
        ? (a: number, b: number) => rows[a].byteLength - rows[b].byteLength
        : (a: number, b: number) => rows[a].dtype.localeCompare(rows[b].dtype);
  return idx.sort((a, b) => sign * cmp(a, b) || a - b);
}

/** The window of rows to render for a scroll position (fixed row height, a few rows of overscan). */
export function visibleRange(scrollTop: number, viewport: number, rowHeight: number, count: number, overscan = 6): [number, number] {
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(count, Math.ceil((scrollTop + viewport) / rowHeight) + overscan);
  return [first, Math.max(first, last)];
}
