/**
 * A LoRA export seen through the merge panel's run status (progress bar, result card): its progress
 * as a MergeProgress and its result as a MergeResult, with the report's totals as notes.
 */
import { formatBytes } from '../../text/bytes';
import type { MergeProgress, MergeResult } from '../types';
import type { LoraExportResult, LoraProgress } from './export';

export function loraProgress(p: LoraProgress, startedMs: number, nowMs = performance.now()): MergeProgress {
  const seconds = Math.max(1e-3, (nowMs - startedMs) / 1000);
  const rate = p.bytesRead / seconds;
  const left = p.totalBytes - p.bytesRead;
  return {
    phase: 'merging', bytesRead: p.bytesRead, bytesWritten: 0, totalBytes: p.totalBytes, tensorsDone: p.tensorsDone, tensorCount: p.tensorCount,
    rate, etaSeconds: rate > 0 ? left / rate : Infinity, currentTensor: p.currentTensor,
  };
}

export function loraAsMergeResult(r: LoraExportResult): Omit<MergeResult, 'files'> {
  const t = r.totals;
  const written = r.files.reduce((s, f) => s + f.bytes, 0);
  const bytesRead = r.tensors.reduce((s, x) => s + (x.kind === 'dense' ? 0 : 2 * x.denseBytes), 0);
  return {
    tensors: r.tensors.length, merged: t.modules, copied: 0, bytesRead, bytesWritten: written, seconds: r.seconds, inputHashes: [],
    // The factorisation is float64 JavaScript on the CPU whatever engine wrote the side file.
    engine: 'cpu',
    notes: [
      `LoRA adapter: ${t.modules} module(s) (largest rank ${String(r.config.r)}), ${formatBytes(t.adapterBytes)} in float32` +
        (t.dense ? `; ${t.dense} tensor(s) whole in gamma_dense.safetensors (${formatBytes(t.denseSideBytes)})` : '') +
        (t.zero ? `; ${t.zero} zero γ matrix(es) left out` : '') +
        `; ${((100 * (t.adapterBytes + t.denseSideBytes)) / Math.max(1, t.denseGammaBytes)).toFixed(1)}% of dense γ (${formatBytes(t.denseGammaBytes)}). Per-tensor rank, energy and error: lora-report.json`,
    ],
  };
}
