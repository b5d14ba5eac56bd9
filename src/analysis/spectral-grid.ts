import type { GroupGrid } from './aggregate';
import { cellKey } from './aggregate';
import { blockLabel, type GridValues } from './heatmap-grid';
import type { TensorSpectral } from './run-spectral';
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

export interface SpectralMetricDef {
  id: SpectralMetricId;
  label(q: EnergyQ): string;
  /** What the spectral pass must have computed for the metric to apply. */
  needs: 'gamma' | 'down' | 'tau';
}

export const SPECTRAL_METRICS: SpectralMetricDef[] = [
  { id: 'stableRank', label: () => 'stable rank of γ (‖γ‖²_F / σ₁²)', needs: 'gamma' },
  { id: 'energyRank', label: (q) => `energy rank of γ at q = ${q}`, needs: 'gamma' },
  { id: 'overlapGammaDelta', label: () => 'subspace overlap γ–Δ', needs: 'down' },
  { id: 'overlapTauAuxTauSft', label: () => 'subspace overlap τ_aux–τ_sft', needs: 'tau' },
];

/** The energy rank at q of a spectrum's summary; null beyond the computed spectrum. */
export function energyRankAt(s: TensorSpectral, q: EnergyQ): number | null {
  const g = s.gamma;
  return q === 0.9 ? g.energyRank90 : q === 0.95 ? g.energyRank95 : g.energyRank99;
}

/** One matrix's value: a number, null for "> k", NaN where the pass did not compute it. */
export function spectralValue(s: TensorSpectral, id: SpectralMetricId, q: EnergyQ): number | null {
  switch (id) {
    case 'stableRank': return s.gamma.stableRank ?? NaN;
    case 'energyRank': return energyRankAt(s, q);
    case 'overlapGammaDelta': return s.overlapGammaDelta ?? NaN;
    case 'overlapTauAuxTauSft': return s.overlapTauAuxTauSft ?? NaN;
  }
}

export interface SpectralGridValues extends GridValues {
  /** 1 where the cell's energy rank is beyond the computed spectrum ("> k"). */
  beyond: Uint8Array;
}

/**
 * A cell holding one matrix shows its value; several matrices (a stacked tensor's layers, a module with
 * two weights) show their mean, and an energy rank shows the largest (any "> k" makes the cell "> k"). Cells without a
 * matrix with a spectrum (norms, biases, not reached yet) are absent.
 */
export function spectralGridValues(
  g: GroupGrid, tensors: readonly TensorStats[], spectra: ReadonlyMap<string, readonly TensorSpectral[]>, id: SpectralMetricId, q: EnergyQ,
): SpectralGridValues {
  const rows = g.blocks.length;
  const cols = g.modules.length;
  const values = new Float64Array(rows * cols).fill(NaN);
  const present = new Uint8Array(rows * cols);
  const beyond = new Uint8Array(rows * cols);
  const cells: GridValues['cells'] = new Array(rows * cols).fill(null);
  g.blocks.forEach((b, r) => {
    g.modules.forEach((m, c) => {
      const cell = g.cells.get(cellKey(b, m));
      if (!cell) return;
      const vs = cell.tensors.flatMap((i) => spectra.get(tensors[i].name) ?? []).map((s) => spectralValue(s, id, q));
      if (vs.length === 0) return;
      const k = r * cols + c;
      present[k] = 1;
      cells[k] = cell;
      if (vs.some((v) => v === null)) beyond[k] = 1;
      else if (id === 'energyRank') values[k] = Math.max(...(vs as number[]));
      else values[k] = (vs as number[]).reduce((a, v) => a + v, 0) / vs.length;
    });
  });
  return { rowLabels: g.blocks.map(blockLabel), colLabels: g.modules, values, present, cells, beyond };
}

/**
 * Every matrix's spectral numbers, in tensor order, for CSV/JSON: the same fields as
 * `capvector stats --by tensor --spectral --json` (energy ranks beyond k as ">k"), the leading singular
 * values space-separated in `sigma`, full precision throughout.
 */
export function spectralTable(tensors: readonly TensorStats[], spectra: ReadonlyMap<string, readonly TensorSpectral[]>, k: number): Table {
  const all = [...spectra.values()].flat();
  const down = all.some((s) => s.overlapGammaDelta !== undefined);
  const tau = all.some((s) => s.overlapTauAuxTauSft !== undefined);
  // A `layer` column only where some tensor is stacked: otherwise the columns are the CLI's.
  const stacked = all.some((s) => s.layer !== undefined);
  const rank = (r: number | null) => (r === null ? `>${k}` : r);
  const rows: Table['rows'] = [];
  for (const t of tensors) for (const s of spectra.get(t.name) ?? []) {
    const g = s.gamma;
    rows.push([
      t.name, ...(stacked ? [s.layer ?? null] : []), t.group, t.key.block, t.key.module, s.matrix[0], s.matrix[1], g.sigma1, g.stableRank,
      rank(g.energyRank90), rank(g.energyRank95), rank(g.energyRank99),
      ...(down ? [s.overlapGammaDelta ?? null] : []), ...(tau ? [s.overlapTauAuxTauSft ?? null] : []),
      g.sigma.join(' '),
    ]);
  }
  return {
    columns: ['name', ...(stacked ? ['layer'] : []), 'component', 'block', 'module', 'rows', 'cols', 'sigma1', 'stableRank', 'energyRank90', 'energyRank95', 'energyRank99',
      ...(down ? ['overlapGammaDelta'] : []), ...(tau ? ['overlapTauAuxTauSft'] : []), 'sigma'],
    rows,
  };
}

/** E(r) = Σ_{i≤r} σᵢ² / ‖γ‖²_F for r = 1 … len(σ): the cumulative energy of the spectrum plot. */
export function cumulativeEnergy(sigma: readonly number[], frobeniusSq: number): number[] {
  let s = 0;
  return sigma.map((x) => (s += x * x) / (frobeniusSq > 0 ? frobeniusSq : 1));
}
