/** Builds safetensors bytes for tests, well-formed or deliberately broken. */
import { bytesSource, type ByteSource } from '../../../src/formats/byte-source';

export interface BuildOptions {
  /** Replaces the 8-byte length field (e.g. to lie about the header size). */
  length?: bigint;
  /** Pads the header with spaces to a multiple of 8 (as the reference writer does). Default true. */
  pad?: boolean;
}

const enc = new TextEncoder();

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

export function u64(n: bigint | number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
}

/** header: an object (JSON-encoded), a string (used verbatim) or raw bytes. data: bytes or a zero-filled length. */
export function buildSafetensors(header: unknown, data: Uint8Array | number = 0, opts: BuildOptions = {}): Uint8Array {
  let h = header instanceof Uint8Array ? header : enc.encode(typeof header === 'string' ? header : JSON.stringify(header));
  if (opts.pad ?? !(header instanceof Uint8Array || typeof header === 'string')) {
    const extra = (8 - (h.byteLength % 8)) % 8;
    h = concat(h, enc.encode(' '.repeat(extra)));
  }
  const d = typeof data === 'number' ? new Uint8Array(data) : data;
  return concat(u64(opts.length ?? BigInt(h.byteLength)), h, d);
}

/** A source that records every read, to prove readers stay lazy. */
export function countingSource(name: string, bytes: Uint8Array): ByteSource & { reads: [number, number][] } {
  const inner = bytesSource(name, bytes);
  const reads: [number, number][] = [];
  return {
    name,
    size: inner.size,
    reads,
    read(offset, length) {
      reads.push([offset, length]);
      return inner.read(offset, length);
    },
  };
}

export function f32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}
