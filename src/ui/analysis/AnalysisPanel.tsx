import { startTransition, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { groupParts, modelParts, type AlphaSpec } from '../../analysis/aggregate';
import { METRIC_BY_ID, metricsFor } from '../../analysis/metrics';
import { capvectorPlan } from '../../analysis/plan';
import { metricsTable, type By } from '../../analysis/tables';
import { groupLabel } from '../../model/layer-key';
import { syncViewToUrl, useAnalysis } from '../../store/analysis';
import { checkpointForRole, useWorkbench } from '../../store/workbench';
import type { AnalysisEngineChoice } from '../../workers/analysis-protocol';
import { AlphaPreview } from './AlphaPreview';
import { CosineMatrix } from './CosineMatrix';
import { downloadCsv, downloadJson } from './export';
import { formatBytes, formatRate } from '../../text/bytes';
import { fmtSeconds } from './format';
import { Heatmap } from './Heatmap';
import { LayerCharts } from './LayerCharts';
import { ViewControls } from './ViewControls';
import { SpectralRunControls } from './SpectralRunControls';
import { SpectralSection } from './SpectralSection';
import { TensorDetails } from './TensorDetails';

/**
 * `value`, but updated at most every `ms` while `live` (the last value always lands); `live` false
 * passes it straight through. Charts, the α table and the matrix follow the stream at this pace, in a
 * transition: React renders them in time slices, yielding between components, so their update never
 * becomes one long main-thread task.
 */
function useThrottled<T>(value: T, ms: number, live: boolean): T {
  const [v, setV] = useState(value);
  const [wasLive, setWasLive] = useState(live);
  const last = useRef(0);
  if (live !== wasLive) {
    // A new run starts from its own first value, never from the previous run's last one.
    setWasLive(live);
    setV(value);
  }
  useEffect(() => {
    if (!live) return;
    const wait = last.current + ms - performance.now();
    const apply = () => {
      last.current = performance.now();
      startTransition(() => setV(value));
    };
    if (wait <= 0) {
      apply();
      return;
    }
    const t = setTimeout(apply, wait);
    return () => clearTimeout(t);
  }, [value, ms, live]);
  return live ? v : value;
}

/** Layer heatmaps and orthogonality: where a capability vector lives and whether Δ stays orthogonal to it. */
export default function AnalysisPanel() {
  const wb = useWorkbench();
  const an = useAnalysis();
  const { view, plan, grids, tensors } = an;
  const setView = an.setView;
  const [engine, setEngine] = useState<AnalysisEngineChoice>('auto');
  const [extra, setExtra] = useState<string[]>([]);
  useEffect(() => syncViewToUrl(), []);

  const pre = checkpointForRole(wb, 'pre');
  const aux = checkpointForRole(wb, 'aux');
  const sft = checkpointForRole(wb, 'sft');
  const down = checkpointForRole(wb, 'down');
  const assigned = new Set([pre, aux, sft, down].map((c) => c?.id));
  const others = wb.checkpoints.filter((c) => !assigned.has(c.id));
  const ready = !!(pre && aux && sft);

  const start = () => {
    if (!pre || !aux || !sft) return;
    const extras = others.filter((c) => extra.includes(c.id));
    const p = capvectorPlan({ down: !!down, extraAux: extras.map((c) => ({ role: `x:${c.id}`, label: c.checkpoint.name })) });
    const inputs = [
      { role: 'pre', files: pre.inputs }, { role: 'aux', files: aux.inputs }, { role: 'sft', files: sft.inputs },
      ...(down ? [{ role: 'down', files: down.inputs }] : []),
      ...extras.map((c) => ({ role: `x:${c.id}`, files: c.inputs })),
    ];
    void an.start(p, inputs, engine, wb.nameMaps);
  };

  const alpha: AlphaSpec = useMemo(() => ({ global: view.alpha, perLayer: view.perLayer }), [view.alpha, view.perLayer]);
  const metrics = useMemo(() => (plan ? metricsFor(plan) : []), [plan]);
  const groupIds = grids.map((g) => g.group).join('\n');
  const metric = METRIC_BY_ID[view.metric] && metrics.some((m) => m.id === view.metric) ? METRIC_BY_ID[view.metric] : metrics[0];
  const shown = useMemo(() => (view.group ? grids.filter((g) => g.group === view.group) : grids), [view.group, grids]);
  const selGrid = an.selected ? grids.find((g) => g.group === an.selected!.group) : undefined;
  const p = an.progress;
  const running = an.status === 'running';
  // Heatmaps repaint per batch (only the touched components); the rest follows every 400 ms.
  const slow = useThrottled(shown, 400, running);
  const withBlocks = useMemo(() => slow.filter((g) => g.blocks.filter((b) => b !== null).length >= 2), [slow]);
  const chartGrid = withBlocks.find((g) => g.group === view.chart) ?? withBlocks.find((g) => g.group === 'language') ?? withBlocks[0];
  const matrixParts = useMemo(() => (view.group ? slow.flatMap((g) => groupParts(g, alpha)) : modelParts(slow, alpha)), [view.group, slow, alpha]);
  const onGlobal = useCallback((a: number) => setView({ alpha: a }), [setView]);
  const onRank = useCallback((r: number) => setView({ rank: r }), [setView]);
  const truncation = useMemo(() => (an.spectra.size > 0 ? { tensors, spectra: an.spectra, version: an.spectralVersion, rank: view.rank, k: an.spectralRunK, onRank } : undefined),
    [tensors, an.spectra, an.spectralVersion, view.rank, an.spectralRunK, onRank]);
  const onToggle = useCallback((id: string, on: boolean) => {
    const vs = useAnalysis.getState().view.vectors;
    setView({ vectors: on ? [...vs.filter((v) => v !== id), id] : vs.filter((v) => v !== id) });
  }, [setView]);

  // Reads the store when clicked, so the callback is stable and the toolbar does not re-render per batch.
  const exportTable = useCallback((by: By, kind: 'csv' | 'json') => {
    const st = useAnalysis.getState();
    if (!st.plan) return;
    const al = { global: st.view.alpha, perLayer: st.view.perLayer };
    const t = metricsTable(st.plan, by, st.tensors, st.grids, al);
    if (kind === 'csv') downloadCsv(`capvector-stats-by-${by}.csv`, t);
    else downloadJson(`capvector-stats-by-${by}.json`, t, { alpha: st.view.alpha, perLayerAlpha: st.view.perLayer, by });
  }, []);


  return (
    <section aria-label="analysis" className="cv-panel">
      <div className="cv-card">
        <div className="cv-toolbar">
          <strong>Statistics</strong>
          <span className="cv-small cv-muted">
            {ready ? `θ_pre ${pre!.checkpoint.name} · θ_aux ${aux!.checkpoint.name} · θ_sft ${sft!.checkpoint.name}${down ? ` · θ_down ${down.checkpoint.name}` : ' · no downstream checkpoint (Δ metrics off)'}`
              : 'Assign θ_pre, θ_aux and θ_sft in the Checkpoints view to analyse.'}
          </span>
        </div>
        {others.length > 0 && (
          <fieldset className="cv-toolbar" style={{ border: 0, padding: 0 }}>
            <legend className="cv-small cv-muted">More capability vectors (θ_k − θ_sft)</legend>
            {others.map((c) => (
              <label key={c.id} className="cv-field">
                <input type="checkbox" checked={extra.includes(c.id)} onChange={(e) => setExtra((x) => (e.target.checked ? [...x, c.id] : x.filter((i) => i !== c.id)))} />
                {c.checkpoint.name}
              </label>
            ))}
          </fieldset>
        )}
        <div className="cv-toolbar">
          <label className="cv-field">Engine
            <select value={engine} onChange={(e) => setEngine(e.target.value as AnalysisEngineChoice)} aria-label="Engine">
              <option value="auto">auto (measured)</option><option value="webgpu">WebGPU</option><option value="cpu">CPU</option>
            </select>
          </label>
          <SpectralRunControls on={view.spectral} k={view.spectralK} tau={view.spectralTau} disabled={running} setView={setView} />
          <button type="button" className="cv-btn cv-btn-primary" disabled={!ready || running} onClick={start}>Start analysis</button>
          <button type="button" className="cv-btn cv-btn-danger" disabled={!running} onClick={() => an.cancel()}>Cancel</button>
          {an.engine && <span className="cv-badge cv-badge-accent" title={an.engine.reason}>engine: {an.engine.kind}</span>}
          {an.status === 'done' && <span className="cv-badge cv-badge-ok" role="status">analysis complete</span>}
          {an.status === 'cancelled' && <span className="cv-badge cv-badge-warn" role="status">cancelled</span>}
        </div>
        {(running || p) && (
          <div aria-label="analysis progress">
            <progress className="cv-progress" max={p?.bytesTotal || 1} value={p?.bytesDone ?? 0} aria-label="statistics progress" />
            <span className="cv-small cv-muted" role="status" aria-live="polite">
              {p ? `${p.tensorsDone} / ${p.tensorsTotal} tensors · ${formatBytes(p.bytesDone)} / ${formatBytes(p.bytesTotal)} · ${p.elapsed > 0 ? formatRate(p.bytesDone / p.elapsed) : ''} · ETA ${running ? fmtSeconds(p.eta) : '0 s'}` : 'opening checkpoints…'}
            </span>
          </div>
        )}
        {an.error && <div className="cv-alert" role="alert"><p><strong>Analysis failed:</strong> {an.error}</p></div>}
        {an.skipped.length > 0 && (
          <details className="cv-small"><summary>{an.skipped.length} tensor(s) skipped</summary>
            <ul>{an.skipped.slice(0, 50).map((s) => <li key={s.name}><code>{s.name}</code>: {s.reason}</li>)}</ul>
          </details>
        )}
      </div>

      {plan && metric && (
        <>
          <ViewControls metrics={metrics} metric={metric.id} cmap={view.cmap} group={view.group} groups={groupIds} setView={setView} onExport={exportTable} />
          <div className="cv-heatmaps">
            {shown.map((g) => (
              <Heatmap key={g.group} plan={plan} grid={g} metric={metric} alpha={alpha} cmap={view.cmap} selected={an.selected} onSelect={an.select} />
            ))}
            {shown.length === 0 && <p className="cv-muted">{running ? 'Waiting for the first tensors…' : 'No statistics yet.'}</p>}
          </div>
          <SpectralSection grids={shown} allGrids={grids} tensors={tensors} cmap={view.cmap} selected={an.selected} onSelect={an.select} />
          {an.selected && selGrid && (
            <TensorDetails plan={plan} grid={selGrid} tensors={tensors} cell={an.selected} alpha={alpha} onClose={() => an.select(null)} />
          )}
          {/* Charts, the α table and the matrix follow the stream (throttled): each is a few dozen SVG or
              table elements computed from layer sums, so no update blocks the main thread for long. */}
          {slow.length > 0 && (
            <AlphaPreview plan={plan} grids={slow} alpha={alpha} onGlobal={onGlobal} onLayer={an.setLayerAlpha} truncation={truncation} />
          )}
          {chartGrid && (
            <section aria-label="per-layer charts">
              {withBlocks.length > 1 && (
                <div className="cv-toolbar">
                  <label className="cv-field">Charts for
                    <select aria-label="Charts for" value={chartGrid.group} onChange={(e) => setView({ chart: e.target.value })}>
                      {withBlocks.map((g) => <option key={g.group} value={g.group}>{g.label}</option>)}
                    </select>
                  </label>
                </div>
              )}
              <LayerCharts plan={plan} grid={chartGrid} alpha={alpha} vectors={view.vectors} />
            </section>
          )}
          {slow.length > 0 && (
            <CosineMatrix plan={plan} parts={matrixParts} vectors={view.vectors} scope={view.group ? groupLabel(view.group) : 'whole model'} onToggle={onToggle} />
          )}
        </>
      )}
    </section>
  );
}
