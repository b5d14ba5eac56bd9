import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../../src/formats/errors';
import { PickleGlobal, PickleObject, unpickle } from '../../../src/formats/pickle';
import { FIXTURES, pk, u32le, ustr } from './format-helpers';

/** The JSON form make_torch_fixtures.py gives Python values (tuples, big ints, bytes and sets kept apart). */
function encode(v: unknown): unknown {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'bigint') return { bigint: v.toString() };
  if (typeof v === 'number') return Number.isFinite(v) ? v : { float: Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf' };
  if (v instanceof Uint8Array) return { bytes: Buffer.from(v).toString('hex') };
  if (Array.isArray(v)) return Object.isFrozen(v) ? { tuple: v.map(encode) } : { list: v.map(encode) };
  if (v instanceof Set) return { set: [...v].map(encode).sort((a, b) => (a as number) < (b as number) ? -1 : 1) };
  if (v instanceof Map) return { dict: [...v].map(([k, x]) => [encode(k), encode(x)]) };
  throw new Error(`unexpected value ${String(v)}`);
}

const rows: { protocol: number; pickle: string; value: unknown }[] = JSON.parse(readFileSync(join(FIXTURES, 'pickles.json'), 'utf8'));

function errorOf(f: () => unknown): Error | undefined {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  return undefined;
}

const PAYLOAD = '/tmp/capvector-pwned';

describe('pickle VM against pickles written by Python', () => {
  for (const row of rows) {
    it(`protocol ${row.protocol}: same values as Python`, () => {
      const v = unpickle(new Uint8Array(Buffer.from(row.pickle, 'base64')), `p${row.protocol}.pkl`);
      expect(encode(v)).toEqual(row.value);
      // Memoized objects are shared, not copied: [shared, shared] is one list twice.
      const b = ((v as Map<string, any>).get('nested').get('a') as Map<string, unknown[]>).get('b')!;
      expect(b[0]).toBe(b[1]);
    });
  }

  it('every truncation of a real pickle fails with a FormatError naming the file', () => {
    for (const row of rows) {
      const bytes = new Uint8Array(Buffer.from(row.pickle, 'base64'));
      for (let cut = 0; cut < bytes.length; cut += 7) {
        const e = errorOf(() => unpickle(bytes.subarray(0, cut), 'cut.pkl'));
        expect(e, `protocol ${row.protocol} cut at ${cut}`).toBeInstanceOf(FormatError);
        expect(e!.message).toMatch(/^cut\.pkl: /);
      }
    }
  });

  it('random byte flips only ever raise FormatError (no crash of another kind)', () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (const row of rows) {
      const bytes = new Uint8Array(Buffer.from(row.pickle, 'base64'));
      for (let k = 0; k < 300; k++) {
        const m = bytes.slice();
        for (let j = 0; j < 3; j++) m[Math.floor(rand() * m.length)] = Math.floor(rand() * 256);
        const e = errorOf(() => unpickle(m, 'fuzz.pkl'));
        if (e) expect(e, `${e.message}`).toBeInstanceOf(FormatError);
      }
    }
  });
});

describe('globals are data, and only allowlisted ones', () => {
  const refused: { name: string; bytes: Uint8Array; global: string }[] = [
    { name: 'GLOBAL os.system', bytes: pk(0x80, 2, 'cos\nsystem\n', ustr(`touch ${PAYLOAD}`), 0x85, 0x52, 0x2e), global: 'os.system' },
    { name: 'GLOBAL posix.system', bytes: pk(0x80, 2, 'cposix\nsystem\n', ustr(`touch ${PAYLOAD}`), 0x85, 0x52, 0x2e), global: 'posix.system' },
    { name: 'GLOBAL nt.system', bytes: pk('cnt\nsystem\n', 0x2e), global: 'nt.system' },
    { name: 'STACK_GLOBAL builtins.eval', bytes: pk(0x80, 4, 0x8c, 8, 'builtins', 0x94, 0x8c, 4, 'eval', 0x94, 0x93, 0x2e), global: 'builtins.eval' },
    { name: 'STACK_GLOBAL builtins.exec', bytes: pk(0x80, 4, 0x8c, 8, 'builtins', 0x8c, 4, 'exec', 0x93, 0x2e), global: 'builtins.exec' },
    { name: 'builtins.getattr', bytes: pk('cbuiltins\ngetattr\n', 0x2e), global: 'builtins.getattr' },
    { name: 'subprocess.Popen via NEWOBJ', bytes: pk(0x80, 2, 'csubprocess\nPopen\n', 0x29, 0x81, 0x2e), global: 'subprocess.Popen' },
    { name: 'INST opcode', bytes: pk(0x28, ustr('id'), 'ios\npopen\n', 0x2e), global: 'os.popen' },
    { name: 'torch.storage._load_from_bytes', bytes: pk('ctorch.storage\n_load_from_bytes\n', 0x2e), global: 'torch.storage._load_from_bytes' },
    { name: 'numpy reconstruct', bytes: pk('cnumpy.core.multiarray\n_reconstruct\n', 0x2e), global: 'numpy.core.multiarray._reconstruct' },
    { name: 'a global hidden after valid data', bytes: pk(0x80, 2, 0x7d, ustr('a'), 0x4b, 1, 0x73, ustr('b'), 'cwebbrowser\nopen\n', 0x73, 0x2e), global: 'webbrowser.open' },
  ];
  for (const r of refused) {
    it(`refuses ${r.name}, naming the global`, () => {
      const e = errorOf(() => unpickle(r.bytes, 'evil.pt'));
      expect(e).toBeInstanceOf(FormatError);
      expect(e!.message).toBe(`evil.pt: refusing pickle global '${r.global}' (only tensor rebuild functions, storages, OrderedDict and dtypes are allowed)`);
      expect(existsSync(PAYLOAD)).toBe(false);
    });
  }

  it('refuses at GLOBAL, before any call, even if the rest of the pickle is missing', () => {
    const e = errorOf(() => unpickle(pk(0x80, 2, 'cos\nsystem\n'), 'x.pkl'));
    expect(e!.message).toMatch(/refusing pickle global 'os\.system'/);
  });

  it('a custom allowlist widens nothing by default and narrows when given', () => {
    const e = errorOf(() => unpickle(pk('ccollections\nOrderedDict\n', 0x2e), 'x.pkl', { allowed: new Set() }));
    expect(e!.message).toMatch(/refusing pickle global 'collections\.OrderedDict'/);
  });

  it('allowed calls are recorded, not run; OrderedDict, set and torch.Size become plain data', () => {
    const v = unpickle(pk(0x80, 2, 0x5d, 0x28,
      'ctorch._utils\n_rebuild_tensor\n', 0x4b, 1, 0x85, 0x52, 0x7d, 0x62, // record + BUILD state
      'ccollections\nOrderedDict\n', 0x29, 0x52, ustr('k'), 0x4b, 5, 0x73,
      'cbuiltins\nset\n', 0x4b, 1, 0x4b, 2, 0x86, 0x85, 0x52,
      'ctorch\nSize\n', 0x4b, 3, 0x4b, 4, 0x86, 0x85, 0x52,
      'ctorch\nbfloat16\n',
      0x65, 0x2e), 'ok.pkl') as unknown[];
    expect(v[0]).toBeInstanceOf(PickleObject);
    expect((v[0] as PickleObject).callee.qualified).toBe('torch._utils._rebuild_tensor');
    expect((v[0] as PickleObject).args).toEqual([1]);
    expect((v[0] as PickleObject).state).toBeInstanceOf(Map);
    expect(v[1]).toEqual(new Map([['k', 5]]));
    expect(v[2]).toEqual(new Set([1, 2]));
    expect(v[3]).toEqual([3, 4]);
    expect(v[4]).toBeInstanceOf(PickleGlobal);
  });
});

