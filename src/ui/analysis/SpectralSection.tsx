import { memo, useMemo } from 'react';
import type { GroupGrid } from '../../analysis/aggregate';
import { SPECTRAL_SEED, type TensorSpectral } from '../../analysis/run-spectral';
import type { TensorStats } from '../../analysis/run-stats';
import {
  ENERGY_QS, SPECTRAL_METRICS, SPECTRAL_VECTORS, spectraAt, spectralAvailable, spectralGridValues, spectralTable, summaryOf,
  type EnergyQ, type SpectralMetricDef, type SpectralVectorId,
} from '../../analysis/spectral-grid';
import { useAnalysis, type ColorMapId, type SelectedCell } from '../../store/analysis';
import { formatBytes } from '../../text/bytes';
import { downloadCsv, downloadJson } from './export';
import { fmtSeconds } from './format';
import { HeatmapView } from './Heatmap';
import { SpectrumPlot } from './SpectrumPlot';

/**
 * The low-rank view beside the norm heatmaps: the spectral pass's progress, heatmaps of stable rank,
 * energy rank (q selectable, "> k" crossed) or subspace overlap on the same blocks × modules grids,
 * the spectrum of the selected cell's matrices, and the per-matrix numbers as CSV/JSON (the fields of
 * `capvector stats --by tensor --spectral --json`).
 */
export function SpectralSection({ grids, allGrids, tensors, cmap, selected, onSelect }: {
  grids: GroupGrid[]; allGrids: GroupGrid[]; tensors: TensorStats[]; cmap: ColorMapId; selected: SelectedCell | null; onSelect(c: SelectedCell): void;
}) {
  const spectra = useAnalysis((s) => s.spectra);
  const version = useAnalysis((s) => s.spectralVersion);
  const status = useAnalysis((s) => s.spectralStatus);
  const p = useAnalysis((s) => s.spectralProgress);
  const k = useAnalysis((s) => s.spectralRunK);
  const runAlpha = useAnalysis((s) => s.spectralRunAlpha);
  const running = useAnalysis((s) => s.status === 'running');
  const view = useAnalysis((s) => s.view);
  const setView = useAnalysis((s) => s.setView);
  const first = (spectra.values().next().value as TensorSpectral[] | undefined)?.[0];
  const available = SPECTRAL_METRICS.filter((m) => spectralAvailable(first, m.needs));
  const metric = available.find((m) => m.id === view.specMetric) ?? SPECTRAL_METRICS[0];
  const vectors = SPECTRAL_VECTORS.filter((v) => spectralAvailable(first, v.needs));
  const vector = vectors.find((v) => v.id === view.specVector) ?? SPECTRAL_VECTORS[0];
  const selGrid = selected ? allGrids.find((g) => g.group === selected.group) : undefined;
  // `version` stands for the Map's content (mutated in place as spectra stream in).
  const selSpectra = useMemo(() => (selGrid && selected ? spectraAt(selGrid, tensors, spectra, selected.block, selected.module).spectra : []),
    [selGrid, selected, spectra, tensors, version]);
  if (status === 'off') return null;

  const exportTable = (kind: 'csv' | 'json') => {
    const st = useAnalysis.getState();
    const t = spectralTable(st.tensors, st.spectra, st.spectralRunK);
    if (kind === 'csv') downloadCsv('capvector-spectra-by-tensor.csv', t);
    else downloadJson('capvector-spectra-by-tensor.json', t, { spectral: { k: st.spectralRunK, oversample: 10, powerIterations: 2, seed: SPECTRAL_SEED, vector: 'gamma' }, alpha: st.view.alpha, perLayerAlpha: st.view.perLayer });
  };

  return (
    <section aria-label="low-rank view" className="cv-card">
      <div className="cv-toolbar">
        <strong>Low-rank view</strong>
        <label className="cv-field">Spectral metric
          <select aria-label="Spectral metric" value={metric.id} onChange={(e) => setView({ specMetric: e.target.value as SpectralMetricDef['id'] })}>
            {available.map((m) => <option key={m.id} value={m.id}>{m.label(view.energyQ, vector.id)}</option>)}
          </select>
        </label>
        <label className="cv-field">Spectrum of
          <select aria-label="Spectrum of" value={vector.id} onChange={(e) => setView({ specVector: e.target.value as SpectralVectorId })}>
            {vectors.map((v) => <option key={v.id} value={v.id}>{v.label}</option>)}
          </select>
        </label>
        <label className="cv-field">Energy level q
          <select aria-label="Energy level q" value={view.energyQ} onChange={(e) => setView({ energyQ: Number(e.target.value) as EnergyQ })}>
            {ENERGY_QS.map((q) => <option key={q} value={q}>{q}</option>)}
          </select>
        </label>
        <span style={{ flex: 1 }} />
        <button type="button" className="cv-btn cv-btn-small" disabled={spectra.size === 0} onClick={() => exportTable('csv')}>Spectra CSV</button>
        <button type="button" className="cv-btn cv-btn-small" disabled={spectra.size === 0} onClick={() => exportTable('json')}>Spectra JSON</button>
      </div>
      {p && (
        <div>
          <progress className="cv-progress" max={p.bytesTotal || 1} value={p.bytesDone} aria-label="spectral progress" />
          <span className="cv-small cv-muted" role="status" aria-live="polite">
            {status === 'done' ? 'spectral pass complete: ' : running ? 'spectral pass: ' : 'spectral pass stopped: '}
            {`${p.tensorsDone} / ${p.tensorsTotal} matrices · ${formatBytes(p.bytesDone)} / ${formatBytes(p.bytesTotal)} · ETA ${status === 'running' && running ? fmtSeconds(p.eta) : '0 s'}`}
          </span>
        </div>
      )}
      {metric.id === 'overlapGammaDelta' && (
        <p className="cv-small cv-muted">
          Δ = θ_down − θ_meta at the α the run started with (α = {runAlpha.global}{Object.keys(runAlpha.perLayer).length ? ', with per-layer overrides' : ''}), as
          in <code>capvector stats --alpha</code>; a new α needs a new run.
        </p>
      )}
      {metric.id === 'energyRank' && <p className="cv-small cv-muted">Crossed cells: the energy rank lies beyond the computed spectrum (&gt; {k}).</p>}
      <div className="cv-heatmaps">
        {grids.map((g) => (
          <SpectralHeatmap key={g.group} grid={g} tensors={tensors} spectra={spectra} version={version} metric={metric} vector={vector.id} q={view.energyQ} k={k}
            cmap={cmap} selected={selected} onSelect={onSelect} />
        ))}
      </div>
      {selSpectra.map((s) => {
        const g = summaryOf(s, vector.id);
        return g && <SpectrumPlot key={`${s.name}#${s.layer ?? ''}`} s={s} g={g} vector={vector.label} q={view.energyQ} rank={view.rank} k={k} />;
      })}
      {selected && selGrid && selSpectra.length === 0 && <p className="cv-muted cv-small">No matrix with a spectrum in the selected cell.</p>}
    </section>
  );
}

