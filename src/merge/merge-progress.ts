/**
 * The executor's progress: one MergeProgress the parts update in place (bytes read and written, phase,
 * tensors done), reported at most every 100 ms (always when forced) with its rate and time left.
 */
import type { MergeProgress } from './types';

const REPORT_EVERY_MS = 100;

export function startProgress(totalBytes: number, tensorCount: number): MergeProgress {
  return { phase: 'merging', bytesRead: 0, bytesWritten: 0, totalBytes, tensorsDone: 0, tensorCount, rate: 0, etaSeconds: NaN, currentTensor: '' };
}

/** `report(force?)`: hands a copy of `progress` to `onProgress`, with the rate since `started` and the ETA. */
export function progressReporter(progress: MergeProgress, started: number, onProgress?: (p: MergeProgress) => void): (force?: boolean) => void {
  let last = 0;
  return (force = false) => {
    const now = performance.now();
    if (!onProgress || (!force && now - last < REPORT_EVERY_MS)) return;
    last = now;
    const secs = (now - started) / 1000;
    const done = progress.bytesRead + progress.bytesWritten;
    progress.rate = secs > 0 ? done / secs : 0;
    progress.etaSeconds = progress.rate > 0 ? Math.max(0, progress.totalBytes - done) / progress.rate : NaN;
    onProgress({ ...progress });
  };
}
