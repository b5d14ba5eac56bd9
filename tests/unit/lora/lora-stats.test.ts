/**
 * The analysis treats an adapter's ΔW like any τ: `capvector stats` with LoRA adapters for roles (two
 * adapters; an adapter beside a full checkpoint) against the float64 torch norms and cosines of
 * make_lora_golden.py (stats.json), per tensor, to 1e-5 relative.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main';
import { LORA } from './lora-fixtures';

type Golden = Record<string, number | null>;
const STATS: Record<string, { roles: Record<string, string>; tensors: Record<string, Golden> }> = JSON.parse(readFileSync(join(LORA, 'stats.json'), 'utf8'));

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('capvector stats with LoRA adapters for roles', () => {
  for (const [name, g] of Object.entries(STATS)) {
    it(`${name}: ${Object.values(g.roles).join(', ')}`, async () => {
      const r = await cli(['stats', ...Object.entries(g.roles).flatMap(([role, p]) => [`--${role}`, join(LORA, p)]), '--by', 'tensor', '--json']);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      const rows: Record<string, number | null>[] = JSON.parse(r.out).rows;
      expect(rows.map((x) => x.name)).toEqual(Object.keys(g.tensors));
      for (const row of rows) {
        for (const [k, want] of Object.entries(g.tensors[row.name as unknown as string])) {
          const got = row[k];
          if (want === null) expect(got, `${row.name} ${k}`).toBeNull();
          else expect(Math.abs((got as number) - want), `${row.name} ${k}: ${got} vs ${want}`).toBeLessThanOrEqual(1e-5 * Math.max(1e-3, Math.abs(want)));
        }
      }
    });
  }

  it('--spectral: γ of two adapters has the rank of their factors together, and its energy is ‖γ‖² of torch', async () => {
    const g = STATS.adapters;
    const r = await cli(['stats', ...Object.entries(g.roles).flatMap(([role, p]) => [`--${role}`, join(LORA, p)]), '--by', 'tensor', '--spectral', '--json']);
    expect(r.code).toBe(0);
    const rows: { name: string; sigma: number[] | null }[] = JSON.parse(r.out).rows;
    // plain: r = 4 on q_proj and v_proj; patterns: q_proj r = 2 in layer 0 (rank_pattern), 4 elsewhere, v_proj 4, down_proj 6.
    const ranks: Record<string, number> = {
      'model.layers.0.self_attn.q_proj.weight': 6, 'model.layers.1.self_attn.q_proj.weight': 8,
      'model.layers.0.self_attn.v_proj.weight': 8, 'model.layers.1.self_attn.v_proj.weight': 8,
      'model.layers.0.mlp.down_proj.weight': 6, 'model.layers.1.mlp.down_proj.weight': 6,
    };
    for (const [name, rank] of Object.entries(ranks)) {
      const sigma = rows.find((x) => x.name === name)!.sigma!;
      expect(sigma.filter((s) => s > 1e-6 * sigma[0]).length, name).toBe(rank);
      const energy = sigma.reduce((a, s) => a + s * s, 0);
      const want = g.tensors[name].normGamma! ** 2;
      expect(Math.abs(energy - want) / want, name).toBeLessThanOrEqual(1e-5);
    }
  });

  it('an adapter cannot be θ_pre', async () => {
    const r = await cli(['stats', '--pre', join(LORA, 'plain'), '--aux', join(LORA, 'patterns'), '--sft', join(LORA, 'sft-bf16')]);
    expect(r.code).toBe(1);
    expect(r.err).toBe('error: plain is a LoRA adapter: θ_pre must be a full checkpoint');
  });
});
