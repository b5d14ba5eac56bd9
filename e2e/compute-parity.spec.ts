/**
 * Parity of every WebGPU kernel (combine, ties, dare, stats) with its CPU twin (float64), in real Chromium
 * WebGPU (SwiftShader here), plus references computed in the test itself (plain JS float64, and exact
 * BigInt rationals). Random inputs in F32/F16/BF16 with edge cases (NaN, ±Inf, subnormals of each dtype,
 * ±0, values exactly at rounding ties of the output dtype, f16 overflow), odd and even sizes, calls forced
 * to run as many 2D dispatches, and heavy cancellation (θ_pre ≈ −α·γ, F32 outputs).
 * Rule: no element off by more than 1 ulp of the output dtype, ≥ 99.9% bit-exact, NaN-ness identical,
 * ±0 equal. Left out of those figures, counted and printed: float32-subnormal results (a GPU may flush
 * them: |difference| ≤ 2^-126), differences within the float64 reference's own error bound (2^-50 of
 * Σ|terms|: only where terms cancel), and 1-ulp differences whose exact value lies within that bound of
 * the midpoint (ties no float64 reference can decide). DARE masks bit-identical. Stats: sums and sums of
 * squares within 1e-9 relative, dot products within 1e-7 relative (plus 1e-15 of Σ|terms| for values
 * that cancel to ~0), near-orthogonal cosines (1e-5, 1e-7) within 1e-6 of plain-JS float64; counts and
 * min/max exact.
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
  const value = (d: D, b: number): number => (d === 'F32' ? bitsToF32(b) : d === 'BF16' ? bitsToF32(b << 16) : h.dtype.f16BitsToF32(b));
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
  const makeInputs = (dts: D[], n: number, out: D, s: number, noHuge = false) => {
    seed = s;
    // Statistics sum squares in float32 partials on the GPU: values near float32's max would overflow them.
    const edges = (d: D) => (noHuge ? EDGE[d].filter((b) => !(Math.abs(value(d, b)) > 1e6)) : EDGE[d]);
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
        const list = edges(dts[k]);
        setBits(dts[k], inputs[k].bytes, i, list[Math.floor(rnd() * list.length)]);
      } else if (r < 0.05) {
        // Output lands exactly on a tie (or an edge): base = that value, every term input = 0.
        const t = rnd() < 0.7 ? tieValue(out) : bitsToF32(edges('F32')[Math.floor(rnd() * edges('F32').length)]);
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
  /**
   * ulp distance, bit-exact share, NaN-ness mismatches; both-NaN counts as exact. GPUs may flush float32
   * subnormals (WGSL allows it; SwiftShader does in arithmetic): an element where one value is below 2^-126
   * and the two differ by no more than 2^-126 (the smallest normal float32) is counted as `flushed`,
   * reported, and left out of the ulp and
   * bit-exact figures. With `mag` (per element, Σ of the magnitudes the result is formed from), an element
   * whose two values differ by no more than 2^-50·mag is counted as `cancelled`, reported, and left out too:
   * that is the float64 reference's own error bound, reached only where terms cancel to far below their size
   * (there the WebGPU value is the closer one: see the exact-reference test). Nothing else is excused.
   */
  const compare = (d: D, gpu: Uint8Array, cpu: Uint8Array, mag?: Float64Array) => {
    const g = words(d, gpu);
    const c = words(d, cpu);
    const top = d === 'F32' ? 0x80000000 : 0x8000;
    const ord = (b: number): number => (b >= top ? -(b - top) : b);
    let exact = 0, maxUlp = 0, nanMismatch = 0, flushed = 0, cancelled = 0;
    const worst: string[] = [];
    const oneUlp: number[] = [];
    let firstBad = -1;
    for (let i = 0; i < c.length; i++) {
      const gn = isNaNBits(d, g[i]);
      const cn = isNaNBits(d, c[i]);
      if (gn || cn) {
        if (gn && cn) exact++;
        else { nanMismatch++; if (worst.length < 5) worst.push(`#${i} gpu ${g[i].toString(16)} cpu ${c[i].toString(16)}`); }
        continue;
      }
      // ±0 compare equal (f64.ref.ts: engines need not track the sign of a zero result).
      if (g[i] === c[i] || ((g[i] | c[i]) & ~top) === 0) { exact++; continue; }
      const u = Math.abs(ord(g[i]) - ord(c[i]));
      const diff = Math.abs(value(d, g[i]) - value(d, c[i]));
      if (diff <= 2 ** -126 && Math.min(Math.abs(value(d, g[i])), Math.abs(value(d, c[i]))) < 2 ** -126) { flushed++; continue; }
      if (mag && diff <= 2 ** -50 * mag[i]) { cancelled++; continue; }
      if (u > maxUlp) maxUlp = u;
      if (u === 1) oneUlp.push(i);
      if (u > 1 && worst.length < 5) worst.push(`#${i} gpu ${g[i].toString(16)} cpu ${c[i].toString(16)}`);
      if (u > 1 && firstBad < 0) firstBad = i;
    }
    const judged = c.length - flushed - cancelled;
    return { n: c.length, lengthsMatch: gpu.byteLength === cpu.byteLength, exact, exactShare: judged ? exact / judged : 1, maxUlp, nanMismatch, flushed, cancelled, worst, firstBad, oneUlp };
  };
  /** Per element: Σ of the magnitudes an output is formed from (a bound for every method's terms). */
  const magnitudes = (inputs: { bytes: Uint8Array; dtype: D }[], weight: number): Float64Array => {
    const x = inputs.map((inp) => h.dtype.decodeToF32(inp.dtype, inp.bytes));
    const n = x[0].length;
    const m = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = Math.abs(x[0][i]);
      for (let k = 1; k < x.length; k++) s += weight * Math.abs(x[k][i]);
      m[i] = s;
    }
    return m;
  };
  // ---- An exact reference: rationals of BigInts, independent of both engines ----
  type Q = { n: bigint; d: bigint };
  const f64v = new Float64Array(1);
  const f64w = new Uint32Array(f64v.buffer);
  /** A finite double as an exact rational (m·2^e). */
  const q = (x: number): Q => {
    if (x === 0) return { n: 0n, d: 1n };
    f64v[0] = x;
    const hi = f64w[1], lo = f64w[0];
    const e = (hi >>> 20) & 0x7ff;
    let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
    let ex = e - 1075;
    if (e === 0) ex = -1074; else m |= 1n << 52n;
    if (hi >>> 31) m = -m;
    return ex >= 0 ? { n: m << BigInt(ex), d: 1n } : { n: m, d: 1n << BigInt(-ex) };
  };
  const add = (a: Q, b: Q): Q => (a.d === b.d ? { n: a.n + b.n, d: a.d } : { n: a.n * b.d + b.n * a.d, d: a.d * b.d });
  const sub = (a: Q, b: Q): Q => add(a, { n: -b.n, d: b.d });
  const mul = (a: Q, b: Q): Q => ({ n: a.n * b.n, d: a.d * b.d });
  const div = (a: Q, b: Q): Q => (b.n < 0n ? { n: -a.n * b.d, d: a.d * -b.n } : { n: a.n * b.d, d: a.d * b.n });
  const cmp = (a: Q, b: Q): number => { const x = a.n * b.d - b.n * a.d; return x > 0n ? 1 : x < 0n ? -1 : 0; };
  const sgn = (a: Q): number => (a.n > 0n ? 1 : a.n < 0n ? -1 : 0);
  const abs = (a: Q): Q => ({ n: a.n < 0n ? -a.n : a.n, d: a.d });
  const ZERO: Q = { n: 0n, d: 1n };
  /** Approximate double of a rational (for candidates only). */
  const approx = (a: Q): number => {
    if (a.n === 0n) return 0;
    const shift = BigInt(Math.max(0, a.d.toString(2).length - a.n.toString(2).replace('-', '').length + 64));
    return Number((a.n << shift) / a.d) * 2 ** -Number(shift);
  };
  const TINY = q(2 ** -126);
  const ftz = (a: Q): Q => (cmp(abs(a), TINY) < 0 ? ZERO : a);
  /** Bits of `dtype` nearest to the exact value, ties to even: candidates around the double, compared exactly. */
  const roundExact = (d: D, v: Q): number => {
    const a = approx(v);
    const top = d === 'F32' ? 0x80000000 : 0x8000;
    const c0 = d === 'F32' ? f32ToBits(Math.fround(a)) : d === 'F16' ? f32ToF16Bits(a) : f32ToBf16Bits(a);
    const ord = (b: number) => (b >= top ? -(b - top) : b);
    const fromOrd = (o: number) => (o < 0 ? top - o : o) >>> 0;
    let best = c0, bestDist: Q | null = null;
    for (let k = -2; k <= 2; k++) {
      const b = fromOrd(ord(c0) + k);
      const val = value(d, b);
      if (!Number.isFinite(val)) continue;
      const dist = abs(sub(v, q(val)));
      const c = bestDist === null ? -1 : cmp(dist, bestDist);
      if (c < 0 || (c === 0 && (b & 1) === 0)) { best = b; bestDist = dist; }
    }
    return best;
  };
  /** The exact value of one element for the parity suite's specs (inputs as doubles, masks for DARE). */
  const exactValue = (op: string, spec: any, x: number[], keep: number[] | null): Q => {
    const delta = (t: any): Q => (t.b === null ? q(x[t.a]) : sub(q(x[t.a]), q(x[t.b])));
    if (op === 'combine' || (op === 'dare' && !spec.ties)) {
      let acc = ZERO;
      spec.terms.forEach((t: any, j: number) => {
        let d = delta(t);
        if (keep) d = keep[j] ? div(d, q(1 - spec.p[j])) : ZERO;
        acc = add(acc, mul(q(t.w), d));
      });
      return add(spec.base === null ? ZERO : q(x[spec.base]), mul(q(spec.scale), acc));
    }
    let mass = ZERO;
    const s: Q[] = [], kept: boolean[] = [];
    spec.terms.forEach((t: any, j: number) => {
      let tau = ftz(delta(t));
      if (keep) tau = keep[j] ? ftz(div(delta(t), q(1 - spec.p[j]))) : ZERO;
      kept[j] = keep !== null || Math.fround(Math.abs(approx(tau))) >= Math.fround(spec.thresholds[j]);
      s[j] = ftz(mul(q(t.w), tau));
      if (kept[j]) mass = add(mass, s[j]);
    });
    const pos = cmp(mass, { n: -TINY.n, d: TINY.d }) > 0;
    let merged = ZERO, wsum = ZERO;
    spec.terms.forEach((t: any, j: number) => {
      if (kept[j] && (pos ? sgn(s[j]) > 0 : sgn(s[j]) < 0)) { merged = add(merged, s[j]); wsum = add(wsum, q(t.w)); }
    });
    if (spec.normalize) merged = div(merged, sgn(wsum) === 0 ? q(1) : wsum);
    return add(q(x[spec.base]), mul(q(keep ? spec.scale : spec.lambda), merged));
  };
  const exact = { q, add, sub, mul, div, cmp, abs, approx, roundExact, exactValue };
  (globalThis as any).parity = { makeInputs, compare, rnd, magnitudes, exact, value, words };
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
    const h = (globalThis as any).harness;
    const { CpuEngine, WebGpuEngine, dareMask } = h.compute;
    const P = (globalThis as any).parity;
    const E = P.exact;
    const cpu = new CpuEngine();
    const gpu = await WebGpuEngine.create();
    const multi = await WebGpuEngine.create({ maxDispatchElements: 2048, maxWorkgroupsPerDimension: 2 });
    const failures: string[] = [];
    const report: string[] = [];
    const specFor = (out: string, k: number): any => {
      const terms = k === 3 ? [{ a: 1, b: 2, w: 1 }] : [{ a: 1, b: 2, w: 0.7 }, { a: 3, b: 2, w: -1.3 }, { a: 1, b: null, w: 0.25 }];
      if (op === 'combine') return { base: 0, terms, scale: 0.8, outDtype: out };
      if (op === 'ties') return { base: 0, terms, thresholds: terms.map((_, j) => [0, 2e-4, 1e-3][j % 3]), lambda: 0.9, normalize: k !== 3, outDtype: out };
      return { base: 0, terms, p: terms.map((_, j) => [0.3, 0.1, 0.55][j % 3]), seed: 42, salts: terms.map((_, j) => 1000 + j), firstElement: 4294967296 - 5000, scale: 1.1, ties: op === 'dare-ties', normalize: true, outDtype: out };
    };
    const cases: { dts: string[]; out: string; n: number; eng: any }[] = [];
    for (const d of DTYPES) for (const out of DTYPES) for (const n of SIZES) cases.push({ dts: [d, d, d], out, n, eng: gpu });
    for (const out of DTYPES) {
      cases.push({ dts: ['BF16', 'F32', 'F16', 'BF16'], out, n: 4097, eng: gpu });
      cases.push({ dts: ['BF16', 'BF16', 'BF16'], out, n: MULTI, eng: multi });
      cases.push({ dts: ['F16', 'F32', 'BF16', 'F16'], out, n: MULTI, eng: multi });
    }
    let total = 0, rawExact = 0, exactTotal = 0, worstUlp = 0, flushed = 0, cancelled = 0, nearTies = 0, gpuRight = 0;
    for (const c of cases) {
      const inputs = P.makeInputs(c.dts, c.n, c.out, c.n * 7 + c.dts.length);
      const spec = specFor(c.out, c.dts.length);
      const method = op === 'dare-ties' ? 'dare' : op;
      const [g, r] = await Promise.all([c.eng[method](inputs, spec), cpu[method](inputs, spec)]);
      // Weight bound: |scale|·Σ|w_j| / min density ≤ 0.8·2.25/0.45 + 1 (TIES mean: λ·max|w|/…) — 8 covers all.
      const mag = P.magnitudes(inputs, 8);
      const cmp = P.compare(c.out, g, r, mag);
      // A 1-ulp difference where the exact value (BigInt rationals) lies within the float64 reference's own
      // error bound of the midpoint of the two outputs is a tie no float64 reference can decide: counted as
      // `nearTie` and left out; how often the WebGPU output is then the exactly rounded one is reported.
      let nearTie = 0;
      if (cmp.oneUlp.length) {
        const xs = inputs.map((x: any) => h.dtype.decodeToF32(x.dtype, x.bytes));
        const masks = method === 'dare' ? spec.terms.map((_: any, j: number) => dareMask(spec.seed, spec.salts[j], spec.p[j], spec.firstElement, c.n)) : null;
        const gw = P.words(c.out, g), cw = P.words(c.out, r);
        for (const i of cmp.oneUlp) {
          const x = xs.map((a: Float32Array) => a[i]);
          if (x.some((v: number) => !Number.isFinite(v))) continue;
          const v = E.exactValue(method, spec, x, masks ? masks.map((m: Uint8Array) => m[i]) : null);
          const mid = E.div(E.add(E.q(P.value(c.out, gw[i])), E.q(P.value(c.out, cw[i]))), E.q(2));
          if (E.cmp(E.abs(E.sub(v, mid)), E.q(2 ** -50 * mag[i])) <= 0) {
            nearTie++;
            if (E.roundExact(c.out, v) === gw[i]) gpuRight++;
          }
        }
      }
      const judged = c.n - cmp.flushed - cmp.cancelled;
      const share = judged - nearTie ? (cmp.exact) / (judged - nearTie) : 1;
      total += judged;
      rawExact += cmp.exact;
      exactTotal += cmp.exact + nearTie;
      flushed += cmp.flushed;
      cancelled += cmp.cancelled;
      nearTies += nearTie;
      worstUlp = Math.max(worstUlp, cmp.maxUlp);
      const tag = `${op} ${c.dts.join('/')}→${c.out} n=${c.n}${c.eng === multi ? ' (multi-dispatch)' : ''}`;
      if (!cmp.lengthsMatch || cmp.maxUlp > 1 || cmp.nanMismatch > 0 || (c.n >= 1000 && share < 0.999)) {
        const at = cmp.firstBad;
        const ins = at < 0 ? '' : ` inputs at #${at}: ${inputs.map((x: any) => h.dtype.decodeToF32(x.dtype, x.bytes)[at]).join(', ')}`;
        failures.push(`${tag}: maxUlp ${cmp.maxUlp}, exact ${(share * 100).toFixed(3)}% (${nearTie} near-ties left out), NaN mismatches ${cmp.nanMismatch} ${cmp.worst.join('; ')}${ins}`);
      }
    }
    report.push(`${op}: ${cases.length} cases, ${total} elements, ${((exactTotal - nearTies) / (total - nearTies) * 100).toFixed(4)}% bit-exact `
      + `(raw ${(rawExact / total * 100).toFixed(4)}%), worst ${worstUlp} ulp; left out: ${flushed} float32-subnormal results flushed by the GPU, `
      + `${cancelled} within the float64 reference's own error (cancellation), ${nearTies} undecidable near-ties (WebGPU exactly rounded in ${gpuRight})`);
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

