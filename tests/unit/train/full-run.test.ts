import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The smoke test of the documented command: the whole protocol at toy size, on the WebAssembly backend
// the real run uses, through every arm, the α sweep and the λ sweep, into the JSON the docs are made from.
describe('scripts/train_full_run.ts at toy size', () => {
  it('writes every arm for every seed, the sweeps, the paired comparisons and a verdict per claim', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cv-full-run-'));
    try {
      const out = join(dir, 'results.json');
      execFileSync(process.execPath, ['--import', 'tsx', 'scripts/train_full_run.ts', '--seeds', '7,8', '--steps', '3', '--extract-steps', '3', '--episodes', '1',
        '--eval-episodes', '1', '--eval-every', '0', '--probe-scenes', '12', '--out', out], { stdio: 'pipe', timeout: 110_000 });
      const r = JSON.parse(readFileSync(out, 'utf8'));
      expect(Object.keys(r.arms).sort()).toEqual(['aux_extraction', 'aux_pre', 'orth_meta', 'sft_extraction', 'sft_meta', 'sft_pre']);
      for (const arm of Object.values<any>(r.arms)) {
        expect(arm.seeds.map((s: any) => s.seed)).toEqual([7, 8]);
        for (const s of arm.seeds) {
          expect(s.success).toBeGreaterThanOrEqual(0);
          expect(s.probeError).toBeGreaterThan(0);
          // Step 0 and the end: a curve with the probe at the end.
          expect(s.curve[0].step).toBe(0);
          expect(s.curve.at(-1).step).toBe(3);
          expect(s.curve.at(-1).probe).toBe(s.probeError);
        }
      }
      expect(r.alphaSweep.map((x: any) => x.points.map((p: any) => p.alpha))).toEqual([[0, 0.5, 1, 1.5, 2], [0, 0.5, 1, 1.5, 2]]);
      expect(Object.keys(r.lambdaSweep).sort()).toEqual(['orth_meta_lambda_0.1', 'orth_meta_lambda_10']);
      // Paired by seed: two seeds give n = 2 and a finite interval around the mean.
      const c = r.comparisons['C1: success sft_meta − sft_pre'];
      expect(c.n).toBe(2);
      const d = r.arms.sft_meta.seeds.map((s: any, i: number) => s.success - r.arms.sft_pre.seeds[i].success);
      expect(c.mean).toBeCloseTo((d[0] + d[1]) / 2, 12);
      expect(Object.keys(r.verdict)).toEqual(['premise', 'C1', 'C2', 'C3']);
      expect(r.protocol.backend).toMatch(/^tfjs wasm/);
      expect(r.protocol.seeds).toEqual([7, 8]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
