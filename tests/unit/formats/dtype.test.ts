/**
 * dtype.ts against PyTorch: torch's float32 → float16 / bfloat16 rounding (round to nearest even,
 * exact ties of both parities, half subnormals, overflow to Inf, NaN) and torch's decoding of every
 * one of the 65536 half bit patterns. Fixtures come from tests/fixtures/make_safetensors_fixtures.py.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytesSource } from '../../../src/formats/byte-source';
import { readTensorF32 } from '../../../src/formats/checkpoint';
import { bf16BitsToF32, bitsToF32, decodeToF32, encodeFromF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from '../../../src/formats/dtype';
import { openCheckpoints } from '../../../src/formats/registry';

const DIR = join(__dirname, '../../fixtures/safetensors');
const conv = JSON.parse(readFileSync(join(DIR, 'dtype_conversions.json'), 'utf8')) as { f32_bits: number[]; f16_bits: number[]; bf16_bits: number[]; is_nan: boolean[] };
const isHalfNaN = (h: number) => (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
const isBf16NaN = (h: number) => (h & 0x7f80) === 0x7f80 && (h & 0x7f) !== 0;
const hex = (x: number) => '0x' + x.toString(16);

function mismatches(convert: (x: number) => number, torchBits: number[], isNaNBits: (h: number) => boolean): string[] {
  const bad: string[] = [];
  conv.f32_bits.forEach((b, i) => {
    const got = convert(bitsToF32(b));
    const ok = conv.is_nan[i] ? isNaNBits(got) : got === torchBits[i];
    if (!ok) bad.push(`${hex(b)} (${bitsToF32(b)}): got ${hex(got)}, torch ${hex(torchBits[i])}`);
  });
  return bad;
}

describe('float32 → half / bfloat16 rounding matches torch', () => {
  it('rounds exact ties to even, up and down, on ties built here (every half / bfloat16 pattern of both signs)', () => {
    // x halfway between the 16-bit pattern w and w + 1: RNE keeps an even w and rounds an odd one up (the max finite odd pattern up to Inf).
    const rows: [string, (x: number) => number, number, number][] = [];
    for (let w = 0; w < 0x7c00; w++) rows.push(['F16', f32ToF16Bits, w, w >= 0x400 ? ((((w >> 10) + 112) << 23) | ((w & 0x3ff) << 13) | 0x1000) >>> 0 : -1]);
    for (let w = 0; w < 0x7f80; w++) rows.push(['BF16', f32ToBf16Bits, w, ((w << 16) | 0x8000) >>> 0]);
    const bad: string[] = [];
    const ties: number[][] = [[], []];
    for (const [d, round, w, tie] of rows) {
      if (tie < 0) continue; // half subnormals have no float32 tie of this shape
      for (const sign of [0, 0x80000000]) {
        const want = (w & 1 ? w + 1 : w) | (sign ? 0x8000 : 0);
        const got = round(bitsToF32((tie | sign) >>> 0));
        if (got !== want) bad.push(`${d} ${hex((tie | sign) >>> 0)}: got ${hex(got)}, want ${hex(want)}`);
        ties[d === 'F16' ? 0 : 1].push((tie | sign) >>> 0);
      }
    }
    expect(bad).toEqual([]);
    // The bulk encoders agree with the scalar ones on the same ties.
    for (const [k, d] of [[0, 'F16'], [1, 'BF16']] as const) {
      const bulk = new Uint16Array(encodeFromF32(d, new Float32Array(new Uint32Array(ties[k]).buffer)).slice().buffer);
      const one = d === 'F16' ? f32ToF16Bits : f32ToBf16Bits;
      expect(ties[k].filter((b, i) => bulk[i] !== one(bitsToF32(b))).map(hex), d).toEqual([]);
    }
  });
  it('f32ToF16Bits', () => expect(mismatches(f32ToF16Bits, conv.f16_bits, isHalfNaN)).toEqual([]));
  it('f32ToBf16Bits', () => expect(mismatches(f32ToBf16Bits, conv.bf16_bits, isBf16NaN)).toEqual([]));
  it('encodeFromF32 F16 and BF16 (the bulk paths)', () => {
    const values = new Float32Array(new Uint32Array(conv.f32_bits).buffer);
    const h = new Uint16Array(encodeFromF32('F16', values).slice().buffer);
    const b = new Uint16Array(encodeFromF32('BF16', values).slice().buffer);
    const bad: string[] = [];
    conv.f32_bits.forEach((bits, i) => {
      if (!(conv.is_nan[i] ? isHalfNaN(h[i]) : h[i] === conv.f16_bits[i])) bad.push(`F16 ${hex(bits)}: ${hex(h[i])} vs ${hex(conv.f16_bits[i])}`);
      if (!(conv.is_nan[i] ? isBf16NaN(b[i]) : b[i] === conv.bf16_bits[i])) bad.push(`BF16 ${hex(bits)}: ${hex(b[i])} vs ${hex(conv.bf16_bits[i])}`);
    });
    expect(bad).toEqual([]);
  });
});

describe('half / bfloat16 → float32 decoding matches torch', () => {
  const raw = readFileSync(join(DIR, 'f16_all_values.f32'));
  const torchValues = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const same = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

  it('f16BitsToF32 on all 65536 patterns', () => {
    expect(torchValues.length).toBe(65536);
    const bad: string[] = [];
    for (let h = 0; h < 65536; h++) if (!same(Math.fround(f16BitsToF32(h)), torchValues[h])) bad.push(hex(h));
    expect(bad).toEqual([]);
  });
  it('decodeToF32(F16) on all patterns, from an odd byte offset', () => {
    const bytes = new Uint8Array(1 + 65536 * 2);
    const dv = new DataView(bytes.buffer);
    for (let h = 0; h < 65536; h++) dv.setUint16(1 + 2 * h, h, true);
    const v = decodeToF32('F16', bytes.subarray(1));
    let bad = 0;
    for (let h = 0; h < 65536; h++) if (!same(v[h], torchValues[h])) bad++;
    expect(bad).toBe(0);
  });
  it('bf16 decoding is exact and round-trips through torch-rounded bits', () => {
    conv.bf16_bits.forEach((b, i) => {
      const x = bf16BitsToF32(b);
      if (!conv.is_nan[i]) expect(f32ToBf16Bits(x)).toBe(b);
    });
    const bytes = new Uint8Array(new Uint16Array(conv.bf16_bits).buffer);
    const v = decodeToF32('BF16', bytes);
    conv.bf16_bits.forEach((b, i) => expect(same(v[i], bf16BitsToF32(b))).toBe(true));
  });
});

describe('float8 decoding on known codes (independent of the golden file)', () => {
  it('all 256 codes of both float8 kinds in all_dtypes.safetensors', async () => {
    const file = bytesSource('all_dtypes.safetensors', new Uint8Array(readFileSync(join(DIR, 'all_dtypes.safetensors'))));
    const ck = (await openCheckpoints([file])).checkpoints[0];
    const e4 = await readTensorF32(ck.tensors.find((t) => t.name === 'f8_e4m3')!);
    expect(e4.length).toBe(256);
    expect([e4[0x7e], e4[0x01], e4[0x08]]).toEqual([448, 2 ** -9, 2 ** -6]); // max normal, min subnormal, min normal
    expect(e4.filter(Number.isNaN).length).toBe(2); // 0x7f and 0xff
    const e5 = await readTensorF32(ck.tensors.find((t) => t.name === 'f8_e5m2')!);
    expect([e5[0x7b], e5[0x7c], e5[0x01]]).toEqual([57344, Infinity, 2 ** -16]);
    expect(e5.filter(Number.isNaN).length).toBe(6);
  });
});
