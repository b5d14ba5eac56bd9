/**
 * When the lora kernel's WebAssembly memory cannot grow to hold the factors (an engine's memory limit or an
 * allocation failure: RangeError from Memory.grow), the op must still give the reference's bits through
 * the JavaScript loops, as it does for factors past its 1 GiB cap, rather than fail.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CpuEngine } from '../../../src/compute/cpu-engine';
import type { LoraSpec } from '../../../src/compute/engine';
import { refLora } from '../../../src/compute/kernels/common/run.ref';
import { firstDiff, randomChunk, seeded } from './chunks';

const realGrow = WebAssembly.Memory.prototype.grow;
afterAll(() => {
  WebAssembly.Memory.prototype.grow = realGrow;
});

describe('lora op when WebAssembly memory cannot grow', () => {
  it('falls back to the JavaScript loops with the reference bits', async () => {
    WebAssembly.Memory.prototype.grow = function () {
      throw new RangeError('WebAssembly.Memory.grow(): Maximum memory size exceeded');
    };
    const rnd = seeded(7);
    const rows = 40, cols = 300, r = 16, n = rows * cols;
    const x = [randomChunk(rnd, 'F32', n), randomChunk(rnd, 'F32', r * cols), randomChunk(rnd, 'F32', rows * r)];
    const spec: LoraSpec = {
      outDtype: 'F32', base: 0, terms: [], scale: 1, dense: 1, rows, cols, first: 0,
      factors: [{ a: 1, b: 2, rank: r, w: 2, transpose: false }],
    };
    const got = await new CpuEngine().lora(x, spec);
    expect(firstDiff(got, refLora(x, spec))).toBeNull();
  });
});
