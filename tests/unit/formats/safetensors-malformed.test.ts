/**
 * The malformed-file corpus, data-driven (netron-style): each row builds the bytes and names the
 * error it must raise, or, for the rows the reference implementation accepts, what must load.
 * Rows marked `ref:` mirror a test of huggingface/safetensors (safetensors/src/tensor.rs).
 */
import { describe, expect, it } from 'vitest';
import { bytesSource } from '../../../src/formats/byte-source';
import type { Checkpoint } from '../../../src/formats/checkpoint';
import { FormatError } from '../../../src/formats/errors';
import { parseSafetensorsHeader, safetensorsReader } from '../../../src/formats/safetensors';
import { buildSafetensors as st, concat, f32Bytes, u64 } from './st-builder';

const enc = new TextEncoder();
const lit = (s: string) => new Uint8Array([...s].map((c) => c.charCodeAt(0)));
const I32_2x2 = { test: { dtype: 'I32', shape: [2, 2], data_offsets: [0, 16] } };
const info = (dtype: string, shape: unknown, offsets: unknown) => ({ dtype, shape, data_offsets: offsets });

interface Reject { name: string; bytes: () => Uint8Array; error: RegExp }
interface Accept { name: string; bytes: () => Uint8Array; check: (ck: Checkpoint) => void }

