import type { Cell, GroupGrid } from './aggregate';
import { cellKey } from './aggregate';
import { blockLabel, type GridValues } from './heatmap-grid';
import type { TensorSpectral } from './run-spectral';
import type { SpectralSummary } from './spectral';
import type { TensorStats } from './run-stats';
import type { Table } from './tables';

/**
 * The low-rank view on the heatmap grid (blocks × modules, the same grids as the norm heatmaps): one
 * value per cell from the spectra of the cell's matrices. Energy ranks beyond the computed spectrum
 * ("> k") are marked in `beyond` so the canvas draws them apart from small ranks and from gaps.
 */
export type SpectralMetricId = 'stableRank' | 'energyRank' | 'overlapGammaDelta' | 'overlapTauAuxTauSft';
export const ENERGY_QS = [0.9, 0.95, 0.99] as const;
export type EnergyQ = (typeof ENERGY_QS)[number];

/** Whose spectrum the rank heatmaps and the spectrum plot show: γ, Δ = θ_down − θ_meta, τ_aux or τ_sft. */
export type SpectralVectorId = 'gamma' | 'delta' | 'tauAux' | 'tauSft';
export const SPECTRAL_VECTORS: { id: SpectralVectorId; label: string; needs: 'gamma' | 'down' | 'tau' }[] = [
  { id: 'gamma', label: 'γ', needs: 'gamma' },
  { id: 'delta', label: 'Δ', needs: 'down' },
  { id: 'tauAux', label: 'τ_aux', needs: 'tau' },
  { id: 'tauSft', label: 'τ_sft', needs: 'tau' },
];
const VECTOR_LABEL = Object.fromEntries(SPECTRAL_VECTORS.map((v) => [v.id, v.label])) as Record<SpectralVectorId, string>;

export interface SpectralMetricDef {
  id: SpectralMetricId;
  label(q: EnergyQ, v: SpectralVectorId): string;
  /** What the spectral pass must have computed for the metric to apply ('gamma': the chosen vector's spectrum). */
  needs: 'gamma' | 'down' | 'tau';
}

export const SPECTRAL_METRICS: SpectralMetricDef[] = [
  { id: 'stableRank', label: (_q, v) => `stable rank of ${VECTOR_LABEL[v]} (‖${VECTOR_LABEL[v]}‖²_F / σ₁²)`, needs: 'gamma' },
  { id: 'energyRank', label: (q, v) => `energy rank of ${VECTOR_LABEL[v]} at q = ${q}`, needs: 'gamma' },
  { id: 'overlapGammaDelta', label: () => 'subspace overlap γ–Δ', needs: 'down' },
  { id: 'overlapTauAuxTauSft', label: () => 'subspace overlap τ_aux–τ_sft', needs: 'tau' },
];

/** What the pass computed: Δ's spectrum and the γ–Δ overlap need θ_down, τ's the τ option. */
export function spectralAvailable(s: TensorSpectral | undefined, needs: 'gamma' | 'down' | 'tau'): boolean {
  return needs === 'gamma' ? !!s : needs === 'down' ? s?.overlapGammaDelta !== undefined : s?.overlapTauAuxTauSft !== undefined;
}

/** The spectrum of `v` of a matrix (undefined when the pass did not compute it). */
export function summaryOf(s: TensorSpectral, v: SpectralVectorId): SpectralSummary | undefined {
  return v === 'gamma' ? s.gamma : s[v];
}

/** The energy rank at q of a spectrum's summary; null beyond the computed spectrum. */
export function energyRankAt(g: SpectralSummary, q: EnergyQ): number | null {
  return q === 0.9 ? g.energyRank90 : q === 0.95 ? g.energyRank95 : g.energyRank99;
}

/** One matrix's value: a number, null for "> k", NaN where the pass did not compute it. */
export function spectralValue(s: TensorSpectral, id: SpectralMetricId, q: EnergyQ, v: SpectralVectorId = 'gamma'): number | null {
  const sum = summaryOf(s, v);
  switch (id) {
    case 'stableRank': return sum?.stableRank ?? NaN;
    case 'energyRank': return sum ? energyRankAt(sum, q) : NaN;
    case 'overlapGammaDelta': return s.overlapGammaDelta ?? NaN;
    case 'overlapTauAuxTauSft': return s.overlapTauAuxTauSft ?? NaN;
  }
}

export interface SpectralGridValues extends GridValues {
  /** The rows: the grid's blocks plus the layers of stacked tensors that carry no block of their own. */
  blocks: (number | null)[];
  /** 1 where the cell's energy rank is beyond the computed spectrum ("> k"). */
  beyond: Uint8Array;
}

/**
 * A stacked tensor [L, out, in] whose name has no block (layers stacked on axis 0) shows each layer's
 * matrix in that layer's row; everything else stays in its own cell.
 */
// A scanned stack whose statistics are split per layer (TensorStats.layers) already sits in each layer's cell: only that layer's spectrum is its.
const ownRow = (block: number | null, s: TensorSpectral, t?: TensorStats): number | null =>
  (s.layer !== undefined && (block === null || t?.layers) ? s.layer : block);

/** The rows of the low-rank grid: blocks ascending after the non-block row, as the grid orders them. */
export function spectralRows(g: GroupGrid, tensors: readonly TensorStats[], spectra: ReadonlyMap<string, readonly TensorSpectral[]>): (number | null)[] {
  const rows = new Set(g.blocks);
  const before = rows.size;
  for (const cell of g.cells.values()) {
    if (cell.block !== null) continue;
    for (const i of cell.tensors) for (const s of spectra.get(tensors[i].name) ?? []) rows.add(ownRow(null, s));
  }
  if (rows.size === before) return g.blocks;
  return [...rows].sort((a, b) => (a === null ? -1 : b === null ? 1 : a - b));
}

