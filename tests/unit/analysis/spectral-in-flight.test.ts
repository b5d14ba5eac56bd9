/**
 * runSpectral with several jobs in flight (as on the CLI's worker threads): rows come back in task order
 * with the numbers of the one-at-a-time pass, and the float64 bytes held by jobs in flight stay within
 * maxInFlightBytes (one job of any size always runs).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { capvectorPlan } from '../../../src/analysis/plan';
import { planStatsTasks } from '../../../src/analysis/run-stats';
import { runSpectral, type TensorSpectral } from '../../../src/analysis/run-spectral';
import { computeSpectralJob, type SpectralJob } from '../../../src/analysis/spectral-job';
import { openPaths } from '../../../src/node/paths';

const DIR = join(__dirname, '../../fixtures/lora');

describe('runSpectral, jobs in flight', () => {
  it('keeps task order and numbers, and holds at most maxInFlightBytes (or one job) at once', async () => {
    const [aux, sft] = await openPaths([join(DIR, 'aux.safetensors'), join(DIR, 'sft.safetensors')]);
    const plan = capvectorPlan({ down: false });
    const { tasks } = planStatsTasks(plan, { pre: sft, aux, sft });
    const common = { plan, tasks, alpha: () => 0.8, k: 4 };
    const alone: TensorSpectral[] = [];
    await runSpectral({ ...common, onTensor: (t) => alone.push(t) });

    const cap = 80_000;
    let held = 0, most = 0, largest = 0;
    const compute = (j: SpectralJob) => {
      const bytes = j.gamma.byteLength;
      held += bytes;
      most = Math.max(most, held);
      largest = Math.max(largest, bytes);
      // Finishes later, as a worker thread would.
      return new Promise<ReturnType<typeof computeSpectralJob>>((resolve) => setTimeout(() => {
        held -= bytes;
        resolve(computeSpectralJob(j));
      }, 5));
    };
    const rows: TensorSpectral[] = [];
    await runSpectral({ ...common, compute, concurrency: 3, maxInFlightBytes: cap, onTensor: (t) => rows.push(t) });
    expect(rows).toEqual(alone);
    expect(largest).toBeLessThan(cap);
    expect(most).toBeLessThanOrEqual(cap);
    expect(most).toBeGreaterThan(largest); // several jobs were in flight together

    held = most = 0;
    const small: TensorSpectral[] = [];
    await runSpectral({ ...common, compute, concurrency: 3, maxInFlightBytes: 1, onTensor: (t) => small.push(t) });
    expect(small).toEqual(alone);
    expect(most).toBe(largest); // one job at a time, however large
  });
});