const REJECT: Reject[] = [
  { name: 'ref: test_header_too_small (empty file)', bytes: () => new Uint8Array(0), error: /file is 0 bytes, too short for the 8-byte/ },
  { name: 'seven bytes', bytes: () => new Uint8Array(7), error: /file is 7 bytes, too short/ },
  { name: 'ref: test_header_too_large', bytes: () => concat(lit('<\x00\x00\x00\x00\xff\xff\xff'), enc.encode(JSON.stringify(I32_2x2)), new Uint8Array(16)), error: /header length 18446742974197923900 exceeds the 100000000-byte limit/ },
  { name: 'header length one past the 100 MB cap', bytes: () => st(I32_2x2, 16, { length: 100_000_001n }), error: /header length 100000001 exceeds the 100000000-byte limit/ },
  { name: 'ref: test_invalid_header_length (length past end of file)', bytes: () => lit('<\x00\x00\x00\x00\x00\x00\x00'), error: /header length 60 runs past the end of the file \(8 bytes/ },
  { name: 'ref: test_invalid_header_non_utf8', bytes: () => lit('\x01\x00\x00\x00\x00\x00\x00\x00\xff'), error: /header is not valid UTF-8/ },
  { name: 'truncated UTF-8 sequence', bytes: () => st(concat(enc.encode('{"\xe2'), new Uint8Array([0xe2, 0x82]), enc.encode('":1}'))), error: /not valid UTF-8/ },
  { name: 'ref: test_invalid_header_not_json', bytes: () => lit('\x01\x00\x00\x00\x00\x00\x00\x00{'), error: /header is not valid JSON: expected a key, found end of header/ },
  { name: 'empty header (length 0)', bytes: () => u64(0), error: /header is empty/ },
  { name: 'byte-order mark before the JSON', bytes: () => st(concat(new Uint8Array([0xef, 0xbb, 0xbf]), enc.encode('{}'))), error: /header is not valid JSON/ },
  { name: 'header is a JSON array', bytes: () => st('[]'), error: /header must be a JSON object, found an array/ },
  { name: 'header is a JSON string', bytes: () => st('"x"'), error: /header must be a JSON object, found the string "x"/ },
  { name: 'trailing garbage after the object', bytes: () => st('{} x'), error: /not valid JSON: trailing 'x' after the JSON value/ },
  { name: 'trailing comma', bytes: () => st('{"__metadata__":{"a":"b"},}'), error: /not valid JSON: expected a key/ },
  { name: 'NaN literal', bytes: () => st('{"t":{"dtype":"F32","shape":[NaN],"data_offsets":[0,0]}}'), error: /not valid JSON/ },
  { name: 'lone surrogate escape in a name', bytes: () => st('{"\\ud800":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}'), error: /not valid JSON: lone leading surrogate/ },
  { name: 'raw control character in a name', bytes: () => st('{"a\nb":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}'), error: /not valid JSON: control character in string/ },
  { name: 'duplicate tensor name', bytes: () => st('{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}', 4), error: /not valid JSON: duplicate key "a"/ },
  { name: 'duplicate field inside a tensor', bytes: () => st('{"a":{"dtype":"U8","dtype":"I8","shape":[4],"data_offsets":[0,4]}}', 4), error: /duplicate key "dtype"/ },
  { name: '__metadata__ is a string', bytes: () => st({ __metadata__: 'pt' }), error: /__metadata__ must be an object of string values, found the string "pt"/ },
  { name: '__metadata__ value is a number', bytes: () => st({ __metadata__: { step: 3 } }), error: /__metadata__ value of 'step' must be a string, found the number 3/ },
  { name: '__metadata__ value is an object', bytes: () => st({ __metadata__: { cfg: { a: 'b' } } }), error: /__metadata__ value of 'cfg' must be a string, found an object/ },
  { name: 'tensor info is a number', bytes: () => st({ a: 5 }), error: /tensor 'a' must be an object with dtype, shape and data_offsets, found the number 5/ },
  { name: 'missing dtype', bytes: () => st({ a: { shape: [1], data_offsets: [0, 4] } }, 4), error: /tensor 'a' has no dtype/ },
  { name: 'unknown dtype', bytes: () => st({ a: info('F128', [1], [0, 16]) }, 16), error: /tensor 'a' has unknown dtype 'F128'/ },
  { name: 'dtype spelled in lower case', bytes: () => st({ a: info('f32', [1], [0, 4]) }, 4), error: /tensor 'a' has unknown dtype 'f32'/ },
  { name: 'dtype is a number', bytes: () => st({ a: info(7 as unknown as string, [1], [0, 4]) }, 4), error: /tensor 'a' has unknown dtype the number 7/ },
  { name: 'missing shape', bytes: () => st({ a: { dtype: 'F32', data_offsets: [0, 4] } }, 4), error: /tensor 'a' has no shape/ },
  { name: 'shape is not an array', bytes: () => st({ a: info('F32', 4, [0, 16]) }, 16), error: /tensor 'a' shape must be an array of non-negative integers, found the number 4/ },
  { name: 'negative dimension', bytes: () => st({ a: info('F32', [2, -2], [0, 0]) }), error: /tensor 'a' shape\[1\] must be a non-negative integer, found -2/ },
  { name: 'fractional dimension written 2.0', bytes: () => st('{"a":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}}', 8), error: /tensor 'a' shape\[0\] must be a non-negative integer, found the number 2\.0/ },
  { name: 'dimension written 1e1', bytes: () => st('{"a":{"dtype":"U8","shape":[1e1],"data_offsets":[0,10]}}', 10), error: /shape\[0\] must be a non-negative integer, found the number 1e1/ },
  { name: 'dimension is a string', bytes: () => st({ a: info('F32', ['2'], [0, 8]) }, 8), error: /shape\[0\] must be a non-negative integer, found the string "2"/ },
  { name: 'missing data_offsets', bytes: () => st({ a: { dtype: 'F32', shape: [1] } }, 4), error: /tensor 'a' has no data_offsets/ },
  { name: 'data_offsets with three entries', bytes: () => st({ a: info('F32', [1], [0, 4, 8]) }, 4), error: /tensor 'a' data_offsets must be \[begin, end\], found 3 entries/ },
  { name: 'negative data offset', bytes: () => st({ a: info('F32', [1], [-4, 0]) }, 4), error: /tensor 'a' data_offsets begin must be a non-negative integer, found -4/ },
  { name: 'data offset beyond 2^53', bytes: () => st('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,18446744073709551615]}}', 1), error: /tensor 'a' data_offsets end 18446744073709551615 is too large/ },
  { name: 'data_offsets end before begin', bytes: () => st({ a: info('U8', [0], [4, 0]) }, 4), error: /tensor 'a' data_offsets \[4, 0\) end before they begin/ },
  { name: 'ref: test_invalid_info (offsets too short for shape)', bytes: () => concat(lit('<\x00\x00\x00\x00\x00\x00\x00'), enc.encode('{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0, 4]}}')), error: /tensor 'test' data_offsets \[0, 4\) hold 4 bytes but shape \[2, 2\] of I32 needs 16/ },
  { name: 'byte length off by one element', bytes: () => st({ 'a.weight': info('F32', [2, 3], [0, 12]) }, 12), error: /^x\.safetensors: tensor 'a\.weight' data_offsets \[0, 12\) hold 12 bytes but shape \[2, 3\] of F32 needs 24$/ },
  { name: 'ref: test_validation_overflow (shape past u64)', bytes: () => st('{"test":{"dtype":"I32","shape":[2,18446744073709551614],"data_offsets":[0,16]}}', 16), error: /shape\[1\] 18446744073709551614 is too large \(overflow\)/ },
  { name: 'ref: test_validation_overflow (numel × size past u64)', bytes: () => st('{"test":{"dtype":"I32","shape":[2,9223372036854775807],"data_offsets":[0,16]}}', 16), error: /shape\[1\] 9223372036854775807 is too large \(overflow\)/ },
  { name: 'element count overflow from safe dimensions', bytes: () => st({ t: info('U8', [67108864, 67108864, 67108864], [0, 16]) }, 16), error: /tensor 't' shape \[67108864, 67108864, 67108864\] overflows the element count/ },
  { name: 'ref: test_json_attack (every tensor at [0, 16))', bytes: () => st(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`weight_${i}`, info('F32', [2, 2], [0, 16])])), 16), error: /tensor 'weight_\d' data_offsets \[0, 16\) overlap tensor 'weight_\d' \(which ends at 16\)/ },
  { name: 'overlapping tensors', bytes: () => st({ a: info('U8', [8], [0, 8]), b: info('U8', [4], [4, 8]) }, 8), error: /tensor 'b' data_offsets \[4, 8\) overlap tensor 'a'/ },
  { name: 'gap between tensors', bytes: () => st({ a: info('U8', [4], [0, 4]), b: info('U8', [4], [8, 12]) }, 12), error: /tensor 'b' data_offsets \[8, 12\) leave a gap of 4 bytes after tensor 'a' \(which ends at 4\)/ },
  { name: 'first tensor does not start at 0', bytes: () => st({ a: info('U8', [4], [4, 8]) }, 8), error: /tensor 'a' data_offsets \[4, 8\) leave a gap: the first tensor must start at offset 0/ },
  { name: 'ref: test_metadata_incomplete_buffer (polyglot trailing bytes)', bytes: () => concat(lit('<\x00\x00\x00\x00\x00\x00\x00'), enc.encode('{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}'), new Uint8Array(16), enc.encode('extra_bogus_data_for_polyglot_file')), error: /34 trailing bytes after the last tensor \(tensors end at data offset 16, the file holds 50 data bytes\)/ },
  { name: 'ref: test_metadata_incomplete_buffer (missing data)', bytes: () => concat(lit('<\x00\x00\x00\x00\x00\x00\x00'), enc.encode('{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}'), new Uint8Array(14)), error: /file is truncated: tensors need 16 data bytes but only 14 follow the header/ },
  { name: 'data but no tensors', bytes: () => st({}, 3), error: /3 trailing bytes after the last tensor/ },
  { name: 'packed F4 with an odd element count', bytes: () => st({ q: info('F4', [3], [0, 2]) }, 2), error: /tensor 'q' shape \[3\] of F4 is 12 bits, not a whole number of bytes/ },
  { name: 'packed F6 not ending on a byte', bytes: () => st({ q: info('F6_E2M3', [2], [0, 2]) }, 2), error: /shape \[2\] of F6_E2M3 is 12 bits/ },
];

