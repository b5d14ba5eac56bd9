import { create } from 'zustand';
import type { MergeMethod, MergeProgress, OutDtype, ParamValue } from '../merge/types';
import type { EngineChoice } from '../merge/recipe-draft';
import type { EngineInfo, RunRequest } from '../workers/merge-protocol';
import { startMerge, type MergeOutcome, type MergeRun } from '../workers/merge-client';
import { mirrorToHash, queryFor } from './url-hash';
import { defaultDraft, draftFromQuery, draftToQuery, withMethod, type MergeDraft, type OutputChoice } from '../merge/recipe-draft';
import { DEFAULT_LORA_DRAFT, type LoraDraft } from '../ui/merge/lora-draft';

/**
 * The merge panel's own state: the recipe draft (mirrored into the URL hash, '#merge?recipe=…', so a
 * link reopens the same recipe), which loaded checkpoints the multi-model and 'apply' methods use, and
 * the current run (progress, engine, outcome). Bound checkpoints stay out of the URL: they are the
 * user's files.
 */
export type RunStatus = 'idle' | 'running' | 'cancelling' | 'done' | 'cancelled' | 'refused' | 'error';

export interface MergeState {
  draft: MergeDraft;
  /** Faults of a recipe read from the link (shown once, the default recipe is used instead). */
  urlErrors: string[];
  /** Checkpoint ids for recipe.roles.models (task-arithmetic, ties, dare, linear), in order. */
  modelIds: string[];
  /** Checkpoint id of a saved capability vector (method 'apply'). */
  vectorId?: string;
  /** The 'Export γ as LoRA adapter' fields (method 'extract'), kept while the panel is not shown. */
  loraDraft: LoraDraft;

  status: RunStatus;
  progress?: MergeProgress;
  engine?: EngineInfo;
  outcome?: MergeOutcome;
  /** When the run started (performance.now), for the elapsed time while running. */
  startedAt?: number;

  setMethod(m: MergeMethod): void;
  setParam(name: string, v: ParamValue | undefined): void;
  setModelParam(index: number, name: string, v: ParamValue | undefined): void;
  setModels(ids: string[]): void;
  setVector(id: string | undefined): void;
  setFilters(include: string[] | undefined, exclude: string[] | undefined): void;
  addExclusions(filters: string[]): void;
  /** Merge float buffers (BatchNorm statistics, normalisation buffers) like weights; off = copied from the base. */
  setIncludeBuffers(on: boolean): void;
  setOutDtype(d: OutDtype): void;
  setShardSize(bytes: number): void;
  setEngine(e: EngineChoice): void;
  setOutput(o: OutputChoice): void;
  setLoraDraft(d: LoraDraft): void;
  dismissUrlErrors(): void;
  start(req: Omit<RunRequest, 'type' | 'id'>): Promise<MergeOutcome>;
  cancel(): void;
  resetRun(): void;
}

const initial = (() => {
  const q = queryFor('merge');
  return q ? draftFromQuery(q) : { draft: defaultDraft(), errors: [] };
})();

let current: MergeRun | null = null;

export const useMergeStore = create<MergeState>()((set, get) => {
  const patchRecipe = (fn: (r: MergeDraft['recipe']) => MergeDraft['recipe']) =>
    set((s) => ({ draft: { ...s.draft, recipe: fn(s.draft.recipe) } }));
  return {
    draft: initial.draft,
    urlErrors: initial.errors,
    modelIds: [],
    loraDraft: DEFAULT_LORA_DRAFT,
    status: 'idle',
    setLoraDraft: (loraDraft) => set({ loraDraft }),

    setMethod: (m) => set((s) => ({ draft: withMethod(s.draft, m) })),
    setParam: (name, v) =>
      patchRecipe((r) => {
        const params = { ...r.params };
        if (v === undefined) delete params[name];
        else params[name] = v;
        return { ...r, params };
      }),
    setModelParam: (index, name, v) =>
      patchRecipe((r) => {
        const models = [...(r.roles.models ?? [])];
        const m = models[index] ?? { name: '' };
        const params = { ...(m.params ?? {}) };
        if (v === undefined) delete params[name];
        else params[name] = v;
        models[index] = { ...m, params };
        return { ...r, roles: { ...r.roles, models } };
      }),
    setModels: (ids) => {
      set({ modelIds: ids });
      // Keep per-model parameters aligned with the models list (new ones start from the defaults).
      patchRecipe((r) => {
        const old = r.roles.models ?? [];
        return { ...r, roles: { ...r.roles, models: ids.map((_, i) => old[i] ?? { name: '', params: {} }) } };
      });
    },
    setVector: (id) => set({ vectorId: id }),
    setFilters: (include, exclude) =>
      patchRecipe((r) => ({ ...r, include: include?.length ? include : undefined, exclude: exclude?.length ? exclude : undefined })),
    addExclusions: (filters) =>
      patchRecipe((r) => ({ ...r, exclude: [...new Set([...(r.exclude ?? []), ...filters])] })),
    setIncludeBuffers: (on) =>
      patchRecipe((r) => {
        const { includeBuffers: _drop, ...rest } = r;
        void _drop;
        return on ? { ...rest, includeBuffers: true } : rest;
      }),
    setOutDtype: (d) => patchRecipe((r) => ({ ...r, outDtype: d })),
    setShardSize: (bytes) => patchRecipe((r) => ({ ...r, shardSize: bytes })),
    setEngine: (e) => set((s) => ({ draft: { ...s.draft, engine: e } })),
    setOutput: (o) => set((s) => ({ draft: { ...s.draft, output: o } })),
    dismissUrlErrors: () => set({ urlErrors: [] }),

    async start(req) {
      if (current) throw new Error('a merge is already running');
      set({ status: 'running', progress: undefined, engine: undefined, outcome: undefined, startedAt: performance.now() });
      const run = startMerge(req, {
        onEngine: (engine) => set({ engine }),
        onProgress: (progress) => set({ progress }),
      });
      current = run;
      const outcome = await run.outcome;
      current = null;
      const status: RunStatus = outcome.kind === 'done' ? 'done' : outcome.kind;
      set({ status, outcome, engine: outcome.kind === 'done' ? outcome.engine : get().engine });
      return outcome;
    },
    cancel() {
      if (!current || get().status !== 'running') return;
      set({ status: 'cancelling' });
      current.cancel();
    },
    resetRun: () => set({ status: 'idle', progress: undefined, outcome: undefined }),
  };
});

/** The draft lives in the hash while the Merge tab is open; the panel calls this when it mounts. */
export const syncDraftToUrl = mirrorToHash('merge', useMergeStore, (s) => s.draft, draftToQuery);
