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
  const grids = new Map<string, GroupGrid>();
  tensors.forEach((t, i) => {
    let g = grids.get(t.group);
    if (!g) {
      g = { group: t.group, label: groupLabel(t.group), blocks: [], modules: [], cells: new Map(), layers: new Map(), numel: 0, tensorCount: 0 };
      grids.set(t.group, g);
    }
    const { block, module } = t.key;
    const k = cellKey(block, module);
    let c = g.cells.get(k);
    if (!c) {
      c = { block, module, tensors: [], acc: emptyAcc(plan) };
      g.cells.set(k, c);
    }
    c.tensors.push(i);
    addInto(c.acc, t.acc);
    let l = g.layers.get(block);
    if (!l) {
      l = emptyAcc(plan);
      g.layers.set(block, l);
    }
    addInto(l, t.acc);
    g.numel += t.numel;
    g.tensorCount += 1;
  });
  for (const g of grids.values()) {
    g.blocks = [...g.layers.keys()].sort((a, b) => (a === null ? -1 : b === null ? 1 : a - b));
    g.modules = [...new Set([...g.cells.values()].map((c) => c.module))].sort(compareModules);
  }
  const rank = (group: string) => COMPONENTS.indexOf(group.split(':')[0] as Component);
  return [...grids.values()].sort((a, b) => rank(a.group) - rank(b.group) || (a.group < b.group ? -1 : 1));
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
