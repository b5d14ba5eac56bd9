/** The extract method's "Export γ as LoRA adapter" option: rank, and an optional energy target. */
import { loraRequest, type LoraDraft } from './lora-draft';

export function LoraOptions({ draft, onChange, disabled }: { draft: LoraDraft; onChange(d: LoraDraft): void; disabled: boolean }) {
  const req = loraRequest(draft);
  return (
    <fieldset className="cv-grid" disabled={disabled}>
      <legend>LoRA adapter</legend>
      <label className="cv-field">
        <span>
          <input type="checkbox" checked={draft.enabled} onChange={(e) => onChange({ ...draft, enabled: e.target.checked })} /> Export γ as LoRA adapter
        </span>
      </label>
      {draft.enabled && (
        <>
          <label className="cv-field">
            <span>LoRA rank (largest)</span>
            <input type="number" min={1} step={1} value={draft.rank} onChange={(e) => onChange({ ...draft, rank: e.target.value })} />
          </label>
          <label className="cv-field">
            <span>Energy kept per module (0–1, blank: always the rank)</span>
            <input type="number" min={0} max={1} step="any" value={draft.energy} onChange={(e) => onChange({ ...draft, energy: e.target.value })} />
          </label>
          <p className="cv-muted cv-small">
            Each matrix of γ becomes its best rank-r approximation (float64 SVD), saved as PEFT&apos;s adapter_config.json and
            adapter_model.safetensors (float32, scale 1); norms and biases go whole into gamma_dense.safetensors; lora-report.json gives
            each tensor&apos;s rank, energy kept and error.
          </p>
          {req && 'error' in req && <p role="alert" className="cv-error">{req.error}</p>}
        </>
      )}
    </fieldset>
  );
}
