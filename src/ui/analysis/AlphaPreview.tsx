import { Fragment, memo, useMemo } from 'react';
import type { AlphaSpec, GroupGrid } from '../../analysis/aggregate';
import { alphaFor, groupParts, layerId, layerParts } from '../../analysis/aggregate';
import { METRIC_BY_ID } from '../../analysis/metrics';
import type { StatsPlan } from '../../analysis/plan';
import { vectorIndex } from '../../analysis/plan';
import { blockLabel } from '../../analysis/heatmap-grid';
import type { TensorSpectral } from '../../analysis/run-spectral';
import type { TensorStats } from '../../analysis/run-stats';
import { truncatedLayerParts, type Truncation } from '../../analysis/truncate';
import type { Part } from '../../analysis/gram';
import { downloadCsv } from './export';
import { fmtNum } from './format';

/**
 * Live α preview: the global α and per-layer overrides re-evaluate ‖θ_meta − θ_pre‖ = |α|·‖γ‖, ‖Δ‖ and
 * cos(γ, Δ) per layer from the stored sums (see analysis/gram.ts); no weights are read again.
 * Every shown component gets its own block of rows (all of them when the component filter is 'all'),
 * and the last row sums over everything shown. With spectra, "γ truncated to rank r" evaluates the same
 * figures for θ_meta = θ_pre + α·γ_r (../../analysis/truncate.ts).
 */
export interface TruncationInput {
  tensors: TensorStats[];
  /** Mutated in place as spectra stream in; `version` changes with it. */
  spectra: ReadonlyMap<string, readonly TensorSpectral[]>;
  version: number;
  /** 0 = γ whole. */
  rank: number;
  /** The spectral run's k: no rank beyond it. */
  k: number;
  onRank(r: number): void;
}

