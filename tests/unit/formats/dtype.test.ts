/**
 * dtype.ts against PyTorch: torch's float32 → float16 / bfloat16 rounding (round to nearest even,
 * exact ties of both parities, half subnormals, overflow to Inf, NaN) and torch's decoding of every
 * one of the 65536 half bit patterns. Fixtures come from tests/fixtures/make_safetensors_fixtures.py.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bf16BitsToF32, bitsToF32, decodeToF32, encodeFromF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from '../../../src/formats/dtype';

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
  it('has edge cases, ties and random patterns', () => {
    expect(conv.f32_bits.length).toBeGreaterThan(3000);
    expect(conv.is_nan.some(Boolean)).toBe(true);
    // Torch's answer on exact ties must include both round-down and round-up (i.e. RNE, not truncation).
    const ties = conv.f32_bits.map((b, i) => [b, i]).filter(([b]) => (b & 0x1fff) === 0x1000 && ((b >>> 23) & 0xff) === 127);
    const ups = ties.filter(([b, i]) => conv.f16_bits[i] !== (b >>> 13) - (112 << 10));
    expect(ups.length).toBeGreaterThan(0);
    expect(ups.length).toBeLessThan(ties.length);
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
