import type { ByteSource } from './byte-source';
import { baseName } from './byte-source';
import type { Checkpoint, TensorEntry } from './checkpoint';
import type { DType } from './dtype';
import { dtypeSize, numelOf } from './dtype';
import { FormatError, ensure } from './errors';
import { oftComponentFile, oftDisplayName, oftMetadata } from './oft';
import { PickleGlobal, PickleObject, unpickle } from './pickle';
import { defineReader } from './reader';
import { lastElement, stridedTensor } from './strided-view';
import type { ZipArchive, ZipEntry } from './zip';
import { isZipHead, openZip } from './zip';

/**
 * torch.save archives (torch >= 1.6): `<top>/data.pkl` names the tensors through the allowlisted unpickler,
 * `<top>/data/<key>` hold the storages, `<top>/byteorder` tells their endianness (little when absent).
 * Tensors are views (offset, size, stride in elements) on storages that several tensors may share.
 */

const STORAGE_DTYPES: Record<string, DType> = {
  FloatStorage: 'F32', HalfStorage: 'F16', BFloat16Storage: 'BF16', DoubleStorage: 'F64', LongStorage: 'I64',
  IntStorage: 'I32', ShortStorage: 'I16', CharStorage: 'I8', ByteStorage: 'U8', BoolStorage: 'BOOL',
  Float8_e4m3fnStorage: 'F8_E4M3', Float8_e5m2Storage: 'F8_E5M2', UInt16Storage: 'U16', UInt32Storage: 'U32', UInt64Storage: 'U64',
};

const TORCH_EXT = /\.(bin|pt|pth|ckpt|pkl)$/i;
/** The pickle that starts a legacy (pre-1.6) torch file: protocol 2, LONG1 of the magic number 0x1950a86a20f9469cfc6c. */
const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
/** data.pkl is read whole; real ones are kilobytes to a few megabytes. */
const MAX_PICKLE = 512 * 1024 * 1024;

interface StorageRef {
  readonly kind: 'storage';
  key: string;
  dtype: DType;
  numel: number;
  entry: ZipEntry;
  source?: Promise<ByteSource>;
}

interface TensorRef {
  readonly kind: 'tensor';
  storage: StorageRef;
  offset: number;
  shape: number[];
  strides: number[];
}

function isLegacyHead(head: Uint8Array): boolean {
  return head.length >= LEGACY_MAGIC.length && LEGACY_MAGIC.every((b, i) => head[i] === b);
}

function intList(v: unknown, file: string, what: string): number[] {
  ensure(Array.isArray(v) && v.every((x) => Number.isSafeInteger(x) && (x as number) >= 0), file, `tensor ${what} is not a tuple of non-negative integers`);
  return v as number[];
}

function findDataPkl(zip: ZipArchive): string {
  let best: string | undefined;
  for (const e of zip.entries) {
    if (e.name === 'data.pkl' || e.name.endsWith('/data.pkl')) {
      const prefix = e.name.slice(0, -'data.pkl'.length);
      if (best === undefined || prefix.split('/').length < best.split('/').length) best = prefix;
    }
  }
  if (best === undefined) {
    throw new FormatError(zip.source.name, 'zip archive has no data.pkl (not a torch.save file)');
  }
  return best;
}

async function readText(zip: ZipArchive, e: ZipEntry | undefined, limit = 4096): Promise<string | undefined> {
  if (!e || e.uncompressedSize > limit) return undefined;
  const src = await zip.open(e);
  return new TextDecoder().decode(await src.read(0, src.size)).trim();
}