const ACCEPT: Accept[] = [
  { name: 'ref: test_deserialization', bytes: () => concat(lit('<\x00\x00\x00\x00\x00\x00\x00'), enc.encode('{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}'), new Uint8Array(16)), check: (ck) => { expect(ck.tensors.map((t) => [t.name, t.dtype, t.shape, t.byteLength])).toEqual([['test', 'I32', [2, 2], 16]]); } },
  { name: 'ref: test_whitespace_padded_header', bytes: () => lit('\x06\x00\x00\x00\x00\x00\x00\x00{}\x0D\x20\x09\x0A'), check: (ck) => expect(ck.tensors).toEqual([]) },
  { name: 'leading whitespace before the object (accepted until the reference\'s 0.4.0 rule)', bytes: () => lit('\x06\x00\x00\x00\x00\x00\x00\x00\x09\x0A{}\x0D\x20'), check: (ck) => expect(ck.tensors).toEqual([]) },
  { name: 'ref: test_empty (exact bytes)', bytes: () => new Uint8Array([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]), check: (ck) => expect(ck.tensors.length).toBe(0) },
  { name: 'ref: test_empty with metadata (exact bytes)', bytes: () => new Uint8Array([40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95, 95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112, 116, 34, 125, 125, 32, 32, 32, 32, 32]), check: (ck) => expect(ck.metadata).toEqual({ framework: 'pt' }) },
  { name: 'ref: test_zero_sized_tensor', bytes: () => concat(lit('<\x00\x00\x00\x00\x00\x00\x00'), enc.encode('{"test":{"dtype":"I32","shape":[2,0],"data_offsets":[0, 0]}}')), check: (ck) => { expect(ck.tensors[0].shape).toEqual([2, 0]); expect(ck.tensors[0].byteLength).toBe(0); } },
  { name: 'ref: test_empty_shapes_allowed (scalar)', bytes: () => concat(lit('8\x00\x00\x00\x00\x00\x00\x00'), enc.encode('{"test":{"dtype":"I32","shape":[],"data_offsets":[0,4]}}'), new Uint8Array(4)), check: (ck) => { expect(ck.tensors[0].shape).toEqual([]); expect(ck.tensors[0].byteLength).toBe(4); } },
  { name: 'ref: test_serialization (exact bytes)', bytes: () => new Uint8Array([64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100, 116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64]), check: (ck) => expect(ck.tensors[0]).toMatchObject({ name: 'attn.0', dtype: 'F32', shape: [1, 2, 3], byteLength: 24 }) },
  { name: '__metadata__ null (serde reads it as None)', bytes: () => st({ __metadata__: null }), check: (ck) => expect(ck.metadata).toEqual({}) },
  { name: 'unknown fields in a tensor are ignored', bytes: () => st({ a: { dtype: 'U8', shape: [2], data_offsets: [0, 2], note: 'x' } }, 2), check: (ck) => expect(ck.tensors[0].name).toBe('a') },
  { name: 'header order differs from offset order', bytes: () => st({ b: info('U8', [2], [2, 4]), a: info('U8', [2], [0, 2]) }, 4), check: (ck) => expect(ck.tensors.map((t) => t.name)).toEqual(['a', 'b']) },
  { name: 'zero-size tensors between others', bytes: () => st({ a: info('U8', [2], [0, 2]), z: info('F32', [0, 7], [2, 2]), b: info('U8', [1], [2, 3]) }, 3), check: (ck) => expect(ck.tensors.map((t) => t.name)).toEqual(['a', 'z', 'b']) },
  { name: 'packed F4 with an even element count', bytes: () => st({ q: info('F4', [2, 2], [0, 2]) }, 2), check: (ck) => expect(ck.tensors[0].byteLength).toBe(2) },
  { name: 'every dtype the reference knows', bytes: () => st({ a: info('F8_E8M0', [1], [0, 1]), b: info('U16', [1], [1, 3]), c: info('U32', [1], [3, 7]), d: info('U64', [1], [7, 15]), e: info('F6_E3M2', [4], [15, 18]) }, 18), check: (ck) => expect(ck.tensors.map((t) => t.dtype)).toEqual(['F8_E8M0', 'U16', 'U32', 'U64', 'F6_E3M2']) },
  { name: 'non-ASCII tensor names and escapes', bytes: () => st({ 'blöck.\u2713.w': info('F32', [1], [0, 4]), 'q"x': info('F32', [1], [4, 8]) }, f32Bytes([1, 2])), check: (ck) => expect(ck.tensors.map((t) => t.name)).toEqual(['blöck.✓.w', 'q"x']) },
  { name: 'dimension written -0 reads as 0 (as serde reads it)', bytes: () => st('{"z":{"dtype":"F32","shape":[-0,3],"data_offsets":[0,0]}}'), check: (ck) => expect(ck.tensors[0].shape).toEqual([0, 3]) },
  { name: 'integer-like tensor names keep offset order', bytes: () => st({ '10': info('U8', [1], [0, 1]), '2': info('U8', [1], [1, 2]) }, 2), check: (ck) => expect(ck.tensors.map((t) => t.name)).toEqual(['10', '2']) },
];

describe('safetensors malformed corpus: every rejection names the file and the fault', () => {
  it.each(REJECT.map((r) => [r.name, r] as const))('%s', async (_n, row) => {
    const bytes = row.bytes();
    const err = await safetensorsReader.open(bytesSource('x.safetensors', bytes), () => undefined).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    const fe = err as FormatError;
    expect(fe.file).toBe('x.safetensors');
    expect(fe.message.startsWith('x.safetensors: ')).toBe(true);
    expect(fe.message).toMatch(row.error);
    // The in-memory entry point agrees with the lazy reader.
    expect(() => parseSafetensorsHeader(bytes, 'x.safetensors')).toThrow(row.error);
  });
});

describe('safetensors corpus: what the reference accepts loads', () => {
  it.each(ACCEPT.map((r) => [r.name, r] as const))('%s', async (_n, row) => {
    const ck = await safetensorsReader.open(bytesSource('ok.safetensors', row.bytes()), () => undefined);
    expect(ck.format).toBe('safetensors');
    row.check(ck);
  });
});
