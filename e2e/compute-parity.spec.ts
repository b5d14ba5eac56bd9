/**
 * Parity of every WebGPU kernel (combine, ties, dare, stats) with its CPU twin, in real Chromium WebGPU
 * (SwiftShader here). Random inputs in F32/F16/BF16 with edge cases (NaN, ±Inf, subnormals of each dtype,
 * ±0, values exactly at rounding ties of the output dtype, f16 overflow), odd and even sizes, and calls
 * forced to run as many 2D dispatches. Rule: no element off by more than 1 ulp of the output dtype,
 * ≥ 99.9% bit-exact, NaN-ness identical; DARE masks bit-identical; stats within 1e-6 (relative to the
 * sum of magnitudes of the summed terms), counts and min/max exact.
 */
import { test, expect, type Page } from '@playwright/test';

type D = 'F32' | 'F16' | 'BF16';

/** Installs the in-page helpers (inputs, comparison) on globalThis.parity. Runs in the browser. */
function install(): void {
  const h = (globalThis as any).harness;
  const { f32ToF16Bits, f32ToBf16Bits, f32ToBits, bitsToF32 } = h.dtype;
  let seed = 12345;
  const rnd = (): number => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 4294967296;
  };
  const gauss = (): number => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
  const SIZE: Record<D, number> = { F32: 4, F16: 2, BF16: 2 };
  // Bit patterns every input dtype gets sprinkled with.
  const EDGE: Record<D, number[]> = {
    F32: [0x7fc00000, 0xffc00001, 0x7f800000, 0xff800000, 0x00000001, 0x807fffff, 0x00400000, 0, 0x80000000,
      0x7f7fffff, 0x477ff000, 0x477fefff, 0x47c35000, 0xc77ff000, 0x33c00000, 0x33a00000, 0x00800000],
    BF16: [0x7fc0, 0xffc1, 0x7f80, 0xff80, 0x0001, 0x8001, 0x007f, 0x0000, 0x8000, 0x7f7f, 0x477f, 0x4780, 0x3380, 0x33c0],
    F16: [0x7e00, 0xfe01, 0x7c00, 0xfc00, 0x0001, 0x8001, 0x03ff, 0x0000, 0x8000, 0x7bff, 0x0400, 0xfbff],
  };
  // float32 values exactly at a rounding tie of each output dtype (and f16 subnormal ties).
  const tieValue = (out: D): number => {
    const e = 100 + Math.floor(rnd() * 50);
    const hi = ((rnd() < 0.5 ? 0x80000000 : 0) | (e << 23) | (Math.floor(rnd() * 0x100) << 15)) >>> 0;
    if (out === 'BF16') return bitsToF32((hi & 0xffff0000) | 0x8000);
    if (rnd() < 0.3) return (2 * Math.floor(rnd() * 1000) + 1) * 2 ** -25; // half-way between f16 subnormals
    const e16 = 113 + Math.floor(rnd() * 29);
    return bitsToF32(((hi & 0x807fe000 & ~0x7f800000) | (e16 << 23) | 0x1000) >>> 0);
  };
  const encode = (d: D, vals: Float64Array): Uint8Array => {
    const n = vals.length;
    if (d === 'F32') return new Uint8Array(Float32Array.from(vals).buffer);
    const u = new Uint16Array(n);
    for (let i = 0; i < n; i++) u[i] = d === 'F16' ? f32ToF16Bits(vals[i]) : f32ToBf16Bits(vals[i]);
    return new Uint8Array(u.buffer);
  };
  const setBits = (d: D, bytes: Uint8Array, i: number, bits: number): void => {
    const dv = new DataView(bytes.buffer, bytes.byteOffset);
    if (d === 'F32') dv.setUint32(i * 4, bits >>> 0, true);
    else dv.setUint16(i * 2, bits & 0xffff, true);
  };
  /** Inputs: x0 base, x1.. terms. Edge bits in ~2% of entries, output ties in ~3% (with equal terms). */
  const makeInputs = (dts: D[], n: number, out: D, s: number) => {
    seed = s;
    const inputs = dts.map((d, k) => {
      const v = new Float64Array(n);
      const scale = k === 0 ? 0.05 : 0.01;
      for (let i = 0; i < n; i++) v[i] = (k === 0 ? gauss() * scale : 0) + gauss() * scale * 0.1 + (k > 0 ? v[i] : 0);
      return { bytes: encode(d, v), dtype: d };
    });
    // Terms share structure: make x2 close to x1 so deltas are small, like a capability vector.
    if (dts.length >= 3) {
      const v1 = h.dtype.decodeToF32(dts[1], inputs[1].bytes);
      const v2 = new Float64Array(n);
      for (let i = 0; i < n; i++) v2[i] = v1[i] + gauss() * 1e-3;
      inputs[2] = { bytes: encode(dts[2], v2), dtype: dts[2] };
    }
    for (let i = 0; i < n; i++) {
      const r = rnd();
      if (r < 0.02) {
        const k = Math.floor(rnd() * dts.length);
        const list = EDGE[dts[k]];
        setBits(dts[k], inputs[k].bytes, i, list[Math.floor(rnd() * list.length)]);
      } else if (r < 0.05) {
        // Output lands exactly on a tie (or an edge): base = that value, every term input = 0.
        const t = rnd() < 0.7 ? tieValue(out) : bitsToF32(EDGE.F32[Math.floor(rnd() * EDGE.F32.length)]);
        const d0 = dts[0];
        setBits(d0, inputs[0].bytes, i, d0 === 'F32' ? f32ToBits(t) : d0 === 'F16' ? f32ToF16Bits(t) : f32ToBf16Bits(t));
        for (let k = 1; k < dts.length; k++) setBits(dts[k], inputs[k].bytes, i, 0);
      }
    }
    return inputs;
  };
  const isNaNBits = (d: D, b: number): boolean =>
    d === 'F32' ? (b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0
      : d === 'BF16' ? (b & 0x7f80) === 0x7f80 && (b & 0x7f) !== 0 : (b & 0x7c00) === 0x7c00 && (b & 0x3ff) !== 0;
  const words = (d: D, bytes: Uint8Array): ArrayLike<number> =>
    d === 'F32' ? new Uint32Array(bytes.slice().buffer) : new Uint16Array(bytes.slice().buffer);
  const value = (d: D, b: number): number => (d === 'F32' ? bitsToF32(b) : d === 'BF16' ? bitsToF32(b << 16) : h.dtype.f16BitsToF32(b));
  /**
   * ulp distance, bit-exact share, NaN-ness mismatches; both-NaN counts as exact. GPUs may flush float32
   * subnormals (WGSL allows it; SwiftShader does): an element whose GPU and CPU values differ by no more than
   * the smallest normal float32 (2^-126) is counted as `flushed`, reported, and left out of the ulp and
   * bit-exact figures. Nothing else is excused.
   */
  const compare = (d: D, gpu: Uint8Array, cpu: Uint8Array) => {
    const g = words(d, gpu);
    const c = words(d, cpu);
    const top = d === 'F32' ? 0x80000000 : 0x8000;
    const ord = (b: number): number => (b >= top ? -(b - top) : b);
    let exact = 0, maxUlp = 0, nanMismatch = 0, flushed = 0;
    const worst: string[] = [];
    for (let i = 0; i < c.length; i++) {
      const gn = isNaNBits(d, g[i]);
      const cn = isNaNBits(d, c[i]);
      if (gn || cn) {
        if (gn && cn) exact++;
        else { nanMismatch++; if (worst.length < 5) worst.push(`#${i} gpu ${g[i].toString(16)} cpu ${c[i].toString(16)}`); }
        continue;
      }
      if (g[i] === c[i]) { exact++; continue; }
      const u = Math.abs(ord(g[i]) - ord(c[i]));
      if (u > 1 && Math.abs(value(d, g[i]) - value(d, c[i])) <= 2 ** -126) { flushed++; continue; }
      if (u > maxUlp) maxUlp = u;
      if (u > 1 && worst.length < 5) worst.push(`#${i} gpu ${g[i].toString(16)} cpu ${c[i].toString(16)}`);
    }
    const judged = c.length - flushed;
    return { n: c.length, lengthsMatch: gpu.byteLength === cpu.byteLength, exactShare: judged ? exact / judged : 1, maxUlp, nanMismatch, flushed, worst };
  };
  (globalThis as any).parity = { makeInputs, compare, rnd };
}

