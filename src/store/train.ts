/**
 * State of the finetune panel: hyperparameters (mirrored in the URL), the Worker's backend and run
 * status, live curves per arm, arm summaries and the checkpoints the experiment has made.
 */
import { create } from 'zustand';
import { openSafetensors } from '../formats/safetensors';
import { blobSource } from '../formats/byte-source';
import type { LoadedCheckpoint } from './workbench';
import { useWorkbench } from './workbench';
import type { ArmId, ArmSummary, CkptId, StageId } from '../train/experiment';
import { STAGES } from '../train/experiment';
import type { ArmPoint } from '../train/loop';
import { parseParams, paramsToSearch, type ExperimentParams } from '../train/params';
import { checkpointToWeights } from '../train/export';
import { TrainClient } from '../workers/train-client';
import type { BackendChoice, RolloutSource, TrainReply } from '../workers/train-protocol';
import type { Rollout } from '../train/evaluate';
import type { TaskSetId } from '../train/tasks';

export type RunStatus = 'idle' | 'running' | 'paused';
export type StageState = 'todo' | 'running' | 'done';

export interface TrainState {
  params: ExperimentParams;
  backend: { name: string; detail: string } | null;
  status: RunStatus;
  stages: Record<StageId, StageState>;
  curves: Partial<Record<ArmId, ArmPoint[]>>;
  armSteps: Partial<Record<ArmId, number>>;
  currentArm: ArmId | null;
  summaries: Partial<Record<ArmId, ArmSummary>>;
  checkpoints: { id: CkptId; label: string; source: string }[];
  /** The last run's outcome line ("done", "cancelled", or the error). */
  message: { kind: 'ok' | 'warn' | 'error'; text: string } | null;
  setParams(p: Partial<ExperimentParams>): void;
  /** Starts the Worker and picks the backend (the badge then shows which one runs). */
  warmUp(): void;
  run(stages: StageId[] | 'all'): void;
  loadShipped(): void;
  useCheckpoint(ck: LoadedCheckpoint): Promise<void>;
  pause(): void;
  resume(): void;
  cancel(): void;
  exportCheckpoint(id: CkptId): Promise<File>;
  /** Closed-loop episodes of a checkpoint (or the scripted expert) on a task set's evaluation scenes. */
  rollout(source: RolloutSource, set: TaskSetId, episodes: number): Promise<Rollout[]>;
  openInWorkbench(id: CkptId): Promise<string>;
}

const emptyStages = (): Record<StageId, StageState> => Object.fromEntries(STAGES.map((s) => [s, 'todo'])) as Record<StageId, StageState>;

let client: TrainClient | null = null;
function worker(): TrainClient {
  if (!client) {
    const q = new URLSearchParams(globalThis.location?.search ?? '');
    const b = q.get('backend');
    const choice: BackendChoice = b === 'cpu' || b === 'webgpu' || b === 'wasm' ? b : 'auto';
    client = new TrainClient((m) => receive(m), choice);
  }
  return client;
}

/** The shipped pretrained weights, resolved against the page (works under any base path). */
export function shippedWeightsUrl(): string {
  return new URL('pretrained/policy.safetensors', document.baseURI).href;
}

function receive(m: TrainReply): void {
  const set = useTrain.setState;
  switch (m.type) {
    case 'backend':
      set({ backend: { name: m.name, detail: m.detail } });
      break;
    case 'status':
      set({ status: m.status });
      break;
    case 'error':
      set({ message: { kind: 'error', text: m.message } });
      break;
    case 'finished':
      set((s) => ({
        message: m.outcome === 'done' ? { kind: 'ok', text: m.job === 'load' ? 'θ_pre loaded.' : 'Finished.' }
          : m.outcome === 'cancelled' ? { kind: 'warn', text: 'Cancelled.' } : { kind: 'error', text: m.message ?? 'failed' },
        currentArm: null,
        stages: Object.fromEntries(Object.entries(s.stages).map(([k, v]) => [k, v === 'running' ? 'todo' : v])) as Record<StageId, StageState>,
      }));
      break;
    case 'event': {
      const e = m.event;
      if (e.type === 'stage') set((s) => ({ stages: { ...s.stages, [e.stage]: e.state } }));
      else if (e.type === 'arm-start') set((s) => ({ currentArm: e.arm, curves: { ...s.curves, [e.arm]: [] }, armSteps: { ...s.armSteps, [e.arm]: e.steps } }));
      else if (e.type === 'point') set((s) => ({ curves: { ...s.curves, [e.arm]: [...(s.curves[e.arm] ?? []), e.point] } }));
      else if (e.type === 'arm-done') set((s) => ({ summaries: { ...s.summaries, [e.summary.arm]: e.summary } }));
      else if (e.type === 'checkpoint') {
        set((s) => {
          const rest = e.id === 'pre' ? [] : s.checkpoints.filter((c) => c.id !== e.id);
          return {
            checkpoints: [...rest, { id: e.id, label: e.label, source: e.source }],
            // A new θ_pre makes everything after it stale.
            ...(e.id === 'pre' ? { stages: { ...emptyStages(), pretrain: 'done' as StageState }, summaries: {}, curves: s.curves.pretrain ? { pretrain: s.curves.pretrain } : {} } : {}),
          };
        });
      }
      break;
    }
  }
}

export const useTrain = create<TrainState>()((set, get) => ({
  params: parseParams(globalThis.location?.search ?? ''),
  backend: null,
  status: 'idle',
  stages: emptyStages(),
  curves: {},
  armSteps: {},
  currentArm: null,
  summaries: {},
  checkpoints: [],
  message: null,
  setParams(p) {
    const params = { ...get().params, ...p };
    set({ params });
    if (globalThis.history && globalThis.location) {
      history.replaceState(history.state, '', `${paramsToSearch(params, location.search)}${location.hash}`);
    }
  },
  warmUp() {
    worker();
  },
  run(stages) {
    set({ message: null });
    worker().send({ type: 'run', stages, params: get().params });
  },
  loadShipped() {
    set({ message: null });
    worker().send({ type: 'load-pre', url: shippedWeightsUrl(), source: 'shipped public/pretrained/policy.safetensors' });
  },
  async useCheckpoint(ck) {
    set({ message: null });
    try {
      const w = await checkpointToWeights(ck.checkpoint);
      const tensors = Object.fromEntries(w);
      worker().send({ type: 'set-pre', tensors, source: `dropped ${ck.checkpoint.name}` }, Object.values(tensors).map((a) => a.buffer));
    } catch (e) {
      set({ message: { kind: 'error', text: e instanceof Error ? e.message : String(e) } });
    }
  },
  pause: () => worker().send({ type: 'pause' }),
  resume: () => worker().send({ type: 'resume' }),
  cancel: () => worker().send({ type: 'cancel' }),
  exportCheckpoint: (id) => worker().exportCheckpoint(id),
  rollout: (source, set, episodes) => worker().rollout(source, set, episodes),
  async openInWorkbench(id) {
    const file = await worker().exportCheckpoint(id);
    const checkpoint = await openSafetensors(blobSource(file, file.name));
    useWorkbench.getState().addCheckpoint({ checkpoint, inputs: [{ path: file.name, blob: file }], origin: 'experiment' });
    return file.name;
  },
}));
