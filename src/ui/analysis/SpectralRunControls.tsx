import { memo } from 'react';
import { MAX_SPECTRAL_K, type AnalysisView } from '../../store/analysis';

/** Whether the next run adds the spectral pass (the low-rank view of γ), with its k and the τ_aux–τ_sft overlap. */
export const SpectralRunControls = memo(function SpectralRunControls({ on, k, tau, disabled, setView }: {
  on: boolean; k: number; tau: boolean; disabled: boolean; setView(p: Partial<AnalysisView>): void;
}) {
  return (
    <span className="cv-toolbar">
      <label className="cv-field" title="After the statistics: leading singular values of γ per matrix (randomised SVD, float64), stable and energy ranks, subspace overlaps">
        <input type="checkbox" checked={on} disabled={disabled} onChange={(e) => setView({ spectral: e.target.checked })} aria-label="Spectral analysis (low-rank view of γ)" />
        Spectral (low-rank view)
      </label>
      {on && (
        <>
          <label className="cv-field">k
            <input type="number" min={1} max={MAX_SPECTRAL_K} step={1} value={k} disabled={disabled} style={{ width: 60 }} aria-label="Singular values per matrix (k)"
              onChange={(e) => Number.isInteger(e.target.valueAsNumber) && e.target.valueAsNumber >= 1 && setView({ spectralK: Math.min(MAX_SPECTRAL_K, e.target.valueAsNumber) })} />
          </label>
          <label className="cv-field">
            <input type="checkbox" checked={tau} disabled={disabled} onChange={(e) => setView({ spectralTau: e.target.checked })} aria-label="Also the τ_aux–τ_sft subspace overlap" />
            τ_aux–τ_sft overlap
          </label>
        </>
      )}
    </span>
  );
});
