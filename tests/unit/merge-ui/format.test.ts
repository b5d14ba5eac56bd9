import { describe, expect, it } from 'vitest';
import { formatBytes, formatRate } from '../../../src/text/bytes';
import { formatDuration } from '../../../src/ui/merge/format';
import { progressThrottle } from '../../../src/workers/merge-protocol';
import type { MergeProgress } from '../../../src/merge/types';

describe('figures', () => {
  it('formats bytes, rates and durations', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(15 * 1024 ** 3)).toBe('15.0 GiB');
    expect(formatBytes(NaN)).toBe('—');
    expect(formatRate(250 * 1024 ** 2)).toBe('250 MiB/s');
    expect(formatBytes(1_740_000_000, 'decimal')).toBe('1.74 GB');
    expect(formatBytes(33_100, 'decimal')).toBe('33.1 kB');
    expect(formatRate(-1)).toBe('—');
    expect(formatDuration(0.42)).toBe('0.4 s');
    expect(formatDuration(65)).toBe('1 min 05 s');
    expect(formatDuration(3 * 3600 + 125)).toBe('3 h 02 min');
    expect(formatDuration(Infinity)).toBe('—');
  });
});

describe('progress throttle', () => {
  const p = (phase: MergeProgress['phase']): MergeProgress => ({
    phase, bytesRead: 0, bytesWritten: 0, totalBytes: 1, tensorsDone: 0, tensorCount: 1, rate: 0, etaSeconds: 0, currentTensor: '',
  });
  it('passes one message per interval and always the final one', () => {
    let t = 0;
    const pass = progressThrottle(100, () => t);
    const seen: number[] = [];
    for (t = 0; t < 1000; t += 7) if (pass(p('merging'))) seen.push(t);
    expect(seen.length).toBe(10);
    for (let i = 1; i < seen.length; i++) expect(seen[i] - seen[i - 1]).toBeGreaterThanOrEqual(100);
    expect(pass(p('done'))).toBe(true);
  });
  it('always passes a change of phase, so hashing never looks like a stall', () => {
    let t = 0;
    const pass = progressThrottle(100, () => t);
    expect(pass(p('merging'))).toBe(true);
    t = 10;
    expect(pass(p('merging'))).toBe(false);
    t = 20;
    expect(pass(p('hashing'))).toBe(true);
    t = 30;
    expect(pass(p('hashing'))).toBe(false);
  });
});
