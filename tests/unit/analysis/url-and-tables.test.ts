import { describe, expect, it } from 'vitest';
import { DEFAULT_VIEW, viewFromQuery, viewToQuery } from '../../../src/store/analysis';
import { toCsv, toJsonRows } from '../../../src/analysis/tables';

describe('analysis view in the URL', () => {
  it('round-trips metric, colour map, α, per-layer α, vectors and component', () => {
    const v = { ...DEFAULT_VIEW, metric: 'cosGammaDelta', cmap: 'magma' as const, alpha: -0.25, perLayer: { 'language/3': 0.5, 'vision:fused/-': 1.5 }, vectors: ['gamma', 'delta'], group: 'vision:fused', chart: 'language' };
    expect(viewFromQuery(viewToQuery(v))).toEqual(v);
  });
  it('round-trips the low-rank view: spectral pass and k, τ overlap, spectral metric, energy level, truncation rank', () => {
    const v = { ...DEFAULT_VIEW, spectral: true, spectralK: 16, spectralTau: true, specMetric: 'energyRank' as const, specVector: 'tauSft' as const, energyQ: 0.99 as const, rank: 4 };
    expect(viewToQuery(v)).toMatch(/spectral=16&tau=1&spec=energyRank&vec=tauSft&q=0.99&rank=4$/);
    expect(viewFromQuery(viewToQuery(v))).toEqual(v);
    expect(viewFromQuery(viewToQuery(DEFAULT_VIEW))).toEqual(DEFAULT_VIEW);
    const bad = viewFromQuery('spectral=x&spec=nope&vec=theta&q=0.5&rank=-3');
    expect([bad.spectral, bad.spectralK, bad.specMetric, bad.specVector, bad.energyQ, bad.rank]).toEqual([false, DEFAULT_VIEW.spectralK, DEFAULT_VIEW.specMetric, 'gamma', DEFAULT_VIEW.energyQ, 0]);
  });
  it('a link cannot ask for more singular values per matrix than the k field allows (256): an exact SVD of every matrix would follow', () => {
    expect(viewFromQuery('spectral=100000').spectralK).toBe(256);
    expect(viewFromQuery('spectral=256').spectralK).toBe(256);
  });
  it('falls back to defaults for missing or malformed fields', () => {
    const v = viewFromQuery('cmap=rainbow&alpha=abc&layerAlpha=language/3:x,bad');
    expect(v.cmap).toBe(DEFAULT_VIEW.cmap);
    expect(v.alpha).toBe(DEFAULT_VIEW.alpha);
    expect(v.perLayer).toEqual({});
    expect(v.vectors).toEqual(DEFAULT_VIEW.vectors);
  });
});

describe('table exports', () => {
  const t = { columns: ['name', 'x'], rows: [['a,"b"', 0.1 + 0.2], ['c', NaN], ['d', null]] as (string | number | null)[][] };
  it('CSV quotes fields and keeps full precision', () => {
    expect(toCsv(t)).toBe('name,x\n"a,""b""",0.30000000000000004\nc,NaN\nd,\n');
  });
  it('JSON rows turn non-finite numbers into null', () => {
    expect(toJsonRows(t)).toEqual([{ name: 'a,"b"', x: 0.30000000000000004 }, { name: 'c', x: null }, { name: 'd', x: null }]);
  });
});
