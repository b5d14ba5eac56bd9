/**
 * CPU seconds (user + system) of a process tree from Linux /proc, by Chromium process type: the work a
 * run cost, which a busy shared machine stretches far less than wall time. Threads (Workers) count
 * with their process; processes that end between two readings are not counted.
 */
import { readFileSync } from 'node:fs';
import { processTree, processType } from './proc-memory';

const TICKS = 100; // USER_HZ on Linux

function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICKS; // utime, stime (fields 14 and 15)
  } catch {
    return 0;
  }
}

/** CPU seconds so far of each process of the tree, keyed by pid, with its type. */
export function treeCpu(root: number): Map<number, { type: string; seconds: number }> {
  return new Map(processTree(root).map((pid) => [pid, { type: processType(pid), seconds: cpuSeconds(pid) }]));
}

/** CPU seconds spent between two readings, by process type. */
export function cpuSpent(before: ReturnType<typeof treeCpu>, after: ReturnType<typeof treeCpu>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [pid, a] of after) out[a.type] = (out[a.type] ?? 0) + a.seconds - (before.get(pid)?.seconds ?? 0);
  return out;
}