/** The spectra shown in the cell (block, module) of the low-rank grid, with the stats cell they come from. */
export function spectraAt(
  g: GroupGrid, tensors: readonly TensorStats[], spectra: ReadonlyMap<string, readonly TensorSpectral[]>, block: number | null, module: string,
): { spectra: TensorSpectral[]; cell: Cell | null } {
  const out: TensorSpectral[] = [];
  let from: Cell | null = null;
  for (const b of block === null ? [null] : [block, null]) {
    const cell = g.cells.get(cellKey(b, module));
    if (!cell) continue;
    for (const i of cell.tensors) {
      for (const s of spectra.get(tensors[i].name) ?? []) {
        if (ownRow(b, s, tensors[i]) !== block) continue;
        out.push(s);
        from ??= cell;
      }
    }
  }
  return { spectra: out, cell: from };
}

/**
 * A cell holding one matrix shows its value; several matrices (a module with two weights, the experts of
 * a layer) show their mean, and an energy rank shows the largest (any "> k" makes the cell "> k"). Cells
 * without a matrix with a spectrum (norms, biases, not reached yet) are absent.
 */
export function spectralGridValues(
  g: GroupGrid, tensors: readonly TensorStats[], spectra: ReadonlyMap<string, readonly TensorSpectral[]>, id: SpectralMetricId, q: EnergyQ,
  v: SpectralVectorId = 'gamma',
): SpectralGridValues {
  const blocks = spectralRows(g, tensors, spectra);
  const rows = blocks.length;
  const cols = g.modules.length;
  const values = new Float64Array(rows * cols).fill(NaN);
  const present = new Uint8Array(rows * cols);
  const beyond = new Uint8Array(rows * cols);
  const cells: GridValues['cells'] = new Array(rows * cols).fill(null);
  blocks.forEach((b, r) => {
    g.modules.forEach((m, c) => {
      const at = spectraAt(g, tensors, spectra, b, m);
      const vs = at.spectra.map((s) => spectralValue(s, id, q, v));
      if (vs.length === 0) return;
      const k = r * cols + c;
      present[k] = 1;
      cells[k] = at.cell;
      if (vs.some((x) => x === null)) beyond[k] = 1;
      else if (id === 'energyRank') values[k] = Math.max(...(vs as number[]));
      else values[k] = (vs as number[]).reduce((a, x) => a + x, 0) / vs.length;
    });
  });
  return { blocks, rowLabels: blocks.map(blockLabel), colLabels: g.modules, values, present, cells, beyond };
}

/**
 * Every matrix's spectral numbers, in tensor order, for CSV/JSON: the same fields as
 * `capvector stats --by tensor --spectral --json` (energy ranks beyond k as ">k"), the leading singular
 * values space-separated in `sigma`, full precision throughout; then Δ's and τ's spectra where computed
 * (`deltaSigma1`, `deltaStableRank`, `deltaEnergyRank90` … `deltaSigma`, the same for tauAux and tauSft).
 */
export function spectralTable(tensors: readonly TensorStats[], spectra: ReadonlyMap<string, readonly TensorSpectral[]>, k: number): Table {
  const all = [...spectra.values()].flat();
  const down = all.some((s) => s.overlapGammaDelta !== undefined);
  const tau = all.some((s) => s.overlapTauAuxTauSft !== undefined);
  // A `layer` column only where some tensor is stacked: otherwise the columns are the CLI's.
  const stacked = all.some((s) => s.layer !== undefined);
  const rank = (r: number | null) => (r === null ? `>${k}` : r);
  const others = (['delta', 'tauAux', 'tauSft'] as const).filter((v) => all.some((s) => s[v]));
  const fields = (g: SpectralSummary | undefined) =>
    (g ? [g.sigma1, g.stableRank, rank(g.energyRank90), rank(g.energyRank95), rank(g.energyRank99), g.sigma.join(' ')] : [null, null, null, null, null, null]);
  const rows: Table['rows'] = [];
  for (const t of tensors) for (const s of spectra.get(t.name) ?? []) {
    const g = s.gamma;
    rows.push([
      t.name, ...(stacked ? [s.layer ?? null] : []), t.group, t.key.block, t.key.module, s.matrix[0], s.matrix[1], g.sigma1, g.stableRank,
      rank(g.energyRank90), rank(g.energyRank95), rank(g.energyRank99),
      ...(down ? [s.overlapGammaDelta ?? null] : []), ...(tau ? [s.overlapTauAuxTauSft ?? null] : []),
      g.sigma.join(' '),
      ...others.flatMap((v) => fields(s[v])),
    ]);
  }
  return {
    columns: ['name', ...(stacked ? ['layer'] : []), 'component', 'block', 'module', 'rows', 'cols', 'sigma1', 'stableRank', 'energyRank90', 'energyRank95', 'energyRank99',
      ...(down ? ['overlapGammaDelta'] : []), ...(tau ? ['overlapTauAuxTauSft'] : []), 'sigma',
      ...others.flatMap((v) => ['Sigma1', 'StableRank', 'EnergyRank90', 'EnergyRank95', 'EnergyRank99', 'Sigma'].map((f) => `${v}${f}`))],
    rows,
  };
}

/** E(r) = Σ_{i≤r} σᵢ² / ‖γ‖²_F for r = 1 … len(σ): the cumulative energy of the spectrum plot. */
export function cumulativeEnergy(sigma: readonly number[], frobeniusSq: number): number[] {
  let s = 0;
  return sigma.map((x) => (s += x * x) / (frobeniusSq > 0 ? frobeniusSq : 1));
}
