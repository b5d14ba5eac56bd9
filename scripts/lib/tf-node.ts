/**
 * tfjs for the Node scripts: the WebAssembly backend (its .wasm files ship inside the npm package, no
 * download) with two threads — several times faster than the CPU backend on this policy — or the CPU
 * backend when asked (`--backend cpu`), e.g. to compare.
 */
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

export async function useBackend(name: 'wasm' | 'cpu' = 'wasm', threads = 2): Promise<string> {
  if (name === 'wasm') setThreadsCount(threads);
  if (!(await tf.setBackend(name))) throw new Error(`tfjs backend ${name} did not start`);
  await tf.ready();
  return name === 'wasm' ? `tfjs wasm (${threads} threads)` : 'tfjs cpu';
}
