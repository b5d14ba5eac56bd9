/** The streaming executor's guarantees: bounded memory, cancel leaves nothing complete, refusals name every tensor, DARE is reproducible. */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CpuEngine } from '../../../src/compute/cpu-engine';
import type { ChunkInput, CombineSpec, Engine } from '../../../src/compute/engine';
import type { Checkpoint, TensorEntry } from '../../../src/formats/checkpoint';
import { bf16BitsToF32, f32ToBf16Bits } from '../../../src/formats/dtype';
import { memorySink } from '../../../src/merge/memory-sink';
import { MergePlanError, planMerge } from '../../../src/merge/plan';
import { defaultRecipe } from '../../../src/merge/recipe';
import { dareSalt } from '../../../src/merge/methods/dare';
import { runMerge } from '../../../src/merge/run';
import { dareMask } from '../../../src/compute/kernels/dare/hash';
import { fileSink } from '../../../src/node/file-sink';
import type { Recipe } from '../../../src/merge/types';
import { CASES, FIX, inputsOf, openMemory, recipeOf } from './golden-helpers';

/** A synthetic bf16 checkpoint whose reads are counted: bytes handed out and not yet written back. */
function fakeCheckpoint(name: string, tensors: { name: string; numel: number }[], seed: number, meter: { live: number; peak: number }): Checkpoint {
  return {
    name, format: 'safetensors', files: [name], sharded: false, metadata: {}, fileBytes: 0,
    tensors: tensors.map((t): TensorEntry => ({
      name: t.name, dtype: 'BF16', shape: [t.numel], byteLength: t.numel * 2, file: name,
      async read(start = 0, len = t.numel * 2) {
        const out = new Uint8Array(len);
        for (let i = 0; i < len; i += 2) {
          const v = Math.sin((start + i) * 0.001 + seed);
          const b = f32ToBf16Bits(v);
          out[i] = b & 0xff;
          out[i + 1] = b >> 8;
        }
        meter.live += len;
        meter.peak = Math.max(meter.peak, meter.live);
        return out;
      },
    })),
  };
}

