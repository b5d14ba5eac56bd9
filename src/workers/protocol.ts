/**
 * Messages between the UI and the Workers. Plain data only: Blobs cross postMessage, parsed
 * readers do not, so a Worker reopens a checkpoint from its files (see reopen.ts).
 */
import type { TensorStats } from '../analysis/tensor-stats';

export interface WorkerInputFile {
  path: string;
  blob: Blob;
}

// ---------- inspect.worker: per-tensor statistics ----------

export type InspectRequest =
  | {
      type: 'stats';
      id: number;
      /** The checkpoint's files, as kept in the store. */
      inputs: WorkerInputFile[];
      /**
       * Identifies this file set so the Worker parses its header once. Names and sizes are not
       * enough: two finetunes are often both 'model.safetensors' of the same size.
       */
      key: string;
      tensor: string;
      bins?: number;
      /** Elements decoded per chunk (bounds memory). */
      chunkElements?: number;
    }
  | { type: 'cancel'; id: number };

export type InspectResponse =
  | { type: 'progress'; id: number; done: number; total: number }
  | { type: 'result'; id: number; stats: TensorStats }
  | { type: 'error'; id: number; message: string }
  | { type: 'cancelled'; id: number };
