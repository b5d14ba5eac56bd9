import { useState } from 'react';
import { FORMATS } from '../../formats/registry';
import { useWorkbench } from '../../store/workbench';
import { AlignmentReport } from './AlignmentReport';
import { CheckpointCard } from './CheckpointCard';
import { TensorStatsView } from './TensorStatsView';
import { TensorTable } from './TensorTable';
import { loadDemo } from './demo';

/** The registry's formats: 'safetensors (single or sharded with index.json) · … · tfjs model.json'. */
const FORMAT_LIST = FORMATS.map((f) => (f.sharded ? `${f.name} (single or sharded with index.json)` : f.name)).join(' · ');

/** Loaded checkpoints, their roles and alignment, and a tensor browser with statistics. */
export default function CheckpointsPanel() {
  const checkpoints = useWorkbench((s) => s.checkpoints);
  const [inspectId, setInspectId] = useState<string | null>(null);
  const [tensorName, setTensorName] = useState<string | null>(null);
  const inspected = checkpoints.find((c) => c.id === inspectId) ?? checkpoints[0];
  const tensor = inspected?.checkpoint.tensors.find((t) => t.name === tensorName);

  if (!checkpoints.length) {
    return (
      <div className="cv-empty">
        <p><strong>Drop checkpoint files or whole folders anywhere on this page</strong>, or use “Open files…” / “Open folder…” above.</p>
        <p className="cv-small">{FORMAT_LIST}. Nothing leaves this machine.</p>
        <button type="button" className="cv-btn cv-btn-primary" onClick={() => void loadDemo()}>Load the demo family</button>
      </div>
    );
  }

  return (
    <>
      <section aria-label="Loaded checkpoints" className="cv-grid">
        {checkpoints.map((c) => (
          <CheckpointCard
            key={c.id}
            item={c}
            inspected={c.id === inspected?.id}
            onInspect={() => {
              setInspectId(c.id);
              setTensorName(null);
            }}
          />
        ))}
      </section>
      <AlignmentReport />
      {inspected && (
        <div className="cv-split">
          <TensorTable
            key={inspected.id}
            name={inspected.checkpoint.name}
            tensors={inspected.checkpoint.tensors}
            selected={tensorName}
            onSelect={setTensorName}
          />
          {tensor ? (
            <TensorStatsView key={`${inspected.id}:${tensor.name}`} inputs={inspected.inputs} tensor={tensor} />
          ) : (
            <p className="cv-muted cv-small">Select a tensor (click, or arrow keys and Enter) to compute its statistics.</p>
          )}
        </div>
      )}
    </>
  );
}
