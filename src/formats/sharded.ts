/**
 * Sharded checkpoints: `*.safetensors.index.json` and `pytorch_model.bin.index.json`
 * ({metadata?, weight_map: {tensor: shardFile}}), and shard sets without an index. Each shard is
 * opened by its own reader (headers only) and the results are joined into one Checkpoint, after
 * checking that the index and the shards agree tensor by tensor.
 */
import { baseName, dirName, type ByteSource } from './byte-source';
import type { Checkpoint, TensorEntry } from './checkpoint';
import { FormatError } from './errors';
import { isJsonObject, JsonNumber, JsonSyntaxError, parseStrictJson, type JsonValue } from './header-json';
import type { FormatReader } from './reader';

/** Index files are small (≈30 kB for 7B); anything past this is not an index. */
const MAX_INDEX_BYTES = 64 * 1024 * 1024;

export interface ShardIndex {
  /** The index's `metadata`, each value as a string (numbers and objects as JSON text). */
  metadata: Record<string, string>;
  /** tensor name → shard path relative to the index file. */
  weightMap: Map<string, string>;
  /** Distinct shard paths in shard order (natural sort: -00002- before -00010-). */
  shards: string[];
}

/** Numeric-aware comparison so shard 2 sorts before shard 10 whatever the zero padding. */
export function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

function jsonText(v: JsonValue): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  if (v instanceof JsonNumber) return v.raw;
  if (Array.isArray(v)) return `[${v.map((x) => (typeof x === 'string' ? JSON.stringify(x) : jsonText(x))).join(',')}]`;
  return `{${[...v].map(([k, x]) => `${JSON.stringify(k)}:${typeof x === 'string' ? JSON.stringify(x) : jsonText(x)}`).join(',')}}`;
}

