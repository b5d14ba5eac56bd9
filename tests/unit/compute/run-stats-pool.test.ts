/**
 * The statistics pass with several chunks in flight (a CPU pool engine, small chunks across many
 * tensors) gives exactly the numbers, tensor order and progress of the one-chunk-at-a-time pass.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CpuEngine } from '../../../src/compute/cpu-engine';
import { cpuPool } from '../../../src/node/cpu-pool';
import { openPath } from '../../../src/node/paths';
import { closeAll } from '../../../src/node/file-source';
import { capvectorPlan } from '../../../src/analysis/plan';
import { planStatsTasks, runStats, StatsCancelled, type TensorStats } from '../../../src/analysis/run-stats';
import type { Engine } from '../../../src/compute/engine';
import type { Checkpoint } from '../../../src/formats/checkpoint';

const DEMO = join(import.meta.dirname, '../../../public/demo');

describe('runStats with chunks in flight', () => {
  it('equals the sequential pass bit for bit, in tensor order; cancel still stops it', async () => {
    const plan = capvectorPlan({ down: true });
    const byRole: Record<string, Checkpoint> = {};
    for (const r of plan.roles) byRole[r] = await openPath(join(DEMO, r === 'aux' ? 'aux' : `${r}.safetensors`));
    const { tasks } = planStatsTasks(plan, byRole);
    const pass = async (engine: Engine, concurrency?: number) => {
      const out: TensorStats[] = [];
      const done: number[] = [];
      await runStats({ plan, tasks, engine, chunkElements: 3000, concurrency, onTensor: (t) => out.push(t), onProgress: (p) => done.push(p.tensorsDone) });
      return { out, done };
    };
    const cpu = new CpuEngine();
    const pool = await cpuPool(2, 1 << 16);
    try {
      const a = await pass(cpu);
      const b = await pass(pool); // default: workers + 1 chunks in flight
      const c = await pass(cpu, 4);
      expect(a.out.length).toBe(tasks.length);
      expect(JSON.stringify(b.out)).toBe(JSON.stringify(a.out));
      expect(JSON.stringify(c.out)).toBe(JSON.stringify(a.out));
      expect(b.done).toEqual(a.done);
      const ctrl = new AbortController();
      let seen = 0;
      await expect(runStats({
        plan, tasks, engine: pool, chunkElements: 3000, signal: ctrl.signal,
        onTensor: () => {
          if (++seen === 3) ctrl.abort();
        },
      })).rejects.toBeInstanceOf(StatsCancelled);
      expect(seen).toBe(3);
    } finally {
      pool.dispose();
      await closeAll();
    }
  });
});
