import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main';

const DIR = join(__dirname, '../../fixtures/stats');
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8'));
const f = (r: string) => join(DIR, `${r}.safetensors`);

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('capvector stats', () => {
  it('--json --by layer matches the float64 reference per layer', async () => {
    const r = await cli(['stats', '--pre', f('pre'), '--aux', f('aux'), '--sft', f('sft'), '--down', f('down'), '--alpha', '0.3', '--json', '--by', 'layer']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.alpha).toBe(0.3);
    expect(j.skipped.map((s: { name: string }) => s.name)).toEqual(expected.skipped);
    expect(j.rows.length).toBe(Object.keys(expected.layers).length);
    for (const row of j.rows) {
      const want = expected.layers[`${row.component}/${row.block ?? '-'}`].metrics['0.3'];
      for (const k of ['normGamma', 'normDelta', 'cosGammaDelta', 'cosGammaTauSft', 'metaShift']) {
        expect(Math.abs(row[k] - want[k])).toBeLessThanOrEqual(1e-5 * Math.max(1e-3, Math.abs(want[k])));
      }
    }
  });

  it('prints a table by component with the whole model last', async () => {
    const r = await cli(['stats', '--pre', f('pre'), '--aux', f('aux'), '--sft', f('sft')]);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^component\s+tensors\s+numel\s+normGamma/);
    expect(lines[0]).not.toMatch(/normDelta/); // no downstream checkpoint, no Δ
    expect(lines.at(-1)).toMatch(/^\(model\)\s+19\s+1608\s+0\.160693/);
    expect(r.err).toMatch(/1 tensor\(s\) skipped: vision_backbone.featurizer.position_ids \(I64/);
  });

  it('usage faults exit 2, bad input exits 1 naming the file', async () => {
    expect((await cli(['stats', '--pre', f('pre'), '--aux', f('aux')])).code).toBe(2);
    expect((await cli(['stats', '--pre', f('pre'), '--aux', f('aux'), '--sft', f('sft'), '--by', 'row'])).err).toMatch(/--by must be/);
    const bad = await cli(['stats', '--pre', f('pre'), '--aux', join(DIR, 'expected.json'), '--sft', f('sft')]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^error: .*expected\.json/);
  });
});
