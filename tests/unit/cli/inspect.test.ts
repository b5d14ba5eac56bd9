/** `capvector inspect`, run as users run it: `node bin/capvector.mjs inspect …` in a child process. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildSafetensors } from '../formats/st-builder';

const ROOT = join(__dirname, '../../..');
const FIX = join(ROOT, 'tests/fixtures/safetensors');
const golden = JSON.parse(readFileSync(join(FIX, 'golden.json'), 'utf8'));
const tmp = mkdtempSync(join(tmpdir(), 'capvector-inspect-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/capvector.mjs'), 'inspect', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const shardTensors = () => Object.values(golden['openvla-tiny'].shards as Record<string, Record<string, { dtype: string; shape: number[] }>>).flatMap((s) => Object.values(s));
const params = (ts: { shape: number[] }[]) => ts.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);

describe('capvector inspect', () => {
  it('summarises a sharded folder for people', () => {
    const r = cli(join(FIX, 'openvla-tiny'));
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const n = params(shardTensors());
    expect(r.out).toContain('format:     safetensors, sharded (4 files)');
    expect(r.out).toContain('tensors:    34\n');
    expect(r.out).toContain(`parameters: ${n.toLocaleString('en-US')}`);
    expect(r.out).toContain('dtypes:     BF16 ×34 100.0%');
    expect(r.out).toMatch(/total_size: \d+/);
    expect(r.out).toContain('tensors (first 20 of 34; --all lists every one):');
    expect(r.out).toMatch(/language_model\.model\.embed_tokens\.weight\s+BF16\s+\[40, 16\]/);
  });

  it('prints one JSON object for one PATH and an array for several', () => {
    const one = cli(join(FIX, 'openvla-tiny', 'model.safetensors.index.json'), '--json');
    expect(one.code).toBe(0);
    const j = JSON.parse(one.out);
    expect(Array.isArray(j)).toBe(false);
    expect(j.format).toBe('safetensors');
    expect(j.parameters).toBe(params(shardTensors()));
    expect(j.bytes).toBeGreaterThan(j.tensorBytes);
    expect(j.tensors.length).toBe(34);
    expect(j.tensors[0]).toEqual({ name: 'vision_backbone.featurizer.patch_embed.proj.weight', dtype: 'BF16', shape: [16, 3, 2, 2] });

    const two = cli('--json', join(FIX, 'openvla-tiny'), join(FIX, 'all_dtypes.safetensors'));
    expect(two.code).toBe(0);
    const arr = JSON.parse(two.out);
    expect(arr.map((c: { name: string }) => c.name)).toEqual(['openvla-tiny', 'all_dtypes.safetensors']);
    const want = Object.entries(golden['all_dtypes.safetensors'] as Record<string, { dtype: string; shape: number[] }>).map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape }));
    expect(arr[1].tensors).toEqual(want);
  });

  it('bad input: exit 1 with one error line naming file and fault, no stack', () => {
    const bad = join(tmp, 'bad.safetensors');
    writeFileSync(bad, buildSafetensors({ 'a.weight': { dtype: 'F32', shape: [2, 3], data_offsets: [0, 12] } }, 12));
    const r = cli(bad);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toBe("error: bad.safetensors: tensor 'a.weight' data_offsets [0, 12) hold 12 bytes but shape [2, 3] of F32 needs 24\n");
    const missing = cli(join(tmp, 'nope'));
    expect(missing.code).toBe(1);
    expect(missing.err.trim().split('\n')).toEqual([`error: ${join(tmp, 'nope')}: no such file or folder`]);
  });

  it('usage faults exit 2', () => {
    const r = cli();
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error: inspect needs at least one PATH/);
  });
});
