/**
 * Incremental SHA-256 (FIPS 180-4) in plain TypeScript: crypto.subtle has no streaming digest, and input
 * files are far larger than memory, so the Worker hashes them chunk by chunk with this.
 */
import type { Hasher } from './types';
import { WASM_BASE64 } from '../compute/wasm/sha256.wasm';
import { instantiate, wasmEnabled } from '../compute/wasm/enabled';

/**
 * The compression of whole blocks in WebAssembly (../compute/wasm/sha256.wat, rounds unrolled by
 * scripts/gen-sha256-wat.mjs: ~330 MB per CPU-second in V8, against ~220 looped), faster than the TypeScript
 * loop below, which stays as the fallback where WebAssembly is missing or switched off (tests compare the
 * two). Input is copied into its memory 64 KB at a time.
 */
interface Compressor {
  mem: Uint8Array;
  state: Uint32Array;
  compress: (p: number, n: number) => void;
}
let compressor: Compressor | null | undefined;
const WASM_DATA = 1024;
const WASM_CHUNK = 64 * 1024;
function wasmCompressor(): Compressor | null {
  if (!wasmEnabled()) return null;
  if (compressor !== undefined) return compressor;
  const inst = instantiate(WASM_BASE64);
  if (!inst) return (compressor = null);
  const buf = (inst.exports.memory as WebAssembly.Memory).buffer;
  compressor = { mem: new Uint8Array(buf), state: new Uint32Array(buf, 512, 8), compress: inst.exports.compress as Compressor['compress'] };
  return compressor;
}

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** Compresses whole 64-byte blocks of `data` from `pos` into state `h`; returns the position after the last block. */
function blocks(h: Uint32Array, w: Uint32Array, data: Uint8Array, pos: number, end: number): number {
  const k = end - pos >= 1024 ? wasmCompressor() : null;
  if (k) {
    k.state.set(h);
    while (end - pos >= 64) {
      const nb = Math.min(WASM_CHUNK, (end - pos) & ~63);
      k.mem.set(data.subarray(pos, pos + nb), WASM_DATA);
      k.compress(WASM_DATA, nb / 64);
      pos += nb;
    }
    h.set(k.state);
    return pos;
  }
  let h0 = h[0], h1 = h[1], h2 = h[2], h3 = h[3], h4 = h[4], h5 = h[5], h6 = h[6], h7 = h[7];
  while (end - pos >= 64) {
    for (let i = 0; i < 16; i++, pos += 4) {
      w[i] = (data[pos] << 24) | (data[pos + 1] << 16) | (data[pos + 2] << 8) | data[pos + 3];
    }
    for (let i = 16; i < 64; i++) {
      const a = w[i - 15], b = w[i - 2];
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
    }
    let a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, hh = h7;
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (hh + S1 + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      hh = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    h0 = (h0 + a) | 0; h1 = (h1 + b) | 0; h2 = (h2 + c) | 0; h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0; h5 = (h5 + f) | 0; h6 = (h6 + g) | 0; h7 = (h7 + hh) | 0;
  }
  h[0] = h0; h[1] = h1; h[2] = h2; h[3] = h3; h[4] = h4; h[5] = h5; h[6] = h6; h[7] = h7;
  return pos;
}

export class Sha256 implements Hasher {
  private h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  private w = new Uint32Array(64);
  private buf = new Uint8Array(64);
  private bufLen = 0;
  private total = 0;
  private done = false;

  update(data: Uint8Array): void {
    if (this.done) throw new Error('sha256: update after digest');
    this.total += data.length;
    let pos = 0;
    if (this.bufLen > 0) {
      const take = Math.min(64 - this.bufLen, data.length);
      this.buf.set(data.subarray(0, take), this.bufLen);
      this.bufLen += take;
      pos = take;
      if (this.bufLen < 64) return;
      blocks(this.h, this.w, this.buf, 0, 64);
      this.bufLen = 0;
    }
    pos = blocks(this.h, this.w, data, pos, data.length);
    if (pos < data.length) {
      this.buf.set(data.subarray(pos), 0);
      this.bufLen = data.length - pos;
    }
  }

  digest(): string {
    if (!this.done) {
      const bits = this.total * 8;
      const padLen = this.bufLen < 56 ? 64 : 128;
      const pad = new Uint8Array(padLen);
      pad.set(this.buf.subarray(0, this.bufLen));
      pad[this.bufLen] = 0x80;
      const hi = Math.floor(bits / 2 ** 32), lo = bits >>> 0;
      const dv = new DataView(pad.buffer);
      dv.setUint32(padLen - 8, hi);
      dv.setUint32(padLen - 4, lo);
      blocks(this.h, this.w, pad, 0, padLen);
      this.done = true;
    }
    let s = '';
    for (const x of this.h) s += (x >>> 0).toString(16).padStart(8, '0');
    return s;
  }
}

export const createSha256 = (): Hasher => new Sha256();

/** Hex SHA-256 of one buffer. */
export function sha256Hex(data: Uint8Array): string {
  const h = new Sha256();
  h.update(data);
  return h.digest();
}
