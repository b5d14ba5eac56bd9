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

  it('an adapter cannot be θ_pre', async () => {
    const r = await cli(['stats', '--pre', join(LORA, 'plain'), '--aux', join(LORA, 'patterns'), '--sft', join(LORA, 'sft-bf16')]);
    expect(r.code).toBe(1);
    expect(r.err).toBe('error: plain is a LoRA adapter: θ_pre must be a full checkpoint');
  });
});
