import { useEffect, useState } from 'react';
import { useMergeStore } from '../../store/merge';
import { OUT_DTYPES } from '../../merge/recipe';
import type { OutDtype } from '../../merge/types';
import type { EngineChoice, OutputChoice } from '../../merge/recipe-draft';

const MIB = 1024 * 1024;
const ENGINE_LABELS: Record<EngineChoice, string> = { auto: 'Auto (measure)', webgpu: 'WebGPU', cpu: 'CPU' };

/** True where the File System Access API can write straight to the user's disk. */
export const hasFileSystemAccess = () => typeof window !== 'undefined' && 'showSaveFilePicker' in window && 'showDirectoryPicker' in window;

/** Output dtype, shard size, engine and destination. */
export function OutputOptions({ disabled }: { disabled: boolean }) {
  const draft = useMergeStore((s) => s.draft);
  const setOutDtype = useMergeStore((s) => s.setOutDtype);
  const setShardSize = useMergeStore((s) => s.setShardSize);
  const setEngine = useMergeStore((s) => s.setEngine);
  const setOutput = useMergeStore((s) => s.setOutput);
  const shardMiB = draft.recipe.shardSize / MIB;
  const [shardText, setShardText] = useState(String(shardMiB));
  useEffect(() => setShardText((t) => (Number(t) === shardMiB ? t : String(shardMiB))), [shardMiB]);
  const fsa = hasFileSystemAccess();
  return (
    <section className="cv-card" aria-labelledby="merge-output-h">
      <h3 id="merge-output-h">Output</h3>
      <fieldset className="cv-grid" disabled={disabled}>
        <label className="cv-field">
          <span>Output dtype</span>
          <select value={draft.recipe.outDtype} onChange={(e) => setOutDtype(e.target.value as OutDtype)}>
            {OUT_DTYPES.map((d) => (
              <option key={d} value={d}>{d === 'keep' ? 'keep (as the inputs)' : d}</option>
            ))}
          </select>
        </label>
        <label className="cv-field">
          <span>Shard size in MiB (0 = one file)</span>
          <input
            type="number"
            min={0}
            step="any"
            value={shardText}
            onChange={(e) => {
              setShardText(e.target.value);
              const v = Number(e.target.value);
              if (e.target.value !== '' && Number.isFinite(v) && v >= 0) setShardSize(Math.round(v * MIB));
            }}
          />
        </label>
        <label className="cv-field">
          <span>Compute engine</span>
          <select value={draft.engine} onChange={(e) => setEngine(e.target.value as EngineChoice)}>
            {(Object.keys(ENGINE_LABELS) as EngineChoice[]).map((k) => (
              <option key={k} value={k}>{ENGINE_LABELS[k]}</option>
            ))}
          </select>
        </label>
        <label className="cv-field">
          <span>Save to</span>
          <select value={draft.output} onChange={(e) => setOutput(e.target.value as OutputChoice)}>
            <option value="download">Browser storage, then download</option>
            <option value="disk" disabled={!fsa}>
              {draft.recipe.shardSize > 0 ? 'A folder on disk (written as it goes)' : 'A file on disk (written as it goes)'}
              {fsa ? '' : ' — not supported by this browser'}
            </option>
          </select>
        </label>
      </fieldset>
    </section>
  );
}