export function parseShardIndex(bytes: Uint8Array, fileName: string): ShardIndex {
  let root: JsonValue;
  try {
    root = parseStrictJson(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw new FormatError(fileName, `index is not valid JSON: ${e.message}`);
    throw new FormatError(fileName, 'index is not valid UTF-8');
  }
  if (!isJsonObject(root)) throw new FormatError(fileName, 'index must be a JSON object with a weight_map');
  const wm = root.get('weight_map');
  if (wm === undefined) throw new FormatError(fileName, 'index has no weight_map');
  if (!isJsonObject(wm)) throw new FormatError(fileName, 'weight_map must be an object of tensor name → shard file');
  const weightMap = new Map<string, string>();
  for (const [tensor, shard] of wm) {
    if (typeof shard !== 'string' || shard === '') {
      throw new FormatError(fileName, `weight_map entry for tensor '${tensor}' must be a shard file name, found ${shard === '' ? 'an empty string' : jsonText(shard)}`);
    }
    weightMap.set(tensor, shard);
  }
  const metadata: Record<string, string> = {};
  const md = root.get('metadata');
  if (md !== undefined && md !== null) {
    if (!isJsonObject(md)) throw new FormatError(fileName, 'index metadata must be an object');
    for (const [k, v] of md) metadata[k] = jsonText(v);
  }
  const shards = [...new Set(weightMap.values())].sort(naturalCompare);
  return { metadata, weightMap, shards };
}

export async function readShardIndex(source: ByteSource): Promise<ShardIndex> {
  if (source.size > MAX_INDEX_BYTES) {
    throw new FormatError(source.name, `index is ${source.size} bytes, more than the ${MAX_INDEX_BYTES}-byte limit for an index file`);
  }
  return parseShardIndex(await source.read(0, source.size), source.name);
}

/** The formats that come in shard sets, as the registry knows them (an index may list any of their files). */
export interface ShardFormats {
  /** The reader of one shard file, by its extension. */
  readerFor(path: string): FormatReader | undefined;
  /** Every shard extension ('.safetensors', '.bin', …), to take the stem of an index file's name. */
  extensions: readonly string[];
  /** How people call them ('safetensors or PyTorch .bin/.pt/.pth'), for a shard of none of them. */
  names: string;
}

/** `(\.a|\.b)` matching any of `extensions` literally. */
export function extensionGroup(extensions: readonly string[]): string {
  return `(${extensions.map((e) => e.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})`;
}

/** Joins opened shards (already in shard order) into one checkpoint; tensor names must not repeat. */
export function joinShards<F extends string>(opts: {
  name: string;
  format: F;
  index?: ByteSource;
  shards: { source: ByteSource; checkpoint: Checkpoint }[];
  metadata?: Record<string, string>;
}): Checkpoint<F> {
  const where = new Map<string, string>();
  const tensors: TensorEntry[] = [];
  const metadata: Record<string, string> = {};
  for (const { source, checkpoint } of opts.shards) {
    Object.assign(metadata, checkpoint.metadata);
    for (const t of checkpoint.tensors) {
      const other = where.get(t.name);
      if (other !== undefined) {
        throw new FormatError(source.name, `tensor '${t.name}' is also in shard '${other}'`);
      }
      where.set(t.name, source.name);
      tensors.push(t);
    }
  }
  Object.assign(metadata, opts.metadata ?? {});
  const files = [...(opts.index ? [opts.index.name] : []), ...opts.shards.map((s) => s.source.name)];
  const fileBytes = (opts.index?.size ?? 0) + opts.shards.reduce((n, s) => n + s.source.size, 0);
  return { name: opts.name, format: opts.format, files, sharded: true, tensors, metadata, fileBytes };
}

/** A display name for a sharded set: its folder, else the file stem before the shard suffix. */
export function shardSetName(anyFile: string, stem: string): string {
  const dir = dirName(anyFile);
  return dir ? baseName(dir) : stem;
}

async function openIndexed<F extends string>(index: ByteSource, sibling: (p: string) => ByteSource | undefined, format: F, formats: ShardFormats): Promise<Checkpoint<F>> {
  const idx = await readShardIndex(index);
  if (idx.shards.length === 0) throw new FormatError(index.name, 'weight_map lists no tensors');
  const missing = idx.shards.filter((s) => sibling(s) === undefined);
  if (missing.length) {
    throw new FormatError(index.name, `shard file${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')} listed in weight_map ${missing.length > 1 ? 'are' : 'is'} missing`);
  }
  const shards = await Promise.all(idx.shards.map(async (rel) => {
    const source = sibling(rel)!;
    const reader = formats.readerFor(rel);
    if (!reader) throw new FormatError(index.name, `shard '${rel}' is not a ${formats.names} file`);
    return { rel, source, checkpoint: await reader.open(source, () => undefined) };
  }));
  for (const { rel, checkpoint } of shards) {
    for (const t of checkpoint.tensors) {
      const listed = idx.weightMap.get(t.name);
      if (listed === undefined) throw new FormatError(index.name, `shard '${rel}' holds tensor '${t.name}', which weight_map does not list`);
      if (listed !== rel) throw new FormatError(index.name, `tensor '${t.name}' is in shard '${rel}' but weight_map puts it in '${listed}'`);
    }
  }
  const held = new Set<string>();
  for (const s of shards) for (const t of s.checkpoint.tensors) held.add(t.name);
  for (const [tensor, rel] of idx.weightMap) {
    if (!held.has(tensor)) throw new FormatError(index.name, `weight_map puts tensor '${tensor}' in shard '${rel}', which does not hold it`);
  }
  const stem = baseName(index.name).replace(new RegExp(`${extensionGroup(formats.extensions)}?\\.index\\.json$`, 'i'), '');
  return joinShards({ name: shardSetName(index.name, stem), format, index, shards, metadata: idx.metadata });
}

/** The reader of `<stem><extension>.index.json` for a format that comes in shard sets (`reader.shardSets`). */
export function indexReaderOf<F extends string>(reader: FormatReader<F>, formats: ShardFormats): FormatReader<F> {
  const pattern = new RegExp(`${extensionGroup(reader.extensions)}\\.index\\.json$`, 'i');
  return {
    id: `${reader.id}-index`,
    format: reader.format,
    label: reader.label,
    extensions: reader.extensions.map((e) => `${e}.index.json`),
    match: (name) => pattern.test(baseName(name)),
    open: (source, sibling) => openIndexed(source, sibling, reader.format, formats),
    members: async (source) => (await readShardIndex(source)).shards,
  };
}
