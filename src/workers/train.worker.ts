/**
 * Runs the finetune experiment off the main thread on tfjs: WebGPU when the browser has it, otherwise
 * tfjs's WebAssembly backend (several times faster than the CPU backend on this policy), the CPU backend
 * as the last resort (or when asked), and says which one ran. Pause/cancel are honoured between steps.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
// The WebAssembly backend's binaries are bundled and served by the app itself: no request leaves.
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { Experiment, CKPT_LABELS, STAGES } from '../train/experiment';
import { Cancelled, type Control } from '../train/loop';
import { DEFAULT_PARAMS, paramsToSearch, type ExperimentParams } from '../train/params';
import { safetensorsToWeights, weightsToSafetensors } from '../train/export';
import { architectureFaults, disposeVars, makeVars, POLICY_SPECS, type Weights } from '../train/policy';
import { expertRollouts, rollouts } from '../train/evaluate';
import { TASK_SETS, type TaskSetId } from '../train/tasks';
import type { BackendChoice, RolloutSource, TrainReply, TrainRequest } from './train-protocol';

const post = (m: TrainReply, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);

let paused = false;
let cancelled = false;
let wake: (() => void) | null = null;
let busy = false;

const control: Control = {
  async checkpoint() {
    while (paused && !cancelled) await new Promise<void>((r) => (wake = r));
    return !cancelled;
  },
};

let exp = new Experiment({ ...DEFAULT_PARAMS }, control, (event) => post({ type: 'event', event }));
let backendReady: Promise<void> | null = null;

async function pickBackend(choice: BackendChoice): Promise<void> {
  if ((choice === 'auto' || choice === 'webgpu') && 'gpu' in navigator) {
    try {
      if (await tf.setBackend('webgpu')) {
        await tf.ready();
        const adapter = await navigator.gpu.requestAdapter();
        const info = adapter?.info;
        const detail = info ? [info.vendor, info.architecture, info.device].filter(Boolean).join(' · ') : '';
        post({ type: 'backend', name: 'webgpu', detail: detail || 'adapter details hidden' });
        return;
      }
    } catch {
      // fall through to the CPU backend
    }
  }
  const why = choice === 'auto' || choice === 'webgpu' ? 'WebGPU unavailable in this browser' : 'chosen';
  if (choice !== 'cpu') {
    try {
      setWasmPaths({ 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded });
      if (await tf.setBackend('wasm')) {
        await tf.ready();
        post({ type: 'backend', name: 'wasm', detail: why });
        return;
      }
    } catch {
      // fall through to the CPU backend
    }
  }
  await tf.setBackend('cpu');
  await tf.ready();
  post({ type: 'backend', name: 'cpu', detail: choice === 'cpu' ? 'chosen' : 'WebGPU and WebAssembly unavailable' });
}

async function showRollouts(source: RolloutSource, set: TaskSetId, episodes: number, requestId: number): Promise<void> {
  try {
    await (backendReady ??= pickBackend('auto'));
    const tasks = TASK_SETS[set];
    if (source === 'expert') {
      post({ type: 'rollouts', requestId, rollouts: expertRollouts(tasks, episodes, exp.params.seed) });
      return;
    }
    const w = exp.weights.get(source);
    if (!w) throw new Error(`${CKPT_LABELS[source]} does not exist yet`);
    const vars = makeVars(w, POLICY_SPECS, `rollout-${requestId}`);
    try {
      post({ type: 'rollouts', requestId, rollouts: await rollouts(vars, tasks, episodes, exp.params.seed) });
    } finally {
      disposeVars(vars);
    }
  } catch (e) {
    post({ type: 'rollouts-failed', requestId, message: e instanceof Error ? e.message : String(e) });
  }
}

function fromTensors(tensors: Record<string, Float32Array>): Weights {
  const faults = architectureFaults(new Map(Object.entries(tensors).map(([k, v]) => [k, POLICY_SPECS.find((s) => s.name === k)?.shape ?? [v.length]])));
  if (faults.length) throw new Error(faults.slice(0, 3).join('; '));
  return new Map(Object.entries(tensors));
}

// Jobs run one after another ("load θ_pre" then "run all" is one click); cancel drops the queue.
let queue: Promise<void> = Promise.resolve();
let generation = 0;

function runExclusive(kind: 'load' | 'run', job: () => Promise<void>): void {
  const mine = generation;
  queue = queue.then(async () => {
    if (mine !== generation) return;
    busy = true;
    paused = false;
    cancelled = false;
    post({ type: 'status', status: 'running' });
    try {
      await (backendReady ??= pickBackend('auto'));
      await job();
      post({ type: 'finished', outcome: 'done', job: kind });
    } catch (e) {
      if (e instanceof Cancelled) post({ type: 'finished', outcome: 'cancelled', job: kind });
      else post({ type: 'finished', outcome: 'error', message: e instanceof Error ? e.message : String(e), job: kind });
    } finally {
      busy = false;
      post({ type: 'status', status: 'idle' });
    }
  });
}

function withParams(p: ExperimentParams): Experiment {
  // Datasets depend on the seed and episode count; a changed value starts a fresh experiment
  // that keeps the checkpoints made so far.
  if (p.seed !== exp.params.seed || p.episodes !== exp.params.episodes) {
    const next = new Experiment(p, control, (event) => post({ type: 'event', event }));
    for (const [k, w] of exp.weights) next.weights.set(k, w);
    exp = next;
  } else {
    Object.assign(exp.params, p);
  }
  return exp;
}

self.onmessage = (ev: MessageEvent<TrainRequest>) => {
  const m = ev.data;
  switch (m.type) {
    case 'init':
      backendReady ??= pickBackend(m.backend);
      break;
    case 'pause':
      if (busy) {
        paused = true;
        post({ type: 'status', status: 'paused' });
      }
      break;
    case 'resume':
      paused = false;
      wake?.();
      if (busy) post({ type: 'status', status: 'running' });
      break;
    case 'cancel':
      cancelled = true;
      generation++;
      wake?.();
      break;
    case 'set-pre':
      runExclusive('load', async () => exp.setPretrained(fromTensors(m.tensors), m.source));
      break;
    case 'load-pre':
      runExclusive('load', async () => {
        const res = await fetch(m.url);
        if (!res.ok) throw new Error(`${m.url}: HTTP ${res.status}`);
        exp.setPretrained(await safetensorsToWeights(m.url.split('/').pop() ?? 'policy.safetensors', new Uint8Array(await res.arrayBuffer())), m.source);
      });
      break;
    case 'run':
      runExclusive('run', async () => {
        const e = withParams(m.params);
        if (m.stages === 'all') await e.runAll();
        else for (const s of STAGES.filter((x) => (m.stages as string[]).includes(x))) await e.run(s);
      });
      break;
    case 'export': {
      const w = exp.weights.get(m.id);
      if (!w) {
        post({ type: 'export-failed', requestId: m.requestId, message: `${CKPT_LABELS[m.id]} does not exist yet` });
        break;
      }
      const bytes = weightsToSafetensors(w, {
        'capvector.kind': m.id === 'gamma' ? 'capability-vector' : 'finetune-policy',
        'capvector.checkpoint': m.id,
        'capvector.label': CKPT_LABELS[m.id],
        'capvector.params': paramsToSearch(exp.params),
        'capvector.backend': tf.getBackend() ?? 'unknown',
      });
      post({ type: 'exported', requestId: m.requestId, name: `policy-${m.id}.safetensors`, bytes }, [bytes.buffer]);
      break;
    }
    case 'rollouts':
      // Between training steps is fine: rollouts read weights, they never touch a running arm's variables.
      void showRollouts(m.source, m.set, m.episodes, m.requestId);
      break;
  }
};
