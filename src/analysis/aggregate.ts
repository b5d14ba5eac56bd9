import { compareModules, COMPONENTS, groupLabel, type Component } from '../model/layer-key';
import type { Acc, Part } from './gram';
import { addInto, emptyAcc } from './gram';
import type { StatsPlan } from './plan';
import type { TensorStats } from './run-stats';

/**
 * Tensors into heatmap grids: per group (component, tower) a blocks × modules matrix of cells and a
 * per-layer accumulator. Cells and layers hold summed accumulators, so their norms and cosines come
 * from sums of squares and dots. A component's value is the sum over its layers, each at its own α.
 */
export interface AlphaSpec {
  global: number;
  /** Per-layer overrides keyed by layerId(group, block). */
  perLayer: Record<string, number>;
}

export function layerId(group: string, block: number | null): string {
  return `${group}/${block === null ? '-' : block}`;
}

export function alphaFor(a: AlphaSpec, group: string, block: number | null): number {
  return a.perLayer[layerId(group, block)] ?? a.global;
}

export interface Cell {
  block: number | null;
  module: string;
  /** Indices into the tensor list. */
  tensors: number[];
  acc: Acc;
}

export interface GroupGrid {
  group: string;
  label: string;
  /** Row order: the non-block row (null) first when present, then blocks ascending. */
  blocks: (number | null)[];
  modules: string[];
  /** Keyed by cellKey(block, module). */
  cells: Map<string, Cell>;
  /** Keyed by block (null for the non-block row). */
  layers: Map<number | null, Acc>;
  numel: number;
  tensorCount: number;
}

export const cellKey = (block: number | null, module: string) => `${block === null ? '-' : block}|${module}`;

export function buildGrids(plan: StatsPlan, tensors: readonly TensorStats[]): GroupGrid[] {
  return appendToGrids(plan, [], tensors, 0);
}

function cloneAcc(a: Acc): Acc {
  return { vectors: a.vectors.map((v) => ({ ...v })), pairs: a.pairs.map((p) => ({ ...p })) };
}

const groupRank = (group: string) => COMPONENTS.indexOf(group.split(':')[0] as Component);

/**
 * Adds `added` (tensor indices start at `firstIndex`) to `grids` and returns the new list. Grids,
 * cells and layer accumulators are treated as immutable snapshots: only the groups, cells and layers
 * the batch touches are copied, every other object keeps its identity, so views memoised on a grid
 * redo nothing for components this batch did not reach. Cost: O(added tensors + cells of the touched
 * groups), not O(all tensors) — what keeps a streaming update cheap on the main thread.
 */
export function appendToGrids(plan: StatsPlan, grids: readonly GroupGrid[], added: readonly TensorStats[], firstIndex: number): GroupGrid[] {
  const byGroup = new Map(grids.map((g) => [g.group, g]));
  const touched = new Map<string, { g: GroupGrid; cells: Set<string>; layers: Set<number | null>; shape: boolean }>();
  // A stacked tensor (all layers on axis 0) counts once per layer, in that layer's row.
  const pieces = added.flatMap((t, j) => (t.layers
    ? t.layers.map((acc, l) => ({ t, j, block: l as number | null, acc, numel: t.numel / t.layers!.length, last: l === t.layers!.length - 1 }))
    : [{ t, j, block: t.key.block, acc: t.acc, numel: t.numel, last: true }]));
  pieces.forEach(({ t, j, block, acc, numel, last }) => {
    let w = touched.get(t.group);
    if (!w) {
      const old = byGroup.get(t.group);
      const g: GroupGrid = old
        ? { ...old, cells: new Map(old.cells), layers: new Map(old.layers) }
        : { group: t.group, label: groupLabel(t.group), blocks: [], modules: [], cells: new Map(), layers: new Map(), numel: 0, tensorCount: 0 };
      w = { g, cells: new Set(), layers: new Set(), shape: !old };
      touched.set(t.group, w);
      byGroup.set(t.group, g);
    }
    const { g } = w;
    const { module } = t.key;
    const k = cellKey(block, module);
    let c = g.cells.get(k);
    if (!c || !w.cells.has(k)) {
      // First touch of this cell in the batch: copy it (or make it) so the old snapshot stays intact.
      c = c ? { ...c, tensors: [...c.tensors], acc: cloneAcc(c.acc) } : { block, module, tensors: [], acc: emptyAcc(plan) };
      if (!g.cells.has(k)) w.shape = true;
      g.cells.set(k, c);
      w.cells.add(k);
    }
    c.tensors.push(firstIndex + j);
    addInto(c.acc, acc);
    let l = g.layers.get(block);
    if (!l || !w.layers.has(block)) {
      l = l ? cloneAcc(l) : emptyAcc(plan);
      g.layers.set(block, l);
      w.layers.add(block);
    }
    addInto(l, acc);
    g.numel += numel;
    if (last) g.tensorCount += 1;
  });
  for (const { g, shape } of touched.values()) {
    if (!shape) continue;
    g.blocks = [...g.layers.keys()].sort((a, b) => (a === null ? -1 : b === null ? 1 : a - b));
    g.modules = [...new Set([...g.cells.values()].map((c) => c.module))].sort(compareModules);
  }
  return [...byGroup.values()].sort((a, b) => groupRank(a.group) - groupRank(b.group) || (a.group < b.group ? -1 : 1));
}

/** What a tensor adds to a cell of layer `block`: a stacked tensor's slice of that layer, else all of it. */
export function tensorInLayer(t: TensorStats, block: number | null): { acc: Acc; shape: number[]; slice: string } {
  if (!t.layers || block === null || !t.layers[block]) return { acc: t.acc, shape: t.shape, slice: '' };
  return { acc: t.layers[block], shape: t.shape.slice(1), slice: `layer ${block} of ${t.layers.length}` };
}

/** A grid's layers as parts, each with its α. */
export function groupParts(g: GroupGrid, alpha: AlphaSpec): Part[] {
  return g.blocks.map((b) => ({ acc: g.layers.get(b)!, alpha: alphaFor(alpha, g.group, b) }));
}

/** The whole model as parts (every layer of every group). */
export function modelParts(grids: readonly GroupGrid[], alpha: AlphaSpec): Part[] {
  return grids.flatMap((g) => groupParts(g, alpha));
}

/** Mean α over the non-block-less layers of a group, for charts; the global α when none override. */
export function layerParts(g: GroupGrid, block: number | null, alpha: AlphaSpec): Part[] {
  const acc = g.layers.get(block);
  return acc ? [{ acc, alpha: alphaFor(alpha, g.group, block) }] : [];
}
