/**
 * Merge outputs against float64 PyTorch references rounded once (tests/fixtures/make_merge_golden.py):
 * every case through runMerge (single file, sharded output, tiny chunks that force the streaming TIES
 * selection), and a set of cases through the real CLI.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { CpuEngine } from '../../../src/compute/cpu-engine';
import { memorySink } from '../../../src/merge/memory-sink';
import { runMerge } from '../../../src/merge/run';
import { openPath } from '../../../src/node/paths';
import { fileSource } from '../../../src/node/file-source';
import { assertClose, CASES, compareCheckpoints, FIX, inputsOf, openMemory, recipeOf } from './golden-helpers';

const ROOT = resolve(__dirname, '../../..');

describe('merge outputs equal the float64 reference rounded once', () => {
  for (const c of CASES) {
    it(`${c.name} (runMerge, ${c.sharded ? 'sharded' : 'single'} output)`, async () => {
      const sink = memorySink();
      const res = await runMerge(recipeOf(c, c.sharded ? 12_000 : 0), await inputsOf(c), { engine: new CpuEngine(), sink });
      expect(sink.committed).toBe(true);
      if (c.sharded) {
        expect(res.files.length).toBeGreaterThan(2);
        const index = JSON.parse(new TextDecoder().decode(sink.files.get('model.safetensors.index.json')!));
        expect(index.metadata.total_size).toBe(res.files.filter((f) => f.name.endsWith('.safetensors')).reduce((s, f) => s + f.bytes, 0) - 0 - sumHeaders(sink.files));
        expect(Object.values(index.weight_map)).toContain('model-00001-of-00003.safetensors');
      } else expect([...sink.files.keys()]).toEqual(['model.safetensors']);
      const cmp = await compareCheckpoints(await openMemory(sink.files), await openPath(join(FIX, c.expected)));
      assertClose(cmp, c.name);
    });
  }

  it('tiny chunks (streaming TIES selection, double-buffered reads) give the same bytes as one chunk', async () => {
    for (const name of ['ties-bf16', 'ties-f32', 'capvector-gradient-bf16']) {
      const c = CASES.find((x) => x.name === name)!;
      const big = memorySink();
      await runMerge(recipeOf(c), await inputsOf(c), { engine: new CpuEngine(), sink: big });
      const small = memorySink();
      await runMerge(recipeOf(c), await inputsOf(c), { engine: new CpuEngine(), sink: small, chunkElements: 97 });
      expect(Buffer.compare(Buffer.from(small.files.get('model.safetensors')!), Buffer.from(big.files.get('model.safetensors')!))).toBe(0);
    }
  });

  it('writes the recipe and the inputs’ SHA-256 into __metadata__', async () => {
    const c = CASES.find((x) => x.name === 'capvector-bf16')!;
    const files = await Promise.all(Object.entries(c.inputs).map(async ([role, p]) => ({ role, name: p, source: await fileSource(join(FIX, p)) })));
    const sink = memorySink();
    const res = await runMerge(recipeOf(c), { ...(await inputsOf(c)), files }, { engine: new CpuEngine(), sink });
    const out = await openMemory(sink.files);
    expect(JSON.parse(out.metadata['capvector.recipe'])).toEqual(recipeOf(c));
    const hashes = JSON.parse(out.metadata['capvector.inputs']);
    for (const h of hashes) {
      const want = createHash('sha256').update(readFileSync(join(FIX, h.name))).digest('hex');
      expect(h.sha256).toBe(want);
    }
    expect(res.inputHashes.map((h) => h.role)).toEqual(['pre', 'aux', 'sft']);
  });
});

function sumHeaders(files: Map<string, Uint8Array>): number {
  let s = 0;
  for (const [n, b] of files) if (n.endsWith('.safetensors')) s += 8 + Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));
  return s;
}

describe('the CLI gives the same outputs', () => {
  const cliCases = ['capvector-bf16', 'capvector-bf16-sharded-in', 'capvector-rules-exclude-bf16', 'capvector-f16-to-f32', 'extract-bf16-f32', 'apply-bf16', 'ties-f32', 'linear-f16'];
  for (const name of cliCases) {
    it(name, async () => {
      const c = CASES.find((x) => x.name === name)!;
      const dir = mkdtempSync(join(tmpdir(), 'h4-cli-'));
      try {
        const sharded = name === 'capvector-bf16-sharded-in';
        const cmd = c.method === 'extract' || c.method === 'apply' ? c.method : 'merge';
        const args = [join(ROOT, 'bin/capvector.mjs'), cmd];
        for (const [role, p] of Object.entries(c.inputs)) args.push(`--${role}`, join(FIX, p));
        if (c.models.length) args.push('--method', c.method, '--models', c.models.map((m) => join(FIX, m.path)).join(','));
        args.push(...c.cli);
        const out = sharded ? join(dir, 'out') : join(dir, 'merged.safetensors');
        args.push('--out', out);
        if (sharded) args.push('--shard-size', '15kB');
        const r = spawnSync(process.execPath, args, { encoding: 'utf8', cwd: FIX });
        expect(r.stderr.split('\n').filter((l) => l.startsWith('error'))).toEqual([]);
        expect(r.status).toBe(0);
        expect(r.stdout).toMatch(/tensors merged/);
        if (sharded) expect(readdirSync(out).sort()).toEqual(['capvector-recipe.json', 'mergekit.yaml', 'model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors', 'model.safetensors.index.json']);
        else expect(readdirSync(dir)).toEqual(['merged.safetensors']);
        const cmp = await compareCheckpoints(await openPath(out), await openPath(join(FIX, c.expected)));
        assertClose(cmp, `${name} via CLI`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