async function open(page: Page): Promise<string> {
  const logs: string[] = [];
  page.on('console', (m) => logs.push(m.text()));
  await page.goto('/harness.html');
  await page.waitForFunction(() => (globalThis as any).harnessReady === true);
  await page.evaluate(install);
  const adapter = await page.evaluate(async () => {
    const { acquireDevice } = (globalThis as any).harness.compute;
    const { device, adapter } = await acquireDevice();
    device.destroy();
    return adapter;
  });
  const line = `WebGPU adapter: ${JSON.stringify(adapter)}`;
  console.log(line);
  return line;
}

const DTYPES: D[] = ['F32', 'F16', 'BF16'];
const SIZES = [1, 2, 3, 255, 257, 4097, 30001];
/** Size run on an engine capped at 2048 elements per dispatch and 2 workgroups per dimension: many 2D dispatches. */
const MULTI = 20001;

type Op = 'combine' | 'ties' | 'dare' | 'dare-ties';

async function runParity(page: Page, op: Op): Promise<string[]> {
  return page.evaluate(async ({ op, DTYPES, SIZES, MULTI }) => {
    const { CpuEngine, WebGpuEngine } = (globalThis as any).harness.compute;
    const P = (globalThis as any).parity;
    const cpu = new CpuEngine();
    const gpu = await WebGpuEngine.create();
    const multi = await WebGpuEngine.create({ maxDispatchElements: 2048, maxWorkgroupsPerDimension: 2 });
    const failures: string[] = [];
    const report: string[] = [];
    const specFor = (out: string, k: number): any => {
      const terms = k === 3 ? [{ a: 1, b: 2, w: 1 }] : [{ a: 1, b: 2, w: 0.7 }, { a: 3, b: 2, w: -1.3 }, { a: 1, b: null, w: 0.25 }];
      if (op === 'combine') return { base: 0, terms, scale: 0.8, outDtype: out };
      if (op === 'ties') return { base: 0, terms, thresholds: terms.map((_, j) => [0, 2e-4, 1e-3][j % 3]), lambda: 0.9, normalize: k !== 3, outDtype: out };
      return { base: 0, terms, p: 0.3, seed: 42, salts: terms.map((_, j) => 1000 + j), firstElement: 4294967296 - 5000, scale: 1.1, ties: op === 'dare-ties', normalize: true, outDtype: out };
    };
    const cases: { dts: string[]; out: string; n: number; eng: any }[] = [];
    for (const d of DTYPES) for (const out of DTYPES) for (const n of SIZES) cases.push({ dts: [d, d, d], out, n, eng: gpu });
    for (const out of DTYPES) {
      cases.push({ dts: ['BF16', 'F32', 'F16', 'BF16'], out, n: 4097, eng: gpu });
      cases.push({ dts: ['BF16', 'BF16', 'BF16'], out, n: MULTI, eng: multi });
      cases.push({ dts: ['F16', 'F32', 'BF16', 'F16'], out, n: MULTI, eng: multi });
    }
    let total = 0, exactTotal = 0, worstUlp = 0, flushed = 0;
    for (const c of cases) {
      const inputs = P.makeInputs(c.dts, c.n, c.out, c.n * 7 + c.dts.length);
      const spec = specFor(c.out, c.dts.length);
      const method = op === 'dare-ties' ? 'dare' : op;
      const [g, r] = await Promise.all([c.eng[method](inputs, spec), cpu[method](inputs, spec)]);
      const cmp = P.compare(c.out, g, r);
      total += cmp.n - cmp.flushed;
      exactTotal += cmp.exactShare * (cmp.n - cmp.flushed);
      flushed += cmp.flushed;
      worstUlp = Math.max(worstUlp, cmp.maxUlp);
      const tag = `${op} ${c.dts.join('/')}→${c.out} n=${c.n}${c.eng === multi ? ' (multi-dispatch)' : ''}`;
      if (!cmp.lengthsMatch || cmp.maxUlp > 1 || cmp.nanMismatch > 0 || (c.n >= 1000 && cmp.exactShare < 0.999)) {
        failures.push(`${tag}: maxUlp ${cmp.maxUlp}, exact ${(cmp.exactShare * 100).toFixed(3)}%, NaN mismatches ${cmp.nanMismatch} ${cmp.worst.join('; ')}`);
      }
    }
    report.push(`${op}: ${cases.length} cases, ${total} elements, ${(exactTotal / total * 100).toFixed(4)}% bit-exact, worst ${worstUlp} ulp, ${flushed} float32-subnormal results flushed by the GPU`);
    gpu.dispose(); multi.dispose(); cpu.dispose();
    return [...report, ...failures.map((f) => `FAIL ${f}`)];
  }, { op, DTYPES, SIZES, MULTI });
}

for (const op of ['combine', 'ties', 'dare', 'dare-ties'] as Op[]) {
  test(`WebGPU ${op} matches the CPU twin`, async ({ page }) => {
    const adapterLine = await open(page);
    expect(adapterLine).toMatch(/swiftshader/i);
    const lines = await runParity(page, op);
    for (const l of lines) console.log(l);
    expect(lines.filter((l) => l.startsWith('FAIL'))).toEqual([]);
    expect(Number(/([\d.]+)% bit-exact/.exec(lines[0])![1])).toBeGreaterThanOrEqual(99.9);
  });
}
