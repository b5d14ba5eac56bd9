import { useEffect, useMemo, useState } from 'react';
import { useWorkbench } from '../../store/workbench';
import { useMergeStore } from '../../store/merge';
import { METHODS } from '../../merge/registry';
import type { PlanIssue } from '../../merge/types';
import type { Binding, Preview } from './bindings';
import { countAffected, exactNameFilter, parseFilterLines } from './editing';

/** Which checkpoint plays each role, and whether their tensors line up. */
export function RoleSummary({ binding, preview }: { binding: Binding; preview: Preview }) {
  const method = useMergeStore((s) => s.draft.recipe.method);
  const def = METHODS[method];
  return (
    <section className="cv-card" aria-labelledby="merge-roles-h">
      <h3 id="merge-roles-h">Inputs</h3>
      {def.roles.includes('models') && <ModelPicker />}
      {def.roles.includes('vector') && <VectorPicker />}
      <ul className="cv-role-list">
        {binding.bound.map((b) => (
          <li key={b.role}>
            <strong>{b.label}</strong>: {b.ck ? <code>{b.ck.checkpoint.name}</code> : <span className="cv-warn-text">not assigned</span>}
          </li>
        ))}
      </ul>
      <AlignmentStatus preview={preview} />
    </section>
  );
}

function AlignmentStatus({ preview }: { preview: Preview }) {
  const addExclusions = useMergeStore((s) => s.addExclusions);
  if (preview.kind === 'unbound') {
    return <p role="status" className="cv-muted">Assign {preview.missing.join(', ')} (Checkpoints tab) to merge.</p>;
  }
  if (preview.kind === 'invalid') return <p role="alert" className="cv-error">{preview.message}</p>;
  if (preview.kind === 'blocked') return <MismatchList message={preview.message} issues={preview.issues} onExclude={addExclusions} />;
  const { plan } = preview;
  const merged = plan.tensors.filter((t) => t.action.kind === 'merge').length;
  return (
    <div role="status" data-testid="merge-alignment">
      <p>
        <span className="cv-badge cv-badge-ok">aligned</span> {plan.tensors.length} tensors: <strong>{merged}</strong> merged,{' '}
        {plan.tensors.length - merged} copied unchanged.
      </p>
      {plan.notes.map((n) => (
        <p key={n} className="cv-muted cv-small">{n}</p>
      ))}
    </div>
  );
}

/** The named mismatches that block a merge, and the one-click way past them. */
export function MismatchList({ message, issues, onExclude }: { message: string; issues: PlanIssue[]; onExclude(filters: string[]): void }) {
  const shown = issues.slice(0, 50);
  return (
    <div className="cv-alert cv-alert-danger" role="alert" data-testid="merge-mismatches">
      <p><strong>Refused:</strong> {message}</p>
      <ul>
        {shown.map((i) => (
          <li key={`${i.kind}:${i.name}`}>
            <code>{i.name}</code> — {i.kind}: {i.detail}
          </li>
        ))}
        {issues.length > shown.length && <li>… and {issues.length - shown.length} more</li>}
      </ul>
      <button type="button" className="cv-btn" onClick={() => onExclude(issues.filter((i) => i.kind !== 'note').map((i) => exactNameFilter(i.name)))}>
        Exclude these {issues.length} tensor(s) (copy them unchanged)
      </button>
    </div>
  );
}

