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
      if (u > 1 && Math.abs(value(d, g[i]) - value(d, c[i])) <= 2 ** -126) { flushed++; continue; }
      if (u > maxUlp) maxUlp = u;
      if (u > 1 && worst.length < 5) worst.push(`#${i} gpu ${g[i].toString(16)} cpu ${c[i].toString(16)}`);
      if (u > 1 && firstBad < 0) firstBad = i;
    }
    const judged = c.length - flushed;
    return { n: c.length, lengthsMatch: gpu.byteLength === cpu.byteLength, exactShare: judged ? exact / judged : 1, maxUlp, nanMismatch, flushed, worst, firstBad };
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
      return { base: 0, terms, p: terms.map((_, j) => [0.3, 0.1, 0.55][j % 3]), seed: 42, salts: terms.map((_, j) => 1000 + j), firstElement: 4294967296 - 5000, scale: 1.1, ties: op === 'dare-ties', normalize: true, outDtype: out };
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
        const at = cmp.firstBad;
        const ins = at < 0 ? '' : ` inputs at #${at}: ${inputs.map((x: any) => (globalThis as any).harness.dtype.decodeToF32(x.dtype, x.bytes)[at]).join(', ')}`;
        failures.push(`${tag}: maxUlp ${cmp.maxUlp}, exact ${(cmp.exactShare * 100).toFixed(3)}%, NaN mismatches ${cmp.nanMismatch} ${cmp.worst.join('; ')}${ins}`);
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

test('WebGPU stats match the CPU twin (float64 sums of float32 partials)', async ({ page }) => {
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
      const close = (what: string, a: number, b: number, mag: number) => {
        const err = Math.abs(a - b);
        worstMag = Math.max(worstMag, mag ? err / mag : err);
        if (b !== 0) worstRel = Math.max(worstRel, err / Math.abs(b));
        if (!(err <= 1e-6 * mag)) out.push(`FAIL ${tag} ${what}: gpu ${a} cpu ${b} (|Σ terms| ${mag})`);
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
        close(`pair${k}.dot`, g.pairs[k].dot, cp.dot, mag);
        same(`pair${k}.signAgree`, g.pairs[k].signAgree, cp.signAgree);
        same(`pair${k}.bothNonzero`, g.pairs[k].bothNonzero, cp.bothNonzero);
      });
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
    const spec = { base: 0, terms: [{ a: 1, b: null, w: 1 }], p, seed: 99, salts: [31337], firstElement: first, scale: 1, ties: false, normalize: false, outDtype: 'BF16' };
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
