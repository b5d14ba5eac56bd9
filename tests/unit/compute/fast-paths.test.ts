/**
 * Every WebAssembly fast path of the CPU side (src/compute/wasm/*: combine on bf16, f16 and f32, task
 * arithmetic, TIES, DARE, statistics, the lora op's low-rank products, SHA-256) run both ways — WebAssembly on, and off
 * (setWasmEnabled(false), the JavaScript fallback) — on inputs big enough for the kernels to run and
 * with edge values they hand back: the two results must be bit-identical and equal the independent
 * reference (kernels/common/run.ref.ts, the blockwise statistics contract, node:crypto).
 * Which kernels ran is counted at their exports, so a path that silently fell back fails here.
 */
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { CpuEngine } from '../../../src/compute/cpu-engine';
import type { ChunkInput, CombineSpec, DareSpec, LoraSpec, StatsResult, StatsSpec, TiesSpec } from '../../../src/compute/engine';
import { BLOCK } from '../../../src/compute/fused/block';
import { decodeF64, encodeF64 } from '../../../src/compute/kernels/common/f64.ref';
import { refCombine, refDare, refLora, refTies } from '../../../src/compute/kernels/common/run.ref';
import { WASM_BLOCK } from '../../../src/compute/wasm/combine';
import { setWasmEnabled } from '../../../src/compute/wasm/enabled';
import type { ComputeDType } from '../../../src/formats/dtype';
import { sha256Hex } from '../../../src/merge/sha256';
import { firstDiff, nearChunk, randomChunk, seeded } from './chunks';
import { blockwiseRef, expectSameStats } from './stats-blockwise';

// ---------- counting the calls of each WebAssembly export (the kernels instantiate lazily, after this) ----------
const calls = new Map<string, number>();
const RealInstance = WebAssembly.Instance;
function CountingInstance(module: WebAssembly.Module, imports?: WebAssembly.Imports): WebAssembly.Instance {
  const exports = Object.fromEntries(Object.entries(new RealInstance(module, imports).exports).map(([name, v]) => [
    name,
    typeof v === 'function' ? (...args: unknown[]) => {
      calls.set(name, (calls.get(name) ?? 0) + 1);
      return (v as (...a: unknown[]) => unknown)(...args);
    } : v,
  ]));
  return { exports } as WebAssembly.Instance;
}
(WebAssembly as { Instance: unknown }).Instance = CountingInstance;
afterAll(() => {
  (WebAssembly as { Instance: unknown }).Instance = RealInstance;
  setWasmEnabled(true);
});

const snapshot = () => new Map(calls);
const ran = (before: Map<string, number>, name: string) => (calls.get(name) ?? 0) - (before.get(name) ?? 0);

// ---------- the paths ----------
type Result = Uint8Array | StatsResult | string;

interface FastPath {
  name: string;
  /** The exports doing the work: each must run with WebAssembly on, none with it off. */
  kernels: string[];
  run(): Promise<Result>;
  reference(): Result;
}

const engine = new CpuEngine();
const rnd = seeded(2024);

/** Three near inputs (θ_pre, θ_aux, θ_sft) plus an unrelated fourth, with NaN/±Inf/subnormal edges in a few blocks. */
function family(d: ComputeDType, n: number): ChunkInput[] {
  const pre = randomChunk(rnd, d, n);
  const x = [pre, nearChunk(rnd, pre), nearChunk(rnd, pre), randomChunk(rnd, d, n, 0.0005)];
  // Edges in the first block only, so the kernels hand back that block and finish the others.
  const edgy = randomChunk(rnd, d, 64, 0.5);
  x[1].bytes.set(edgy.bytes, 16 * (d === 'F32' ? 4 : 2));
  return x;
}

/**
 * The family above made in float32, each input then rounded into its own dtype (a bf16 θ_pre beside f32
 * finetunes, LeRobot's π0 mixing float32 norms into bf16), with edge words of aux's dtype in its first block.
 */
function mixedFamily(dtypes: ComputeDType[], n: number): ChunkInput[] {
  const x = family('F32', n).map((c, k) => {
    const d = dtypes[k % dtypes.length];
    return d === 'F32' ? c : { bytes: encodeF64(d, decodeF64('F32', c.bytes, new Float64Array(n))), dtype: d };
  });
  const edgy = randomChunk(rnd, x[1].dtype, 64, 0.5);
  x[1].bytes.set(edgy.bytes, 16 * (x[1].dtype === 'F32' ? 4 : 2));
  return x;
}

