/**
 * Every format the app reads, one registration line each (netron's shape). Everything else derives
 * from the readers listed here: FormatId, the index readers of formats that come in shard sets, which
 * files join into shard sets, the order readers are tried in, and the names of the formats shown in
 * the UI and in the "not a recognised checkpoint" message. The UI and the CLI open files only
 * through openCheckpoints (or readerFor, to find what an index names).
 */
import type { ByteSource } from './byte-source';
import type { Checkpoint } from './checkpoint';
import type { FormatError } from './errors';
import { listWithOr, summarizeFormats, type FormatSummary } from './format-names';
import { groupAndOpen, type ReaderSet } from './group-files';
import { npyReader } from './npy';
import { npzReader } from './npz';
import { pytorchReader } from './pytorch';
import type { FormatReader } from './reader';
import { safetensorsReader } from './safetensors';
import { indexReaderOf, type ShardFormats } from './sharded';
import { loraReader } from './lora';
import { tfjsReader } from './tfjs';

/** The registered readers, in the order the formats are listed to people. */
const REGISTERED = [
  safetensorsReader,
  pytorchReader,
  npyReader,
  npzReader,
  tfjsReader,
  loraReader,
] as const;

/** 'safetensors' | 'pytorch' | 'numpy' | 'tfjs' | 'lora': what Checkpoint.format holds for an opened checkpoint. */
export type FormatId = (typeof REGISTERED)[number]['format'];

const registered: readonly FormatReader<FormatId>[] = REGISTERED;
const sharded = registered.filter((r) => r.shardSets);

/** The formats people can open, for the UI's list and messages. */
export const FORMATS: readonly FormatSummary<FormatId>[] = summarizeFormats(registered);

const SHARD_FORMATS: ShardFormats = {
  readerFor: (path) => sharded.find((r) => r.extensions.some((e) => path.toLowerCase().endsWith(e))),
  extensions: sharded.flatMap((r) => r.extensions),
  names: listWithOr(summarizeFormats(sharded).map((f) => f.name)),
};

/**
 * Match order, first match wins: readers of files that name other files (shard indexes, model.json)
 * before the single-file sniffers, whose claims do not overlap where the order would matter.
 */
export const READERS: readonly FormatReader<FormatId>[] = [
  ...sharded.map((r) => indexReaderOf(r, SHARD_FORMATS)),
  ...registered.filter((r) => r.members),
  ...registered.filter((r) => !r.members),
];

export function readerFor(name: string, head: Uint8Array): FormatReader<FormatId> | undefined {
  return READERS.find((r) => r.match(name, head));
}

/** readerFor, then the readers that recognise a file by its content (`sniff`) for a file none matched by name and head. */
export async function readerForSource(source: ByteSource, head: Uint8Array): Promise<FormatReader<FormatId> | undefined> {
  const byName = readerFor(source.name, head);
  if (byName) return byName;
  for (const r of READERS) if (r.sniff && (await r.sniff(source, head).catch(() => false))) return r;
  return undefined;
}

const READER_SET: ReaderSet<FormatId> = {
  readerFor: readerForSource,
  shardSetExtensions: sharded.flatMap((r) => r.shardSets ?? []),
  names: listWithOr(FORMATS.map((f) => f.name)),
};

/** Groups files into checkpoints and opens them (headers only); see group-files.ts for the rules. */
export function openCheckpoints(files: ByteSource[]): Promise<{ checkpoints: Checkpoint<FormatId>[]; errors: FormatError[] }> {
  return groupAndOpen(files, READER_SET);
}

export { HEAD_BYTES, joinPath } from './group-files';
