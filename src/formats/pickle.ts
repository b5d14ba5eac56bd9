import { FormatError } from './errors';

/**
 * A pickle virtual machine that builds plain data and never executes anything. GLOBAL names resolve only
 * against an allowlist in the spirit of torch's `weights_only` unpickler; calls (REDUCE, NEWOBJ, INST, OBJ)
 * of allowed globals become inert `PickleObject` records (or plain Map/Set/array for OrderedDict, set,
 * torch.Size), which the torch reader interprets as data. Anything else is refused by name.
 */

/** A resolved, allowlisted global: a name only, never a function. */
export class PickleGlobal {
  constructor(readonly module: string, readonly name: string) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

/** The record of an allowlisted call `callee(*args)` plus any BUILD state; nothing was called. */
export class PickleObject {
  state: unknown = undefined;
  constructor(readonly callee: PickleGlobal, readonly args: unknown[]) {}
}

export const TORCH_STORAGE_GLOBALS = [
  'FloatStorage', 'HalfStorage', 'BFloat16Storage', 'DoubleStorage', 'LongStorage',
  'IntStorage', 'ShortStorage', 'CharStorage', 'ByteStorage', 'BoolStorage',
  // Names torch >= 2.1 pickles for dtypes without a legacy storage class.
  'Float8_e4m3fnStorage', 'Float8_e5m2Storage', 'UInt16Storage', 'UInt32Storage', 'UInt64Storage',
].map((s) => `torch.${s}`);

const TORCH_DTYPES = [
  'float32', 'float', 'float16', 'half', 'bfloat16', 'float64', 'double', 'int64', 'long',
  'int32', 'int', 'int16', 'short', 'int8', 'uint8', 'bool', 'float8_e4m3fn', 'float8_e5m2', 'uint16', 'uint32', 'uint64',
].map((s) => `torch.${s}`);

/** The globals a torch weights file may name. torch.storage._load_from_bytes is deliberately absent (it unpickles again). */
export const TORCH_ALLOWED_GLOBALS: ReadonlySet<string> = new Set([
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
  ...TORCH_STORAGE_GLOBALS,
  ...TORCH_DTYPES,
  'torch.Size',
  'collections.OrderedDict',
  'builtins.set',
  'builtins.frozenset',
  '__builtin__.set',
  '__builtin__.frozenset',
]);

export interface UnpickleOptions {
  /** Resolves a BINPERSID/PERSID id (torch: ('storage', StorageClass, key, location, numel)). */
  persistentLoad?: (pid: unknown) => unknown;
  /** Turns an allowlisted call into a value; return undefined to keep the inert PickleObject. */
  reduce?: (callee: PickleGlobal, args: unknown[]) => unknown;
  allowed?: ReadonlySet<string>;
}

const MAX_MEMO = 10_000_000;
const MAX_STACK = 10_000_000;
const MAX_LONG_BYTES = 1024;
const utf8 = new TextDecoder('utf-8');
const latin1 = new TextDecoder('latin1');

const REFUSAL = 'only tensor rebuild functions, storages, OrderedDict and dtypes are allowed';

/** Little-endian two's complement bytes as a number when safe, otherwise a bigint. */
function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Python's raw-unicode-escape: latin-1 text where only \\uXXXX and \\UXXXXXXXX are escapes. */
function rawUnicodeEscape(s: string): string {
  return s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (m, u: string | undefined, U: string | undefined) => {
    const cp = Number.parseInt(u ?? U!, 16);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
  });
}

/** UTF-8 text; short ASCII strings (most keys in a state dict) skip TextDecoder, which is slow per call. */
function decodeUtf8(b: Uint8Array): string {
  if (b.length <= 64) {
    let ascii = true;
    for (let i = 0; i < b.length; i++) if (b[i] > 0x7f) ascii = false;
    if (ascii) return String.fromCharCode(...b);
  }
  return utf8.decode(b);
}

function tuple(items: unknown[]): unknown[] {
  return Object.freeze(items) as unknown[];
}

