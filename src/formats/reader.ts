import type { ByteSource } from './byte-source';
import type { Checkpoint, FormatId } from './checkpoint';

/**
 * The netron-style contract of one format: `match` sniffs a file by name and first bytes, `open`
 * parses headers only and returns tensors with lazy readers. Multi-file formats (tfjs model.json,
 * sharded index.json) find their other files through `sibling`, which resolves a path relative to
 * the opened file (undefined when that file was not given).
 */
export interface FormatReader {
  /** Reader id, e.g. 'safetensors', 'safetensors-index', 'pytorch', 'npy', 'npz', 'tfjs'. */
  id: string;
  format: FormatId;
  /** Whether this reader takes the file; `head` holds its first bytes (up to 64). */
  match(name: string, head: Uint8Array): boolean;
  open(source: ByteSource, sibling: (relativePath: string) => ByteSource | undefined): Promise<Checkpoint>;
  /**
   * Files this file pulls in (shards of an index, weight files of model.json), relative to it, so the
   * grouping step does not also open them as checkpoints of their own. Reads the small index only.
   */
  members?(source: ByteSource): Promise<string[]>;
}