test('WebGPU combine keeps what cancels: θ_pre ≈ −α·γ against float64 (plain JS) and exact (BigInt) references', async ({ page }) => {
  expect(await open(page)).toMatch(/swiftshader/i);
  const lines: string[] = await page.evaluate(async () => {
    const h = (globalThis as any).harness;
    const { CpuEngine, WebGpuEngine } = h.compute;
    const P = (globalThis as any).parity;
    const E = P.exact;
    const cpu = new CpuEngine();
    const gpu = await WebGpuEngine.create();
    const out: string[] = [];
    const n = 20000;
    const alpha = 0.8;
    const ord = (d: string, b: number) => { const top = d === 'F32' ? 0x80000000 : 0x8000; return b >= top ? -(b - top) : b; };
    /** ulp statistics of `got` against wanted bits (±0 equal). */
    const score = (d: string, got: ArrayLike<number>, want: ArrayLike<number>) => {
      let exact = 0, worst = 0;
      for (let i = 0; i < want.length; i++) {
        const u = Math.abs(ord(d, got[i]) - ord(d, want[i]));
        if (u === 0 || ((got[i] | want[i]) & (d === 'F32' ? 0x7fffffff : 0x7fff)) === 0) exact++;
        else worst = Math.max(worst, u);
      }
      return { share: exact / want.length, worst };
    };
    /** v rounded to the float64 grid at magnitude m (multiples of one float64 ulp of m), ties to even. */
    const gridRound = (v: { n: bigint; d: bigint }, m: number): { n: bigint; d: bigint } => {
      if (!(m > 0)) return v;
      const eg = Math.floor(Math.log2(m)) - 52;
      const num: bigint = eg <= 0 ? v.n << BigInt(-eg) : v.n;
      const den: bigint = eg <= 0 ? v.d : v.d << BigInt(eg);
      const neg = num < 0n;
      const a: bigint = neg ? -num : num;
      let k: bigint = a / den;
      const r2: bigint = 2n * (a - k * den);
      if (r2 > den || (r2 === den && (k & 1n) === 1n)) k += 1n;
      const kk = neg ? -k : k;
      return eg <= 0 ? { n: kk, d: 1n << BigInt(-eg) } : { n: kk << BigInt(eg), d: 1n };
    };
    /**
     * Against the exact value (rationals) seen on the float64 grid of the largest term (gridRound: what a
     * float64 reference can see; common.wgsl.ts grid_round), rounded once: bit-exact share and worst ulp;
     * `grid` counts elements where that grid changes the answer (the exact value and float64 disagree
     * below float64's precision).
     */
    const vsExact = (d: string, got: ArrayLike<number>, exact: any[], mag: Float64Array) => {
      let ok = 0, grid = 0, worst = 0;
      for (let i = 0; i < got.length; i++) {
        const want = E.roundExact(d, gridRound(exact[i], mag[i]));
        if (want !== E.roundExact(d, exact[i])) grid++;
        const u = Math.abs(ord(d, got[i]) - ord(d, want));
        if (u === 0 || ((got[i] | want) & (d === 'F32' ? 0x7fffffff : 0x7fff)) === 0) ok++;
        else worst = Math.max(worst, u);
      }
      return { share: ok / got.length, worst, grid };
    };
    for (const [depth, auxDtype] of [['moderate', 'F32'], ['moderate', 'BF16'], ['full', 'F32'], ['full', 'BF16']] as const) {
      // aux ≈ sft (a small capability vector), pre = −α·γ·(1 + δ): the result is 2^-10…2^-20 of the terms
      // (moderate), or pre = f32(−α·γ) and the result is the float32 rounding residue of pre (full).
      let seed = (depth === 'full' ? 77 : 78) + (auxDtype === 'F32' ? 0 : 10);
      const rnd = () => { seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0; return seed / 4294967296; };
      const sft = new Float64Array(n), aux = new Float64Array(n), pre = new Float32Array(n);
      const enc = (d: string, v: Float64Array) => d === 'F32' ? new Float32Array(v) : Uint16Array.from(v, (x) => h.dtype.f32ToBf16Bits(x));
      for (let i = 0; i < n; i++) {
        sft[i] = (rnd() - 0.5) * 0.02;
        aux[i] = sft[i] + (rnd() - 0.5) * 2e-3;
      }
      const sftE = enc(auxDtype, sft), auxE = enc(auxDtype, aux);
      const dec = (d: string, a: any) => d === 'F32' ? Float64Array.from(a) : Float64Array.from(a, (b: number) => h.dtype.bf16BitsToF32(b));
      const sftV = dec(auxDtype, sftE), auxV = dec(auxDtype, auxE);
      const mag = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const g = alpha * (auxV[i] - sftV[i]);
        pre[i] = depth === 'full' ? -g : -g * (1 + (rnd() < 0.5 ? -1 : 1) * 2 ** -(10 + 10 * rnd()));
        mag[i] = Math.max(Math.abs(pre[i]), Math.abs(g));
      }
      const inputs = [
        { bytes: new Uint8Array(pre.buffer), dtype: 'F32' },
        { bytes: new Uint8Array(auxE.buffer), dtype: auxDtype },
        { bytes: new Uint8Array(sftE.buffer), dtype: auxDtype },
      ];
      const exact = Array.from({ length: n }, (_, i) => E.add(E.q(pre[i]), E.mul(E.q(alpha), E.sub(E.q(auxV[i]), E.q(sftV[i])))));
      for (const od of ['F32', 'BF16', 'F16']) {
        const spec = { base: 0, terms: [{ a: 1, b: 2, w: 1 }], scale: alpha, outDtype: od };
        const g = P.words(od, await gpu.combine(inputs, spec));
        const c = P.words(od, await cpu.combine(inputs, spec));
        // float64 in plain JS rounded once (exactly, via rationals), and float32 arithmetic for contrast.
        const f64 = new Uint32Array(n), f32 = new Uint32Array(n);
        for (let i = 0; i < n; i++) {
          f64[i] = E.roundExact(od, E.q(pre[i] + alpha * (auxV[i] - sftV[i])));
          f32[i] = E.roundExact(od, E.q(Math.fround(pre[i] + Math.fround(Math.fround(alpha) * Math.fround(auxV[i] - sftV[i])))));
        }
        const tag = `${depth} cancellation, F32 pre, ${auxDtype} aux/sft → ${od}`;
        const sg = score(od, g, f64), sc = score(od, c, f64), s32 = score(od, f32, f64);
        const xg = vsExact(od, g, exact, mag), xc = vsExact(od, c, exact, mag);
        out.push(`${tag}: vs float64 (plain JS): WebGPU ${(sg.share * 100).toFixed(3)}% bit-exact (worst ${sg.worst} ulp), CPU twin ${(sc.share * 100).toFixed(3)}% `
          + `(worst ${sc.worst}), float32 math ${(s32.share * 100).toFixed(3)}% (worst ${s32.worst}); vs exact: WebGPU ${(xg.share * 100).toFixed(3)}% `
          + `(worst ${xg.worst}; the float64 grid decides ${xg.grid}), CPU twin ${(xc.share * 100).toFixed(3)}% (worst ${xc.worst})`);
        if (xg.worst > 1 || xg.share < 0.999) out.push(`FAIL ${tag}: WebGPU vs exact ${(xg.share * 100).toFixed(3)}%, worst ${xg.worst} ulp`);
        // And plainly against float64 computed here, as the issue states the rule.
        if (sg.worst > 1 || sg.share < 0.999) out.push(`FAIL ${tag}: WebGPU vs float64 ${(sg.share * 100).toFixed(3)}%, worst ${sg.worst} ulp`);
        if (sc.worst > 1 || sc.share < 0.999) out.push(`FAIL ${tag}: CPU twin vs float64 ${(sc.share * 100).toFixed(3)}%, worst ${sc.worst} ulp`);
      }
    }
    gpu.dispose(); cpu.dispose();
    return out;
  });
  for (const l of lines) console.log(l);
  expect(lines.length).toBeGreaterThan(0);
  expect(lines.filter((l) => l.startsWith('FAIL'))).toEqual([]);
  // The test can fail: float32 arithmetic is far off on the F32 output of every case.
  expect(lines.filter((l) => /→ F32:.*float32 math 100\.000%/.test(l))).toEqual([]);
});

