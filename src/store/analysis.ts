import { create } from 'zustand';
import { appendToGrids, type AlphaSpec, type GroupGrid } from '../analysis/aggregate';
import type { StatsPlan } from '../analysis/plan';
import type { SkippedTensor, StatsProgress, TensorStats } from '../analysis/run-stats';
import type { TensorSpectral } from '../analysis/run-spectral';
import { DEFAULT_SPECTRAL_K } from '../analysis/spectral';
import { ENERGY_QS, SPECTRAL_METRICS, SPECTRAL_VECTORS, type EnergyQ, type SpectralMetricId, type SpectralVectorId } from '../analysis/spectral-grid';
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
  /** Run the spectral pass (the low-rank view) after the statistics. */
  spectral: boolean;
  /** Leading singular values per matrix. */
  spectralK: number;
  /** Also the τ_aux–τ_sft overlap. */
  spectralTau: boolean;
  /** The metric of the spectral heatmaps. */
  specMetric: SpectralMetricId;
  /** Whose spectrum the rank heatmaps and the spectrum plot show. */
  specVector: SpectralVectorId;
  /** The energy level of the energy-rank heatmap and the spectrum plot's marked rank. */
  energyQ: EnergyQ;
  /** α preview with γ truncated to this rank per matrix; 0 = γ whole. */
  rank: number;
}

export const DEFAULT_VIEW: AnalysisView = {
  metric: 'normGamma',
  cmap: 'auto',
  alpha: 0.8,
  perLayer: {},
  vectors: ['gamma', 'tauAux', 'tauSft', 'down', 'delta'],
  group: '',
  chart: '',
  spectral: false,
  spectralK: DEFAULT_SPECTRAL_K,
  spectralTau: false,
  specMetric: 'stableRank',
  specVector: 'gamma',
  energyQ: 0.95,
  rank: 0,
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
  /** The spectral pass's results by tensor name, one per matrix (per layer of a stacked tensor); a Map mutated in place, `spectralVersion` bumps on change. */
  spectra: Map<string, TensorSpectral[]>;
  spectralVersion: number;
  spectralStatus: 'off' | 'running' | 'done';
  spectralProgress?: StatsProgress;
  /** k of the run the spectra come from. */
  spectralRunK: number;
  /** α of the run the spectra come from (Δ of the γ–Δ overlap is θ_down − θ_pre − α·γ at that α). */
  spectralRunAlpha: AlphaSpec;
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
  if (v.spectral) q.set('spectral', String(v.spectralK));
  if (v.spectralTau) q.set('tau', '1');
  if (v.specMetric !== DEFAULT_VIEW.specMetric) q.set('spec', v.specMetric);
  if (v.specVector !== DEFAULT_VIEW.specVector) q.set('vec', v.specVector);
  if (v.energyQ !== DEFAULT_VIEW.energyQ) q.set('q', String(v.energyQ));
  if (v.rank > 0) q.set('rank', String(v.rank));
  return q.toString();
}

/** The most singular values per matrix the app asks for (the k field's bound; a link is held to it too). */
export const MAX_SPECTRAL_K = 256;

export function viewFromQuery(s: string): AnalysisView {
  const q = new URLSearchParams(s);
  const perLayer: Record<string, number> = {};
  for (const part of (q.get('layerAlpha') ?? '').split(',').filter(Boolean)) {
    const i = part.lastIndexOf(':');
    const a = Number(part.slice(i + 1));
    if (i > 0 && Number.isFinite(a)) perLayer[part.slice(0, i)] = a;
  }
  const cmap = q.get('cmap') as ColorMapId | null;
  const k = Math.floor(num(q.get('spectral'), 0));
  const spec = q.get('spec') as SpectralMetricId | null;
  const vec = q.get('vec') as SpectralVectorId | null;
  const eq = num(q.get('q'), DEFAULT_VIEW.energyQ) as EnergyQ;
  return {
    metric: q.get('metric') || DEFAULT_VIEW.metric,
    cmap: cmap && COLOR_MAPS.includes(cmap) ? cmap : DEFAULT_VIEW.cmap,
    alpha: num(q.get('alpha'), DEFAULT_VIEW.alpha),
    perLayer,
    vectors: q.has('vectors') ? (q.get('vectors') ?? '').split(',').filter(Boolean) : DEFAULT_VIEW.vectors,
    group: q.get('group') ?? '',
    chart: q.get('chart') ?? '',
    spectral: k >= 1,
    spectralK: k >= 1 ? Math.min(MAX_SPECTRAL_K, k) : DEFAULT_VIEW.spectralK,
    spectralTau: q.get('tau') === '1',
    specMetric: spec && SPECTRAL_METRICS.some((m) => m.id === spec) ? spec : DEFAULT_VIEW.specMetric,
    specVector: vec && SPECTRAL_VECTORS.some((x) => x.id === vec) ? vec : DEFAULT_VIEW.specVector,
    energyQ: ENERGY_QS.includes(eq) ? eq : DEFAULT_VIEW.energyQ,
    rank: Math.max(0, Math.floor(num(q.get('rank'), 0))),
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
  spectra: new Map(),
  spectralVersion: 0,
  spectralStatus: 'off',
  spectralRunK: DEFAULT_SPECTRAL_K,
  spectralRunAlpha: { global: DEFAULT_VIEW.alpha, perLayer: {} },
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
    const v = get().view;
    set({
      status: 'running', error: undefined, plan, tensors: [], grids: [], version: get().version + 1, skipped: [], tensorsTotal: 0, progress: undefined, engine: undefined, selected: null,
      spectra: new Map(), spectralVersion: get().spectralVersion + 1, spectralStatus: 'off', spectralProgress: undefined, spectralRunK: v.spectralK,
      spectralRunAlpha: { global: v.alpha, perLayer: v.perLayer },
    });
    const spectral = v.spectral ? { k: v.spectralK, powerIterations: 2, tauOverlap: v.spectralTau, alpha: get().spectralRunAlpha } : undefined;
    const run = startAnalysis({ plan, inputs, engine, nameMaps, spectral }, {
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
          case 'spectral-start':
            set({ spectralStatus: 'running', spectralProgress: { tensorsDone: 0, tensorsTotal: m.tensorsTotal, bytesDone: 0, bytesTotal: m.bytesTotal, elapsed: 0, eta: null } });
            break;
          case 'spectra':
            set((s) => {
              for (const t of m.spectra) s.spectra.set(t.name, [...(s.spectra.get(t.name) ?? []), t]);
              return { spectralVersion: s.spectralVersion + 1, spectralProgress: m.progress };
            });
            break;
          case 'done':
            performance.mark('analysis-done');
            set((s) => ({ status: 'done', progress: m.progress ?? s.progress, spectralStatus: s.spectralStatus === 'running' ? 'done' : s.spectralStatus }));
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