function ModelPicker() {
  const checkpoints = useWorkbench((s) => s.checkpoints);
  const preId = useWorkbench((s) => s.roles.pre);
  const modelIds = useMergeStore((s) => s.modelIds);
  const setModels = useMergeStore((s) => s.setModels);
  const roles = useWorkbench((s) => s.roles);
  // Start from the finetunes the user assigned (aux, sft, down) until they pick otherwise.
  useEffect(() => {
    if (modelIds.length) return;
    const ids = ['aux', 'sft', 'down'].map((r) => roles[r]).filter((x): x is string => !!x && x !== preId);
    if (ids.length) setModels([...new Set(ids)]);
  }, [modelIds.length, roles, preId, setModels]);
  const candidates = checkpoints.filter((c) => c.id !== preId);
  return (
    <fieldset>
      <legend>Models merged onto θ_pre</legend>
      {candidates.length === 0 && <p className="cv-muted">Load finetuned checkpoints first.</p>}
      {candidates.map((c) => (
        <label key={c.id} className="cv-field cv-inline">
          <input
            type="checkbox"
            checked={modelIds.includes(c.id)}
            onChange={(e) => setModels(e.target.checked ? [...modelIds, c.id] : modelIds.filter((x) => x !== c.id))}
          />{' '}
          {c.checkpoint.name}
        </label>
      ))}
    </fieldset>
  );
}

function VectorPicker() {
  const checkpoints = useWorkbench((s) => s.checkpoints);
  const vectorId = useMergeStore((s) => s.vectorId);
  const setVector = useMergeStore((s) => s.setVector);
  return (
    <label className="cv-field">
      <span>Saved capability vector</span>
      <select value={vectorId ?? ''} onChange={(e) => setVector(e.target.value || undefined)}>
        <option value="">(choose a loaded vector file)</option>
        {checkpoints.map((c) => (
          <option key={c.id} value={c.id}>{c.checkpoint.name}</option>
        ))}
      </select>
    </label>
  );
}

/** Include/exclude filters with a live count of the tensors they leave to the method. */
export function FilterEditor({ names }: { names: string[] }) {
  const include = useMergeStore((s) => s.draft.recipe.include);
  const exclude = useMergeStore((s) => s.draft.recipe.exclude);
  const setFilters = useMergeStore((s) => s.setFilters);
  const includeBuffers = useMergeStore((s) => !!s.draft.recipe.includeBuffers);
  const setIncludeBuffers = useMergeStore((s) => s.setIncludeBuffers);
  const [incText, setIncText] = useState((include ?? []).join('\n'));
  const [excText, setExcText] = useState((exclude ?? []).join('\n'));
  // "Exclude these" adds filters from outside: show them.
  useEffect(() => setExcText((t) => (parseFilterLines(t).join('\n') === (exclude ?? []).join('\n') ? t : (exclude ?? []).join('\n'))), [exclude]);
  const count = useMemo(() => countAffected(names, include, exclude), [names, include, exclude]);
  return (
    <section className="cv-card" aria-labelledby="merge-filters-h">
      <h3 id="merge-filters-h">Tensors</h3>
      <div className="cv-grid">
        <label className="cv-field">
          <span>Include only (one per line: substring or /regex/; empty = all)</span>
          <textarea rows={3} className="cv-input cv-mono" value={incText} onChange={(e) => { setIncText(e.target.value); setFilters(parseFilterLines(e.target.value), exclude); }} />
        </label>
        <label className="cv-field">
          <span>Exclude — copied unchanged (e.g. norm, embed)</span>
          <textarea rows={3} className="cv-input cv-mono" value={excText} onChange={(e) => { setExcText(e.target.value); setFilters(include, parseFilterLines(e.target.value)); }} />
        </label>
      </div>
      <label className="cv-field" style={{ flexDirection: 'row', gap: 8, alignItems: 'center' }}>
        <input type="checkbox" checked={includeBuffers} onChange={(e) => setIncludeBuffers(e.target.checked)} data-testid="include-buffers" />
        <span>Merge buffers too (BatchNorm running statistics, normalisation buffers); by default they and integer/bool tensors are copied from the base</span>
      </label>
      <p role="status" aria-live="polite" data-testid="merge-filter-count">
        {names.length === 0
          ? 'No base checkpoint assigned yet.'
          : `${count.affected} of ${count.total} tensors pass the filters (${count.excluded} excluded, ${count.notIncluded} not included).`}
      </p>
    </section>
  );
}
