/**
 * A strict JSON parser for checkpoint headers. JSON.parse is too lenient for hostile headers: it
 * silently keeps the last of duplicate keys (two parsers could then see two different tensor maps),
 * reorders integer-like keys, accepts lone surrogates, and turns `2.0` or `1e3` into integers that
 * the reference implementation (serde_json into usize) refuses. This parser keeps key order, refuses
 * duplicate keys, and hands numbers back with their raw text so callers can insist on integers.
 */

export class JsonNumber {
  /** `isIntegerLiteral`: written with no fraction and no exponent. */
  constructor(readonly raw: string, readonly isIntegerLiteral: boolean = /^-?\d+$/.test(raw)) {}
  get value(): number {
    return Number(this.raw);
  }
}

/**
 * Integer literals that fit a safe integer come back as plain numbers (the common case, and
 * allocation-free); every other number (fractions, exponents, huge values) as a JsonNumber.
 */
export type JsonValue = null | boolean | string | number | JsonNumber | JsonValue[] | JsonObject;
/** Objects keep their keys in written order. */
export type JsonObject = Map<string, JsonValue>;

export function isJsonObject(v: JsonValue | undefined): v is JsonObject {
  return v instanceof Map;
}

export class JsonSyntaxError extends Error {
  constructor(message: string, readonly position: number) {
    super(`${message} at character ${position}`);
  }
}

const MAX_DEPTH = 128; // serde_json's recursion limit

/** JSON whitespace per RFC 8259 (what serde_json skips): space, tab, LF, CR. */
export function isJsonWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

export function parseStrictJson(text: string): JsonValue {
  let i = 0;
  const n = text.length;

  const fail = (msg: string): never => {
    throw new JsonSyntaxError(msg, i);
  };
  const skipWs = () => {
    while (i < n && isJsonWhitespace(text.charCodeAt(i))) i++;
  };
  const describeHere = () => (i >= n ? 'end of header' : `'${text[i]}'`);

  // A run of plain characters: no quote, backslash, control character or surrogate.
  const plainRun = /[^"\\\u0000-\u001f\ud800-\udfff]*/y;
  const parseString = (): string => {
    // Caller has checked text[i] === '"'.
    i++;
    let out = '';
    for (;;) {
      plainRun.lastIndex = i;
      plainRun.test(text);
      const runEnd = plainRun.lastIndex;
      if (runEnd > i) {
        out += text.slice(i, runEnd);
        i = runEnd;
      }
      if (i >= n) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return out;
      }
      if (c < 0x20) fail('control character in string');
      if (c >= 0xd800 && c <= 0xdfff) {
        // Raw surrogates only come from a well-formed pair after UTF-8 decoding; check anyway.
        const next = text.charCodeAt(i + 1);
        if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) fail('lone surrogate in string');
        out += text.slice(i, i + 2);
        i += 2;
        continue;
      }
      // A backslash escape.
      i++;
      const e = text[i];
      i++;
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          const code = readHex4();
          if (code >= 0xd800 && code <= 0xdbff) {
            if (text[i] !== '\\' || text[i + 1] !== 'u') fail('lone leading surrogate in \\u escape');
            i += 2;
            const low = readHex4();
            if (!(low >= 0xdc00 && low <= 0xdfff)) fail('lone leading surrogate in \\u escape');
            out += String.fromCharCode(code, low);
          } else if (code >= 0xdc00 && code <= 0xdfff) {
            fail('lone trailing surrogate in \\u escape');
          } else {
            out += String.fromCharCode(code);
          }
          break;
        }
        default:
          i--;
          fail('invalid escape in string');
      }
    }
  };

  const readHex4 = (): number => {
    const h = text.slice(i, i + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(h)) fail('invalid \\u escape');
    i += 4;
    return parseInt(h, 16);
  };

  const numberRe = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
  const parseNumber = (): number | JsonNumber => {
    numberRe.lastIndex = i;
    const r = numberRe.exec(text);
    if (!r) fail(`unexpected ${describeHere()}`);
    i = numberRe.lastIndex;
    const integer = r![1] === undefined && r![2] === undefined;
    if (integer && r![0].length < 16) return Number(r![0]); // < 10^15: always a safe integer
    return new JsonNumber(r![0], integer);
  };

  /** The items after an opening bracket, `item` parsing one: commas between them, `close` after the last. */
  const items = (close: '}' | ']', item: () => void): void => {
    skipWs();
    if (text[i] === close) {
      i++;
      return;
    }
    for (;;) {
      item();
      skipWs();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === close) {
        i++;
        return;
      }
      fail(`expected ',' or '${close}', found ${describeHere()}`);
    }
  };

  const parseValue = (depth: number): JsonValue => {
    skipWs();
    if (i >= n) fail('unexpected end of header');
    const c = text[i];
    if (c === '{') {
      if (depth >= MAX_DEPTH) fail('nesting too deep');
      i++;
      const obj: JsonObject = new Map();
      items('}', () => {
        skipWs();
        if (text[i] !== '"') fail(`expected a key, found ${describeHere()}`);
        const keyAt = i;
        const key = parseString();
        if (obj.has(key)) {
          i = keyAt;
          fail(`duplicate key ${JSON.stringify(key)}`);
        }
        skipWs();
        if (text[i] !== ':') fail(`expected ':', found ${describeHere()}`);
        i++;
        obj.set(key, parseValue(depth + 1));
      });
      return obj;
    }
    if (c === '[') {
      if (depth >= MAX_DEPTH) fail('nesting too deep');
      i++;
      const arr: JsonValue[] = [];
      items(']', () => arr.push(parseValue(depth + 1)));
      return arr;
    }
    if (c === '"') return parseString();
    if (text.startsWith('true', i)) {
      i += 4;
      return true;
    }
    if (text.startsWith('false', i)) {
      i += 5;
      return false;
    }
    if (text.startsWith('null', i)) {
      i += 4;
      return null;
    }
    return parseNumber();
  };

  const v = parseValue(0);
  skipWs();
  if (i < n) fail(`trailing ${describeHere()} after the JSON value`);
  return v;
}
