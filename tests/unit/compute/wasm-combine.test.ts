/**
 * The WebAssembly SIMD combine kernels (src/compute/wasm/combine.wat) against the plain reference
 * pipeline, bit for bit, on chunks big enough that it really runs (several 8192-element blocks), with
 * blocks it must hand back (NaN, ±Inf, subnormal and overflowing results) mixed in; and the committed
 * module bytes against a fresh compile of the .wat. fast-paths.test.ts runs every kernel with
 * WebAssembly off as well.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CpuEngine } from '../../../src/compute/cpu-engine';
import type { ChunkInput, CombineSpec } from '../../../src/compute/engine';
import { refCombine } from '../../../src/compute/kernels/common/run.ref';
import { bf16FromF64, f16FromF64 } from '../../../src/compute/fused/numbers';
import { WASM_BLOCK, wasmAvailable, wasmCounters } from '../../../src/compute/wasm/combine';

let seed = 9;
function rnd(): number {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 4294967296;
}
/** bf16 words of weight-like values; θ_aux and θ_sft a few ulps from θ_pre, so differences cancel and tie. */
function triple(n: number): Uint16Array[] {
  const pre = new Uint16Array(n);
  for (let i = 0; i < n; i++) pre[i] = bf16FromF64((rnd() - 0.5) * 0.1 * (rnd() < 0.05 ? 300 : 1));
  const near = () => pre.map((h) => (h + Math.floor(rnd() * 9) - 4) & 0xffff);
  return [pre, near(), near()];
}
const chunk = (u: Uint16Array): ChunkInput => ({ bytes: new Uint8Array(u.buffer, u.byteOffset, u.byteLength), dtype: 'BF16' });
function firstDiff(a: Uint8Array, b: Uint8Array): string | null {
  if (a.byteLength !== b.byteLength) return `lengths ${a.byteLength} vs ${b.byteLength}`;
  for (let i = 0; i < a.byteLength; i += 2) if (a[i] !== b[i] || a[i + 1] !== b[i + 1]) return `element ${i / 2}: ${a[i] | (a[i + 1] << 8)} vs ${b[i] | (b[i + 1] << 8)}`;
  return null;
}

const engine = new CpuEngine();

