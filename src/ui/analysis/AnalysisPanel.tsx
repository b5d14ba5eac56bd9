import { useDeferredValue, useEffect, useMemo, useState } from 'react';
import { buildGrids, groupParts, modelParts, type AlphaSpec } from '../../analysis/aggregate';
import { METRIC_BY_ID, metricsFor } from '../../analysis/metrics';
import { capvectorPlan } from '../../analysis/plan';
import { metricsTable, type By } from '../../analysis/tables';
import { groupLabel } from '../../model/layer-key';
import { COLOR_MAPS, syncViewToUrl, useAnalysis } from '../../store/analysis';
import { checkpointForRole, useWorkbench } from '../../store/workbench';
import type { AnalysisEngineChoice } from '../../workers/analysis-protocol';
import { AlphaPreview } from './AlphaPreview';
import { CosineMatrix } from './CosineMatrix';
import { downloadCsv, downloadJson } from './export';
import { fmtBytes, fmtSeconds } from './format';
import { Heatmap } from './Heatmap';
import { LayerCharts } from './LayerCharts';
import { TensorDetails } from './TensorDetails';

/** Layer heatmaps and orthogonality: where a capability vector lives and whether Δ stays orthogonal to it. */
export default function AnalysisPanel() {
  const wb = useWorkbench();
  const an = useAnalysis();
  const { view, plan, tensors, version } = an;
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
    void an.start(p, inputs, engine);
  };

  // `version` changes whenever `tensors` does (the store bumps both together).
  const grids = useMemo(() => (plan ? buildGrids(plan, tensors) : []), [plan, tensors, version]);
  const alpha: AlphaSpec = useMemo(() => ({ global: view.alpha, perLayer: view.perLayer }), [view.alpha, view.perLayer]);
  const metrics = plan ? metricsFor(plan) : [];
  const metric = METRIC_BY_ID[view.metric] && metrics.some((m) => m.id === view.metric) ? METRIC_BY_ID[view.metric] : metrics[0];
  const shown = view.group ? grids.filter((g) => g.group === view.group) : grids;
  const chartGrid = shown.find((g) => g.blocks.some((b) => b !== null)) ?? shown[0];
  const selGrid = an.selected ? grids.find((g) => g.group === an.selected!.group) : undefined;
  const matrixParts = useMemo(() => (view.group ? shown.flatMap((g) => groupParts(g, alpha)) : modelParts(grids, alpha)), [view.group, shown, grids, alpha]);
  const p = an.progress;
  const running = an.status === 'running';
  // The charts mount in a deferred (time-sliced) render, so the moment statistics complete does not
  // become one long main-thread task.
  const showExtras = useDeferredValue(!running && !!plan, false);

  const exportTable = (by: By, kind: 'csv' | 'json') => {
    if (!plan) return;
    const t = metricsTable(plan, by, tensors, grids, alpha);
    if (kind === 'csv') downloadCsv(`capvector-stats-by-${by}.csv`, t);
    else downloadJson(`capvector-stats-by-${by}.json`, t, { alpha: view.alpha, perLayerAlpha: view.perLayer, by });
  };

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
              {p ? `${p.tensorsDone} / ${p.tensorsTotal} tensors · ${fmtBytes(p.bytesDone)} / ${fmtBytes(p.bytesTotal)} · ${p.elapsed > 0 ? `${fmtBytes(p.bytesDone / p.elapsed)}/s` : ''} · ETA ${running ? fmtSeconds(p.eta) : '0 s'}` : 'opening checkpoints…'}
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
          <div className="cv-toolbar">
            <label className="cv-field">Metric
              <select aria-label="Metric" value={metric.id} onChange={(e) => an.setView({ metric: e.target.value })}>
                {metrics.map((m) => <option key={m.id} value={m.id}>{m.label}</option>)}
              </select>
            </label>
            <label className="cv-field">Colour map
              <select aria-label="Colour map" value={view.cmap} onChange={(e) => an.setView({ cmap: e.target.value as typeof view.cmap })}>
                {COLOR_MAPS.map((c) => <option key={c} value={c}>{c === 'auto' ? 'auto (diverging for cosines)' : c}</option>)}
              </select>
            </label>
            <label className="cv-field">Component
              <select aria-label="Component" value={view.group} onChange={(e) => an.setView({ group: e.target.value })}>
                <option value="">all</option>
                {grids.map((g) => <option key={g.group} value={g.group}>{groupLabel(g.group)}</option>)}
              </select>
            </label>
            <span style={{ flex: 1 }} />
            {(['tensor', 'layer', 'component'] as By[]).map((by) => (
              <span key={by} className="cv-toolbar">
                <button type="button" className="cv-btn cv-btn-small" onClick={() => exportTable(by, 'csv')}>CSV by {by}</button>
                <button type="button" className="cv-btn cv-btn-small" onClick={() => exportTable(by, 'json')}>JSON by {by}</button>
              </span>
            ))}
          </div>
          <div className="cv-heatmaps" style={{ display: 'flex', flexWrap: 'wrap', gap: 'var(--cv-space-3)' }}>
            {shown.map((g) => (
              <Heatmap key={g.group} plan={plan} grid={g} metric={metric} alpha={alpha} cmap={view.cmap} selected={an.selected} onSelect={(c) => an.select(c)} />
            ))}
            {shown.length === 0 && <p className="cv-muted">{running ? 'Waiting for the first tensors…' : 'No statistics yet.'}</p>}
          </div>
          {an.selected && selGrid && (
            <TensorDetails plan={plan} grid={selGrid} tensors={tensors} cell={an.selected} alpha={alpha} onClose={() => an.select(null)} />
          )}
          {/* Charts, the α table and the matrix appear once statistics are complete: while they stream,
              the main thread only repaints heatmaps (cheap canvas draws), so it never blocks. */}
          {running && <p className="cv-muted cv-small">Charts, α preview and the cosine matrix appear when statistics are complete.</p>}
          {showExtras && chartGrid && (
            <>
              <AlphaPreview plan={plan} grid={chartGrid} alpha={alpha} onGlobal={(a) => an.setView({ alpha: a })} onLayer={(id, a) => an.setLayerAlpha(id, a)} />
              <LayerCharts plan={plan} grid={chartGrid} alpha={alpha} vectors={view.vectors} />
            </>
          )}
          {showExtras && grids.length > 0 && (
            <CosineMatrix plan={plan} parts={matrixParts} vectors={view.vectors} scope={view.group ? groupLabel(view.group) : 'whole model'}
              onToggle={(id, on) => an.setView({ vectors: on ? [...view.vectors.filter((v) => v !== id), id] : view.vectors.filter((v) => v !== id) })} />
          )}
        </>
      )}
    </section>
  );
}
