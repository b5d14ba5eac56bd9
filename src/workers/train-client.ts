/**
 * The main thread's handle on the finetune Worker: one Worker per page, requests out, replies to one
 * listener (the train store), exports as promises.
 */
import type { CkptId } from '../train/experiment';
import type { Rollout } from '../train/evaluate';
import type { TaskSetId } from '../train/tasks';
import type { BackendChoice, RolloutSource, TrainReply, TrainRequest } from './train-protocol';

export class TrainClient {
  private worker: Worker;
  private nextRequest = 1;
  private exports = new Map<number, { resolve: (f: File) => void; reject: (e: Error) => void }>();
  private rollouts = new Map<number, { resolve: (r: Rollout[]) => void; reject: (e: Error) => void }>();

  constructor(private readonly onReply: (m: TrainReply) => void, backend: BackendChoice = 'auto') {
    this.worker = new Worker(new URL('./train.worker.ts', import.meta.url), { type: 'module', name: 'finetune' });
    this.worker.onmessage = (ev: MessageEvent<TrainReply>) => this.receive(ev.data);
    this.worker.onerror = (ev) => this.onReply({ type: 'error', message: `finetune worker: ${ev.message || 'failed to start'}` });
    this.send({ type: 'init', backend });
  }

  send(m: TrainRequest, transfer: Transferable[] = []): void {
    this.worker.postMessage(m, transfer);
  }

  private receive(m: TrainReply): void {
    if (m.type === 'rollouts' || m.type === 'rollouts-failed') {
      const p = this.rollouts.get(m.requestId);
      this.rollouts.delete(m.requestId);
      if (m.type === 'rollouts') p?.resolve(m.rollouts);
      else p?.reject(new Error(m.message));
      return;
    }
    if (m.type === 'exported' || m.type === 'export-failed') {
      const p = this.exports.get(m.requestId);
      this.exports.delete(m.requestId);
      if (m.type === 'exported') p?.resolve(new File([m.bytes as Uint8Array<ArrayBuffer>], m.name, { type: 'application/octet-stream' }));
      else p?.reject(new Error(m.message));
      return;
    }
    this.onReply(m);
  }

  /** The checkpoint as a safetensors File. */
  exportCheckpoint(id: CkptId): Promise<File> {
    const requestId = this.nextRequest++;
    return new Promise((resolve, reject) => {
      this.exports.set(requestId, { resolve, reject });
      this.send({ type: 'export', id, requestId });
    });
  }

  /** Closed-loop episodes of a checkpoint (or the expert) on a task set's evaluation scenes. */
  rollout(source: RolloutSource, set: TaskSetId, episodes: number): Promise<Rollout[]> {
    const requestId = this.nextRequest++;
    return new Promise((resolve, reject) => {
      this.rollouts.set(requestId, { resolve, reject });
      this.send({ type: 'rollouts', source, set, episodes, requestId });
    });
  }

  terminate(): void {
    this.worker.terminate();
    for (const p of this.exports.values()) p.reject(new Error('finetune worker stopped'));
    this.exports.clear();
    for (const p of this.rollouts.values()) p.reject(new Error('finetune worker stopped'));
    this.rollouts.clear();
  }
}
