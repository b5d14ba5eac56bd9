/**
 * From a set of dropped files (or the files of CLI paths) to checkpoints, given the registry's readers.
 * Index files and tfjs model.json claim their members, shards dropped together without an index join
 * by their `-0000k-of-0000n` names, every other recognised file stands alone, and unknown files
 * (README, config.json, tokenizer files) are skipped. One failing checkpoint gives one FormatError
 * and never stops the others. Checkpoints in generically named files take their folder's name, and
 * the names of the checkpoints opened together are made distinct (display-name.ts).
 */
import { baseName, dirName, type ByteSource } from './byte-source';
import type { Checkpoint } from './checkpoint';
import { displayNameFor, distinctNames } from './display-name';
import { describeError, FormatError } from './errors';
import type { FormatReader } from './reader';
import { extensionGroup, joinShards, shardSetName } from './sharded';

/** What the grouping needs of the registry. */
export interface ReaderSet<F extends string> {
  /** The reader of a file by its name and first bytes (HEAD_BYTES of them), else by its content. */
  readerFor(source: ByteSource, head: Uint8Array): Promise<FormatReader<F> | undefined>;
  /** Extensions of index-less shard sets ('.safetensors', '.bin'). */
  shardSetExtensions: readonly string[];
  /** The formats read, for the message when no file is recognised. */
  names: string;
}

/** How much of a file's start readers sniff. */
export const HEAD_BYTES = 64;

/** Resolves `rel` against folder `dir` with '/' separators, folding '.' and '..'. */
export function joinPath(dir: string, rel: string): string {
  const parts: string[] = [];
  for (const p of `${dir}/${rel}`.replace(/\\/g, '/').split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') parts.pop();
    else parts.push(p);
  }
  return parts.join('/');
}

const normalize = (name: string) => joinPath('', name);

/** Turns anything thrown while opening into a FormatError that names a file. */
function toFormatError(e: unknown, file: string, known: ReadonlySet<string> = new Set()): FormatError {
  if (e instanceof FormatError) return e;
  const msg = describeError(e);
  // ByteSource range errors already start with the file name: keep that one rather than doubling it.
  const colon = msg.indexOf(': ');
  if (colon > 0) {
    const named = msg.slice(0, colon);
    if (named === file || known.has(named)) return new FormatError(named, msg.slice(colon + 2));
  }
  return new FormatError(file, msg);
}

interface Unit<F extends string> {
  /** Position of the unit's first file in the input, for a stable checkpoint order. */
  order: number;
  file: string;
  open: () => Promise<Checkpoint<F>>;
}

interface ShardMember<F extends string> { source: ByteSource; index: number; num: number; total: number; prefix: string; reader: FormatReader<F> }

function shardGroupUnit<F extends string>(members: ShardMember<F>[]): Unit<F> {
  members.sort((a, b) => a.num - b.num);
  const first = members[0];
  const file = first.source.name;
  return {
    order: Math.min(...members.map((m) => m.index)),
    file,
    open: async () => {
      const { total, prefix } = first;
      const have = new Set(members.map((m) => m.num));
      const pad = (k: number) => String(k).padStart(5, '0');
      const missing: number[] = [];
      for (let k = 1; k <= total; k++) if (!have.has(k)) missing.push(k);
      if (missing.length) {
        const ext = /\.([^.]+)$/.exec(file)![1];
        const shown = missing.slice(0, 5).map((k) => `${baseName(prefix)}-${pad(k)}-of-${pad(total)}.${ext}`).join(', ');
        throw new FormatError(file, `shard set of ${total} is missing shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (${shown}${missing.length > 5 ? ', …' : ''})`);
      }
      const extra = members.find((m) => m.num < 1 || m.num > total);
      if (extra) throw new FormatError(extra.source.name, `shard number ${extra.num} is outside 1..${total}`);
      const shards = await Promise.all(members.map(async (m) => ({ source: m.source, checkpoint: await m.reader.open(m.source, () => undefined) })));
      return joinShards({ name: shardSetName(file, baseName(prefix)), format: first.reader.format, shards });
    },
  };
}

export async function groupAndOpen<F extends string>(files: ByteSource[], readers: ReaderSet<F>): Promise<{ checkpoints: Checkpoint<F>[]; errors: FormatError[] }> {
  const byName = new Map<string, ByteSource>();
  for (const f of files) byName.set(normalize(f.name), f);
  const names = new Set(files.map((f) => f.name));
  const siblingOf = (from: ByteSource) => (rel: string) => byName.get(joinPath(dirName(normalize(from.name)), rel));
  /** `model-00001-of-00003.safetensors`, `pytorch_model-00002-of-00002.bin`. */
  const shardName = new RegExp(`^(.*)-(\\d+)-of-(\\d+)${extensionGroup(readers.shardSetExtensions)}$`, 'i');

  const heads = await Promise.all(files.map((f) => f.read(0, Math.min(HEAD_BYTES, f.size)).catch(() => new Uint8Array(0))));
  const found = await Promise.all(files.map((f, i) => readers.readerFor(f, heads[i])));

  const units: Unit<F>[] = [];
  const claimed = new Set<ByteSource>();
  await Promise.all(files.map(async (f, i) => {
    const r = found[i];
    if (!r?.members) return;
    try {
      for (const rel of await r.members(f)) {
        const m = siblingOf(f)(rel);
        if (m && m !== f) claimed.add(m);
      }
    } catch {
      // The open below reports the fault with its file name.
    }
  }));

  const shardGroups = new Map<string, ShardMember<F>[]>();
  files.forEach((f, i) => {
    const r = found[i];
    if (!r || claimed.has(f)) return;
    const sm = r.members ? null : shardName.exec(baseName(f.name));
    if (sm && r.shardSets) {
      const prefix = joinPath(dirName(normalize(f.name)), sm[1]);
      const key = `${prefix}\u0000${sm[3]}\u0000${sm[4].toLowerCase()}`;
      const g = shardGroups.get(key) ?? [];
      if (!g.length) shardGroups.set(key, g);
      g.push({ source: f, index: i, num: Number(sm[2]), total: Number(sm[3]), prefix, reader: r });
      return;
    }
    units.push({ order: i, file: f.name, open: () => r.open(f, siblingOf(f)) });
  });
  for (const g of shardGroups.values()) units.push(shardGroupUnit(g));
  units.sort((a, b) => a.order - b.order);

  if (units.length === 0) {
    return { checkpoints: [], errors: files.map((f) => new FormatError(f.name, `not a recognised checkpoint (${readers.names})`)) };
  }
  const results = await Promise.all(units.map(async (u) => {
    try {
      return { checkpoint: await u.open(), error: null };
    } catch (e) {
      return { checkpoint: null, error: toFormatError(e, u.file, names) };
    }
  }));
  const checkpoints: Checkpoint<F>[] = [];
  const errors: FormatError[] = [];
  for (const r of results) {
    if (r.error) errors.push(r.error);
    else if (r.checkpoint) checkpoints.push(r.checkpoint);
  }
  // Generic file names (model.safetensors, pytorch_model.bin, …) give way to their folders, and no two
  // checkpoints opened together share a name.
  const named = checkpoints.map((c) => ({ name: displayNameFor(c.name, c.files[0] ?? c.name), where: c.files[0] ?? c.name }));
  const distinct = distinctNames(named);
  return { checkpoints: checkpoints.map((c, i) => (distinct[i] === c.name ? c : { ...c, name: distinct[i] })), errors };
}
