/**
 * The incremental SHA-256 (WebAssembly block compression for runs ≥ 1 KiB, TypeScript otherwise) against
 * node:crypto on lengths around the padding and block boundaries and around the 64 KiB copy chunk of the
 * WebAssembly path, fed whole and in uneven pieces that leave partial blocks buffered between updates.
 */
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { setWasmEnabled } from '../../../src/compute/wasm/enabled';
import { Sha256 } from '../../../src/merge/sha256';

const data = new Uint8Array(3 * 65536 + 200);
for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
const want = (n: number) => createHash('sha256').update(data.subarray(0, n)).digest('hex');
const LENGTHS = [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 1023, 1024, 1025, 1087, 65535, 65536, 65537, 65536 + 63, 2 * 65536 + 1, data.length];

afterAll(() => setWasmEnabled(true));

describe('SHA-256 around block boundaries', () => {
  for (const wasm of [true, false]) {
    it(`matches node:crypto whole and in uneven pieces (WebAssembly ${wasm ? 'on' : 'off'})`, () => {
      setWasmEnabled(wasm);
      for (const n of LENGTHS) {
        const whole = new Sha256();
        whole.update(data.subarray(0, n));
        expect(whole.digest(), `${n} bytes whole`).toBe(want(n));
        for (const piece of [1, 7, 63, 65, 1030, 70000]) {
          const h = new Sha256();
          for (let p = 0; p < n; p += piece) h.update(data.subarray(p, Math.min(n, p + piece)));
          expect(h.digest(), `${n} bytes in pieces of ${piece}`).toBe(want(n));
        }
      }
    });
  }
});
