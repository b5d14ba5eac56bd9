import { useState } from 'react';
import { useMergeStore } from '../../store/merge';
import { useWorkbench } from '../../store/workbench';
import { reopenCheckpoint } from '../../workers/reopen';
import type { EngineInfo, ResultFile } from '../../workers/merge-protocol';
import { downloadFiles } from '../download';
import { formatBytes, formatRate } from '../../text/bytes';
import { formatDuration } from './format';

/** Which engine ran and why (the measurement, a forced choice, or why WebGPU was unavailable). */
export function EngineRan({ info }: { info: EngineInfo }) {
  return (
    <p data-testid="merge-engine">
      <span className={`cv-badge ${info.kind === 'webgpu' ? 'cv-badge-ok' : 'cv-badge-accent'}`}>
        Ran on {info.kind === 'webgpu' ? 'WebGPU' : 'CPU'}
      </span>{' '}
      <span className="cv-muted cv-small">{info.reason}</span>
    </p>
  );
}

/** Progress bar with bytes, rate, ETA and Cancel while a merge runs. */
export function RunProgress() {
  const status = useMergeStore((s) => s.status);
  const p = useMergeStore((s) => s.progress);
  const engine = useMergeStore((s) => s.engine);
  const cancel = useMergeStore((s) => s.cancel);
  if (status !== 'running' && status !== 'cancelling') return null;
  const done = p ? p.bytesRead + p.bytesWritten : 0;
  const total = p?.totalBytes ?? 0;
  const pct = total > 0 ? Math.min(100, (100 * done) / total) : 0;
  return (
    <section className="cv-card" aria-labelledby="merge-progress-h" data-testid="merge-progress">
      <h3 id="merge-progress-h">{status === 'cancelling' ? 'Cancelling…' : p ? `Merging (${p.phase})` : 'Opening inputs and choosing the engine…'}</h3>
      {engine && <EngineRan info={engine} />}
      <progress className="cv-progress" aria-label="Merge progress" max={100} value={p ? pct : undefined} />
      {p && (
        <p className="cv-small" aria-live="off">
          {pct.toFixed(1)}% · {formatBytes(done)} of {formatBytes(total)} · {formatRate(p.rate)} · ETA {formatDuration(p.etaSeconds)} · tensor{' '}
          {p.tensorsDone}/{p.tensorCount} <code>{p.currentTensor}</code>
        </p>
      )}
      <button type="button" className="cv-btn cv-btn-danger" onClick={cancel} disabled={status === 'cancelling'}>
        Cancel merge
      </button>
    </section>
  );
}

/** What the last run did: files, bytes, time, throughput, engine; download again; open in the workbench. */
export function RunOutcome() {
  const status = useMergeStore((s) => s.status);
  const outcome = useMergeStore((s) => s.outcome);
  const resetRun = useMergeStore((s) => s.resetRun);
  if (!outcome || status === 'running' || status === 'cancelling') return null;
  if (outcome.kind === 'cancelled') {
    return (
      <div className="cv-alert cv-note" role="status" data-testid="merge-cancelled">
        <p>Merge cancelled. Nothing was saved (partial output removed).</p>
        <button type="button" className="cv-btn cv-btn-small" onClick={resetRun}>Dismiss</button>
      </div>
    );
  }
  if (outcome.kind === 'error') {
    return (
      <div className="cv-alert cv-alert-danger" role="alert" data-testid="merge-error">
        <p><strong>Merge failed:</strong> {outcome.message}</p>
        <button type="button" className="cv-btn cv-btn-small" onClick={resetRun}>Dismiss</button>
      </div>
    );
  }
  if (outcome.kind === 'refused') return null; // shown by the panel with the "exclude these" action
  const r = outcome.result;
  const bytesOut = outcome.files.reduce((a, f) => a + f.bytes, 0);
  return (
    <section className="cv-card" aria-labelledby="merge-result-h" data-testid="merge-result">
      <h3 id="merge-result-h">Merge finished</h3>
      <EngineRan info={outcome.engine} />
      <dl className="cv-dl">
        <dt>Files</dt>
        <dd>{outcome.files.length} ({formatBytes(bytesOut)})</dd>
        <dt>Tensors</dt>
        <dd>{r.tensors} ({r.merged} merged, {r.copied} copied)</dd>
        <dt>Time</dt>
        <dd>{formatDuration(r.seconds)}</dd>
        <dt>Throughput</dt>
        <dd>{formatRate((r.bytesRead + r.bytesWritten) / Math.max(r.seconds, 1e-6))} (read + written)</dd>
        <dt>Saved to</dt>
        <dd>{outcome.sink === 'opfs' ? 'browser storage, offered as download' : 'the file/folder you picked'}</dd>
      </dl>
      <ResultFiles files={outcome.files} downloadable={outcome.sink === 'opfs'} />
      {r.notes.map((n) => (
        <p key={n} className="cv-muted cv-small">{n}</p>
      ))}
      <OpenInWorkbench files={outcome.files} />
    </section>
  );
}

function ResultFiles({ files, downloadable }: { files: ResultFile[]; downloadable: boolean }) {
  return (
    <table className="cv-table">
      <caption className="visually-hidden">Output files</caption>
      <thead>
        <tr>
          <th scope="col">File</th>
          <th scope="col" className="num">Bytes</th>
          {downloadable && <th scope="col"><span className="visually-hidden">Download</span></th>}
        </tr>
      </thead>
      <tbody>
        {files.map((f) => (
          <tr key={f.name}>
            <td><code>{f.name}</code></td>
            <td className="num">{formatBytes(f.bytes)}</td>
            {downloadable && (
              <td>
                <button type="button" className="cv-btn cv-btn-small" disabled={!f.file} onClick={() => downloadFiles([f])}>
                  Download {f.name}
                </button>
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function OpenInWorkbench({ files }: { files: ResultFile[] }) {
  const [state, setState] = useState<{ kind: 'idle' | 'busy' | 'done' | 'error'; text?: string }>({ kind: 'idle' });
  const readable = files.every((f) => f.file);
  const open = async () => {
    setState({ kind: 'busy' });
    try {
      const inputs = files.map((f) => ({ path: f.name, blob: f.file! }));
      const checkpoint = await reopenCheckpoint(inputs);
      useWorkbench.getState().addCheckpoint({ checkpoint, inputs, origin: 'experiment' });
      setState({ kind: 'done', text: `Added ${checkpoint.name} to the workbench (${checkpoint.tensors.length} tensors).` });
    } catch (e) {
      setState({ kind: 'error', text: e instanceof Error ? e.message : String(e) });
    }
  };
  return (
    <div>
      <button type="button" className="cv-btn" disabled={!readable || state.kind === 'busy' || state.kind === 'done'} onClick={open}>
        Open result in workbench
      </button>
      {!readable && <span className="cv-muted cv-small"> (the browser did not let the page read the saved file back)</span>}
      {state.text && (
        <p role={state.kind === 'error' ? 'alert' : 'status'} className={state.kind === 'error' ? 'cv-error' : ''}>{state.text}</p>
      )}
    </div>
  );
}