test('WebGPU stats match the CPU twin (double-float partials added in float64)', async ({ page }) => {
  expect(await open(page)).toMatch(/swiftshader/i);
  const lines: string[] = await page.evaluate(async ({ DTYPES, SIZES, MULTI }) => {
    const h = (globalThis as any).harness;
    const { CpuEngine, WebGpuEngine } = h.compute;
    const P = (globalThis as any).parity;
    const cpu = new CpuEngine();
    const gpu = await WebGpuEngine.create();
    const multi = await WebGpuEngine.create({ maxDispatchElements: 2048, maxWorkgroupsPerDimension: 2 });
    const spec = {
      vectors: [{ a: 1, b: 2 }, { a: 3, b: 2 }, { a: 0, b: null }, { a: 1, b: 0 }],
      pairs: [[0, 1], [0, 2], [1, 2], [0, 3]], nearZero: 1e-3,
    };
    const out: string[] = [];
    let worstMag = 0, worstRel = 0;
    const cases: { dts: string[]; n: number; eng: any }[] = [];
    for (const d of DTYPES) for (const n of SIZES) cases.push({ dts: [d, d, d, d], n, eng: gpu });
    cases.push({ dts: ['BF16', 'F32', 'F16', 'BF16'], n: MULTI, eng: multi });
    cases.push({ dts: ['F16', 'BF16', 'BF16', 'F32'], n: 200003, eng: gpu });
    for (const c of cases) {
      const inputs = P.makeInputs(c.dts, c.n, 'F32', c.n * 3 + 1, true);
      const [g, r] = await Promise.all([c.eng.stats(inputs, spec), cpu.stats(inputs, spec)]);
      // Magnitude sums, the scale a float32 partial-sum error is measured against.
      const x = inputs.map((i: any) => h.dtype.decodeToF32(i.dtype, i.bytes));
      const vec = spec.vectors.map((v) => {
        const o = new Float32Array(c.n);
        for (let i = 0; i < c.n; i++) o[i] = v.b === null ? x[v.a][i] : x[v.a][i] - x[v.b][i];
        for (let i = 0; i < c.n; i++) if (Math.abs(o[i]) < 2 ** -126) o[i] = 0;
        return o;
      });
      const fin = (v: number) => Number.isFinite(v);
      const tag = `stats ${c.dts.join('/')} n=${c.n}${c.eng === multi ? ' (multi-dispatch)' : ''}`;
      // Relative to the value itself (1e-9 for sums, 1e-7 for dot products), plus 1e-15 of Σ|terms| for
      // values that cancel to about zero, where neither float64 nor double-float can do better.
      const close = (what: string, a: number, b: number, mag: number, rel = 1e-9) => {
        const err = Math.abs(a - b);
        worstMag = Math.max(worstMag, mag ? err / mag : err);
        if (b !== 0) worstRel = Math.max(worstRel, err / Math.abs(b));
        if (!(err <= rel * Math.abs(b) + 1e-15 * mag)) out.push(`FAIL ${tag} ${what}: gpu ${a} cpu ${b} (|Σ terms| ${mag})`);
      };
      const same = (what: string, a: number, b: number) => { if (a !== b) out.push(`FAIL ${tag} ${what}: gpu ${a} cpu ${b}`); };
      r.vectors.forEach((cv: any, k: number) => {
        const gv = g.vectors[k];
        let absSum = 0;
        for (const v of vec[k]) if (fin(v)) absSum += Math.abs(v);
        close(`v${k}.sum`, gv.sum, cv.sum, absSum);
        close(`v${k}.sumSq`, gv.sumSq, cv.sumSq, cv.sumSq);
        for (const f of ['count', 'min', 'max', 'nan', 'inf', 'nearZero']) same(`v${k}.${f}`, gv[f], cv[f]);
      });
      r.pairs.forEach((cp: any, k: number) => {
        const [p, q] = spec.pairs[k];
        let mag = 0;
        for (let i = 0; i < c.n; i++) if (fin(vec[p][i]) && fin(vec[q][i])) mag += Math.abs(vec[p][i] * vec[q][i]);
        close(`pair${k}.dot`, g.pairs[k].dot, cp.dot, mag, 1e-7);
        same(`pair${k}.signAgree`, g.pairs[k].signAgree, cp.signAgree);
        same(`pair${k}.bothNonzero`, g.pairs[k].bothNonzero, cp.bothNonzero);
      });
    }
    // Near-orthogonal vectors (cos ≈ 1e-5 and 1e-7, the orthogonality view's range): the dot product cancels
    // to 1e-5…1e-7 of Σ|terms|; it must still match the float64 twin to 1e-7 of its value, and the cosine a
    // float64 reference computed here in plain JS (Neumaier sums) to 1e-6 relative.
    for (const cos of [1e-5, 1e-7]) {
      const m = 65536;
      let sd = 99;
      const rnd = () => { sd = (Math.imul(sd, 1664525) + 1013904223) >>> 0; return sd / 4294967296 - 0.5; };
      const a = new Float64Array(m), b = new Float64Array(m);
      let aa = 0, ab = 0, bb = 0;
      for (let i = 0; i < m; i++) { a[i] = Math.fround(rnd() * 0.02); b[i] = rnd() * 0.02; aa += a[i] * a[i]; ab += a[i] * b[i]; }
      for (let i = 0; i < m; i++) b[i] -= (ab / aa) * a[i];
      for (let i = 0; i < m; i++) bb += b[i] * b[i];
      for (let i = 0; i < m; i++) b[i] = Math.fround(b[i] + cos * Math.sqrt(bb / aa) * a[i]);
      const zero = new Float32Array(m);
      const inputs = [Float32Array.from(a), zero, Float32Array.from(b)].map((v) => ({ bytes: new Uint8Array(v.buffer), dtype: 'F32' }));
      const sp = { vectors: [{ a: 0, b: 1 }, { a: 2, b: 1 }], pairs: [[0, 1]], nearZero: 0 };
      const [g, r] = await Promise.all([gpu.stats(inputs, sp), cpu.stats(inputs, sp)]);
      const neu = (f: (i: number) => number) => { let s = 0, c = 0; for (let i = 0; i < m; i++) { const x = f(i); const t = s + x; c += Math.abs(s) >= Math.abs(x) ? s - t + x : x - t + s; s = t; } return s + c; };
      const A = Float32Array.from(a), B = Float32Array.from(b);
      const refCos = neu((i) => A[i] * B[i]) / Math.sqrt(neu((i) => A[i] * A[i]) * neu((i) => B[i] * B[i]));
      const gCos = g.pairs[0].dot / Math.sqrt(g.vectors[0].sumSq * g.vectors[1].sumSq);
      let mag = 0;
      for (let i = 0; i < m; i++) mag += Math.abs(A[i] * B[i]);
      const relDot = Math.abs(g.pairs[0].dot - r.pairs[0].dot) / Math.abs(r.pairs[0].dot);
      const relCos = Math.abs(gCos - refCos) / Math.abs(refCos);
      out.push(`near-orthogonal cos ${refCos.toExponential(3)} (dot = ${(Math.abs(r.pairs[0].dot) / mag).toExponential(1)} of Σ|terms|): `
        + `WebGPU dot off the CPU twin by ${relDot.toExponential(2)} relative, cosine off plain-JS float64 by ${relCos.toExponential(2)}`);
      if (!(relDot <= 1e-7)) out.push(`FAIL near-orthogonal dot: ${g.pairs[0].dot} vs ${r.pairs[0].dot}`);
      if (!(relCos <= 1e-6)) out.push(`FAIL near-orthogonal cosine: ${gCos} vs ${refCos}`);
    }
    out.unshift(`stats: ${cases.length} cases; worst error ${worstMag.toExponential(2)} of Σ|terms|, ${worstRel.toExponential(2)} of the value itself`);
    gpu.dispose(); multi.dispose(); cpu.dispose();
    return out;
  }, { DTYPES, SIZES, MULTI });
  for (const l of lines) console.log(l);
  expect(lines.filter((l) => l.startsWith('FAIL'))).toEqual([]);
});