describe('malformed pickles', () => {
  const bad: { name: string; bytes: Uint8Array; error: RegExp }[] = [
    { name: 'unknown opcode', bytes: pk(0x80, 2, 0xff), error: /unknown pickle opcode 0xff at byte 2/ },
    { name: 'another unknown opcode', bytes: pk(0x4e, 0x01), error: /unknown pickle opcode 0x01 at byte 1/ },
    { name: 'protocol 6', bytes: pk(0x80, 6, 0x4e, 0x2e), error: /unsupported pickle protocol 6/ },
    { name: 'no STOP', bytes: pk(0x80, 2, 0x4e), error: /ends without a STOP opcode/ },
    { name: 'empty', bytes: new Uint8Array(0), error: /ends without a STOP/ },
    { name: 'BINUNICODE longer than the data', bytes: pk(0x58, u32le(1000), 'abc'), error: /truncated .* needs 1000 bytes, 3 left/ },
    { name: 'BINBYTES8 length beyond 2^53', bytes: pk(0x8e, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), error: /exceeds the pickle size/ },
    { name: 'huge LONG4', bytes: pk(0x8b, u32le(5000), new Uint8Array(5000), 0x2e), error: /integer of 5000 bytes is too large/ },
    { name: 'memo key never stored', bytes: pk(0x80, 2, 0x68, 9, 0x2e), error: /memo key 9 was never stored/ },
    { name: 'stack underflow', bytes: pk(0x80, 2, 0x2e), error: /stack underflow/ },
    { name: 'TUPLE without MARK', bytes: pk(0x4e, 0x74, 0x2e), error: /MARK expected/ },
    { name: 'SETITEMS on a list', bytes: pk(0x5d, 0x28, 0x4e, 0x4e, 0x75, 0x2e), error: /not a dict/ },
    { name: 'odd SETITEMS', bytes: pk(0x7d, 0x28, 0x4e, 0x75, 0x2e), error: /odd number/ },
    { name: 'APPEND to a tuple', bytes: pk(0x29, 0x4e, 0x61, 0x2e), error: /not a list/ },
    { name: 'REDUCE of a non-global', bytes: pk(0x4e, 0x29, 0x52, 0x2e), error: /call target is not an allowed global/ },
    { name: 'persistent id without a loader', bytes: pk(ustr('x'), 0x51, 0x2e), error: /persistent id without a loader/ },
    { name: 'extension registry', bytes: pk(0x82, 1, 0x2e), error: /extension-registry globals are refused/ },
    { name: 'out-of-band buffer', bytes: pk(0x97, 0x2e), error: /out-of-band buffers/ },
  ];
  for (const r of bad) {
    it(`refuses: ${r.name}`, () => {
      const e = errorOf(() => unpickle(r.bytes, 'bad.pkl'));
      expect(e).toBeInstanceOf(FormatError);
      expect(e!.message).toMatch(/^bad\.pkl: /);
      expect(e!.message).toMatch(r.error);
    });
  }

  it('decodes LONG1 two\'s complement and sparse LONG_BINPUT keys', () => {
    const v = unpickle(pk(0x5d, 0x28, 0x8a, 1, 0xff, 0x8a, 2, 0x00, 0x80, 0x8a, 2, 0xff, 0x00, 0x8a, 0, 0x72, u32le(0xfffffffe), 0x6a, u32le(0xfffffffe), 0x65, 0x2e), 'l.pkl');
    expect(v).toEqual([-1, -32768, 255, 0, 0]);
  });
});
