/**
 * The one argument parser of the `capvector` sub-commands: `--name VALUE` or `--name=VALUE` for options
 * that take a value (repeatable: every value is kept), `--name` for switches, and bare arguments where
 * the command takes them (inspect's paths). Anything else is a usage fault.
 */
import { parseNameMap, type NameMapOverride } from '../model/align';
import { UsageError } from './io';

export interface ArgSpec {
  /** Options that take a value. */
  values: readonly string[];
  /** Options that take none. */
  switches: readonly string[];
  /** Whether bare arguments are allowed (else each is a usage fault). */
  positional?: boolean;
}

export interface Args {
  values: Map<string, string[]>;
  switches: Set<string>;
  positional: string[];
}

export function parseArgs(args: string[], spec: ArgSpec): Args {
  const parsed: Args = { values: new Map(), switches: new Set(), positional: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--')) {
      if (!spec.positional) throw new UsageError(`unexpected argument '${a}'`);
      parsed.positional.push(a);
      continue;
    }
    let key = a.slice(2);
    let value: string | undefined;
    const eq = key.indexOf('=');
    if (eq >= 0) {
      value = key.slice(eq + 1);
      key = key.slice(0, eq);
    }
    if (spec.switches.includes(key)) {
      parsed.switches.add(key);
      continue;
    }
    if (!spec.values.includes(key)) throw new UsageError(`unknown option --${key}`);
    if (value === undefined) {
      value = args[++i];
      // A following option is a missing value; a negative number is a value.
      if (value === undefined || (value.startsWith('--') && !/^--?\d/.test(value))) throw new UsageError(`--${key} needs a value`);
    }
    parsed.values.set(key, [...(parsed.values.get(key) ?? []), value]);
  }
  return parsed;
}

/** The last value given for an option. */
export const one = (p: Args, k: string) => p.values.get(k)?.at(-1);

/** All values of a repeatable option, comma lists split. */
export const many = (p: Args, k: string) => (p.values.get(k) ?? []).flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);

export function need(p: Args, k: string): string {
  const v = one(p, k);
  if (!v) throw new UsageError(`--${k} is required`);
  return v;
}

/**
 * The name mappings set by hand: every `--map ROLE:FROM=TO` (`aux:module.=` strips DDP's prefix from
 * θ_aux's names, `sft:=model.` adds one, `aux:=` takes them as they are); one per role.
 */
export function nameMaps(p: Args): Record<string, NameMapOverride> {
  const out: Record<string, NameMapOverride> = {};
  for (const v of p.values.get('map') ?? []) {
    let m: ReturnType<typeof parseNameMap>;
    try {
      m = parseNameMap(v);
    } catch (e) {
      throw new UsageError(`--map: ${(e as Error).message}`);
    }
    if (out[m.role]) throw new UsageError(`--map: role '${m.role}' is mapped twice`);
    out[m.role] = { from: m.from, to: m.to };
  }
  return out;
}
