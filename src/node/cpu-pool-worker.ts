/**
 * One worker of the CPU pool: runs the CpuEngine of src/compute on chunks posted by cpu-pool.ts.
 * Byte outputs go back transferred (no copy); stats come back as a small structured-cloned object.
 * Loaded through cpu-pool-worker.mjs (TypeScript via tsx) or as the CLI bundle's sibling file.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CpuEngine } from '../compute/cpu-engine';
import type { OpName } from '../compute/ops';

const port = parentPort!;
const engine = new CpuEngine({ maxChunkElements: (workerData as { maxChunkElements: number }).maxChunkElements });
port.on('message', async ({ id, op, inputs, spec }: { id: number; op: OpName; inputs: never; spec: never }) => {
  try {
    const out = await engine.run(op, inputs, spec);
    if (!(out instanceof Uint8Array)) {
      port.postMessage({ id, out });
      return;
    }
    const bytes = out;
    const buf = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
    port.postMessage({ id, out: buf }, [buf.buffer as ArrayBuffer]);
  } catch (e) {
    port.postMessage({ id, error: e instanceof Error ? e.message : String(e) });
  }
});
port.postMessage({ ready: true });
