import { useMemo } from 'react';
import { alignCheckpoints, describeMapping, ROLE_LABELS } from '../../model/align';
import type { Checkpoint } from '../../formats/checkpoint';
import { adapterRoles } from '../../merge/lora-sources';
import { useWorkbench } from '../../store/workbench';
import { NameMapEditor } from './NameMapEditor';
import { ROLE_ORDER } from './role-guess';
import { autoAssignRoles } from './roles';

const KIND_LABEL = { missing: 'missing', shape: 'shape mismatch', dtype: 'dtype mismatch', collision: 'two tensors, one name' } as const;

/** Which tensors line up across the assigned roles, and each one that does not, by name. */
export function AlignmentReport() {
  const checkpoints = useWorkbench((s) => s.checkpoints);
  const roles = useWorkbench((s) => s.roles);
  const nameMaps = useWorkbench((s) => s.nameMaps);
  const byRole = useMemo(() => {
    const out: Record<string, Checkpoint> = {};
    const known = [...ROLE_ORDER, ...Object.keys(roles).filter((r) => !(ROLE_ORDER as readonly string[]).includes(r))];
    for (const r of known) {
      const ck = checkpoints.find((c) => c.id === roles[r]);
      if (ck) out[r] = ck.checkpoint;
    }
    return out;
  }, [checkpoints, roles]);
  // LoRA adapters line up as θ_pre + ΔW (merge/lora-sources.ts), as the merge and the statistics read them.
  const asModels = useMemo(() => adapterRoles(byRole, nameMaps), [byRole, nameMaps]);
  const assigned = Object.keys(asModels.byRole);
  const report = useMemo(() => (assigned.length >= 2 ? alignCheckpoints(asModels.byRole, asModels.nameMaps) : null), [asModels, assigned.length]);

  const counts = report && {
    missing: report.issues.filter((i) => i.kind === 'missing').length,
    shape: report.issues.filter((i) => i.kind === 'shape').length,
    collision: report.issues.filter((i) => i.kind === 'collision').length,
    dtype: report.dtypeMismatches,
  };

  return (
    <section className="cv-card" aria-labelledby="alignment-heading" data-testid="alignment-report">
      <div className="cv-toolbar" style={{ justifyContent: 'space-between' }}>
        <h2 id="alignment-heading" style={{ margin: 0 }}>Roles and alignment</h2>
        <button type="button" className="cv-btn cv-btn-small" onClick={autoAssignRoles} disabled={!checkpoints.length}>
          Auto-assign roles by name
        </button>
      </div>
      <ul className="cv-legend" style={{ listStyle: 'none', padding: 0 }} aria-label="Role assignments">
        {ROLE_ORDER.map((r) => {
          const ck = checkpoints.find((c) => c.id === roles[r]);
          return (
            <li key={r} data-role={r}>
              <span className="cv-swatch" style={{ background: `var(--cv-role-${r})` }} />
              {ROLE_LABELS[r] ?? r}: <strong>{ck ? ck.checkpoint.name : 'unassigned'}</strong>
            </li>
          );
        })}
      </ul>
      {asModels.adapters.length > 0 && (
        <ul className="cv-small" aria-label="LoRA adapters" data-testid="adapter-roles" style={{ listStyle: 'none', padding: 0 }}>
          {asModels.adapters.map((a) => (
            <li key={a.role} data-role={a.role}>
              <span className={`cv-badge ${a.fault ? 'cv-badge-warn' : ''}`}>LoRA adapter</span> {a.role}: {a.fault
                ?? (a.onPre
                  ? `θ_pre + ΔW: ${a.updated} tensor${a.updated === 1 ? '' : 's'} updated${a.replaced ? `, ${a.replaced} replaced (modules_to_save)` : ''}, the rest θ_pre's`
                  : `ΔW alone (no θ_pre): ${a.updated} tensor${a.updated === 1 ? '' : 's'}; only differences of adapters (extract) are defined`)}
              {/* A mapping set by hand for an adapter role lines its module names up here, not in the report below. */}
              {!a.fault && nameMaps[a.role] && <> · <span className="cv-badge">set by hand</span> {describeMapping(nameMaps[a.role])}</>}
            </li>
          ))}
        </ul>
      )}
      {!report ? (
        <p className="cv-muted cv-small">Assign at least two roles to check that their tensors line up.</p>
      ) : (
        <div>
          <p className="cv-small" data-testid="alignment-summary">
            {report.issues.length === 0 ? (
              <span className="cv-badge cv-badge-ok">all matched</span>
            ) : (
              <span className="cv-badge cv-badge-warn">{report.issues.length} issues</span>
            )}{' '}
            Across {report.roles.join(', ')}: <strong data-count="matched">{report.matched.length}</strong> matched ·{' '}
            <strong data-count="missing">{counts!.missing}</strong> missing ·{' '}
            <strong data-count="shape">{counts!.shape}</strong> shape mismatches ·{' '}
            <strong data-count="dtype">{counts!.dtype}</strong> dtype mismatches
            {counts!.collision > 0 && (
              <>
                {' '}· <strong data-count="collision">{counts!.collision}</strong> names read twice by a mapping
              </>
            )}
          </p>
          {report.mappings.length > 0 && (
            <ul className="cv-small cv-mono" aria-label="Name mappings" data-testid="name-mappings">
              {report.mappings.map((m) => (
                <li key={m.role} data-role={m.role}>
                  <span className="cv-badge">{m.manual ? 'set by hand' : 'names lined up'}</span> {m.role}: {describeMapping(m)} ({m.count} tensors; {report.roles[0]}'s names are kept)
                </li>
              ))}
            </ul>
          )}
          <details open={Object.keys(nameMaps).length > 0}>
            <summary>Change the name mapping</summary>
            <p className="cv-muted cv-small">How each role's tensor names are read against {report.roles[0]}'s (outputs keep {report.roles[0]}'s names).</p>
            <ul style={{ listStyle: 'none', padding: 0 }} aria-label="Name mapping by hand" data-testid="name-map-editor">
              {report.roles.slice(1).map((r) => <NameMapEditor key={r} role={r} checkpoint={byRole[r]} reference={byRole[report.roles[0]]} />)}
            </ul>
          </details>
          {report.issues.length > 0 && (
            <details open={report.issues.length <= 20}>
              <summary>Issues ({report.issues.length})</summary>
              <ul className="cv-small cv-mono" aria-label="Alignment issues" style={{ maxHeight: 240, overflow: 'auto' }}>
                {report.issues.map((i) => (
                  <li key={`${i.kind}:${i.name}`}>
                    <span className={`cv-badge ${i.kind === 'dtype' ? 'cv-badge-warn' : 'cv-badge-danger'}`}>{KIND_LABEL[i.kind]}</span> {i.name}: {i.detail}
                  </li>
                ))}
              </ul>
            </details>
          )}
          <details>
            <summary>Matched tensors ({report.matched.length})</summary>
            <ul className="cv-small cv-mono" style={{ maxHeight: 240, overflow: 'auto' }}>
              {report.matched.slice(0, 2000).map((m) => <li key={m.name}>{m.name}</li>)}
              {report.matched.length > 2000 && <li>… and {report.matched.length - 2000} more</li>}
            </ul>
          </details>
        </div>
      )}
    </section>
  );
}
