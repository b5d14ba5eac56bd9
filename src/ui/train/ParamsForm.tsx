import { useTrain } from '../../store/train';
import { ORTH_SCOPES, ORTH_VARIANTS } from '../../train/orth-reg';
import type { ExperimentParams } from '../../train/params';

type NumField = { key: keyof ExperimentParams; label: string; step: string; min: number; title: string };

const FIELDS: NumField[] = [
  { key: 'alpha', label: 'α', step: '0.1', min: -10, title: 'Scale of γ in θ_meta = θ_pre + α·γ' },
  { key: 'lambda', label: 'λ', step: '0.1', min: 0, title: 'Weight of the orthogonality penalty' },
  { key: 'steps', label: 'Downstream steps', step: '10', min: 1, title: 'Steps of each downstream arm' },
  { key: 'extractSteps', label: 'Extraction steps', step: '10', min: 1, title: 'Steps of each extraction finetune' },
  { key: 'pretrainSteps', label: 'Pretrain steps', step: '100', min: 1, title: 'Steps when pretraining here instead of loading' },
  { key: 'lr', label: 'Learning rate', step: '0.0001', min: 0, title: 'Adam learning rate of the finetunes (pretraining uses 3×)' },
  { key: 'seed', label: 'Seed', step: '1', min: 0, title: 'Seeds the data, the batches, the initialisation and the evaluation' },
  { key: 'batch', label: 'Batch', step: '1', min: 1, title: 'Batch size' },
  { key: 'auxWeight', label: 'Aux weight', step: '0.1', min: 0, title: 'Weight of the auxiliary alignment loss' },
  { key: 'evalEvery', label: 'Evaluate every', step: '10', min: 0, title: 'Closed-loop evaluation interval in steps (0: at the end only)' },
  { key: 'evalEpisodes', label: 'Eval episodes/task', step: '1', min: 1, title: 'Evaluation episodes per task' },
  { key: 'episodes', label: 'Demos/task', step: '1', min: 1, title: 'Demonstrations per task of the extraction and downstream datasets' },
  { key: 'probeScenes', label: 'Probe scenes', step: '16', min: 0, title: 'Scenes of the probe\'s fit and test sets (0: no probe)' },
];

/** Hyperparameters; every change is mirrored into the URL so the run can be shared. */
export function ParamsForm({ disabled }: { disabled: boolean }) {
  const params = useTrain((s) => s.params);
  const setParams = useTrain((s) => s.setParams);
  return (
    <fieldset className="cv-train-params" disabled={disabled}>
      <legend>Hyperparameters (saved in the URL)</legend>
      {FIELDS.map((f) => (
        <label key={f.key} className="cv-field" title={f.title}>
          <span>{f.label}</span>
          <input
            type="number"
            className="cv-input"
            step={f.step}
            min={f.min}
            value={String(params[f.key])}
            aria-label={f.label}
            onChange={(e) => {
              const v = Number(e.target.value);
              if (e.target.value !== '' && Number.isFinite(v)) setParams({ [f.key]: v } as Partial<ExperimentParams>);
            }}
          />
        </label>
      ))}
      <label className="cv-field" title="How ⟨Δ, γ⟩ is penalised">
        <span>Penalty</span>
        <select className="cv-select" aria-label="Penalty variant" value={params.variant} onChange={(e) => setParams({ variant: e.target.value as ExperimentParams['variant'] })}>
          {ORTH_VARIANTS.map((v) => <option key={v} value={v}>{v === 'cos2' ? 'squared cosine (default)' : v === 'abs' ? '|dot|' : 'raw dot'}</option>)}
        </select>
      </label>
      <label className="cv-field" title="One penalty term per tensor, or one for the whole model">
        <span>Scope</span>
        <select className="cv-select" aria-label="Penalty scope" value={params.scope} onChange={(e) => setParams({ scope: e.target.value as ExperimentParams['scope'] })}>
          {ORTH_SCOPES.map((v) => <option key={v} value={v}>{v === 'tensor' ? 'per tensor (default)' : 'whole model'}</option>)}
        </select>
      </label>
    </fieldset>
  );
}
