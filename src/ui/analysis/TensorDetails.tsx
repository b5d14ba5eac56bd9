import type { AlphaSpec, GroupGrid } from '../../analysis/aggregate';
import { alphaFor, cellKey, tensorInLayer } from '../../analysis/aggregate';
import { metricsFor } from '../../analysis/metrics';
import type { StatsPlan } from '../../analysis/plan';
import type { TensorStats } from '../../analysis/run-stats';
import { blockLabel } from '../../analysis/heatmap-grid';
import type { SelectedCell } from '../../store/analysis';
import { downloadCsv } from './export';
import { fmtNum } from './format';

/** The tensors behind a clicked heatmap cell: shape, dtypes, every metric, per-vector statistics. */
export function TensorDetails({ plan, grid, tensors, cell, alpha, onClose }: {
  plan: StatsPlan; grid: GroupGrid; tensors: TensorStats[]; cell: SelectedCell; alpha: AlphaSpec; onClose(): void;
}) {
  const c = grid.cells.get(cellKey(cell.block, cell.module));
  if (!c) return null;
  const ms = metricsFor(plan);
  const a = alphaFor(alpha, grid.group, cell.block);
  // A stacked tensor (all layers on axis 0) shows the slice of this cell's layer.
  const list = c.tensors.map((i) => ({ ...tensors[i], ...tensorInLayer(tensors[i], cell.block) }));
  return (
    <section className="cv-card" aria-label="tensor details">
      <div className="cv-toolbar">
        <strong>{grid.label} · {blockLabel(cell.block)} · {cell.module}</strong>
        <span className="cv-muted cv-small">α = {a}</span>
        <span style={{ flex: 1 }} />
        <button type="button" className="cv-btn cv-btn-small" onClick={() => downloadCsv(`tensors-${grid.group}-${blockLabel(cell.block)}-${cell.module}.csv`.replace(/[^a-z0-9.-]+/gi, '_'), {
          columns: ['name', 'shape', 'dtypes', ...ms.map((m) => m.id)],
          rows: list.map((t) => [t.name, t.shape.join('x'), t.dtypes.join('/'), ...ms.map((m) => m.value(plan, [{ acc: t.acc, alpha: a }]))]),
        })}>Export CSV</button>
        <button type="button" className="cv-btn cv-btn-small" onClick={onClose} aria-label="Close tensor details">Close</button>
      </div>
      {list.map((t) => (
        <details key={t.name} open={list.length <= 2}>
          <summary><code>{t.name}</code>{t.slice && <span className="cv-small"> · {t.slice}</span>} <span className="cv-muted cv-small">[{t.shape.join(', ')}] {t.dtypes.join(' / ')}</span></summary>
          <dl className="cv-dl">
            {ms.map((m) => [<dt key={`${m.id}t`}>{m.label}</dt>, <dd key={`${m.id}d`}>{fmtNum(m.value(plan, [{ acc: t.acc, alpha: a }]))}</dd>])}
          </dl>
          <table className="cv-table">
            <thead><tr><th>vector</th><th className="num">mean</th><th className="num">min</th><th className="num">max</th><th className="num">near-zero</th><th className="num">NaN</th><th className="num">Inf</th></tr></thead>
            <tbody>
              {plan.vectors.map((v, i) => {
                const s = t.acc.vectors[i];
                const finite = s.count - s.nan - s.inf;
                return (
                  <tr key={v.id}><td>{v.label}</td><td className="num">{fmtNum(finite ? s.sum / finite : NaN)}</td><td className="num">{fmtNum(s.min)}</td>
                    <td className="num">{fmtNum(s.max)}</td><td className="num">{s.nearZero}</td><td className="num">{s.nan}</td><td className="num">{s.inf}</td></tr>
                );
              })}
            </tbody>
          </table>
        </details>
      ))}
    </section>
  );
}