export function unpickle(bytes: Uint8Array, file: string, opts: UnpickleOptions = {}): unknown {
  const allowed = opts.allowed ?? TORCH_ALLOWED_GLOBALS;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const memo = new Map<number, unknown>();
  let stack: unknown[] = [];
  const marks: unknown[][] = [];
  let pos = 0;
  let opPos = 0;
  let op = 0;

  const fail = (fault: string): never => {
    throw new FormatError(file, `pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${opPos}: ${fault}`);
  };
  const need = (n: number): void => {
    if (!Number.isSafeInteger(n) || n < 0 || pos + n > bytes.length) {
      throw new FormatError(file, `pickle data is truncated (opcode 0x${op.toString(16).padStart(2, '0')} at byte ${opPos} needs ${n} bytes, ${bytes.length - pos} left)`);
    }
  };
  const take = (n: number): Uint8Array => {
    need(n);
    const b = bytes.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  const u8 = (): number => (need(1), bytes[pos++]);
  const u16 = (): number => (need(2), (pos += 2), dv.getUint16(pos - 2, true));
  const u32 = (): number => (need(4), (pos += 4), dv.getUint32(pos - 4, true));
  const i32 = (): number => (need(4), (pos += 4), dv.getInt32(pos - 4, true));
  const u64 = (): number => {
    need(8);
    const v = dv.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(bytes.length)) fail(`length ${v} exceeds the pickle size`);
    return Number(v);
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) throw new FormatError(file, `pickle data is truncated (opcode at byte ${opPos} has no line end)`);
    const s = latin1.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const push = (v: unknown): void => {
    if (stack.length >= MAX_STACK) fail('pickle stack is too deep');
    stack.push(v);
  };
  const pop = (): unknown => {
    if (stack.length === 0) fail('pickle stack underflow');
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) fail('pickle stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const items = stack;
    const prev = marks.pop();
    if (!prev) fail('MARK expected but none is open');
    stack = prev!;
    return items;
  };
  const put = (i: number): void => {
    if (memo.size >= MAX_MEMO && !memo.has(i)) fail('pickle memo is too large');
    memo.set(i, top());
  };
  const get = (i: number): void => {
    if (!memo.has(i)) fail(`memo key ${i} was never stored`);
    push(memo.get(i));
  };
  const resolve = (module: string, name: string): PickleGlobal => {
    const q = `${module}.${name}`;
    if (!allowed.has(q)) throw new FormatError(file, `refusing pickle global '${q}' (${REFUSAL})`);
    return new PickleGlobal(module, name);
  };
  const call = (callee: unknown, args: unknown): unknown => {
    if (!(callee instanceof PickleGlobal)) fail('call target is not an allowed global');
    const g = callee as PickleGlobal;
    if (!Array.isArray(args)) fail(`arguments of ${g.qualified} are not a tuple`);
    const a = args as unknown[];
    const custom = opts.reduce?.(g, a);
    if (custom !== undefined) return custom;
    switch (g.qualified) {
      case 'collections.OrderedDict': {
        const m = new Map<unknown, unknown>();
        if (Array.isArray(a[0])) for (const kv of a[0]) if (Array.isArray(kv) && kv.length === 2) m.set(kv[0], kv[1]);
        return m;
      }
      case 'builtins.set':
      case 'builtins.frozenset':
      case '__builtin__.set':
      case '__builtin__.frozenset':
        return new Set(Array.isArray(a[0]) ? a[0] : []);
      case 'torch.Size':
        return Array.isArray(a[0]) ? tuple([...a[0]]) : fail('torch.Size expects a tuple');
    }
    return new PickleObject(g, a);
  };
  const setItems = (target: unknown, kv: unknown[]): void => {
    if (!(target instanceof Map)) fail('SETITEM(S) on something that is not a dict');
    if (kv.length % 2) fail('SETITEMS with an odd number of items');
    for (let i = 0; i < kv.length; i += 2) (target as Map<unknown, unknown>).set(kv[i], kv[i + 1]);
  };
  const appendItems = (target: unknown, items: unknown[]): void => {
    if (Array.isArray(target) && !Object.isFrozen(target)) {
      for (const v of items) target.push(v);
    } else if (target instanceof Set) {
      for (const v of items) target.add(v);
    } else fail('APPEND(S) on something that is not a list');
  };

  for (;;) {
    opPos = pos;
    if (pos >= bytes.length) throw new FormatError(file, 'pickle data ends without a STOP opcode (truncated)');
    op = bytes[pos++];
    switch (op) {
      case 0x80: { // PROTO
        const p = u8();
        if (p > 5) fail(`unsupported pickle protocol ${p}`);
        break;
      }
      case 0x95: u64(); break; // FRAME: framing is only a read-ahead hint
      case 0x2e: { // STOP
        const v = pop();
        return v;
      }
      case 0x28: // MARK
        if (marks.length >= MAX_STACK) fail('too many open MARKs');
        marks.push(stack);
        stack = [];
        break;
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: push(top()); break; // DUP
      // ----- memo -----
      case 0x71: put(u8()); break; // BINPUT
      case 0x72: put(u32()); break; // LONG_BINPUT
      case 0x94: put(memo.size); break; // MEMOIZE
      case 0x70: put(Number.parseInt(line(), 10)); break; // PUT
      case 0x68: get(u8()); break; // BINGET
      case 0x6a: get(u32()); break; // LONG_BINGET
      case 0x67: get(Number.parseInt(line(), 10)); break; // GET
      // ----- scalars -----
      case 0x4e: push(null); break; // NONE
      case 0x88: push(true); break; // NEWTRUE
      case 0x89: push(false); break; // NEWFALSE
      case 0x4a: push(i32()); break; // BININT
      case 0x4b: push(u8()); break; // BININT1
      case 0x4d: push(u16()); break; // BININT2
      case 0x8a: push(decodeLong(take(u8()))); break; // LONG1
      case 0x8b: { // LONG4
        const n = i32();
        if (n < 0) fail('negative LONG4 length');
        // Decoding is quadratic in the length; weights files never hold integers this large.
        if (n > MAX_LONG_BYTES) fail(`integer of ${n} bytes is too large`);
        push(decodeLong(take(n)));
        break;
      }
      case 0x49: { // INT (text; I00/I01 are False/True)
        const s = line();
        if (s === '00' || s === '01') push(s === '01');
        else {
          const v = Number.parseInt(s, 10);
          if (!Number.isFinite(v)) fail(`bad INT '${s}'`);
          push(v);
        }
        break;
      }
      case 0x4c: { // LONG (text)
        const s = line().replace(/L$/, '');
        if (s.length > MAX_LONG_BYTES * 3) fail(`integer of ${s.length} digits is too large`);
        if (!/^-?\d+$/.test(s)) fail(`bad LONG '${s}'`);
        const v = BigInt(s);
        push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x47: need(8); push(dv.getFloat64(pos, false)); pos += 8; break; // BINFLOAT (big-endian)
      case 0x46: { // FLOAT (text, Python repr: also inf, -inf, nan)
        const s = line().trim();
        const v = /^[+-]?inf$/i.test(s) ? (s.startsWith('-') ? -Infinity : Infinity) : /^nan$/i.test(s) ? NaN : Number(s);
        if (Number.isNaN(v) && !/^nan$/i.test(s)) fail(`bad FLOAT '${s}'`);
        push(v);
        break;
      }
      // ----- strings and bytes -----
      case 0x58: push(decodeUtf8(take(u32()))); break; // BINUNICODE
      case 0x8c: push(decodeUtf8(take(u8()))); break; // SHORT_BINUNICODE
      case 0x8d: push(decodeUtf8(take(u64()))); break; // BINUNICODE8
      case 0x54: { // BINSTRING (py2 str): latin-1 text
        const n = i32();
        if (n < 0) fail('negative BINSTRING length');
        push(latin1.decode(take(n)));
        break;
      }
      case 0x55: push(latin1.decode(take(u8()))); break; // SHORT_BINSTRING
      case 0x56: push(rawUnicodeEscape(line())); break; // UNICODE (text, raw-unicode-escape)
      case 0x42: push(take(u32()).slice()); break; // BINBYTES
      case 0x43: push(take(u8()).slice()); break; // SHORT_BINBYTES
      case 0x8e: push(take(u64()).slice()); break; // BINBYTES8
      case 0x96: push(take(u64()).slice()); break; // BYTEARRAY8
      // ----- containers -----
      case 0x7d: push(new Map()); break; // EMPTY_DICT
      case 0x5d: push([]); break; // EMPTY_LIST
      case 0x29: push(tuple([])); break; // EMPTY_TUPLE
      case 0x8f: push(new Set()); break; // EMPTY_SET
      case 0x85: push(tuple([pop()])); break; // TUPLE1
      case 0x86: { // TUPLE2
        const b = pop();
        push(tuple([pop(), b]));
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop();
        const b = pop();
        push(tuple([pop(), b, c]));
        break;
      }
      case 0x74: push(tuple(popMark())); break; // TUPLE
      case 0x6c: push(popMark()); break; // LIST
      case 0x64: { // DICT
        const m = new Map();
        setItems(m, popMark());
        push(m);
        break;
      }
      case 0x91: push(new Set(popMark())); break; // FROZENSET
      case 0x73: { // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: { // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x61: { // APPEND
        const v = pop();
        appendItems(top(), [v]);
        break;
      }
      case 0x65: // APPENDS
      case 0x90: { // ADDITEMS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      // ----- globals and calls (never executed) -----
      case 0x63: { // GLOBAL
        const module = line();
        push(resolve(module, line()));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        push(resolve(module as string, name as string));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        push(call(pop(), args));
        break;
      }
      case 0x81: { // NEWOBJ
        const args = pop();
        push(call(pop(), args));
        break;
      }
      case 0x92: { // NEWOBJ_EX (keyword arguments are dropped: no allowed class takes any)
        pop();
        const args = pop();
        push(call(pop(), args));
        break;
      }
      case 0x69: { // INST
        const module = line();
        const g = resolve(module, line());
        push(call(g, tuple(popMark())));
        break;
      }
      case 0x6f: { // OBJ
        const items = popMark();
        if (items.length === 0) fail('OBJ without a class');
        push(call(items[0], tuple(items.slice(1))));
        break;
      }
      case 0x62: { // BUILD: record the state, never call __setstate__
        const state = pop();
        const t = top();
        if (t instanceof PickleObject) t.state = state;
        break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        if (!opts.persistentLoad) fail('persistent id without a loader');
        push(opts.persistentLoad!(pid));
        break;
      }
      case 0x50: { // PERSID
        const pid = line();
        if (!opts.persistentLoad) fail('persistent id without a loader');
        push(opts.persistentLoad!(pid));
        break;
      }
      case 0x82: case 0x83: case 0x84: // EXT1/2/4
        fail('extension-registry globals are refused');
        break;
      case 0x97: case 0x98: // NEXT_BUFFER / READONLY_BUFFER
        fail('out-of-band buffers are not supported');
        break;
      default:
        throw new FormatError(file, `unknown pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${opPos}`);
    }
  }
}