export const AlphaPreview = memo(function AlphaPreview({ plan, grids, alpha, onGlobal, onLayer, truncation }: {
  plan: StatsPlan; grids: GroupGrid[]; alpha: AlphaSpec; onGlobal(a: number): void; onLayer(id: string, a: number | undefined): void; truncation?: TruncationInput;
}) {
  const hasDown = vectorIndex(plan, 'down') >= 0;
  const ms = useMemo(() => ['metaShift', ...(hasDown ? ['normDelta', 'cosGammaDelta'] : [])].map((id) => METRIC_BY_ID[id]), [hasDown]);
  const canTruncate = !!truncation && truncation.spectra.size > 0;
  const rank = canTruncate ? Math.min(truncation!.rank, truncation!.k) : 0;
  const tVersion = truncation?.version;
  const { sections, total, count } = useMemo(() => {
    const count: Truncation = { missing: 0, clipped: 0 };
    const all: Part[] = [];
    const sections = grids.map((g) => {
      const tparts = rank > 0 ? truncatedLayerParts(plan, g, truncation!.tensors, truncation!.spectra, rank, alpha, count) : null;
      return {
        g,
        rows: g.blocks.map((b) => {
          const parts = tparts ? [tparts.get(b)!] : layerParts(g, b, alpha);
          all.push(...parts);
          return { b, id: layerId(g.group, b), a: alphaFor(alpha, g.group, b), values: ms.map((m) => m.value(plan, parts)) };
        }),
      };
    });
    return { sections, total: ms.map((m) => m.value(plan, rank > 0 ? all : grids.flatMap((g) => groupParts(g, alpha)))), count };
    // tVersion stands for the spectra Map's content, which is mutated in place.
  }, [plan, grids, alpha, ms, rank, truncation, tVersion]);
  const scope = grids.length === 1 ? grids[0].label : 'all components';
  return (
    <section className="cv-card" aria-label="alpha preview">
      <div className="cv-toolbar">
        <strong>Live α preview — {scope}{rank > 0 ? ` · γ → γ_${rank}` : ''}</strong>
        <label className="cv-field">
          Global α
          <input type="range" min={-1} max={2} step={0.05} value={alpha.global} aria-label="Global alpha slider" onChange={(e) => onGlobal(Number(e.target.value))} />
          <input type="number" step={0.05} value={alpha.global} aria-label="Global alpha" style={{ width: 70 }}
            onChange={(e) => Number.isFinite(e.target.valueAsNumber) && onGlobal(e.target.valueAsNumber)} />
        </label>
        {canTruncate && (
          <label className="cv-field" title="θ_meta = θ_pre + α·γ_r, γ_r the best rank-r approximation of each matrix (norms and biases whole); 0 = γ whole">
            γ truncated to rank
            <input type="number" min={0} max={truncation!.k} step={1} value={rank} aria-label="Truncate γ to rank r (0 = whole)" style={{ width: 60 }}
              onChange={(e) => Number.isInteger(e.target.valueAsNumber) && truncation!.onRank(Math.max(0, Math.min(truncation!.k, e.target.valueAsNumber)))} />
          </label>
        )}
        <span style={{ flex: 1 }} />
        <button type="button" className="cv-btn cv-btn-small" onClick={() => downloadCsv(`alpha-preview-${scope.replace(/[^a-z0-9]+/gi, '_')}${rank > 0 ? `-rank${rank}` : ''}.csv`, {
          columns: ['component', 'block', 'alpha', 'rank', ...ms.map((m) => m.id)],
          rows: sections.flatMap((s) => s.rows.map((r) => [s.g.group, r.b, r.a, rank > 0 ? rank : null, ...r.values])),
        })}>Export CSV</button>
      </div>
      {rank > 0 && (
        <p className="cv-small cv-muted" role="note">
          γ truncated to rank {rank} in every matrix (norms, biases and other non-matrices whole).
          {count.missing > 0 && ` ${count.missing} matrices have no spectrum yet and count whole.`}
          {hasDown ? '' : ' No downstream checkpoint: only ‖θ_meta − θ_pre‖.'}
        </p>
      )}
      <div style={{ maxHeight: 360, overflow: 'auto' }}>
        <table className="cv-table">
          <thead><tr><th>Layer</th><th>α override</th>{ms.map((m) => <th key={m.id} className="num">{m.label}</th>)}</tr></thead>
          <tbody>
            {sections.map(({ g, rows }) => (
              <Fragment key={g.group}>
                {grids.length > 1 && <tr data-group={g.group}><th colSpan={2 + ms.length} style={{ textAlign: 'left' }}>{g.label}</th></tr>}
                {rows.map((r) => (
                  <AlphaRow key={r.id} id={r.id} label={`${g.label} ${blockLabel(r.b)}`} block={blockLabel(r.b)} override={alpha.perLayer[r.id]}
                    global={alpha.global} v0={r.values[0]} v1={r.values[1]} v2={r.values[2]} onLayer={onLayer} />
                ))}
              </Fragment>
            ))}
            <tr data-layer="total"><th>all</th><td />{total.map((v, i) => <th key={ms[i].id} className="num">{fmtNum(v)}</th>)}</tr>
          </tbody>
        </table>
      </div>
    </section>
  );
});

/**
 * One layer's row. Primitive props so that memo skips rows whose numbers did not change: while
 * statistics stream, a throttled update re-renders only the layers that received tensors.
 */
const AlphaRow = memo(function AlphaRow({ id, label, block, override, global, v0, v1, v2, onLayer }: {
  id: string; label: string; block: string; override: number | undefined; global: number;
  v0: number; v1: number | undefined; v2: number | undefined; onLayer(id: string, a: number | undefined): void;
}) {
  return (
    <tr data-layer={id}>
      <td>{block}</td>
      <td>
        <input type="number" step={0.05} aria-label={`alpha for ${label}`} placeholder={String(global)} style={{ width: 70 }}
          value={override ?? ''}
          onChange={(e) => onLayer(id, e.target.value === '' ? undefined : e.target.valueAsNumber)} />
      </td>
      <td className="num">{fmtNum(v0)}</td>
      {v1 !== undefined && <td className="num">{fmtNum(v1)}</td>}
      {v2 !== undefined && <td className="num">{fmtNum(v2)}</td>}
    </tr>
  );
});