test('DARE masks are bit-identical between WGSL and TypeScript, whatever the chunking', async ({ page }) => {
  expect(await open(page)).toMatch(/swiftshader/i);
  const lines: string[] = await page.evaluate(async () => {
    const h = (globalThis as any).harness;
    const { CpuEngine, WebGpuEngine, dareTermKey, dareElementHash, fmix32, dareMask } = h.compute;
    const cpu = new CpuEngine();
    const gpu = await WebGpuEngine.create();
    const multi = await WebGpuEngine.create({ maxDispatchElements: 2048, maxWorkgroupsPerDimension: 2 });
    const out: string[] = [];
    // Raw hashes, including a chunk that crosses element 2^32 (the high word changes inside it).
    for (const [first, n, seed, salt] of [[0, 70001, 7, 1], [4294967296 - 3000, 9001, 123456789, 0xdeadbeef], [2 ** 40 + 17, 5000, 0, 5]]) {
      const key = dareTermKey(seed, salt);
      const want = new Uint32Array(n);
      for (let i = 0; i < n; i++) {
        const g = first + i;
        want[i] = dareElementHash(fmix32((key ^ Math.floor(g / 4294967296)) >>> 0), g >>> 0);
      }
      for (const eng of [gpu, multi]) {
        const got: Uint32Array = await eng.dareHashes(seed, salt, first, n);
        let diff = 0;
        for (let i = 0; i < n; i++) if (got[i] !== want[i]) diff++;
        if (diff) out.push(`FAIL hashes first=${first}: ${diff} of ${n} differ`);
      }
    }
    // Masks through the dare kernel itself: x = 1 everywhere, base 0, so out ≠ 0 ⇔ kept.
    const n = 100001, p = 0.9, first = 4294967296 - 50000;
    const ones = new Uint16Array(n).fill(0x3f80);
    const zeros = new Uint16Array(n);
    const inputs = [{ bytes: new Uint8Array(zeros.buffer), dtype: 'BF16' }, { bytes: new Uint8Array(ones.buffer), dtype: 'BF16' }];
    const spec = { base: 0, terms: [{ a: 1, b: null, w: 1 }], p: [p], seed: 99, salts: [31337], firstElement: first, scale: 1, ties: false, normalize: false, outDtype: 'BF16' };
    const want = dareMask(99, 31337, p, first, n);
    let kept = 0;
    for (const v of want) kept += v;
    for (const [name, eng] of [['cpu', cpu], ['webgpu', gpu], ['webgpu multi-dispatch', multi]] as const) {
      const o = new Uint16Array((await eng.dare(inputs, spec)).buffer);
      let diff = 0;
      for (let i = 0; i < n; i++) if ((o[i] !== 0 ? 1 : 0) !== want[i]) diff++;
      if (diff) out.push(`FAIL ${name} dare mask: ${diff} of ${n} differ from hash.ts`);
    }
    // The same tensor split into two chunks gives the same mask.
    const half = 40000;
    const part = async (s: number, e: number) => new Uint16Array((await gpu.dare(inputs.map((x) => ({ ...x, bytes: x.bytes.subarray(s * 2, e * 2) })), { ...spec, firstElement: first + s })).buffer);
    const a = await part(0, half);
    const b = await part(half, n);
    let diff = 0;
    for (let i = 0; i < n; i++) if (((i < half ? a[i] : b[i - half]) !== 0 ? 1 : 0) !== want[i]) diff++;
    if (diff) out.push(`FAIL chunked dare mask: ${diff} differ`);
    const rate = kept / n;
    out.unshift(`dare: keep rate ${rate.toFixed(4)} for p=${p} (expected ${(1 - p).toFixed(4)})`);
    if (Math.abs(rate - (1 - p)) > 0.005) out.push(`FAIL keep rate ${rate}`);
    gpu.dispose(); multi.dispose(); cpu.dispose();
    return out;
  });
  for (const l of lines) console.log(l);
  expect(lines.filter((l) => l.startsWith('FAIL'))).toEqual([]);
});