const mixed = (dtypes: ComputeDType[], out: ComputeDType, spec: Omit<CombineSpec, 'outDtype'>, what = 'capvector'): FastPath => {
  const x = mixedFamily(dtypes, 3 * BLOCK + 333);
  const full = { ...spec, outDtype: out };
  return { name: `${what} ${dtypes.join(', ')} → ${out}`, kernels: ['combine_mixed'], run: () => engine.combine(x, full), reference: () => refCombine(x, full) };
};
const CAPVECTOR = { base: 0, terms: [{ a: 1, b: 2, w: 1 }], scale: 0.8 };
const TASKS = { base: 0, terms: [{ a: 1, b: 0, w: 1 }, { a: 2, b: 0, w: 0.5 }, { a: 3, b: 1, w: -0.8 }], scale: 0.9 };

const combine = (name: string, kernel: string, d: ComputeDType, spec: Omit<CombineSpec, 'outDtype'>): FastPath => {
  const x = family(d, 3 * WASM_BLOCK + 777);
  const full = { ...spec, outDtype: d };
  return { name, kernels: [kernel], run: () => engine.combine(x, full), reference: () => refCombine(x, full) };
};

const LORA_KERNELS = ['lora_widen', 'lora_terms', 'lora_product', 'lora_fold', 'lora_finish'];
/** Without terms (and with factors, as here) there is no combine to run; without base or terms no dense input is read (widened). */
const loraKernels = (spec: Omit<CombineSpec, 'outDtype'>) =>
  LORA_KERNELS.filter((k) => (k !== 'lora_terms' || spec.terms.length > 0) && (k !== 'lora_widen' || spec.base !== null || spec.terms.length > 0));

/**
 * The lora op on a [rows, cols] tensor, elements [first, first + n): dense inputs of the family above in
 * `dtypes` (edges in aux's first block), factors of `fac` with the given ranks (transpose: the (B·A)ᵀ layout
 * of fan_in_fan_out and embeddings; `edgy` puts NaN/±Inf/subnormal words into the first factor's A).
 */
const lora = (
  what: string, dtypes: ComputeDType[], fac: ComputeDType, out: ComputeDType, shape: { rows: number; cols: number; first: number; n: number },
  spec: Omit<CombineSpec, 'outDtype'>, ranks: { r: number; w: number; transpose: boolean }[], edgy = false,
): FastPath => {
  const { rows, cols, first, n } = shape;
  const dense = mixedFamily(dtypes, n);
  const factors = ranks.flatMap(({ r, transpose }, l) => [
    randomChunk(rnd, fac, r * (transpose ? rows : cols), edgy && l === 0 ? 0.002 : 0), randomChunk(rnd, fac, (transpose ? cols : rows) * r),
  ]);
  const x = [...dense, ...factors];
  const full: LoraSpec = {
    ...spec, outDtype: out, dense: dense.length, rows, cols, first,
    factors: ranks.map(({ r, w, transpose }, l) => ({ a: dense.length + 2 * l, b: dense.length + 2 * l + 1, rank: r, w, transpose })),
  };
  const layout = ranks.map(({ r, transpose }) => `r ${r}${transpose ? ' (B·A)ᵀ' : ''}`).join(' + ');
  return {
    name: `lora ${what}: ${dtypes.join(', ')} with ${fac} factors ${layout} → ${out}, [${rows}, ${cols}] from ${first}`,
    kernels: loraKernels(spec), run: () => engine.lora(x, full), reference: () => refLora(x, full),
  };
};
const WHOLE = (rows: number, cols: number) => ({ rows, cols, first: 0, n: rows * cols });

/**
 * Float32 factors A [r, X], B [Y, r] whose products cancel in pairs: rows k and k + 1 of A are equal and
 * B's coefficients there are opposite, from ~2^40 down by 2^5 a pair, so the running sum, taken k
 * ascending one at a time, drops the low bits of what came before each pair (and later, finer pairs do not
 * bring them back), which a sum grouped differently (a pair first) keeps: outputs that show at every
 * precision whether a kernel sums in the reference's order.
 */
function cancellingFactors(r: number, X: number, Y: number): ChunkInput[] {
  const A = new Float32Array(r * X), B = new Float32Array(Y * r);
  for (let k = 0; k < r; k++) for (let j = 0; j < X; j++) A[k * X + j] = k >= 2 && k % 2 === 0 ? A[(k - 1) * X + j] : rnd() - 0.5;
  for (let y = 0; y < Y; y++) {
    for (let k = 0; k < r; k++) {
      B[y * r + k] = k >= 2 && k % 2 === 0 ? -B[y * r + k - 1] : (k === 0 ? 1 : 2 ** (40 - 5 * ((k - 1) >> 1))) * (rnd() - 0.5);
    }
  }
  return [{ dtype: 'F32', bytes: new Uint8Array(A.buffer) }, { dtype: 'F32', bytes: new Uint8Array(B.buffer) }];
}