describe('WebAssembly SIMD bf16 combine', () => {
  it('is available in this Node (SIMD), so the tests below exercise it', () => {
    expect(wasmAvailable()).toBe(true);
  });

  const shapes: [string, CombineSpec['terms'], number | null][] = [
    ['base + w·(a − b)', [{ a: 1, b: 2, w: 1 }], 0],
    ['w·(a − b), no base', [{ a: 1, b: 2, w: 0.7 }], null],
    ['base + w·a', [{ a: 1, b: null, w: -1.25 }], 0],
    ['w·a alone', [{ a: 2, b: null, w: 0.5 }], null],
  ];
  for (const [name, terms, base] of shapes) {
    it(`${name}: equals the reference on ordinary blocks, hands back edge blocks`, async () => {
      const n = 5 * WASM_BLOCK + 1234;
      const x = triple(n);
      // block 1: NaN and Inf in the inputs; block 3: a subnormal result and one that overflows
      x[1][WASM_BLOCK + 17] = 0x7fc0;
      x[0][WASM_BLOCK + 5000] = 0xff80;
      x[2][WASM_BLOCK + 900] = 0x7f80;
      x[0][3 * WASM_BLOCK + 3] = 0x0001; x[1][3 * WASM_BLOCK + 3] = 0x0001; x[2][3 * WASM_BLOCK + 3] = 0x0000;
      x[0][3 * WASM_BLOCK + 8] = 0x7f7f; x[1][3 * WASM_BLOCK + 8] = 0x7f7f; x[2][3 * WASM_BLOCK + 8] = 0xff7f;
      const inputs = x.map(chunk);
      for (const scale of [0.8, 1, 0.3]) {
        const spec: CombineSpec = { base, terms, scale, outDtype: 'BF16' };
        const before = { ...wasmCounters };
        const got = await engine.combine(inputs, spec);
        const ran = wasmCounters.blocks - before.blocks, back = wasmCounters.fallbacks - before.fallbacks;
        expect(ran, 'blocks done by the kernel').toBeGreaterThanOrEqual(3);
        expect(ran + back).toBe(5);
        expect(firstDiff(got, refCombine(inputs, spec)), `scale ${scale}`).toBeNull();
      }
    });
  }

  it('rounds values built to sit on and beside bf16 ties exactly once', async () => {
    // pre + 1·(a − b) with a − b = ±2^-k·ulp(pre) lands on, just above and just below half an ulp.
    const n = 2 * WASM_BLOCK;
    const x = [new Uint16Array(n), new Uint16Array(n), new Uint16Array(n)];
    for (let i = 0; i < n; i++) {
      const e = 100 + (i % 50); // pre = 1.m · 2^(e−127)
      x[0][i] = (e << 7) | (i % 128);
      // a − b = ±2^(e−127−8) (half an ulp of pre) ± a smaller power of two, from bf16 values
      x[1][i] = ((e - 8) << 7) | (i & 256 ? 0 : (i % 3) * 32);
      x[2][i] = i & 512 ? 0 : ((e - 8 - 10) << 7);
      if (i & 1024) x[1][i] |= 0x8000;
    }
    const inputs = x.map(chunk);
    const spec: CombineSpec = { base: 0, terms: [{ a: 1, b: 2, w: 1 }], scale: 1, outDtype: 'BF16' };
    const before = wasmCounters.blocks;
    const got = await engine.combine(inputs, spec);
    expect(wasmCounters.blocks - before).toBe(2);
    expect(firstDiff(got, refCombine(inputs, spec))).toBeNull();
  });

  it('several terms (task arithmetic, linear) on bf16: the reference\'s order and rounding, edge blocks handed back', async () => {
    const n = 4 * WASM_BLOCK + 321;
    const x = [...triple(n), ...triple(n).slice(1)];
    x[2][WASM_BLOCK + 3] = 0x7fc0; // NaN in block 1
    x[0][3 * WASM_BLOCK + 5] = 0x0001; x[1][3 * WASM_BLOCK + 5] = 0x0001; x[2][3 * WASM_BLOCK + 5] = 0; x[3][3 * WASM_BLOCK + 5] = 0; x[4][3 * WASM_BLOCK + 5] = 0; // subnormal result
    // signed zeros: base −0 and every difference +0, so with negative weights every term is −0 and only
    // acc = w_0·d_0 (not 0 + w_0·d_0) keeps the −0 the reference writes
    for (let i = 40; i < 140; i++) {
      x[0][i] = 0x8000;
      x[2][i] = x[1][i];
      x[4][i] = x[3][i];
    }
    const inputs = x.map(chunk);
    const cases: [string, CombineSpec['terms'], number | null, number][] = [
      ['two terms sharing b', [{ a: 1, b: 0, w: 0.3 }, { a: 2, b: 0, w: 0.45 }], 0, 1],
      ['three terms, mixed, no base', [{ a: 1, b: 2, w: 0.7 }, { a: 0, b: 2, w: -1.3 }, { a: 1, b: null, w: 0.25 }], null, 0.8],
      ['four terms, linear-like', [{ a: 1, b: null, w: 0.25 }, { a: 2, b: null, w: 0.25 }, { a: 3, b: null, w: 0.25 }, { a: 4, b: null, w: 0.25 }], null, 1],
      ['task arithmetic from θ_pre', [{ a: 1, b: 0, w: 1 }, { a: 3, b: 0, w: 0.5 }, { a: 4, b: 2, w: -0.8 }], 0, 0.9],
      ['negative weights on equal pairs (signed zeros)', [{ a: 1, b: 2, w: -0.5 }, { a: 3, b: 4, w: -2 }], 0, 1],
    ];
    for (const [name, terms, base, scale] of cases) {
      const spec: CombineSpec = { base, terms, scale, outDtype: 'BF16' };
      const before = { ...wasmCounters };
      const got = await engine.combine(inputs, spec);
      expect(wasmCounters.blocks - before.blocks, name).toBeGreaterThanOrEqual(2);
      expect(wasmCounters.blocks - before.blocks + wasmCounters.fallbacks - before.fallbacks, name).toBe(4);
      expect(firstDiff(got, refCombine(inputs, spec)), name).toBeNull();
    }
  });

  it('f16 → f16: equals the reference on every shape; subnormal, Inf, NaN inputs and out-of-range results handed back', async () => {
    const n = 5 * WASM_BLOCK + 99;
    const pre = new Uint16Array(n);
    for (let i = 0; i < n; i++) pre[i] = f16FromF64((rnd() - 0.5) * 0.2 * (rnd() < 0.05 ? 1000 : 1));
    const near = () => pre.map((h) => (h + Math.floor(rnd() * 9) - 4) & 0xffff);
    const x = [pre, near(), near()];
    for (let i = 0; i < 200; i++) x[i % 3][2 * WASM_BLOCK + i] = 0; // zeros of both signs decode as ±0
    for (let i = 0; i < 100; i++) x[i % 3][2 * WASM_BLOCK + 300 + i] = 0x8000;
    x[1][WASM_BLOCK + 1] = 0x0001; // a subnormal input
    x[0][3 * WASM_BLOCK + 2] = 0x7c00; // +Inf
    x[2][3 * WASM_BLOCK + 9] = 0x7e00; // NaN
    x[0][4 * WASM_BLOCK + 4] = 0x7bff; x[1][4 * WASM_BLOCK + 4] = 0x7bff; x[2][4 * WASM_BLOCK + 4] = 0xfbff; // overflows
    const inputs = x.map((u) => ({ bytes: new Uint8Array(u.buffer), dtype: 'F16' as const }));
    for (const [name, terms, base] of shapes) {
      for (const scale of [0.8, 1]) {
        const spec: CombineSpec = { base, terms, scale, outDtype: 'F16' };
        const before = { ...wasmCounters };
        const got = await engine.combine(inputs, spec);
        expect(wasmCounters.blocks - before.blocks, name).toBeGreaterThanOrEqual(1);
        expect(wasmCounters.blocks - before.blocks + wasmCounters.fallbacks - before.fallbacks, name).toBe(5);
        expect(firstDiff(got, refCombine(inputs, spec)), `${name}, scale ${scale}`).toBeNull();
      }
    }
  });

  it('f16 → f16: results on half\'s subnormal grid round once, ties to even, signs kept', async () => {
    const n = 2 * WASM_BLOCK;
    const x = [new Uint16Array(n), new Uint16Array(n), new Uint16Array(n)];
    for (let i = 0; i < n; i++) {
      x[0][i] = i % 3 === 0 ? 0x8000 : i % 3 === 1 ? 0 : (i % 7); // ±0 or a tiny subnormal base
      x[1][i] = (i * 37) % 1024 | (i & 1024 ? 0x8000 : 0); // subnormal halves of both signs
      x[2][i] = (i * 11) % 1024 | (i & 2048 ? 0x8000 : 0);
      if (i % 64 === 5) { x[1][i] = 0x0400 + (i % 50); x[2][i] = 0x03ff; } // across 2^-14
    }
    const inputs = x.map((u) => ({ bytes: new Uint8Array(u.buffer), dtype: 'F16' as const }));
    for (const w of [0.5, 0.25, -0.75, 1]) {
      const spec: CombineSpec = { base: 0, terms: [{ a: 1, b: 2, w }], scale: 1, outDtype: 'F16' };
      const before = wasmCounters.blocks;
      const got = await engine.combine(inputs, spec);
      expect(wasmCounters.blocks - before, `w ${w}`).toBe(2);
      expect(firstDiff(got, refCombine(inputs, spec)), `w ${w}`).toBeNull();
    }
  });

  it('f32 → f32: equals the reference on every shape, NaN canonical, subnormal and overflowing results rounded once', async () => {
    const n = 3 * WASM_BLOCK + 555;
    const f = [0, 1, 2].map(() => new Float32Array(n));
    for (let i = 0; i < n; i++) {
      const v = (rnd() - 0.5) * 0.1;
      f[0][i] = v;
      f[1][i] = v + (rnd() - 0.5) * 1e-4;
      f[2][i] = v + (rnd() - 0.5) * 1e-4;
    }
    const edges = [NaN, Infinity, -Infinity, 1e-45, -1e-45, 3.4e38, -3.4e38, 1.1754942e-38, 0, -0];
    for (let k = 0; k < 60; k++) f[k % 3][Math.floor(rnd() * n)] = edges[k % edges.length];
    f[0][7] = 3.4e38; f[1][7] = 3.4e38; f[2][7] = -3.4e38; // overflows to +Inf
    f[0][9] = 1e-45; f[1][9] = 2e-45; f[2][9] = 0; // a subnormal result
    new Uint32Array(f[1].buffer)[11] = 0x7fa00001; // a signalling NaN with a payload, and a negative NaN:
    new Uint32Array(f[0].buffer)[12] = 0xffc00000; // both must come out as the canonical 0x7fc00000
    const inputs = f.map((a) => ({ bytes: new Uint8Array(a.buffer), dtype: 'F32' as const }));
    for (const [name, terms, base] of shapes) {
      for (const scale of [0.8, 1]) {
        const spec: CombineSpec = { base, terms, scale, outDtype: 'F32' };
        const before = wasmCounters.blocks;
        const got = await engine.combine(inputs, spec);
        expect(wasmCounters.blocks - before, name).toBe(3);
        const want = refCombine(inputs, spec);
        const g = new Uint32Array(got.buffer, got.byteOffset, n), w = new Uint32Array(want.buffer, want.byteOffset, n);
        let bad = -1;
        for (let i = 0; i < n && bad < 0; i++) if (g[i] !== w[i]) bad = i;
        expect(bad, `${name}, scale ${scale}: first differing element`).toBe(-1);
        if (base !== null || terms[0].a === 1) expect(g[11]).toBe(0x7fc00000);
      }
    }
  });

  it('the committed module is what scripts/build-wasm.mjs makes of the .wat', () => {
    const r = spawnSync(process.execPath, [resolve(import.meta.dirname, '../../../scripts/build-wasm.mjs'), '--check'], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
