import type { ByteSource } from './byte-source';
import type { Checkpoint } from './checkpoint';

/**
 * The netron-style contract of one format: `match` sniffs a file by name and first bytes, `open`
 * parses headers only and returns tensors with lazy readers. Multi-file formats (tfjs model.json,
 * sharded index.json) find their other files through `sibling`, which resolves a path relative to
 * the opened file (undefined when that file was not given).
 *
 * A reader file declares everything the rest of the app derives from it (registry.ts): the format
 * id checkpoints carry, how the format is named to users, and whether it comes in shard sets.
 */
export interface FormatReader<F extends string = string> {
  /** Reader id, e.g. 'safetensors', 'pytorch', 'npy', 'npz', 'tfjs' ('<id>-index' for a derived index reader). */
  id: string;
  /** The format family, shown on every checkpoint it opens; several readers may share one (npy and npz). */
  format: F;
  /** The family's name for people ('PyTorch'); readers of one family give the same label. */
  label: string;
  /** The file names it is for ('.npy', 'model.json'): listed to users and used to pick a shard's reader. */
  extensions: readonly string[];
  /**
   * Set when the format comes in Hugging Face shard sets: `<stem>.<extension>.index.json` lists shards
   * this reader opens, and shards dropped without their index join by `-0000k-of-0000n` names ending
   * in one of these extensions. The registry derives the index reader from it.
   */
  shardSets?: readonly string[];
  /** Whether this reader takes the file; `head` holds its first bytes (up to 64). */
  match(name: string, head: Uint8Array): boolean;
  /**
   * A second look, by content, at a file no reader's `match` took (a tfjs model saved under any
   * `.json` name): may read the whole (small) file. Tried after every `match`.
   */
  sniff?(source: ByteSource, head: Uint8Array): Promise<boolean>;
  open(source: ByteSource, sibling: (relativePath: string) => ByteSource | undefined): Promise<Checkpoint<F>>;
  /**
   * Files this file pulls in (shards of an index, weight files of model.json), relative to it, so the
   * grouping step does not also open them as checkpoints of their own. Reads the small index only.
   */
  members?(source: ByteSource): Promise<string[]>;
}

/** Keeps the literal format id of a reader (`'numpy'`, not `string`), so the registry can derive FormatId. */
export function defineReader<const F extends string>(reader: FormatReader<F>): FormatReader<F> {
  return reader;
}