/** Words that are +0 or −0 at random: the sign of every zero result follows the order of the operations. */
const signedZeros = (n: number): ChunkInput => ({ dtype: 'F32', bytes: new Uint8Array(Uint32Array.from({ length: n }, () => (rnd() < 0.5 ? 0x80000000 : 0)).buffer) });

const zeros = (spec: Omit<CombineSpec, 'outDtype'>, what: string): FastPath => {
  const rows = 9, cols = 301, n = rows * cols, r = 5;
  const x = [signedZeros(n), signedZeros(n), signedZeros(n), signedZeros(r * cols), signedZeros(rows * r)];
  const full: LoraSpec = { ...spec, outDtype: 'F32', dense: 3, rows, cols, first: 0, factors: [{ a: 3, b: 4, rank: r, w: 0.5, transpose: false }] };
  return { name: `lora on signed zeros, ${what}`, kernels: loraKernels(spec), run: () => engine.lora(x, full), reference: () => refLora(x, full) };
};

const cancelling = (r: number, transpose: boolean): FastPath => {
  const rows = 21, cols = 211, n = rows * cols;
  const x = [...family('F32', n), ...cancellingFactors(r, transpose ? rows : cols, transpose ? cols : rows)];
  const spec: LoraSpec = { ...CAPVECTOR, outDtype: 'F32', dense: 4, rows, cols, first: 0, factors: [{ a: 4, b: 5, rank: r, w: 0.5, transpose }] };
  return {
    name: `lora, sums whose bits depend on their order: r ${r}${transpose ? ' (B·A)ᵀ' : ''} → F32`,
    kernels: LORA_KERNELS, run: () => engine.lora(x, spec), reference: () => refLora(x, spec),
  };
};

