/**
 * Shared test helpers for the zip / pickle / torch / numpy / tfjs readers: fixture sources from
 * tests/fixtures/torch, a tiny zip writer for corrupt-archive rows, and a pickle assembler.
 */
import { existsSync, readFileSync } from 'node:fs';
import { deflateRawSync } from 'node:zlib';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ByteSource } from '../../../src/formats/byte-source';
import { bytesSource } from '../../../src/formats/byte-source';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/torch', import.meta.url));

export function fixtureBytes(rel: string): Uint8Array {
  return new Uint8Array(readFileSync(join(FIXTURES, rel)));
}

export function fixture(rel: string): ByteSource {
  return bytesSource(rel, fixtureBytes(rel));
}

/** Resolves files next to `rel` the way the app's grouping step does; undefined when absent. */
export function siblingsOf(rel: string): (p: string) => ByteSource | undefined {
  const dir = posix.dirname(rel);
  return (p) => {
    const path = posix.normalize(posix.join(dir, p));
    return existsSync(join(FIXTURES, path)) ? fixture(path) : undefined;
  };
}

export const noSiblings = (): undefined => undefined;

/** A source that counts the bytes read through it (to prove lazy, ranged reads). */
export function countingSource(src: ByteSource): ByteSource & { bytesRead: number; reads: number } {
  const s = {
    name: src.name,
    size: src.size,
    bytesRead: 0,
    reads: 0,
    async read(offset: number, length: number) {
      s.bytesRead += length;
      s.reads += 1;
      return src.read(offset, length);
    },
  };
  return s;
}

// ---------- zip writer ----------
const enc = new TextEncoder();

export interface ZipMember {
  name: string;
  data: Uint8Array;
  deflate?: boolean;
  /** Local header sizes left zero with a data descriptor after the data (what torch writes). */
  descriptor?: boolean;
  localExtra?: Uint8Array;
  flags?: number;
  method?: number;
}

