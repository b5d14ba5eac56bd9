import { useMemo } from 'react';
import { dtypeMix, parameterCount } from '../../formats/checkpoint';
import { loraCardRows } from '../../formats/lora-config';
import { useWorkbench, type LoadedCheckpoint } from '../../store/workbench';
import { formatBytes } from '../../text/bytes';
import { dtypeColor, humanCount } from './format';
import { ROLE_ORDER, ROLE_SHORT, type KnownRole } from './role-guess';

function DtypeMixBar({ mix }: { mix: ReturnType<typeof dtypeMix> }) {
  const entries = Object.entries(mix).sort((a, b) => b[1]!.bytes - a[1]!.bytes);
  const total = entries.reduce((s, [, m]) => s + m!.bytes, 0) || 1;
  const label = entries.map(([d, m]) => `${d} ${((100 * m!.bytes) / total).toFixed(1)}%`).join(', ');
  return (
    <div>
      <div className="cv-stackbar" role="img" aria-label={`dtype mix by bytes: ${label}`}>
        {entries.map(([d, m]) => (
          <span key={d} style={{ width: `${(100 * m!.bytes) / total}%`, background: dtypeColor(d) }} title={`${d}: ${m!.tensors} tensors`} />
        ))}
      </div>
      <div className="cv-legend" data-testid="dtype-mix">
        {entries.map(([d, m]) => (
          <span key={d}>
            <span className="cv-swatch" style={{ background: dtypeColor(d) }} />
            {d} {((100 * m!.bytes) / total).toFixed(0)}% · {m!.tensors} tensors
          </span>
        ))}
      </div>
    </div>
  );
}

/** One loaded checkpoint at a glance, with its role and a way to inspect or remove it. */
export function CheckpointCard({ item, inspected, onInspect }: { item: LoadedCheckpoint; inspected: boolean; onInspect(): void }) {
  const { checkpoint: ck, id } = item;
  const roles = useWorkbench((s) => s.roles);
  const setRole = useWorkbench((s) => s.setRole);
  const remove = useWorkbench((s) => s.removeCheckpoint);
  const role = (Object.entries(roles).find(([, v]) => v === id)?.[0] ?? '') as KnownRole | '';
  const params = useMemo(() => parameterCount(ck), [ck]);
  const mix = useMemo(() => dtypeMix(ck), [ck]);
  const meta = Object.entries(ck.metadata ?? {});
  const lora = loraCardRows(ck);
  const shards = ck.sharded ? ck.files.filter((f) => !/\.json$/i.test(f)).length : 0;

  const changeRole = (next: string) => {
    // A checkpoint plays one role at a time.
    if (role) setRole(role, undefined);
    if (next) setRole(next, id);
  };

  return (
    <article className="cv-card" aria-label={`Checkpoint ${ck.name}`} data-testid="checkpoint-card" data-name={ck.name}>
      <div className="cv-toolbar" style={{ justifyContent: 'space-between' }}>
        <h3 style={{ margin: 0 }}>{ck.name}</h3>
        <span>
          <span className="cv-badge cv-badge-accent" data-testid="format">{lora.length ? 'LoRA adapter' : ck.format}</span>{' '}
          {item.origin !== 'user' && <span className="cv-badge">{item.origin}</span>}
        </span>
      </div>
      <dl className="cv-dl">
        <dt>Files</dt>
        <dd data-field="files" title={ck.files.join('\n')}>
          {ck.sharded ? `${shards} shards` : ck.files.length === 1 ? ck.files[0] : `${ck.files.length} files`}
        </dd>
        <dt>Parameters</dt>
        <dd data-field="parameters" data-value={params}>{humanCount(params)}</dd>
        <dt>Bytes</dt>
        <dd data-field="bytes" data-value={ck.fileBytes}>{formatBytes(ck.fileBytes)}</dd>
        <dt>Tensors</dt>
        <dd data-field="tensors" data-value={ck.tensors.length}>{ck.tensors.length.toLocaleString('en-US')}</dd>
        {lora.map((r) => (
          <div key={r.field} style={{ display: 'contents' }}>
            <dt>{r.label}</dt>
            <dd data-field={r.field}>{r.value}</dd>
          </div>
        ))}
      </dl>
      <DtypeMixBar mix={mix} />
      {meta.length > 0 && (
        <details>
          <summary>Metadata ({meta.length})</summary>
          <dl className="cv-dl cv-mono">
            {meta.map(([k, v]) => (
              <div key={k} style={{ display: 'contents' }}>
                <dt>{k}</dt>
                <dd style={{ wordBreak: 'break-all' }}>{v.length > 400 ? `${v.slice(0, 400)}…` : v}</dd>
              </div>
            ))}
          </dl>
        </details>
      )}
      <div className="cv-toolbar" style={{ marginTop: 'var(--cv-space-2)' }}>
        <label className="cv-field">
          Role
          <select value={role} onChange={(e) => changeRole(e.target.value)} aria-label={`Role of ${ck.name}`} data-testid="role-select">
            <option value="">none</option>
            {ROLE_ORDER.map((r) => (
              <option key={r} value={r}>{r} ({ROLE_SHORT[r]})</option>
            ))}
          </select>
        </label>
        <span className="cv-spacer" style={{ flex: 1 }} />
        <button type="button" className="cv-btn cv-btn-small" aria-pressed={inspected} onClick={onInspect} aria-label={`Inspect tensors of ${ck.name}`}>
          Tensors
        </button>
        <button type="button" className="cv-btn cv-btn-small cv-btn-danger" onClick={() => remove(id)} aria-label={`Remove ${ck.name}`}>
          Remove
        </button>
      </div>
    </article>
  );
}