const PATHS: FastPath[] = [
  // The lora op (wasm/lora.wat): blocks of part rows (cols < BLOCK), rows longer than a block, row blocks
  // that start and end mid-row, every dtype of factors and bases, ranks 1, 8 and 32.
  lora('capvector, a LoRA role', ['BF16'], 'BF16', 'BF16', WHOLE(24, 300), CAPVECTOR, [{ r: 8, w: 0.5, transpose: false }]),
  // (base 1: the input with edge words)
  lora('merge-and-unload', ['F16'], 'F16', 'F16', WHOLE(7, 1500), { base: 1, terms: [], scale: 1 }, [{ r: 32, w: 2, transpose: false }]),
  lora('fan_in_fan_out', ['F32'], 'F32', 'F32', WHOLE(900, 11), { base: 0, terms: [], scale: 0.9 }, [{ r: 32, w: 0.5, transpose: true }]),
  lora('task arithmetic, two adapters', ['F32'], 'F32', 'F32', WHOLE(40, 170), TASKS, [{ r: 1, w: 1.5, transpose: false }, { r: 8, w: -0.25, transpose: true }]),
  lora('rows longer than a block, a row block', ['BF16', 'F32', 'F32', 'F32'], 'F32', 'BF16', { rows: 6, cols: 5000, first: 3 * 5000 + 1777, n: 2 * BLOCK + 333 }, CAPVECTOR,
    [{ r: 32, w: 0.5, transpose: false }]),
  lora('embedding layout, a row block', ['F32', 'BF16', 'BF16', 'BF16'], 'BF16', 'F32', { rows: 300, cols: 64, first: 64 * 17 + 5, n: 3 * BLOCK + 77 }, CAPVECTOR,
    [{ r: 8, w: 1, transpose: true }, { r: 1, w: 0.5, transpose: false }]),
  lora('no base, factor edges', ['BF16', 'F16', 'F32', 'F16'], 'F16', 'F16', WHOLE(33, 257), { base: null, terms: [{ a: 1, b: 2, w: 1 }], scale: 1 },
    [{ r: 8, w: 1, transpose: false }], true),
  lora('factor edges', ['BF16'], 'F32', 'BF16', WHOLE(65, 129), CAPVECTOR, [{ r: 32, w: 0.7, transpose: true }], true),
  lora('no terms, no base', ['F32'], 'BF16', 'F16', WHOLE(31, 97), { base: null, terms: [], scale: 1.25 }, [{ r: 1, w: 1, transpose: false }, { r: 8, w: 0.3, transpose: false }]),
  cancelling(8, false),
  cancelling(32, true),
  cancelling(11, false),
  zeros({ base: null, terms: [{ a: 0, b: 1, w: 1 }], scale: 1 }, 'a term, no base'),
  zeros({ base: null, terms: [], scale: 1 }, 'no terms, no base'),
  zeros({ base: 2, terms: [{ a: 0, b: null, w: -1 }, { a: 1, b: 0, w: 2 }], scale: 0.5 }, 'two terms and a base'),
  combine('combine bf16 → bf16 (capvector: θ_pre + α·(θ_aux − θ_sft))', 'combine_bf16', 'BF16', { base: 0, terms: [{ a: 1, b: 2, w: 1 }], scale: 0.8 }),
  combine('combine f16 → f16', 'combine_f16', 'F16', { base: 0, terms: [{ a: 1, b: 2, w: 1 }], scale: 0.8 }),
  combine('combine f32 → f32', 'combine_f32', 'F32', { base: 0, terms: [{ a: 1, b: 2, w: 1 }], scale: 0.8 }),
  combine('combine bf16, one input and no base (apply a vector)', 'combine_bf16', 'BF16', { base: null, terms: [{ a: 3, b: null, w: -1.25 }], scale: 1 }),
  combine('task arithmetic bf16 (several terms)', 'combine_bf16_terms', 'BF16', { base: 0, terms: [{ a: 1, b: 0, w: 1 }, { a: 2, b: 0, w: 0.5 }, { a: 3, b: 1, w: -0.8 }], scale: 0.9 }),
  // Every input-dtype mix, any output dtype: the mixed kernel (combine-mixed.wat), never the JavaScript loops.
  mixed(['BF16', 'F32', 'F32', 'F32'], 'BF16', CAPVECTOR),
  mixed(['BF16', 'F32', 'F32', 'F32'], 'F32', CAPVECTOR),
  mixed(['F32', 'BF16', 'BF16', 'BF16'], 'F32', CAPVECTOR),
  mixed(['F16', 'BF16', 'F32', 'F16'], 'F16', CAPVECTOR),
  mixed(['F32', 'F16', 'BF16', 'F32'], 'BF16', CAPVECTOR),
  mixed(['BF16'], 'F32', CAPVECTOR),
  mixed(['BF16'], 'F16', CAPVECTOR),
  mixed(['F16'], 'BF16', CAPVECTOR),
  mixed(['F32'], 'F16', CAPVECTOR),
  mixed(['F32', 'BF16', 'F16', 'F32'], 'BF16', { base: null, terms: [{ a: 1, b: 2, w: 1 }], scale: 1 }, 'extract'),
  mixed(['F16'], 'F16', TASKS, 'task arithmetic'),
  mixed(['F32'], 'F32', TASKS, 'task arithmetic'),
  mixed(['BF16', 'F32', 'F16', 'BF16'], 'BF16', TASKS, 'task arithmetic'),
  mixed(['BF16'], 'F32', TASKS, 'task arithmetic'),
  ((): FastPath => {
    const x = mixedFamily(['BF16', 'F32', 'F16', 'F32'], 2 * BLOCK + 301);
    const spec: TiesSpec = { ...TASKS, base: 0, thresholds: [0.0001, 0, 0.01], lambda: 0.9, normalize: true, outDtype: 'BF16' };
    return { name: 'TIES BF16, F32, F16, F32 → BF16', kernels: ['ties'], run: () => engine.ties(x, spec), reference: () => refTies(x, spec) };
  })(),
  ((): FastPath => {
    const x = mixedFamily(['F32', 'BF16', 'BF16', 'F16'], 2 * BLOCK + 301);
    const spec: DareSpec = {
      base: 0, terms: TASKS.terms, p: [0.3, 0, 0.65], seed: 9, salts: [1, 2, 3], firstElement: 0, scale: 1.1, ties: true, normalize: true, outDtype: 'F32',
    };
    return { name: 'DARE-TIES F32, BF16, BF16, F16 → F32', kernels: ['dare', 'ties'], run: () => engine.dare(x, spec), reference: () => refDare(x, spec) };
  })(),
  ((): FastPath => {
    const x = mixedFamily(['BF16', 'F32', 'F16', 'BF16'], 3 * BLOCK + 77);
    const spec: StatsSpec = { vectors: [{ a: 1, b: 2 }, { a: 1, b: 0 }, { a: 3, b: null }], pairs: [[0, 1], [1, 2], [0, 2]], nearZero: 1e-3 };
    return { name: 'statistics on BF16, F32, F16, BF16', kernels: ['vector', 'pair', 'decode_bf16'], run: () => engine.stats(x, spec), reference: () => blockwiseRef(x, spec) };
  })(),
  ...(['BF16', 'F16', 'F32'] as ComputeDType[]).flatMap((out) => [true, false].map((normalize): FastPath => {
    const x = family('BF16', 2 * BLOCK + 301);
    const spec: TiesSpec = { base: 0, terms: [{ a: 1, b: 0, w: 1 }, { a: 2, b: 0, w: 0.6 }, { a: 3, b: 0, w: -0.4 }], thresholds: [0.0001, 0, 0.01], lambda: 0.9, normalize, outDtype: out };
    return { name: `TIES bf16 → ${out}, normalize ${normalize}`, kernels: ['ties'], run: () => engine.ties(x, spec), reference: () => refTies(x, spec) };
  })),
  ...[false, true].map((ties): FastPath => {
    const x = family('BF16', 2 * BLOCK + 301);
    const spec: DareSpec = {
      base: 0, terms: [{ a: 1, b: 0, w: 1 }, { a: 2, b: 0, w: 0.6 }, { a: 3, b: null, w: 0.4 }], p: [0.3, 0, 0.65], seed: 9, salts: [1, 2, 3],
      firstElement: 2 ** 32 - 1000, scale: 1.1, ties, normalize: true, outDtype: 'BF16',
    };
    return { name: ties ? 'DARE-TIES bf16' : 'DARE bf16 (summed)', kernels: ties ? ['dare', 'ties'] : ['dare'], run: () => engine.dare(x, spec), reference: () => refDare(x, spec) };
  }),
  ...(['BF16', 'F16', 'F32'] as ComputeDType[]).map((d): FastPath => {
    const x = family(d, 3 * BLOCK + 77);
    const spec: StatsSpec = { vectors: [{ a: 1, b: 2 }, { a: 1, b: 0 }, { a: 3, b: null }], pairs: [[0, 1], [1, 2], [0, 2]], nearZero: 1e-3 };
    return { name: `statistics on ${d}`, kernels: d === 'BF16' ? ['vector', 'pair', 'decode_bf16'] : ['vector', 'pair'], run: () => engine.stats(x, spec), reference: () => blockwiseRef(x, spec) };
  }),
  ((): FastPath => {
    const data = randomChunk(rnd, 'F32', 70_000).bytes; // past one 64 KB copy into the module
    return { name: 'SHA-256', kernels: ['compress'], run: async () => sha256Hex(data), reference: () => createHash('sha256').update(data).digest('hex') };
  })(),
];