function crc32(b: Uint8Array): number {
  let c = ~0;
  for (let i = 0; i < b.length; i++) {
    c ^= b[i];
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

class Bytes {
  private chunks: Uint8Array[] = [];
  length = 0;
  private push(b: Uint8Array) { this.chunks.push(b); this.length += b.length; return this; }
  u8(v: number) { return this.push(Uint8Array.of(v & 0xff)); }
  u16(v: number) { return this.push(Uint8Array.of(v & 0xff, (v >>> 8) & 0xff)); }
  u32(v: number) { return this.push(Uint8Array.from(u32le(v))); }
  bytes(b: Uint8Array) { return this.push(b.slice()); }
  out() {
    const o = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      o.set(c, at);
      at += c.length;
    }
    return o;
  }
}

/** A classic (non-ZIP64) archive; `comment` goes after the end record. */
export function makeZip(members: ZipMember[], comment = ''): Uint8Array {
  const out = new Bytes();
  const cd = new Bytes();
  for (const m of members) {
    const name = enc.encode(m.name);
    const body = m.deflate ? new Uint8Array(deflateRawSync(m.data)) : m.data;
    const method = m.method ?? (m.deflate ? 8 : 0);
    const crc = crc32(m.data);
    const flags = (m.flags ?? 0) | (m.descriptor ? 8 : 0);
    const extra = m.localExtra ?? new Uint8Array(0);
    const offset = out.length;
    const sz = (v: number) => (m.descriptor ? 0 : v);
    out.u32(0x04034b50).u16(20).u16(flags).u16(method).u16(0).u16(0x21)
      .u32(sz(crc)).u32(sz(body.length)).u32(sz(m.data.length)).u16(name.length).u16(extra.length)
      .bytes(name).bytes(extra).bytes(body);
    if (m.descriptor) out.u32(0x08074b50).u32(crc).u32(body.length).u32(m.data.length);
    cd.u32(0x02014b50).u16(20).u16(20).u16(flags).u16(method).u16(0).u16(0x21)
      .u32(crc).u32(body.length).u32(m.data.length).u16(name.length).u16(0).u16(0)
      .u16(0).u16(0).u32(0).u32(offset).bytes(name);
  }
  const cdOffset = out.length;
  const c = enc.encode(comment);
  out.bytes(cd.out()).u32(0x06054b50).u16(0).u16(0).u16(members.length).u16(members.length)
    .u32(cd.length).u32(cdOffset).u16(c.length).bytes(c);
  return out.out();
}

// ---------- pickle assembler ----------
/** Concatenates opcodes and operands: numbers are bytes, strings are latin-1 text. */
export function pk(...parts: (number | string | Uint8Array | number[])[]): Uint8Array {
  const b: number[] = [];
  for (const p of parts) {
    if (typeof p === 'number') b.push(p);
    else if (typeof p === 'string') for (const ch of p) b.push(ch.charCodeAt(0));
    else b.push(...p);
  }
  return Uint8Array.from(b);
}

export function u32le(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

/** BINUNICODE of an ASCII string. */
export function ustr(s: string): Uint8Array {
  return pk(0x58, u32le(s.length), s);
}

/** A torch-like archive around a data.pkl (and optional storages), for hostile and corrupt rows. */
export function torchZip(folder: string, pkl: Uint8Array, storages: Record<string, Uint8Array> = {}, extra: Record<string, Uint8Array> = {}): Uint8Array {
  const members: ZipMember[] = [{ name: `${folder}/data.pkl`, data: pkl, descriptor: true }];
  for (const [k, v] of Object.entries(storages)) members.push({ name: `${folder}/data/${k}`, data: v, descriptor: true });
  for (const [k, v] of Object.entries(extra)) members.push({ name: `${folder}/${k}`, data: v });
  members.push({ name: `${folder}/version`, data: enc.encode('3\n') });
  return makeZip(members);
}

/**
 * The pickle torch writes for {name: tensor} with one FloatStorage per tensor:
 * _rebuild_tensor_v2(persistent ('storage', FloatStorage, key, 'cpu', numel), offset, size, stride, False, OrderedDict()).
 */
export function torchStatePickle(tensors: { name: string; key: string; numel: number; offset: number; size: number[]; stride: number[]; storage?: string }[]): Uint8Array {
  const tup = (xs: number[]) => pk(0x28, ...xs.map((x) => pk(0x4a, u32le(x))), 0x74);
  const parts: Uint8Array[] = [pk(0x80, 0x02, 0x7d, 0x28)];
  for (const t of tensors) {
    parts.push(ustr(t.name), pk('ctorch._utils\n_rebuild_tensor_v2\n', 0x28));
    parts.push(pk(0x28), ustr('storage'), pk(`ctorch\n${t.storage ?? 'FloatStorage'}\n`), ustr(t.key), ustr('cpu'), pk(0x4a, u32le(t.numel), 0x74, 0x51));
    parts.push(pk(0x4a, u32le(t.offset)), tup(t.size), tup(t.stride), pk(0x89, 'ccollections\nOrderedDict\n', 0x29, 0x52, 0x74, 0x52));
  }
  parts.push(pk(0x75, 0x2e));
  return pk(...parts);
}

export function f32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

/** An .npy file with any header text, padded the way numpy pads it (to 64 bytes, ending in '\n'). */
export function npy(header: string, data: Uint8Array, version = 1): Uint8Array {
  const pre = version === 1 ? 10 : 12;
  let h = header;
  while ((pre + h.length + 1) % 64) h += ' ';
  h += '\n';
  const out = new Uint8Array(pre + h.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const dv = new DataView(out.buffer);
  if (version === 1) dv.setUint16(8, h.length, true);
  else dv.setUint32(8, h.length, true);
  out.set(new TextEncoder().encode(h), pre);
  out.set(data, pre + h.length);
  return out;
}

