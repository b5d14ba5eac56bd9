/**
 * The engines benches' inputs: the same bf16 words as src/compute/select.ts's start-up race (a small
 * exponent range), made here so Node benches need not load the WebGPU engine.
 */
import type { ChunkInput } from '../../src/compute/engine';

export function benchInputs(n: number, count = 3): ChunkInput[] {
  let s = 0x9e3779b9;
  return Array.from({ length: count }, () => {
    const u = new Uint16Array(n);
    for (let i = 0; i < n; i++) {
      s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
      u[i] = ((s >>> 16) & 0x807f) | (0x3b80 + ((s >>> 8) & 0x3) * 0x80);
    }
    return { bytes: new Uint8Array(u.buffer), dtype: 'BF16' as const };
  });
}
