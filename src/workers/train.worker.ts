/**
 * Runs the finetune experiment off the main thread on tfjs: WebGPU when the browser has it, the CPU
 * backend otherwise (or when asked), and says which one ran. Pause/cancel are honoured between steps.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { Experiment, CKPT_LABELS, STAGES } from '../train/experiment';
import { Cancelled, type Control } from '../train/loop';
import { DEFAULT_PARAMS, paramsToSearch, type ExperimentParams } from '../train/params';
import { safetensorsToWeights, weightsToSafetensors } from '../train/export';
import { architectureFaults, POLICY_SPECS, type Weights } from '../train/policy';
import type { BackendChoice, TrainReply, TrainRequest } from './train-protocol';

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
  if (choice !== 'cpu' && 'gpu' in navigator) {
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
  await tf.setBackend('cpu');
  await tf.ready();
  post({ type: 'backend', name: 'cpu', detail: choice === 'cpu' ? 'chosen' : 'WebGPU unavailable in this browser' });
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
  }
};
