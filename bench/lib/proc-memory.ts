/**
 * Memory of a process tree (a browser and every process it started) from Linux /proc, sampled on a
 * timer while a benchmark runs. RSS summed over processes counts shared pages (libraries, shared
 * memory between the GPU and renderer processes) once per process, so it over-states; PSS from
 * smaps_rollup divides each shared page among its users, so its sum is the tree's real footprint.
 * Both are reported. Linux only: elsewhere the sampler reports nothing.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** Memory sums over the tree, in KiB, in all and by Chromium process type ('browser' where there is no --type). */
interface TreeSums {
  rssKiB: number;
  pssKiB: number;
  rssByType: Record<string, number>;
  pssByType: Record<string, number>;
}

export interface TreeSample extends TreeSums {
  processes: number;
}

/**
 * The largest sums seen (each its own maximum: they need not come from the same sample; by type,
 * summed over the processes of that type).
 */
export interface TreePeak extends TreeSums {
  samples: number;
  /** Every sample's PSS sum, with its time in ms since the watch began (to see growth over a run). */
  timeline: { ms: number; pssKiB: number }[];
}

function readKiB(path: string, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(path, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0; // the process ended between listing and reading
  }
}

export function processType(pid: number): string {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return /--type=([\w-]+)/.exec(cmd)?.[1] ?? 'browser';
  } catch {
    return 'gone';
  }
}

/** The root and all its descendants, from the parent ids in /proc/<pid>/stat. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
  for (const d of pids) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: the fields after the last ')' are fixed.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(d));
      children.set(ppid, list);
    } catch {
      // gone
    }
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length) {
    const p = todo.pop()!;
    out.push(p);
    todo.push(...(children.get(p) ?? []));
  }
  return out;
}

export function sampleTree(root: number): TreeSample {
  const s: TreeSample = { rssKiB: 0, pssKiB: 0, rssByType: {}, pssByType: {}, processes: 0 };
  for (const pid of processTree(root)) {
    const rss = readKiB(`/proc/${pid}/status`, 'VmRSS');
    if (!rss) continue;
    const type = processType(pid);
    s.rssKiB += rss;
    const pss = readKiB(`/proc/${pid}/smaps_rollup`, 'Pss');
    s.pssKiB += pss;
    s.rssByType[type] = (s.rssByType[type] ?? 0) + rss;
    s.pssByType[type] = (s.pssByType[type] ?? 0) + pss;
    s.processes += 1;
  }
  return s;
}

/** Samples the tree every `everyMs` until stop() is called; stop() returns the peaks. */
export function watchTree(root: number, everyMs = 200): { stop(): TreePeak } {
  const peak: TreePeak = { rssKiB: 0, pssKiB: 0, rssByType: {}, pssByType: {}, samples: 0, timeline: [] };
  const t0 = performance.now();
  const take = () => {
    const s = sampleTree(root);
    peak.samples += 1;
    peak.timeline.push({ ms: performance.now() - t0, pssKiB: s.pssKiB });
    peak.rssKiB = Math.max(peak.rssKiB, s.rssKiB);
    peak.pssKiB = Math.max(peak.pssKiB, s.pssKiB);
    for (const [k, v] of Object.entries(s.rssByType)) peak.rssByType[k] = Math.max(peak.rssByType[k] ?? 0, v);
    for (const [k, v] of Object.entries(s.pssByType)) peak.pssByType[k] = Math.max(peak.pssByType[k] ?? 0, v);
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return peak;
    },
  };
}

/**
 * The pid of the Chromium that Playwright launched from this process (Playwright's Browser does not
 * expose it): the descendant whose command line has --remote-debugging-pipe and no --type (the
 * browser process itself, below Debian's /usr/bin/chromium wrapper script).
 */
export function launchedBrowserPid(): number | null {
  for (const pid of processTree(process.pid)) {
    if (pid === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmd.includes('--remote-debugging-pipe') && !cmd.includes('--type=')) return pid;
    } catch {
      // gone
    }
  }
  return null;
}
