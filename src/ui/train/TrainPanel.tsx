import { useEffect, useState } from 'react';
import { useTrain } from '../../store/train';
import { ARM_LABELS, STAGES, type ArmId, type StageId } from '../../train/experiment';
import { parameterTotal } from '../../train/policy';
import { ARM_GROUPS, fmtNum, fmtPct } from './arms';
import { Charts } from './Charts';
import { ExperimentCheckpoints, UseLoadedCheckpoint } from './Checkpoints';
import { ParamsForm } from './ParamsForm';
import { World } from './World';
import './train.css';

const STAGE_BUTTONS: Record<StageId, string> = {
  pretrain: '1 · Pretrain here',
  extract: '2 · Extraction finetunes (SFT, SFT + aux)',
  meta: '3 · γ and θ_meta',
  downstream: '4 · Downstream arms',
};

function Summary() {
  const summaries = useTrain((s) => s.summaries);
  const curves = useTrain((s) => s.curves);
  const arms = (Object.keys(ARM_LABELS) as ArmId[]).filter((a) => summaries[a]);
  if (arms.length === 0) return null;
  return (
    <table className="cv-table" aria-label="Arm summary">
      <thead>
        <tr>
          <th scope="col">Arm</th><th scope="col">Steps</th><th scope="col">Points</th><th scope="col">ms / step</th>
          <th scope="col">Final success</th><th scope="col">Probe error (held-out colour)</th><th scope="col">Final action loss</th><th scope="col">Mean |cos(Δ_l, γ_l)|</th><th scope="col">cos(Δ, γ) model</th>
        </tr>
      </thead>
      <tbody>
        {arms.map((a) => {
          const s = summaries[a]!;
          return (
            <tr key={a} data-arm={a}>
              <th scope="row">{ARM_LABELS[a]}</th>
              <td>{s.steps}</td>
              <td data-col="points">{curves[a]?.length ?? 0}</td>
              <td>{fmtNum(s.msPerStep, 1)}</td>
              <td data-col="success">{fmtPct(s.finalSuccess)}</td>
              <td data-col="probe" data-value={String(s.finalProbe)}>{fmtNum(s.finalProbe, 3)} ({fmtNum(s.finalProbeHeldOut, 3)})</td>
              <td>{fmtNum(s.finalLoss, 4)}</td>
              <td data-col="abs-cos" data-value={String(s.meanAbsCos)}>{fmtNum(s.meanAbsCos, 4)}</td>
              <td data-col="model-cos" data-value={String(s.modelCos)}>{fmtNum(s.modelCos, 4)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function Progress() {
  const arm = useTrain((s) => s.currentArm);
  const steps = useTrain((s) => (arm ? s.armSteps[arm] : undefined));
  const last = useTrain((s) => (arm ? s.curves[arm]?.[s.curves[arm]!.length - 1] : undefined));
  if (!arm || !steps) return null;
  return (
    <div className="cv-train-progress">
      <span className="cv-small">{ARM_LABELS[arm]}: step {last?.step ?? 0} / {steps}</span>
      <progress className="cv-progress" max={steps} value={last?.step ?? 0} aria-label={`Progress of ${ARM_LABELS[arm]}`} />
    </div>
  );
}

/** The CapVector experiment in miniature: pipeline buttons, live curves, checkpoints. */
export default function TrainPanel() {
  const { backend, status, stages, message, checkpoints } = useTrain();
  const { run, loadShipped, pause, resume, cancel } = useTrain.getState();
  const [group, setGroup] = useState(ARM_GROUPS[0].id);
  const busy = status !== 'idle';
  const hasPre = checkpoints.some((c) => c.id === 'pre');
  // The Worker starts with the panel so the backend badge is known before the first run.
  useEffect(() => { useTrain.getState().warmUp(); }, []);
  const arms = ARM_GROUPS.find((g) => g.id === group)!.arms;
  return (
    <section aria-label="Finetune experiment" className="cv-train">
      <p className="cv-small cv-muted">
        A tabletop world, a {parameterTotal().toLocaleString()}-parameter VLA-style policy, and the CapVector pipeline: extract γ from an
        auxiliary-objective finetune, build θ_meta = θ_pre + α·γ, then finetune held-out tasks with and without the orthogonality penalty.
      </p>
      <div className="cv-toolbar">
        <span className="cv-badge" role="status" aria-label="Training backend" data-backend={backend?.name ?? ''}>
          backend: {backend ? `${backend.name}${backend.detail ? ` (${backend.detail})` : ''}` : 'starting…'}
        </span>
        <span className="cv-badge" aria-label="Run status" data-status={status}>{status}</span>
      </div>
      <ParamsForm disabled={busy} />
      <div className="cv-toolbar cv-train-stages" role="group" aria-label="Pipeline">
        <button type="button" className="cv-btn" disabled={busy} onClick={loadShipped}>1 · Load shipped θ_pre</button>
        {STAGES.map((s) => (
          <button key={s} type="button" className="cv-btn" disabled={busy} data-state={stages[s]} onClick={() => run([s])}>
            {STAGE_BUTTONS[s]}{stages[s] === 'done' ? ' ✓' : ''}
          </button>
        ))}
        <button type="button" className="cv-btn cv-btn-primary" disabled={busy} onClick={() => { if (!hasPre) loadShipped(); run('all'); }}>
          Run experiment
        </button>
      </div>
      <div className="cv-toolbar" role="group" aria-label="Run control">
        <button type="button" className="cv-btn" disabled={status !== 'running'} onClick={pause}>Pause</button>
        <button type="button" className="cv-btn" disabled={status !== 'paused'} onClick={resume}>Resume</button>
        <button type="button" className="cv-btn cv-btn-danger" disabled={!busy} onClick={cancel}>Cancel</button>
        {message && <span role="status" className={`cv-badge cv-badge-${message.kind === 'ok' ? 'ok' : message.kind === 'warn' ? 'warn' : 'danger'}`}>{message.text}</span>}
      </div>
      <h3>World</h3>
      <World />
      <UseLoadedCheckpoint disabled={busy} />
      <Progress />
      <Summary />
      <label className="cv-field">
        <span>Curves of</span>
        <select className="cv-select" aria-label="Curves of" value={group} onChange={(e) => setGroup(e.target.value)}>
          {ARM_GROUPS.map((g) => <option key={g.id} value={g.id}>{g.label}</option>)}
        </select>
      </label>
      <Charts arms={arms} />
      <h3>Checkpoints</h3>
      <ExperimentCheckpoints />
    </section>
  );
}
