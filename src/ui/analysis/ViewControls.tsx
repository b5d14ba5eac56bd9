import { memo } from 'react';
import type { MetricDef } from '../../analysis/metrics';
import type { By } from '../../analysis/tables';
import { groupLabel } from '../../model/layer-key';
import { COLOR_MAPS, type AnalysisView, type ColorMapId } from '../../store/analysis';

/**
 * Metric, colour map, component filter and table exports. Memoised on primitive props: while
 * statistics stream, the panel re-renders per batch and this toolbar need not (its option lists only
 * change when a new component appears).
 */
export const ViewControls = memo(function ViewControls({ metrics, metric, cmap, group, groups, setView, onExport }: {
  metrics: MetricDef[]; metric: string; cmap: ColorMapId; group: string;
  /** Component ids joined by '\n' (a string, so memo compares by value). */
  groups: string;
  setView(p: Partial<AnalysisView>): void;
  onExport(by: By, kind: 'csv' | 'json'): void;
}) {
  return (
    <div className="cv-toolbar">
      <label className="cv-field">Metric
        <select aria-label="Metric" value={metric} onChange={(e) => setView({ metric: e.target.value })}>
          {metrics.map((m) => <option key={m.id} value={m.id}>{m.label}</option>)}
        </select>
      </label>
      <label className="cv-field">Colour map
        <select aria-label="Colour map" value={cmap} onChange={(e) => setView({ cmap: e.target.value as ColorMapId })}>
          {COLOR_MAPS.map((c) => <option key={c} value={c}>{c === 'auto' ? 'auto (diverging for cosines)' : c}</option>)}
        </select>
      </label>
      <label className="cv-field">Component
        <select aria-label="Component" value={group} onChange={(e) => setView({ group: e.target.value })}>
          <option value="">all</option>
          {groups.split('\n').filter(Boolean).map((g) => <option key={g} value={g}>{groupLabel(g)}</option>)}
        </select>
      </label>
      <span style={{ flex: 1 }} />
      {(['tensor', 'layer', 'component'] as By[]).map((by) => (
        <span key={by} className="cv-toolbar">
          <button type="button" className="cv-btn cv-btn-small" onClick={() => onExport(by, 'csv')}>CSV by {by}</button>
          <button type="button" className="cv-btn cv-btn-small" onClick={() => onExport(by, 'json')}>JSON by {by}</button>
        </span>
      ))}
    </div>
  );
});