test('the engine measures whether fma is fused and only then uses it for TwoProd', async ({ page }) => {
  expect(await open(page)).toMatch(/swiftshader/i);
  const r = await page.evaluate(async () => {
    const { WebGpuEngine, CpuEngine, acquireDevice, measureFma } = (globalThis as any).harness.compute;
    // The probe itself must compile and run: a broken probe also answers "not fused".
    const probe = await measureFma((await acquireDevice()).device);
    const measured = await WebGpuEngine.create();
    // The fma variant still compiles and runs on every kernel here (its results are only exact where fma is fused).
    const forced = await WebGpuEngine.create({ twoProd: 'fma' });
    const n = 1000;
    const x = [0, 1, 2, 3].map((k) => new Uint8Array(Float32Array.from({ length: n }, (_, i) => Math.sin(i * (k + 1)) * 0.01).buffer));
    const inputs = x.map((bytes) => ({ bytes, dtype: 'F32' }));
    const terms = [{ a: 1, b: 2, w: 0.7 }, { a: 3, b: 2, w: -1.3 }];
    const runs = async (e: any) => [
      await e.combine(inputs, { base: 0, terms, scale: 0.8, outDtype: 'F32' }),
      await e.ties(inputs, { base: 0, terms, thresholds: [0, 0], lambda: 0.9, normalize: true, outDtype: 'BF16' }),
      await e.dare(inputs, { base: 0, terms, p: [0.2, 0.4], seed: 1, salts: [5, 6], firstElement: 0, scale: 1, ties: true, normalize: false, outDtype: 'F16' }),
      (await e.stats(inputs, { vectors: [{ a: 1, b: 2 }, { a: 3, b: 2 }], pairs: [[0, 1]], nearZero: 0 })).pairs[0].dot,
    ];
    const [m, f, c] = [await runs(measured), await runs(forced), await runs(new CpuEngine())];
    // Elements whose bytes differ from the CPU twin (the parity tests above bound these; here: at most one,
    // a tie no float64 reference can decide).
    const differ = (a: Uint8Array, b: Uint8Array, size: number) => {
      let d = 0;
      for (let i = 0; i < a.length; i += size) if (a.subarray(i, i + size).some((v, j) => v !== b[i + j])) d++;
      return a.length === b.length ? d : Infinity;
    };
    return { probe, mode: measured.twoProd, measuredDiffers: [differ(m[0], c[0], 4), differ(m[1], c[1], 2), differ(m[2], c[2], 2)], fmaRan: f.length === 4 && f.slice(0, 3).every((o: Uint8Array) => o.length > 0) };
  });
  console.log(`TwoProd mode measured on this adapter: ${r.mode}`);
  expect(r.probe).toEqual({ fused: false });
  // SwiftShader rounds fma twice: the probe must see that and pick Dekker's product.
  expect(r.mode).toBe('dekker');
  for (const d of r.measuredDiffers) expect(d).toBeLessThanOrEqual(1);
  expect(r.fmaRan).toBe(true);
});
