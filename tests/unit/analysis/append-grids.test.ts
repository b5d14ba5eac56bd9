import { describe, expect, it } from 'vitest';
import { appendToGrids, buildGrids, cellKey, type GroupGrid } from '../../../src/analysis/aggregate';
import { emptyAcc } from '../../../src/analysis/gram';
import { capvectorPlan } from '../../../src/analysis/plan';
import type { TensorStats } from '../../../src/analysis/run-stats';
import { groupOf, parseLayerKey } from '../../../src/model/layer-key';
import { openvla7bLayout } from '../../../scripts/openvla7b-shaped';

// Streaming aggregation: batches added one after another must give exactly the grids of one pass,
// while copying only what a batch touches (views memoise on identity) and never mutating a snapshot.
const plan = capvectorPlan({ down: true });

function tensors(): TensorStats[] {
  let s = 7;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  return openvla7bLayout(64).map(({ name, shape }) => {
    const acc = emptyAcc(plan);
    acc.vectors.forEach((v) => {
      v.count = 10;
      v.sum = rnd() - 0.5;
      v.sumSq = rnd();
      v.min = -rnd();
      v.max = rnd();
    });
    acc.pairs.forEach((p) => {
      p.dot = rnd() - 0.5;
      p.signAgree = 3;
      p.bothNonzero = 9;
    });
    const key = parseLayerKey(name);
    return { name, key, group: groupOf(key), shape, numel: 10, dtypes: ['BF16', 'BF16', 'BF16', 'BF16'], acc };
  });
}

const plain = (gs: GroupGrid[]) => JSON.parse(JSON.stringify(gs, (_k, v) => (v instanceof Map ? [...v.entries()] : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : v)));

describe('appendToGrids', () => {
  const all = tensors();

  it('batches in any sizes equal one pass (the 982 tensors of the OpenVLA-7B layout)', () => {
    expect(all).toHaveLength(982);
    const once = buildGrids(plan, all);
    for (const size of [1, 7, 150]) {
      let gs: GroupGrid[] = [];
      for (let i = 0; i < all.length; i += size) gs = appendToGrids(plan, gs, all.slice(i, i + size), i);
      // Sums are added in the same order either way, so they agree bit for bit.
      expect(plain(gs)).toEqual(plain(once));
    }
    expect(once.map((g) => [g.group, g.tensorCount])).toEqual([['vision', 343], ['vision:fused', 342], ['projector', 6], ['language', 289], ['embeddings', 2]]);
    const lang = once.find((g) => g.group === 'language')!;
    expect(lang.blocks.filter((b) => b !== null)).toHaveLength(32);
    expect(lang.cells.get(cellKey(31, 'q'))!.tensors).toEqual([all.findIndex((t) => t.name === 'language_model.model.layers.31.self_attn.q_proj.weight')]);
  });

  it('copies only the touched groups, cells and layers; old snapshots stay as they were', () => {
    const split = all.findIndex((t) => t.group === 'language');
    const before = buildGrids(plan, all.slice(0, split + 20));
    const frozen = plain(before);
    const batch = all.slice(split + 20, split + 25);
    const after = appendToGrids(plan, before, batch, split + 20);
    expect(plain(before)).toEqual(frozen);
    for (const g of after) {
      const old = before.find((b) => b.group === g.group)!;
      if (g.group === 'language') {
        expect(g).not.toBe(old);
        for (const [k, c] of g.cells) {
          const touched = batch.some((t) => cellKey(t.key.block, t.key.module) === k);
          if (touched) expect(c).not.toBe(old.cells.get(k));
          else expect(c).toBe(old.cells.get(k));
        }
      } else {
        expect(g).toBe(old);
      }
    }
  });
});
