import { useMemo, useState } from 'react';
import { useTrain } from '../../store/train';
import { useWorkbench } from '../../store/workbench';
import { architectureFaults } from '../../train/policy';
import type { CkptId } from '../../train/experiment';
import { saveBlob } from '../download';

/** The experiment's checkpoints: export as safetensors, or add to the workbench (heatmaps, merges). */
export function ExperimentCheckpoints() {
  const checkpoints = useTrain((s) => s.checkpoints);
  const { exportCheckpoint, openInWorkbench } = useTrain.getState();
  const [note, setNote] = useState<Record<string, string>>({});
  const act = async (id: CkptId, f: () => Promise<string>) => {
    try {
      const text = await f();
      setNote((n) => ({ ...n, [id]: text }));
    } catch (e) {
      setNote((n) => ({ ...n, [id]: `Failed: ${e instanceof Error ? e.message : String(e)}` }));
    }
  };
  if (checkpoints.length === 0) return <p className="cv-muted cv-small">No checkpoints yet: run step 1.</p>;
  return (
    <table className="cv-table" aria-label="Experiment checkpoints">
      <thead><tr><th scope="col">Checkpoint</th><th scope="col">Made by</th><th scope="col">Actions</th></tr></thead>
      <tbody>
        {checkpoints.map((c) => (
          <tr key={c.id} data-ckpt={c.id}>
            <td>{c.label}</td>
            <td className="cv-small cv-muted">{c.source}</td>
            <td>
              <div className="cv-toolbar">
                <button type="button" className="cv-btn cv-btn-small" aria-label={`Export ${c.label} as safetensors`}
                  onClick={() => act(c.id, async () => { const f = await exportCheckpoint(c.id); saveBlob(f, f.name); return `Saved ${f.name}`; })}>
                  Export
                </button>
                <button type="button" className="cv-btn cv-btn-small" aria-label={`Open ${c.label} in workbench`}
                  onClick={() => act(c.id, async () => `Added ${await openInWorkbench(c.id)} to the workbench`)}>
                  Open in workbench
                </button>
                {note[c.id] && <span className="cv-small" role="status">{note[c.id]}</span>}
              </div>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Any loaded checkpoint with the policy's names and shapes can become θ_pre. */
export function UseLoadedCheckpoint({ disabled }: { disabled: boolean }) {
  const loaded = useWorkbench((s) => s.checkpoints);
  const useCheckpoint = useTrain((s) => s.useCheckpoint);
  const fitting = useMemo(
    () => loaded.filter((c) => architectureFaults(new Map(c.checkpoint.tensors.map((t) => [t.name, t.shape]))).length === 0),
    [loaded],
  );
  const [pick, setPick] = useState('');
  const chosen = fitting.find((c) => c.id === pick) ?? fitting[0];
  return (
    <div className="cv-toolbar">
      <label className="cv-field">
        <span>Loaded checkpoint as θ_pre</span>
        <select className="cv-select" aria-label="Loaded checkpoint to finetune" value={chosen?.id ?? ''} onChange={(e) => setPick(e.target.value)} disabled={fitting.length === 0}>
          {fitting.length === 0 && <option value="">none with the policy's architecture</option>}
          {fitting.map((c) => <option key={c.id} value={c.id}>{c.checkpoint.name}</option>)}
        </select>
      </label>
      <button type="button" className="cv-btn" disabled={disabled || !chosen} onClick={() => chosen && void useCheckpoint(chosen)}>
        Use as θ_pre
      </button>
    </div>
  );
}
