import { useEffect, useMemo, useState } from 'react';
import type { Checkpoint } from '../../formats/checkpoint';
import { candidateMappings, describeMapping, ROLE_LABELS, type NameMapOverride } from '../../model/align';
import { useWorkbench } from '../../store/workbench';

const key = (m: NameMapOverride) => `${m.from}\u0000${m.to}`;

/**
 * Changes how one role's tensor names line up with the reference role's (θ_pre's): the automatic
 * mapping, one of the rewrites that line tensors up, or a prefix to strip and one to add, typed in.
 * The choice lives in the workbench store and reaches the merge recipe and the analysis.
 */
export function NameMapEditor({ role, checkpoint, reference }: { role: string; checkpoint: Checkpoint; reference: Checkpoint }) {
  const current = useWorkbench((s) => s.nameMaps[role]);
  const setNameMap = useWorkbench((s) => s.setNameMap);
  const candidates = useMemo(
    () => candidateMappings(checkpoint.tensors.map((t) => t.name), new Set(reference.tensors.map((t) => t.name))),
    [checkpoint, reference],
  );
  const [strip, setStrip] = useState(current?.from ?? '');
  const [add, setAdd] = useState(current?.to ?? '');
  useEffect(() => {
    setStrip(current?.from ?? '');
    setAdd(current?.to ?? '');
  }, [current]);
  const label = ROLE_LABELS[role] ?? role;
  const listed = current && candidates.some((c) => key(c) === key(current));
  const selected = !current ? 'auto' : listed ? key(current) : 'custom';

  return (
    <li data-role={role} className="cv-toolbar" style={{ flexWrap: 'wrap' }}>
      <label>
        {role}:{' '}
        <select
          aria-label={`Name mapping for ${label}`}
          value={selected}
          onChange={(e) => {
            const v = e.target.value;
            if (v === 'auto') setNameMap(role, undefined);
            else if (v !== 'custom') {
              const [from, to] = v.split('\u0000');
              setNameMap(role, { from, to });
            }
          }}
        >
          <option value="auto">automatic</option>
          {candidates.map((c) => (
            <option key={key(c)} value={key(c)}>
              {c.from === c.to ? 'names as they are' : describeMapping(c)} ({c.count} tensors)
            </option>
          ))}
          {selected === 'custom' && <option value="custom">{describeMapping(current!)} (typed in)</option>}
        </select>
      </label>
      <form
        className="cv-toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          setNameMap(role, { from: strip, to: add });
        }}
      >
        <label>strip prefix <input className="cv-mono" size={14} value={strip} onChange={(e) => setStrip(e.target.value)} aria-label={`Prefix to strip from ${label}'s names`} /></label>
        <label>add prefix <input className="cv-mono" size={14} value={add} onChange={(e) => setAdd(e.target.value)} aria-label={`Prefix to add to ${label}'s names`} /></label>
        <button type="submit" className="cv-btn cv-btn-small" aria-label={`Use this name mapping for ${label}`}>Use</button>
      </form>
    </li>
  );
}
