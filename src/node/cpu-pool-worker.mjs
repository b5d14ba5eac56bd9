// One worker of the CPU pool: runs H3's CpuEngine on chunks posted by cpu-pool.ts (TypeScript via tsx).
// Byte outputs go back transferred (no copy); stats come back as a small structured-cloned object.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';
register();
const { CpuEngine } = await import('../compute/cpu-engine.ts');
const engine = new CpuEngine({ maxChunkElements: workerData.maxChunkElements });
parentPort.on('message', async ({ id, op, inputs, spec }) => {
  try {
    const out = await engine[op](inputs, spec);
    if (op === 'stats') {
      parentPort.postMessage({ id, out });
      return;
    }
    const buf = out.byteOffset === 0 && out.byteLength === out.buffer.byteLength ? out : out.slice();
    parentPort.postMessage({ id, out: buf }, [buf.buffer]);
  } catch (e) {
    parentPort.postMessage({ id, error: e instanceof Error ? e.message : String(e) });
  }
});
parentPort.postMessage({ ready: true });
