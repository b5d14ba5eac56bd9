import { useEffect, useRef, useState } from 'react';
import { Bar, BarChart, Tooltip, XAxis, YAxis } from 'recharts';
import { histogramEdges, type TensorStats } from '../../analysis/tensor-stats';
import type { TensorEntry } from '../../formats/checkpoint';
import type { InputFile } from '../../store/workbench';
import { inspectTensor, InspectCancelled } from '../../workers/inspect-client';
import { formatBytes } from '../../text/bytes';
import { formatShape, formatStat } from './format';

type State =
  | { kind: 'running'; done: number; total: number }
  | { kind: 'done'; stats: TensorStats; ms: number }
  | { kind: 'cancelled' }
  | { kind: 'error'; message: string };

const ROWS: [keyof TensorStats, string][] = [
  ['min', 'min'], ['max', 'max'], ['mean', 'mean'], ['std', 'std (population)'], ['l2', 'L2 norm'],
  ['nan', 'NaN count'], ['posInf', '+Inf count'], ['negInf', '−Inf count'], ['zeros', 'zeros'], ['count', 'elements'],
];

/** Statistics of one tensor, computed in the inspect Worker with progress and cancel. */
export function TensorStatsView({ inputs, tensor }: { inputs: InputFile[]; tensor: TensorEntry }) {
  const [state, setState] = useState<State>({ kind: 'running', done: 0, total: 1 });
  const [run, setRun] = useState(0);
  const abort = useRef<AbortController | null>(null);

  useEffect(() => {
    const ctl = new AbortController();
    abort.current = ctl;
    const t0 = performance.now();
    setState({ kind: 'running', done: 0, total: 1 });
    inspectTensor(inputs, tensor.name, {
      signal: ctl.signal,
      onProgress: (done, total) => setState({ kind: 'running', done, total }),
    }).then(
      (stats) => !ctl.signal.aborted && setState({ kind: 'done', stats, ms: performance.now() - t0 }),
      (e) => setState(e instanceof InspectCancelled ? { kind: 'cancelled' } : { kind: 'error', message: e instanceof Error ? e.message : String(e) }),
    );
    return () => ctl.abort();
  }, [inputs, tensor, run]);

  const edges = state.kind === 'done' && state.stats.histogram ? histogramEdges(state.stats.histogram) : [];
  const bars = state.kind === 'done' && state.stats.histogram
    ? state.stats.histogram.counts.map((count, i) => ({ x: formatStat((edges[i] + edges[i + 1]) / 2), count }))
    : [];

  return (
    <section className="cv-card" aria-labelledby="tensor-stats-heading" data-testid="tensor-stats">
      <h2 id="tensor-stats-heading" className="cv-mono" style={{ wordBreak: 'break-all' }}>{tensor.name}</h2>
      <p className="cv-small cv-muted">
        {tensor.dtype} {formatShape(tensor.shape)} · {formatBytes(tensor.byteLength)} · {tensor.file}
      </p>
      {state.kind === 'running' && (
        <div className="cv-toolbar">
          <progress className="cv-progress" style={{ flex: 1 }} max={state.total} value={state.done} aria-label="Computing statistics" />
          <button type="button" className="cv-btn cv-btn-small" onClick={() => abort.current?.abort()}>Cancel</button>
        </div>
      )}
      {state.kind === 'cancelled' && (
        <p className="cv-small" role="status">
          Cancelled. <button type="button" className="cv-btn cv-btn-small" onClick={() => setRun((r) => r + 1)}>Compute again</button>
        </p>
      )}
      {state.kind === 'error' && <div role="alert" className="cv-alert"><p>{state.message}</p></div>}
      {state.kind === 'done' && (
        <>
          <dl className="cv-dl" aria-label="Tensor statistics">
            {ROWS.map(([k, label]) => (
              <div key={k} style={{ display: 'contents' }}>
                <dt>{label}</dt>
                <dd data-stat={k} data-value={String(state.stats[k])}>
                  {typeof state.stats[k] === 'number' ? (k === 'count' || k === 'nan' || k === 'posInf' || k === 'negInf' || k === 'zeros' ? (state.stats[k] as number).toLocaleString('en-US') : formatStat(state.stats[k] as number)) : ''}
                </dd>
              </div>
            ))}
          </dl>
          {bars.length > 0 && (
            <figure style={{ margin: 0 }} role="img" aria-label={`Histogram of ${tensor.name}: ${bars.length} bins from ${formatStat(edges[0])} to ${formatStat(edges[edges.length - 1])}`} data-testid="histogram">
              <BarChart width={340} height={170} data={bars} margin={{ top: 4, right: 4, bottom: 4, left: 4 }} barCategoryGap={0}>
                <XAxis dataKey="x" tick={{ fontSize: 10 }} interval={Math.max(0, Math.floor(bars.length / 4) - 1)} />
                <YAxis tick={{ fontSize: 10 }} width={40} />
                <Tooltip />
                <Bar dataKey="count" fill="var(--cv-accent)" isAnimationActive={false} />
              </BarChart>
              <figcaption className="cv-small cv-muted">Histogram of finite values, {bars.length} bins · computed in {state.ms.toFixed(0)} ms</figcaption>
            </figure>
          )}
        </>
      )}
    </section>
  );
}
