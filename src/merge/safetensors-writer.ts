/**
 * Output layout of a safetensors export (pure: no I/O). Given the output tensors in order it decides the
 * shard of each tensor, builds every shard's header (tensor entries + `__metadata__`) and the
 * `model.safetensors.index.json`; the executor then streams the data in tensor order.
 *
 * Input hashes are only known after the inputs have been read, but a header precedes the data. The
 * header therefore carries 64-character placeholders in the hash slots: a SHA-256 hex digest has the
 * same length, so the final header has exactly the same byte length and is patched in place before
 * the files are committed (`OutputFile.writeAt`). A sink without random access gets a hash pre-pass.
 */
import type { DType } from '../formats/dtype';

export interface WriterTensor {
  name: string;
  dtype: DType;
  shape: number[];
  byteLength: number;
}

export interface InputHash {
  role: string;
  name: string;
  /** Hex digest, or null while unknown (a placeholder of the same length is written). */
  sha256: string | null;
}

export interface ShardLayout {
  name: string;
  /** Indices into the tensor list, in order. */
  tensors: number[];
  /** Header bytes: u64 length + JSON padded with spaces to a multiple of 8. */
  header: Uint8Array;
  dataBytes: number;
  /** header.length + dataBytes. */
  size: number;
}

export interface OutputLayout {
  shards: ShardLayout[];
  /** For each tensor, its shard index. */
  shardOf: number[];
  /** The index file (sharded outputs only). */
  index: { name: string; bytes: Uint8Array } | null;
}

export interface LayoutOptions {
  /** Max bytes of tensor data per shard; 0 = one file. A tensor larger than a shard gets a shard alone. */
  shardSize: number;
  /** Single-file name (default model.safetensors); shards are named model-0000k-of-0000n.safetensors after its stem. */
  fileName?: string;
  /** String metadata written into every header (and the index). */
  metadata: Record<string, string>;
  hashes: InputHash[];
}

export const HASH_PLACEHOLDER = '0'.repeat(64);
export const INDEX_NAME = 'model.safetensors.index.json';

function hashesJson(h: InputHash[]): string {
  return JSON.stringify(h.map((x) => ({ role: x.role, name: x.name, sha256: x.sha256 ?? HASH_PLACEHOLDER })));
}

function metadataWith(opts: LayoutOptions): Record<string, string> {
  const md: Record<string, string> = { format: 'pt', ...opts.metadata };
  md['capvector.inputs'] = opts.hashes.length ? hashesJson(opts.hashes) : '[]';
  md['capvector.inputs_hashed'] = opts.hashes.length ? 'sha256' : 'no';
  return md;
}

/** Header bytes of one safetensors file. */
export function buildHeader(tensors: WriterTensor[], metadata: Record<string, string>): { header: Uint8Array; dataBytes: number } {
  const obj: Record<string, unknown> = { __metadata__: metadata };
  let off = 0;
  for (const t of tensors) {
    obj[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + t.byteLength] };
    off += t.byteLength;
  }
  let json = new TextEncoder().encode(JSON.stringify(obj));
  // Pad with spaces so the data starts 8-byte aligned (as the reference implementation does).
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const header = new Uint8Array(8 + json.length);
  new DataView(header.buffer).setBigUint64(0, BigInt(json.length), true);
  header.set(json, 8);
  return { header, dataBytes: off };
}

const pad5 = (n: number) => String(n).padStart(5, '0');

export function layoutSafetensors(tensors: WriterTensor[], opts: LayoutOptions): OutputLayout {
  const groups: number[][] = [];
  let cur: number[] = [];
  let curBytes = 0;
  tensors.forEach((t, i) => {
    if (opts.shardSize > 0 && cur.length > 0 && curBytes + t.byteLength > opts.shardSize) {
      groups.push(cur);
      cur = [];
      curBytes = 0;
    }
    cur.push(i);
    curBytes += t.byteLength;
  });
  if (cur.length || groups.length === 0) groups.push(cur);
  const sharded = opts.shardSize > 0 && groups.length > 1;
  const fileName = opts.fileName ?? 'model.safetensors';
  const stem = fileName.replace(/\.safetensors$/, '');
  const md = metadataWith(opts);
  const shardOf = new Array<number>(tensors.length);
  const shards = groups.map((g, k): ShardLayout => {
    for (const i of g) shardOf[i] = k;
    const { header, dataBytes } = buildHeader(g.map((i) => tensors[i]), md);
    const name = sharded ? `${stem}-${pad5(k + 1)}-of-${pad5(groups.length)}.safetensors` : fileName;
    return { name, tensors: g, header, dataBytes, size: header.length + dataBytes };
  });
  const index = sharded ? { name: stem === 'model' ? INDEX_NAME : `${stem}.safetensors.index.json`, bytes: indexBytes(tensors, shards, md) } : null;
  return { shards, shardOf, index };
}

function indexBytes(tensors: WriterTensor[], shards: ShardLayout[], md: Record<string, string>): Uint8Array {
  const weightMap: Record<string, string> = {};
  let total = 0;
  for (const s of shards) for (const i of s.tensors) {
    weightMap[tensors[i].name] = s.name;
    total += tensors[i].byteLength;
  }
  const { format: _f, ...rest } = md;
  return new TextEncoder().encode(JSON.stringify({ metadata: { total_size: total, ...rest }, weight_map: weightMap }, null, 2) + '\n');
}

/** The same layout with the hashes filled in: headers keep their byte length (asserted), the index is rebuilt. */
export function withHashes(tensors: WriterTensor[], layout: OutputLayout, opts: LayoutOptions): OutputLayout {
  const next = layoutSafetensors(tensors, opts);
  next.shards.forEach((s, k) => {
    if (s.header.length !== layout.shards[k].header.length) throw new Error('internal: patched header changed length');
  });
  return next;
}
