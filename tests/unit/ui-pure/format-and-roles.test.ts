import { describe, expect, it } from 'vitest';
import { formatStat, humanCount } from '../../../src/ui/checkpoints/format';
import { guessRole } from '../../../src/ui/checkpoints/role-guess';

describe('human figures', () => {
  it('counts parameters as researchers say them', () => {
    expect(humanCount(7_241_732_096)).toBe('7.2 B');
    expect(humanCount(813_688)).toBe('814 K');
    expect(humanCount(81_368)).toBe('81.4 K');
    expect(humanCount(1_300_000)).toBe('1.3 M');
    expect(humanCount(950)).toBe('950');
    expect(humanCount(NaN)).toBe('—');
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