function expectSame(got: Result, want: Result, what: string): void {
  if (got instanceof Uint8Array) expect(firstDiff(got, want as Uint8Array), what).toBeNull();
  else if (typeof got === 'string') expect(got, what).toBe(want);
  else expectSameStats(got, want as StatsResult);
}

describe('every WebAssembly fast path, with WebAssembly on and off', () => {
  for (const p of PATHS) {
    it(`${p.name}: the same bits both ways, and the reference's`, async () => {
      setWasmEnabled(true);
      let before = snapshot();
      const withWasm = await p.run();
      for (const k of p.kernels) expect(ran(before, k), `${k} ran with WebAssembly on`).toBeGreaterThan(0);
      setWasmEnabled(false);
      before = snapshot();
      const withJs = await p.run();
      setWasmEnabled(true);
      expect([...calls].filter(([k, v]) => v !== (before.get(k) ?? 0)).map(([k]) => k), 'kernels run with WebAssembly off').toEqual([]);
      expectSame(withWasm, withJs, 'WebAssembly vs JavaScript');
      expectSame(withWasm, p.reference(), 'vs the reference');
    });
  }
});

describe('CpuEngine.detail (shown in the UI)', () => {
  it('names what the paths above run in WebAssembly, and says JavaScript loops with it off', () => {
    setWasmEnabled(true);
    expect(engine.detail).toBe('combine (bf16, f16, f32 and every mix of them), TIES, DARE, LoRA (ΔW = B·A per chunk) and statistics in WebAssembly (SIMD); SHA-256 in WebAssembly');
    setWasmEnabled(false);
    try {
      expect(engine.detail).toBe('JavaScript loops (WebAssembly SIMD missing or switched off)');
    } finally {
      setWasmEnabled(true);
    }
  });
});
