/** How formats are named to people, built from what their readers declare (label, extensions). */
import type { FormatReader } from './reader';

export interface FormatSummary<F extends string = string> {
  id: F;
  /** 'NumPy .npy/.npz', 'tfjs model.json'; 'safetensors' alone, as that label already names its extension. */
  name: string;
  /** Comes in shard sets with an index.json too. */
  sharded: boolean;
}

function nameOf(label: string, extensions: string[]): string {
  if (extensions.length === 1 && extensions[0].toLowerCase() === `.${label.toLowerCase()}`) return label;
  return `${label} ${extensions.join('/')}`;
}

/** One entry per format, in the order of its first reader; readers of one format add their extensions. */
export function summarizeFormats<F extends string>(readers: readonly FormatReader<F>[]): FormatSummary<F>[] {
  const byId = new Map<F, { label: string; extensions: string[]; sharded: boolean }>();
  for (const r of readers) {
    const f = byId.get(r.format) ?? { label: r.label, extensions: [], sharded: false };
    byId.set(r.format, f);
    f.extensions.push(...r.extensions);
    f.sharded ||= r.shardSets !== undefined;
  }
  return [...byId].map(([id, f]) => ({ id, name: nameOf(f.label, f.extensions), sharded: f.sharded }));
}

/** 'a', 'a or b', 'a, b, or c'. */
export function listWithOr(items: readonly string[]): string {
  if (items.length < 3) return items.join(' or ');
  return `${items.slice(0, -1).join(', ')}, or ${items[items.length - 1]}`;
}
