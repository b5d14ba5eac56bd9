/**
 * A ByteSource is the only way readers touch file bytes: a size and a ranged read.
 * Readers parse headers through it and tensor bytes are fetched lazily, so memory never
 * grows with file size. Browser files use Blob.slice; Node uses a file handle (src/node/).
 */
export interface ByteSource {
  /** File name (or relative path) used in every error message. */
  readonly name: string;
  readonly size: number;
  /** Reads exactly `length` bytes at `offset`; rejects when the range is out of bounds. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

function checkRange(src: { name: string; size: number }, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > src.size) {
    throw new RangeError(`${src.name}: read of ${length} bytes at ${offset} is outside the file (${src.size} bytes)`);
  }
}

/** A source whose reads are range-checked (a bad range rejects) before `readIn` runs. */
function checkedSource(name: string, size: number, readIn: (offset: number, length: number) => Uint8Array | Promise<Uint8Array>): ByteSource {
  return {
    name,
    size,
    async read(offset, length) {
      checkRange({ name, size }, offset, length);
      return readIn(offset, length);
    },
  };
}

/** An in-memory source (tests, small files, fetched demo files). */
export function bytesSource(name: string, bytes: Uint8Array): ByteSource {
  return checkedSource(name, bytes.byteLength, (offset, length) => bytes.subarray(offset, offset + length));
}

/** A Blob/File source: each read slices the blob, so the file is never loaded whole. */
export function blobSource(blob: Blob, name: string): ByteSource {
  return checkedSource(name, blob.size, async (offset, length) => new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer()));
}

/** A view on part of another source (a stored member of a zip archive, a shard inside a bundle). */
export function subSource(parent: ByteSource, name: string, start: number, size: number): ByteSource {
  checkRange(parent, start, size);
  return {
    name,
    size,
    read(offset, length) {
      checkRange({ name, size }, offset, length);
      return parent.read(start + offset, length);
    },
  };
}

/** Base name of a path-like file name. */
export function baseName(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i >= 0 ? path.slice(i + 1) : path;
}

/** Folder part of a path-like file name ('' when none). */
export function dirName(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i >= 0 ? path.slice(0, i) : '';
}
