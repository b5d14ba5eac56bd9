import { describe, expect, it } from 'vitest';
import { capabilityVector, metaModel } from '../../../src/train/meta';
import { initWeights, POLICY_SPECS } from '../../../src/train/policy';
import { DEFAULT_PARAMS, paramsToSearch, parseParams } from '../../../src/train/params';

describe('γ and θ_meta through the merge kernels', () => {
  it('equal θ_aux − θ_sft and θ_pre + α·γ element by element', async () => {
    const pre = initWeights(POLICY_SPECS, 1);
    const aux = initWeights(POLICY_SPECS, 2);
    const sft = initWeights(POLICY_SPECS, 3);
    const gamma = await capabilityVector(aux, sft);
    const meta = await metaModel(pre, aux, sft, 0.7);
    for (const s of POLICY_SPECS) {
      const [p, a, f, g, m] = [pre, aux, sft, gamma, meta].map((w) => w.get(s.name)!);
      for (let i = 0; i < p.length; i += 37) {
        expect(g[i]).toBeCloseTo(a[i] - f[i], 5);
        expect(m[i]).toBeCloseTo(p[i] + 0.7 * (a[i] - f[i]), 5);
      }
    }
  });
});

describe('URL parameters', () => {
  it('round-trip and keep other keys', () => {
    const p = { ...DEFAULT_PARAMS, alpha: 0.5, lambda: 3, variant: 'abs' as const, steps: 42, seed: 7 };
    const q = paramsToSearch(p, '?backend=cpu');
    expect(q).toContain('backend=cpu');
    expect(parseParams(q)).toEqual(p);
  });
  it('fall back to defaults for out-of-range or malformed values', () => {
    const p = parseParams('?steps=-3&lr=abc&variant=evil&seed=1.5&lambda=2');
    expect(p.steps).toBe(DEFAULT_PARAMS.steps);
    expect(p.lr).toBe(DEFAULT_PARAMS.lr);
    expect(p.variant).toBe(DEFAULT_PARAMS.variant);
    expect(p.seed).toBe(DEFAULT_PARAMS.seed);
    expect(p.lambda).toBe(2);
  });
});
