import { describe, expect, it } from 'vitest';
import { formatStat, humanCount } from '../../../src/ui/checkpoints/format';
import { guessRole } from '../../../src/ui/checkpoints/role-guess';

describe('human figures', () => {
  it.each([
    [7_241_732_096, '7.2 B'], [813_688, '814 K'], [81_368, '81.4 K'], [1_300_000, '1.3 M'], [950, '950'], [NaN, '—'],
  ])('counts parameters as researchers say them: %d → %s', (n, shown) => {
    expect(humanCount(n)).toBe(shown);
  });
  it('prints statistics with six significant digits and named non-finite values', () => {
    expect(formatStat(0.123456789)).toBe('0.123457');
    expect(formatStat(1.5e-7)).toBe('1.50000e-7');
    expect(formatStat(NaN)).toBe('NaN');
    expect(formatStat(-Infinity)).toBe('−Inf');
  });
});

describe('role guessing by name', () => {
  it.each([
    ['pre.safetensors', 'pre'],
    ['openvla-7b-pretrained', 'pre'],
    ['aux/model.safetensors.index.json aux', 'aux'],
    ['openvla-libero-spatial-forcing', 'aux'],
    ['ckpt_sf_step20k', 'aux'],
    ['sft.safetensors', 'sft'],
    ['openvla-7b-pretrained-sft', 'sft'],
    ['down.safetensors', 'down'],
    ['model.safetensors', undefined],
    // 'sf' inside a word is not Spatial Forcing, '.pt' is not "pretrained".
    ['transformers_export.pt', undefined],
  ])('%s → %s', (name, role) => {
    expect(guessRole(name)).toBe(role);
  });
});