const SpectralHeatmap = memo(function SpectralHeatmap({ grid, tensors, spectra, version, metric, vector, q, k, cmap, selected, onSelect }: {
  grid: GroupGrid; tensors: TensorStats[]; spectra: ReadonlyMap<string, readonly TensorSpectral[]>; version: number; metric: SpectralMetricDef;
  vector: SpectralVectorId; q: EnergyQ; k: number;
  cmap: ColorMapId; selected: SelectedCell | null; onSelect(c: SelectedCell): void;
}) {
  const data = useMemo(() => spectralGridValues(grid, tensors, spectra, metric.id, q, vector), [grid, tensors, spectra, metric, q, vector, version]);
  // Ranks belong to the chosen vector's spectrum; overlaps to a pair of vectors.
  const ofVector = !metric.id.startsWith('overlap');
  // The layers of stacked tensors add rows: the view's grid has the low-rank grid's rows.
  const shownGrid = useMemo(() => (data.blocks === grid.blocks ? grid : { ...grid, blocks: data.blocks }), [grid, data.blocks]);
  if (!data.present.some((x) => x)) return null;
  return (
    <HeatmapView grid={shownGrid} data={data} kind={ofVector ? 'count' : 'fraction'} label={metric.label(q, vector)}
      fileId={`${metric.id === 'energyRank' ? `energyRank${Math.round(q * 100)}` : metric.id}${ofVector && vector !== 'gamma' ? `-${vector}` : ''}`}
      cmap={cmap} selected={selected} onSelect={onSelect} name={`${grid.label} low-rank heatmap`} beyondText={`> ${k}`} />
  );
});
