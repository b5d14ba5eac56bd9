import type { ByteSource } from './byte-source';
import { subSource } from './byte-source';
import { FormatError, ensure } from './errors';

/**
 * A read-only ZIP reader over a ByteSource (torch.save archives, npz). Only the tail and the central
 * directory are read when the archive opens; members are read on demand. Sizes come from the central
 * directory alone: torch's writer leaves zeros in the local headers and appends data descriptors.
 */
export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflated. */
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
  crc32: number;
}

export interface ZipArchive {
  source: ByteSource;
  entries: ZipEntry[];
  get(name: string): ZipEntry | undefined;
  /**
   * A ByteSource over the member's uncompressed bytes (a view for stored members, inflating otherwise).
   * `close` drops an inflater's cursor early; reads after it still work (they restart).
   */
  open(entry: ZipEntry): Promise<ClosableSource>;
}

export interface ClosableSource extends ByteSource {
  close?(): void;
}

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const EOCD_MIN = 22;
const MAX_COMMENT = 0xffff;
/** A central directory this large would mean millions of members: treat as hostile. */
const MAX_CENTRAL_DIR = 256 * 1024 * 1024;

export function isZipHead(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** A u64 as a number; larger than 2^53 cannot be a real offset in a file we can read. */
function u64(dv: DataView, at: number, file: string, what: string): number {
  const v = dv.getBigUint64(at, true);
  ensure(v <= BigInt(Number.MAX_SAFE_INTEGER), file, `zip ${what} ${v} is out of range`);
  return Number(v);
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

export async function openZip(source: ByteSource): Promise<ZipArchive> {
  const file = source.name;
  ensure(source.size >= EOCD_MIN, file, `too small to be a zip archive (${source.size} bytes)`);
  const tailLen = Math.min(source.size, EOCD_MIN + MAX_COMMENT);
  const tailStart = source.size - tailLen;
  const tail = await source.read(tailStart, tailLen);
  const tv = view(tail);
  // The record's comment must end the file; a signature inside a comment does not. Trailing bytes after
  // the comment are tolerated only when no exact record exists.
  let eocd = -1;
  let loose = -1;
  for (let i = tailLen - EOCD_MIN; i >= 0; i--) {
    if (tv.getUint32(i, true) !== EOCD_SIG) continue;
    const end = i + EOCD_MIN + tv.getUint16(i + 20, true);
    if (end === tailLen) {
      eocd = i;
      break;
    }
    if (end < tailLen && loose < 0) loose = i;
  }
  if (eocd < 0) eocd = loose;
  if (eocd < 0) throw new FormatError(file, 'no zip end-of-central-directory record (truncated or not a zip archive)');
  let count = tv.getUint16(eocd + 10, true);
  let cdSize = tv.getUint32(eocd + 12, true);
  let cdOffset = tv.getUint32(eocd + 16, true);
  const eocdPos = tailStart + eocd;
  let cdEnd = eocdPos;
  ensure(tv.getUint16(eocd + 4, true) === 0 && tv.getUint16(eocd + 6, true) === 0, file, 'multi-disk zip archives are not supported');

  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    // ZIP64: the locator sits just before the classic record and points at the ZIP64 record.
    ensure(eocdPos >= 20, file, 'zip64 end-of-central-directory locator is missing');
    const loc = view(await source.read(eocdPos - 20, 20));
    ensure(loc.getUint32(0, true) === ZIP64_LOCATOR_SIG, file, 'zip64 end-of-central-directory locator is missing');
    const recPos = u64(loc, 8, file, 'zip64 record offset');
    ensure(recPos + 56 <= eocdPos - 20, file, `zip64 end-of-central-directory record offset ${recPos} is outside the archive`);
    const rec = view(await source.read(recPos, 56));
    ensure(rec.getUint32(0, true) === ZIP64_EOCD_SIG, file, 'zip64 end-of-central-directory record is corrupt');
    count = u64(rec, 32, file, 'entry count');
    cdSize = u64(rec, 40, file, 'central directory size');
    cdOffset = u64(rec, 48, file, 'central directory offset');
    cdEnd = recPos;
  }
  ensure(cdOffset + cdSize <= cdEnd, file, `zip central directory (${cdSize} bytes at ${cdOffset}) runs past its end record (truncated archive?)`);
  ensure(cdSize <= MAX_CENTRAL_DIR, file, `zip central directory of ${cdSize} bytes is implausibly large`);
  ensure(count * 46 <= cdSize, file, `zip claims ${count} entries but its central directory holds ${cdSize} bytes`);

  const cd = await source.read(cdOffset, cdSize);
  const dv = view(cd);
  const entries: ZipEntry[] = [];
  const byName = new Map<string, ZipEntry>();
  let p = 0;
  for (let i = 0; i < count; i++) {
    ensure(p + 46 <= cdSize && dv.getUint32(p, true) === CENTRAL_SIG, file, `zip central directory entry ${i} is corrupt`);
    const flags = dv.getUint16(p + 8, true);
    const method = dv.getUint16(p + 10, true);
    const crc32 = dv.getUint32(p + 16, true);
    let compressedSize = dv.getUint32(p + 20, true);
    let uncompressedSize = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    let localHeaderOffset = dv.getUint32(p + 42, true);
    const end = p + 46 + nameLen + extraLen + commentLen;
    ensure(end <= cdSize, file, `zip central directory entry ${i} runs past the directory`);
    const name = utf8.decode(cd.subarray(p + 46, p + 46 + nameLen));
    // ZIP64 extra field: the 64-bit values appear only for the fields saturated at 0xffffffff, in this order.
    let q = p + 46 + nameLen;
    const extraEnd = q + extraLen;
    while (q + 4 <= extraEnd) {
      const id = dv.getUint16(q, true);
      const len = dv.getUint16(q + 2, true);
      ensure(q + 4 + len <= extraEnd, file, `zip extra field of '${name}' is corrupt`);
      if (id === 0x0001) {
        let r = q + 4;
        const take = (what: string): number => {
          ensure(r + 8 <= q + 4 + len, file, `zip64 extra field of '${name}' lacks the ${what}`);
          const v = u64(dv, r, file, `${what} of '${name}'`);
          r += 8;
          return v;
        };
        if (uncompressedSize === 0xffffffff) uncompressedSize = take('uncompressed size');
        if (compressedSize === 0xffffffff) compressedSize = take('compressed size');
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = take('local header offset');
      }
      q += 4 + len;
    }
    ensure((flags & 1) === 0, file, `zip member '${name}' is encrypted`);
    ensure(localHeaderOffset + 30 <= cdOffset, file, `zip member '${name}' has its local header outside the archive data`);
    const e: ZipEntry = { name, method, compressedSize, uncompressedSize, localHeaderOffset, crc32 };
    entries.push(e);
    if (!byName.has(name)) byName.set(name, e);
    p = end;
  }

  return {
    source,
    entries,
    get: (name) => byName.get(name),
    open: (entry) => openMember(source, cdOffset, entry),
  };
}

/** Where a member's data starts: after the LOCAL header, whose name/extra lengths may differ from the central ones. */
async function dataStart(source: ByteSource, limit: number, e: ZipEntry): Promise<number> {
  const file = source.name;
  const h = view(await source.read(e.localHeaderOffset, 30));
  ensure(h.getUint32(0, true) === LOCAL_SIG, file, `zip member '${e.name}' has a corrupt local header`);
  const start = e.localHeaderOffset + 30 + h.getUint16(26, true) + h.getUint16(28, true);
  ensure(start + e.compressedSize <= limit, file, `zip member '${e.name}' (${e.compressedSize} bytes at ${start}) runs past the archive data (truncated?)`);
  return start;
}

async function openMember(source: ByteSource, limit: number, e: ZipEntry): Promise<ClosableSource> {
  const file = source.name;
  const start = await dataStart(source, limit, e);
  const memberName = `${file}:${e.name}`;
  if (e.method === 0) {
    ensure(e.compressedSize === e.uncompressedSize, file, `stored zip member '${e.name}' has different compressed and uncompressed sizes`);
    return subSource(source, memberName, start, e.compressedSize);
  }
  if (e.method === 8) return inflatingSource(subSource(source, memberName, start, e.compressedSize), e.uncompressedSize, e.crc32);
  throw new FormatError(file, `zip member '${e.name}' uses compression method ${e.method} (only stored and deflate are supported)`);
}

const INFLATE_CHUNK = 256 * 1024;

/**
 * A deflated member as a ByteSource. Inflation streams from the start; a cursor is kept so reads that move
 * forward (header, then tensor chunks in order) continue where the last one stopped instead of restarting.
 * Memory stays at one chunk plus the requested range.
 */
export function inflatingSource(compressed: ByteSource, size: number, expectedCrc?: number): ClosableSource {
  const name = compressed.name;
  type Cursor = { reader: ReadableStreamDefaultReader<Uint8Array>; pos: number; pending: Uint8Array; received: number; crc: number };
  let cursor: Cursor | null = null;
  let queue: Promise<unknown> = Promise.resolve();

  const restart = (): Cursor => {
    // Compressed bytes are pulled as the inflater asks for them, so an idle cursor holds one chunk at most.
    let off = 0;
    const input = new ReadableStream<Uint8Array>({
      async pull(ctrl) {
        if (off >= compressed.size) return ctrl.close();
        const n = Math.min(INFLATE_CHUNK, compressed.size - off);
        ctrl.enqueue(await compressed.read(off, n));
        off += n;
      },
    }, { highWaterMark: 0 });
    const out = input.pipeThrough(new DecompressionStream('deflate-raw') as unknown as ReadableWritablePair<Uint8Array, Uint8Array>);
    return { reader: out.getReader(), pos: 0, pending: new Uint8Array(0), received: 0, crc: ~0 };
  };

  const next = async (c: Cursor): Promise<void> => {
    let r: ReadableStreamReadResult<Uint8Array>;
    try {
      r = await c.reader.read();
    } catch (err) {
      throw new FormatError(name, `corrupt deflate data (${err instanceof Error ? err.message : String(err)})`);
    }
    if (r.done) throw new FormatError(name, `deflate data ends after ${c.pos + c.pending.length} of ${size} bytes (truncated or corrupt)`);
    // Every output byte passes here once per cursor, in order: check the size and CRC at the end.
    c.received += r.value.length;
    if (c.received > size) throw new FormatError(name, `deflate data holds more than the declared ${size} bytes`);
    if (expectedCrc !== undefined) {
      c.crc = crc32Update(c.crc, r.value);
      if (c.received === size && (~c.crc >>> 0) !== expectedCrc) throw new FormatError(name, 'CRC-32 mismatch: the member is corrupt');
    }
    c.pending = c.pending.length ? concat(c.pending, r.value) : r.value;
  };

  const readAt = async (offset: number, length: number): Promise<Uint8Array> => {
    if (!cursor || cursor.pos > offset) {
      if (cursor) void cursor.reader.cancel().catch(() => undefined);
      cursor = restart();
    }
    const c = cursor;
    const out = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      if (c.pending.length === 0) await next(c);
      const skip = Math.max(0, offset + filled - c.pos);
      if (skip >= c.pending.length) {
        c.pos += c.pending.length;
        c.pending = new Uint8Array(0);
        continue;
      }
      const n = Math.min(c.pending.length - skip, length - filled);
      out.set(c.pending.subarray(skip, skip + n), filled);
      filled += n;
      c.pos += skip + n;
      c.pending = c.pending.subarray(skip + n);
    }
    return out;
  };

  return {
    name,
    size,
    close() {
      if (cursor) void cursor.reader.cancel().catch(() => undefined);
      cursor = null;
    },
    read(offset, length) {
      if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
        return Promise.reject(new RangeError(`${name}: read of ${length} bytes at ${offset} is outside the file (${size} bytes)`));
      }
      const result = queue.then(() => readAt(offset, length));
      queue = result.catch(() => {
        // A failed stream cannot continue: drop it so the next read starts afresh.
        if (cursor) void cursor.reader.cancel().catch(() => undefined);
        cursor = null;
      });
      return result;
    },
  };
}

let crcTable: Uint32Array | undefined;

function crc32Update(crc: number, b: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = crc;
  for (let i = 0; i < b.length; i++) c = crcTable[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return c;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
