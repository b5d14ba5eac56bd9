/**
 * `stats --spectral --threads N`: the matrices computed on worker threads (src/node/spectral-pool.ts)
 * give the very numbers of the main-thread pass (whose own numbers tests/unit/analysis/spectral.test.ts
 * holds to torch.linalg.svd), with and without a downstream checkpoint.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli';

const DIR = join(__dirname, '../../fixtures/lora');
const AUX = join(DIR, 'aux.safetensors');
const SFT = join(DIR, 'sft.safetensors');

const cli = runCli;

describe('stats --spectral on worker threads', () => {
  it('equals the main-thread pass bit for bit (γ spectra, and the overlap with Δ)', async () => {
    for (const down of [[], ['--down', AUX]]) {
      const base = ['stats', '--pre', SFT, '--aux', AUX, '--sft', SFT, ...down, '--by', 'tensor', '--spectral', '--spectral-k', '4', '--json'];
      const one = await cli([...base, '--threads', '0']);
      const two = await cli([...base, '--threads', '2']);
      expect(one.code, one.err).toBe(0);
      expect(two.code, two.err).toBe(0);
      const rows = JSON.parse(one.out).rows as { name: string; sigma?: number[]; overlapGammaDelta?: number }[];
      expect(rows.filter((r) => r.sigma).length).toBe(8);
      if (down.length) expect(rows.filter((r) => typeof r.overlapGammaDelta === 'number').length).toBeGreaterThan(0);
      expect(two.out).toBe(one.out);
    }
  });

  it('--progress: a line per matrix on stderr, the last one 8/8', async () => {
    const r = await cli(['stats', '--pre', SFT, '--aux', AUX, '--sft', SFT, '--by', 'tensor', '--spectral', '--spectral-k', '4', '--json', '--progress']);
    expect(r.code).toBe(0);
    const lines = r.err.split('\n');
    expect(lines).toHaveLength(8);
    expect(lines.map((l) => /^spectral (\d+)\/8 matrices · /.exec(l)?.[1])).toEqual(['1', '2', '3', '4', '5', '6', '7', '8']);
    expect(JSON.parse(r.out).rows.length).toBe(10);
  });

  it('--threads is for --spectral only, and a whole number', async () => {
    const r = await cli(['stats', '--pre', SFT, '--aux', AUX, '--sft', SFT, '--threads', '2']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--threads needs --spectral/);
    const bad = await cli(['stats', '--pre', SFT, '--aux', AUX, '--sft', SFT, '--by', 'tensor', '--spectral', '--threads', 'x']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--threads must be a whole number/);
  });
});