describe('streaming executor', () => {
  it('keeps a few chunks in flight whatever the model size', async () => {
    const meter = { live: 0, peak: 0 };
    const tensors = Array.from({ length: 6 }, (_, i) => ({ name: `model.layers.${i}.mlp.weight`, numel: 1_000_000 + i }));
    const inputs = { pre: fakeCheckpoint('pre', tensors, 1, meter), aux: fakeCheckpoint('aux', tensors, 2, meter), sft: fakeCheckpoint('sft', tensors, 3, meter) };
    const cpu = new CpuEngine();
    // The engine counts a chunk's input bytes as released once it has consumed them.
    const engine: Engine = {
      kind: 'cpu', maxChunkElements: 1 << 20,
      async combine(x: ChunkInput[], spec: CombineSpec) {
        const out = await cpu.combine(x, spec);
        for (const c of x) meter.live -= c.bytes.length;
        return out;
      },
      ties: cpu.ties.bind(cpu), dare: cpu.dare.bind(cpu), stats: cpu.stats.bind(cpu), lora: cpu.lora.bind(cpu), dispose: () => undefined,
    };
    let written = 0;
    let maxWrite = 0;
    const sink = {
      async createFile() {
        return { async write(b: Uint8Array) { written += b.length; maxWrite = Math.max(maxWrite, b.length); }, async close() {} };
      },
      async commit() {}, async abort() {},
    };
    const chunkElements = 50_000;
    const r: Recipe = { ...defaultRecipe('capvector'), params: { alpha: 0.5 } };
    await runMerge(r, inputs, { engine, sink, chunkElements });
    const total = tensors.reduce((s, t) => s + t.numel * 2 * 3, 0);
    const chunkSet = chunkElements * 2 * 3;
    expect(written).toBeGreaterThan(total / 3);
    // At most this chunk and the next one's reads are alive: 2 chunk sets of 300 kB out of 36 MB read.
    expect(meter.peak).toBeLessThanOrEqual(2 * chunkSet);
    expect(meter.peak).toBeGreaterThan(chunkSet); // the next chunk really is read ahead
    expect(maxWrite).toBeLessThanOrEqual(chunkElements * 2 + 4096);
  });

  it('a cancelled export leaves no file that looks complete (memory and disk sinks)', async () => {
    const c = CASES.find((x) => x.name === 'capvector-bf16')!;
    for (const kind of ['memory', 'disk'] as const) {
      const dir = mkdtempSync(join(tmpdir(), 'h4-cancel-'));
      const sink = kind === 'memory' ? memorySink() : fileSink(dir);
      const ac = new AbortController();
      let chunks = 0;
      const p = runMerge({ ...recipeOf(c), shardSize: 12_000 }, await inputsOf(c), {
        engine: new CpuEngine(), sink, chunkElements: 64, signal: ac.signal,
        onProgress: (pr) => {
          if (pr.bytesWritten > 0 && ++chunks === 1) ac.abort();
        },
      });
      await expect(p).rejects.toThrow(/cancel|abort/i);
      if (kind === 'memory') {
        const m = sink as ReturnType<typeof memorySink>;
        expect(m.aborted).toBe(true);
        expect(m.files.size + m.pending.size).toBe(0);
      } else expect(readdirSync(dir)).toEqual([]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a failing read aborts the disk sink and removes the partial files', async () => {
    const c = CASES.find((x) => x.name === 'capvector-bf16')!;
    const inputs = await inputsOf(c);
    const broken = { ...inputs.aux!, tensors: inputs.aux!.tensors.map((t, i) => (i === 5 ? { ...t, read: async () => { throw new Error('aux.safetensors: disk went away'); } } : t)) };
    const dir = mkdtempSync(join(tmpdir(), 'h4-fail-'));
    await expect(runMerge(recipeOf(c), { ...inputs, aux: broken }, { engine: new CpuEngine(), sink: fileSink(dir) })).rejects.toThrow(/disk went away/);
    expect(readdirSync(dir)).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses missing and mismatched tensors with a list, unless excluded', async () => {
    const c = CASES.find((x) => x.name === 'capvector-bf16')!;
    const inputs = await inputsOf(c);
    const aux: Checkpoint = {
      ...inputs.aux!,
      tensors: inputs.aux!.tensors
        .filter((t) => t.name !== 'lm_head.weight')
        .map((t) => (t.name === 'model.norm.weight' ? { ...t, shape: [2, 16] } : t)),
    };
    let err: unknown;
    try {
      planMerge(recipeOf(c), { ...inputs, aux });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MergePlanError);
    const lines = (err as MergePlanError).describe();
    expect(lines[0]).toMatch(/2 tensor\(s\) are missing or have mismatched shapes.*--exclude/);
    expect(lines.join('\n')).toMatch(/lm_head\.weight: only in pre, sft; missing in aux/);
    expect(lines.join('\n')).toMatch(/model\.norm\.weight: pre \[32\] vs aux \[2, 16\] vs sft \[32\]/);
    const plan = planMerge({ ...recipeOf(c), exclude: ['lm_head', '/^model\\.norm\\./'] }, { ...inputs, aux });
    expect(plan.tensors.find((t) => t.name === 'lm_head.weight')!.action).toEqual({ kind: 'copy', reason: 'excluded' });
    expect(plan.tensors.map((t) => t.name)).toEqual(inputs.pre!.tensors.map((t) => t.name));
    expect(() => planMerge({ ...recipeOf(c), params: { alpha: 'x' as never } }, inputs)).toThrow(/params.alpha must be/);
    expect(() => planMerge({ ...recipeOf(c), params: { beta: 1 } }, inputs)).toThrow(/beta: not a parameter of capvector/);
  });

  it('the CLI prints the refusal list and exits 1; usage faults exit 2', () => {
    const root = resolve(__dirname, '../../..');
    const out = join(tmpdir(), 'h4-never.safetensors');
    // A capability vector has no integer tensors: as θ_pre it lacks the others' model.position_ids, which
    // the output (θ_pre's tensors) would silently drop. (Missing in aux or sft it is a buffer copied from θ_pre.)
    const r = spawnSync(process.execPath, [join(root, 'bin/capvector.mjs'), 'merge', '--pre', join(FIX, 'inputs/vector-f32.safetensors'), '--aux', join(FIX, 'inputs/bf16/aux.safetensors'),
      '--sft', join(FIX, 'inputs/bf16/sft.safetensors'), '--out', out], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: cannot merge: 1 tensor\(s\) are missing/);
    expect(r.stderr).toMatch(/\n  model\.position_ids: only in aux, sft; missing in pre/);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(out + '.partial')).toBe(false);
    const u = spawnSync(process.execPath, [join(root, 'bin/capvector.mjs'), 'merge', '--pre', 'x', '--out', 'y.safetensors'], { encoding: 'utf8' });
    expect(u.status).toBe(2);
    expect(u.stderr).toMatch(/^error: --aux is required/);
    const missing = spawnSync(process.execPath, [join(root, 'bin/capvector.mjs'), 'apply', '--pre', join(FIX, 'inputs/bf16/pre.safetensors'), '--vector', join(FIX, 'nope.safetensors'), '--out', join(tmpdir(), 'h4-x.safetensors')], { encoding: 'utf8' });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^error: .*nope\.safetensors: no such file/);
    expect(existsSync(join(tmpdir(), 'h4-x.safetensors'))).toBe(false);
  });

  it('DARE: same seed same bytes, survivors are τ/(1−p), the drop rate is p', async () => {
    const c = CASES.find((x) => x.name === 'task-arithmetic-f32')!;
    const recipe: Recipe = { ...recipeOf(c), method: 'dare', params: { p: 0.3, seed: 7, lambda: 1 }, roles: { ...recipeOf(c).roles, models: [{ name: 'aux', params: { weight: 1 } }] } };
    const inputs = { ...(await inputsOf(c)) };
    inputs.models = inputs.models!.slice(0, 1);
    const run = async (seed: number, chunkElements?: number) => {
      const sink = memorySink();
      await runMerge({ ...recipe, params: { ...recipe.params, seed } }, inputs, { engine: new CpuEngine(), sink, chunkElements });
      return sink.files.get('model.safetensors')!;
    };
    const a = await run(7), b = await run(7, 101), other = await run(8);
    expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).toBe(0); // chunking does not change the mask
    expect(Buffer.compare(Buffer.from(a), Buffer.from(other))).not.toBe(0);
    const out = await openMemory(new Map([['model.safetensors', a]]));
    let kept = 0, dropped = 0;
    for (const t of out.tensors) {
      if (t.dtype !== 'F32') continue;
      const pre = inputs.pre!.tensors.find((x) => x.name === t.name)!;
      const m = inputs.models![0].tensors.find((x) => x.name === t.name)!;
      const o = new Float32Array((await t.read()).slice().buffer);
      const p0 = new Float32Array((await pre.read()).slice().buffer);
      const m0 = new Float32Array((await m.read()).slice().buffer);
      for (let i = 0; i < o.length; i++) {
        const tau = m0[i] - p0[i]; // float64, exact for float32 inputs this close
        if (tau === 0) continue;
        if (o[i] === p0[i]) dropped++;
        else {
          kept++;
          expect(o[i]).toBe(Math.fround(p0[i] + tau / 0.7)); // one rounding of the float64 result
        }
      }
    }
    const rate = dropped / (kept + dropped);
    expect(rate).toBeGreaterThan(0.27);
    expect(rate).toBeLessThan(0.33);
    expect(dareSalt('a', 0)).not.toBe(dareSalt('a', 1));
    void bf16BitsToF32;
  });
  it('DARE with a drop rate per model (mergekit density per model) equals a float64 reference', async () => {
    const c = CASES.find((x) => x.name === 'task-arithmetic-f32')!;
    const ps = [0.2, 0.65, 0]; // model 2 keeps everything
    const ws = [0.5, -0.3, 0.7];
    const recipe: Recipe = {
      ...recipeOf(c), method: 'dare', params: { p: 0.5, seed: 11, lambda: 0.9, normalize: false },
      roles: { ...recipeOf(c).roles, models: c.models.map((m, j) => ({ name: m.path, params: { weight: ws[j], p: ps[j] } })) },
    };
    const inputs = await inputsOf(c);
    const sink = memorySink();
    await runMerge(recipe, inputs, { engine: new CpuEngine(), sink, chunkElements: 777 });
    const out = await openMemory(sink.files);
    let n = 0, exact = 0;
    const keptBy = [0, 0, 0];
    for (const t of out.tensors) {
      if (t.dtype !== 'F32') continue;
      const f32 = async (e: TensorEntry) => new Float32Array((await e.read()).slice().buffer);
      const o = await f32(t);
      const p0 = await f32(inputs.pre!.tensors.find((x) => x.name === t.name)!);
      const ms = await Promise.all(inputs.models!.map(async (mc) => f32(mc.tensors.find((x) => x.name === t.name)!)));
      const masks = ps.map((p, j) => dareMask(11, dareSalt(t.name, j), p, 0, o.length));
      for (let i = 0; i < o.length; i++) {
        let acc = 0;
        for (let j = 0; j < 3; j++) {
          const tau = ms[j][i] - p0[i];
          const kept = masks[j][i] ? tau / (1 - ps[j]) : 0;
          keptBy[j] += masks[j][i];
          acc = j === 0 ? ws[j] * kept : acc + ws[j] * kept;
        }
        const want = Math.fround(p0[i] + 0.9 * acc);
        n++;
        if (want === o[i]) exact++;
        else expect(Math.abs(want - o[i])).toBeLessThanOrEqual(Math.abs(want) * 2 ** -23);
      }
    }
    expect(exact / n).toBeGreaterThanOrEqual(0.999);
    expect(Math.abs(keptBy[0] / n - 0.8)).toBeLessThan(0.03);
    expect(Math.abs(keptBy[1] / n - 0.35)).toBeLessThan(0.03);
    expect(keptBy[2]).toBe(n);
  });
});

describe('CPU pool engine (worker threads)', () => {
  it('gives the in-thread CpuEngine’s bytes with several chunks in flight', async () => {
    const { cpuPool } = await import('../../../src/node/cpu-pool');
    const pool = await cpuPool(2, 1 << 12);
    try {
      for (const name of ['ties-bf16', 'capvector-f16']) {
        const c = CASES.find((x) => x.name === name)!;
        const a = memorySink();
        await runMerge(recipeOf(c), await inputsOf(c), { engine: new CpuEngine(), sink: a, chunkElements: 300 });
        const b = memorySink();
        await runMerge(recipeOf(c), await inputsOf(c), { engine: pool, sink: b, chunkElements: 300, concurrency: 3 });
        expect(Buffer.compare(Buffer.from(a.files.get('model.safetensors')!), Buffer.from(b.files.get('model.safetensors')!))).toBe(0);
      }
    } finally {
      pool.dispose();
    }
  });
});
