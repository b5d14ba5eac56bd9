import { create } from 'zustand';
import { appendToGrids, type GroupGrid } from '../analysis/aggregate';
import type { StatsPlan } from '../analysis/plan';
import type { SkippedTensor, StatsProgress, TensorStats } from '../analysis/run-stats';
import { startAnalysis, type AnalysisRun } from '../workers/analysis-client';
import type { AnalysisEngineChoice, AnalysisEngineInfo, AnalysisRunRequest } from '../workers/analysis-protocol';
import { mirrorToHash, queryFor } from './url-hash';

/**
 * The analysis panel's state: the streamed per-tensor statistics, the run's status, and the view
 * (metric, colour map, α and per-layer overrides, selected vectors, component) which is mirrored into
 * the URL hash (#analysis?metric=…&alpha=…) so a view can be shared and reopened.
 */
export type ColorMapId = 'auto' | 'viridis' | 'magma' | 'diverging';
export const COLOR_MAPS: ColorMapId[] = ['auto', 'viridis', 'magma', 'diverging'];

export interface AnalysisView {
  metric: string;
  cmap: ColorMapId;
  alpha: number;
  /** layerId(group, block) → α override. */
  perLayer: Record<string, number>;
  /** Vectors in the pairwise cosine matrix and the per-layer charts. */
  vectors: string[];
  /** The component shown first / alone ('' = all). */
  group: string;
  /** The component of the per-layer charts when `group` is 'all' ('' = the language model, else the first with blocks). */
  chart: string;
}

export const DEFAULT_VIEW: AnalysisView = {
  metric: 'normGamma',
  cmap: 'auto',
  alpha: 0.8,
  perLayer: {},
  vectors: ['gamma', 'tauAux', 'tauSft', 'down', 'delta'],
  group: '',
  chart: '',
};

export type AnalysisStatus = 'idle' | 'running' | 'done' | 'cancelled' | 'error';

export interface SelectedCell {
  group: string;
  block: number | null;
  module: string;
}

export interface AnalysisState {
  view: AnalysisView;
  status: AnalysisStatus;
  error?: string;
  plan?: StatsPlan;
  /** Streamed tensors in arrival order; appended in place (indices are stable, cells refer to them). */
  tensors: TensorStats[];
  /** Per-component grids, updated per batch by appendToGrids: untouched components keep their identity. */
  grids: GroupGrid[];
  /** Bumped whenever tensors change. */
  version: number;
  skipped: SkippedTensor[];
  tensorsTotal: number;
  progress?: StatsProgress;
  engine?: AnalysisEngineInfo;
  selected: SelectedCell | null;
  setView(p: Partial<AnalysisView>): void;
  setLayerAlpha(layer: string, alpha: number | undefined): void;
  select(c: SelectedCell | null): void;
  start(plan: StatsPlan, inputs: AnalysisRunRequest['inputs'], engine?: AnalysisEngineChoice, nameMaps?: AnalysisRunRequest['nameMaps']): Promise<void>;
  cancel(): void;
}

// ---- URL state ----
const num = (s: string | null, d: number) => (s !== null && s !== '' && Number.isFinite(Number(s)) ? Number(s) : d);

export function viewToQuery(v: AnalysisView): string {
  const q = new URLSearchParams();
  q.set('metric', v.metric);
  q.set('cmap', v.cmap);
  q.set('alpha', String(v.alpha));
  q.set('vectors', v.vectors.join(','));
  if (v.group) q.set('group', v.group);
  if (v.chart) q.set('chart', v.chart);
  const la = Object.entries(v.perLayer).map(([k, a]) => `${k}:${a}`).join(',');
  if (la) q.set('layerAlpha', la);
  return q.toString();
}

export function viewFromQuery(s: string): AnalysisView {
  const q = new URLSearchParams(s);
  const perLayer: Record<string, number> = {};
  for (const part of (q.get('layerAlpha') ?? '').split(',').filter(Boolean)) {
    const i = part.lastIndexOf(':');
    const a = Number(part.slice(i + 1));
    if (i > 0 && Number.isFinite(a)) perLayer[part.slice(0, i)] = a;
  }
  const cmap = q.get('cmap') as ColorMapId | null;
  return {
    metric: q.get('metric') || DEFAULT_VIEW.metric,
    cmap: cmap && COLOR_MAPS.includes(cmap) ? cmap : DEFAULT_VIEW.cmap,
    alpha: num(q.get('alpha'), DEFAULT_VIEW.alpha),
    perLayer,
    vectors: q.has('vectors') ? (q.get('vectors') ?? '').split(',').filter(Boolean) : DEFAULT_VIEW.vectors,
    group: q.get('group') ?? '',
    chart: q.get('chart') ?? '',
  };
}

const initialView = (() => {
  const query = queryFor('analysis');
  return query ? viewFromQuery(query) : DEFAULT_VIEW;
})();

let current: AnalysisRun | null = null;

export const useAnalysis = create<AnalysisState>()((set, get) => ({
  view: initialView,
  status: 'idle',
  tensors: [],
  grids: [],
  version: 0,
  skipped: [],
  tensorsTotal: 0,
  selected: null,
  setView: (p) => set((s) => ({ view: { ...s.view, ...p } })),
  setLayerAlpha: (layer, alpha) =>
    set((s) => {
      const perLayer = { ...s.view.perLayer };
      if (alpha === undefined || !Number.isFinite(alpha)) delete perLayer[layer];
      else perLayer[layer] = alpha;
      return { view: { ...s.view, perLayer } };
    }),
  select: (c) => set({ selected: c }),
  async start(plan, inputs, engine = 'auto', nameMaps = {}) {
    current?.cancel();
    // Marks bracket the streaming window for tests and profiles (long tasks while statistics stream).
    performance.mark('analysis-start');
    set({ status: 'running', error: undefined, plan, tensors: [], grids: [], version: get().version + 1, skipped: [], tensorsTotal: 0, progress: undefined, engine: undefined, selected: null });
    const run = startAnalysis({ plan, inputs, engine, nameMaps }, {
      onMessage(m) {
        if (current !== run) return;
        // After Cancel nothing more is shown from this run, even a batch already in flight; a run that
        // finished before the Worker saw the cancel still ends as cancelled (its last batch was dropped).
        if (run.cancelled && (m.type === 'start' || m.type === 'tensors')) return;
        if (run.cancelled && m.type === 'done') m = { type: 'cancelled', id: m.id };
        switch (m.type) {
          case 'start':
            set({ tensorsTotal: m.tensorsTotal, skipped: m.skipped, engine: m.engine });
            break;
          case 'tensors':
            // O(batch + cells of the touched components): earlier tensors are neither copied nor re-added.
            set((s) => {
              const first = s.tensors.length;
              s.tensors.push(...m.tensors);
              return { grids: appendToGrids(plan, s.grids, m.tensors, first), version: s.version + 1, progress: m.progress };
            });
            break;
          case 'done':
            performance.mark('analysis-done');
            set((s) => ({ status: 'done', progress: m.progress ?? s.progress }));
            break;
          case 'cancelled':
            performance.mark('analysis-cancelled');
            set({ status: 'cancelled' });
            break;
          case 'error':
            set({ status: 'error', error: m.message });
            break;
        }
      },
    });
    current = run;
    await run.finished;
    if (current === run) current = null;
  },
  cancel() {
    current?.cancel();
  },
}));

/** The view lives in the hash while the Analysis tab is open; the panel calls this when it mounts. */
export const syncViewToUrl = mirrorToHash('analysis', useAnalysis, (s) => s.view, viewToQuery);