async function openTorchZip(source: ByteSource): Promise<Checkpoint<'pytorch'>> {
  const file = source.name;
  const zip = await openZip(source);
  const prefix = findDataPkl(zip);
  const byteorder = (await readText(zip, zip.get(`${prefix}byteorder`))) ?? 'little';
  ensure(byteorder === 'little' || byteorder === 'big', file, `unknown byteorder '${byteorder}'`);
  const version = await readText(zip, zip.get(`${prefix}version`));

  const pklEntry = zip.get(`${prefix}data.pkl`)!;
  ensure(pklEntry.uncompressedSize <= MAX_PICKLE, file, `data.pkl of ${pklEntry.uncompressedSize} bytes is implausibly large`);
  const pklSource = await zip.open(pklEntry);
  const pkl = await pklSource.read(0, pklSource.size);

  const storages = new Map<string, StorageRef>();
  const persistentLoad = (pid: unknown): StorageRef => {
    ensure(Array.isArray(pid) && pid[0] === 'storage' && pid.length >= 5, file, 'data.pkl has a persistent id that is not a storage');
    const [, cls, key, , numel] = pid as unknown[];
    ensure(cls instanceof PickleGlobal && cls.module === 'torch' && cls.name in STORAGE_DTYPES, file, 'storage of unknown type');
    ensure(typeof key === 'string' && Number.isSafeInteger(numel) && (numel as number) >= 0, file, 'storage id is malformed');
    const k = key as string;
    const dtype = STORAGE_DTYPES[(cls as PickleGlobal).name];
    const seen = storages.get(k);
    if (seen) {
      ensure(seen.dtype === dtype, file, `storage '${k}' is used as both ${seen.dtype} and ${dtype}`);
      return seen;
    }
    const entry = zip.get(`${prefix}data/${k}`);
    ensure(entry, file, `storage '${k}' is missing from the archive (no ${prefix}data/${k})`);
    const bytes = (numel as number) * dtypeSize(dtype);
    ensure(entry.uncompressedSize >= bytes, file, `storage '${k}' holds ${entry.uncompressedSize} bytes but ${numel} ${dtype} elements need ${bytes}`);
    const s: StorageRef = { kind: 'storage', key: k, dtype, numel: numel as number, entry };
    storages.set(k, s);
    return s;
  };
  const reduce = (g: PickleGlobal, args: unknown[]): unknown => {
    switch (g.qualified) {
      case 'torch._utils._rebuild_tensor':
      case 'torch._utils._rebuild_tensor_v2': {
        const [storage, offset, size, stride] = args;
        ensure(storage && (storage as StorageRef).kind === 'storage', file, `${g.name} without a storage`);
        ensure(Number.isSafeInteger(offset) && (offset as number) >= 0, file, 'tensor storage offset is not a non-negative integer');
        const shape = intList(size, file, 'size');
        const strides = intList(stride, file, 'stride');
        ensure(shape.length === strides.length, file, 'tensor size and stride differ in length');
        const ref: TensorRef = { kind: 'tensor', storage: storage as StorageRef, offset: offset as number, shape: [...shape], strides: [...strides] };
        return ref;
      }
      case 'torch._utils._rebuild_parameter':
      case 'torch._utils._rebuild_parameter_with_state':
        return args[0];
    }
    return undefined;
  };
  const root = unpickle(pkl, `${file}:${prefix}data.pkl`, { persistentLoad, reduce });

  const tensors: TensorEntry[] = [];
  const names = new Set<string>();
  let skipped = 0;
  const seen = new Set<unknown>();
  const visit = (v: unknown, name: string, depth: number): void => {
    if (v && typeof v === 'object' && (v as TensorRef).kind === 'tensor') {
      const t = v as TensorRef;
      const label = name || 'tensor';
      ensure(!names.has(label), file, `two tensors are named '${label}'`);
      names.add(label);
      tensors.push(tensorEntry(source, zip, label, t, byteorder === 'big'));
      return;
    }
    if (depth > 64 || (v && typeof v === 'object' && seen.has(v))) return;
    if (v instanceof Map) {
      seen.add(v);
      for (const [k, x] of v) visit(x, name ? `${name}.${String(k)}` : String(k), depth + 1);
    } else if (Array.isArray(v)) {
      seen.add(v);
      v.forEach((x, i) => visit(x, name ? `${name}.${i}` : String(i), depth + 1));
    } else if (v instanceof PickleObject) {
      skipped++;
    } else skipped++;
  };
  visit(root, '', 0);

  const metadata: Record<string, string> = {
    format: 'torch.save zip',
    archive_folder: prefix.replace(/\/$/, ''),
    byteorder,
    storages: String(storages.size),
    non_tensor_values: String(skipped),
  };
  if (version !== undefined) metadata.version = version;
  // OpenVLA-OFT's component files (action_head--150000_checkpoint.pt, …), by name or by the archive's folder.
  const oft = oftComponentFile(file) ?? (metadata.archive_folder ? oftComponentFile(`${metadata.archive_folder}.pt`) : null);
  if (oft) Object.assign(metadata, oftMetadata(oft));
  return { name: oft ? oftDisplayName(oft) : baseName(file), format: 'pytorch', files: [file], sharded: false, tensors, metadata, fileBytes: source.size };
}

function tensorEntry(source: ByteSource, zip: ZipArchive, name: string, t: TensorRef, bigEndian: boolean): TensorEntry {
  const file = source.name;
  const { storage } = t;
  const elemSize = dtypeSize(storage.dtype);
  const numel = numelOf(t.shape);
  ensure(numel !== null && Number.isSafeInteger(numel * elemSize), file, `tensor '${name}' has an overflowing shape [${t.shape}]`);
  if (numel > 0) {
    const last = lastElement(t);
    ensure(Number.isSafeInteger(last) && last < storage.numel, file, `tensor '${name}' reaches element ${last} of storage '${storage.key}', which holds ${storage.numel}`);
  }
  const byteLength = numel * elemSize;
  const layout = { shape: t.shape, strides: t.strides, offset: t.offset, elemSize, swap: bigEndian };
  return stridedTensor({ name, dtype: storage.dtype, shape: t.shape, byteLength, file }, layout, () => (storage.source ??= zip.open(storage.entry)));
}

export const pytorchReader = defineReader({
  id: 'pytorch',
  format: 'pytorch',
  label: 'PyTorch',
  extensions: ['.bin', '.pt', '.pth'],
  // Hugging Face names index-less shards pytorch_model-0000k-of-0000n.bin only.
  shardSets: ['.bin'],
  match(name, head) {
    // A zip named .npz or .npy is the NumPy readers' whatever the order the registry tries readers in.
    if (isZipHead(head)) return !/\.(npz|npy|zip|safetensors)$/i.test(name);
    // A bare pickle with a torch extension is taken too, to refuse it with a clear message.
    return TORCH_EXT.test(name) && head.length > 0 && head[0] === 0x80;
  },
  async open(source) {
    const head = await source.read(0, Math.min(16, source.size));
    if (!isZipHead(head)) {
      if (isLegacyHead(head)) throw new FormatError(source.name, 'legacy torch format (pre-1.6) is not supported; re-save with torch.save');
      if (head[0] === 0x80) throw new FormatError(source.name, 'a bare pickle, not a torch.save zip archive (only zip archives are read)');
      throw new FormatError(source.name, 'not a torch.save zip archive (no zip signature)');
    }
    return openTorchZip(source);
  },
});
