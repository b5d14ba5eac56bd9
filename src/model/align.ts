import type { Checkpoint, TensorEntry } from '../formats/checkpoint';
import type { DType } from '../formats/dtype';

/** A role a checkpoint plays in the CapVector pipeline. */
export type Role = 'pre' | 'aux' | 'sft' | 'down' | (string & {});

export const ROLE_LABELS: Record<string, string> = {
  pre: 'Pretrained θ_pre',
  aux: 'Auxiliary-finetuned θ_aux',
  sft: 'SFT-finetuned θ_sft',
  down: 'Downstream finetune θ_down',
};

export interface AlignedTensor {
  name: string;
  /** The entry in each role, in the order of `roles`. */
  entries: Record<string, TensorEntry>;
}

export interface AlignmentIssue {
  name: string;
  /** 'collision': a role's name mapping reads two of its tensors as this one name. */
  kind: 'missing' | 'shape' | 'dtype' | 'collision';
  /** Human-readable detail naming the roles involved. */
  detail: string;
  /** Roles lacking the tensor (kind 'missing'). */
  missingIn?: string[];
}

/**
 * How one role's tensor names were lined up with the reference role's (the first, θ_pre in a merge):
 * names starting with `from` are read as `to` + the rest. `from: 'module.', to: ''` is DDP's prefix
 * dropped; `from: '', to: 'model.'` a missing `model.` added.
 */
export interface NameMapping {
  role: string;
  from: string;
  to: string;
  /** Tensors of the role renamed this way that line up with a reference tensor. */
  count: number;
  /** Set by the user (an override) rather than found automatically. */
  manual?: true;
}

/** A user's choice for one role: read names starting with `from` as `to` + the rest ({'', ''}: names as they are). */
export interface NameMapOverride {
  from: string;
  to: string;
}

export interface AlignmentReport {
  roles: string[];
  /** Prefix mappings applied to roles whose names differ from the reference's by a wrapper prefix. */
  mappings: NameMapping[];
  /** Tensors present in every role with one shape (dtypes may differ: reported, still mergeable). */
  matched: AlignedTensor[];
  issues: AlignmentIssue[];
  /** Count of tensors whose shapes match but dtypes differ (also listed in issues). */
  dtypeMismatches: number;
}

const fmtShape = (s: number[]) => `[${s.join(', ')}]`;

/**
 * Wrapper prefixes training code puts before every name: DDP's `module.`, PEFT's `base_model.model.`,
 * and the `model.` one loader adds and another strips (LeRobot's π0). Tried in both directions.
 */
const WRAPPERS = ['module.', 'base_model.model.', 'model.'];
const PREFIXES = ['', ...WRAPPERS, ...WRAPPERS.flatMap((a) => WRAPPERS.filter((b) => b !== a).map((b) => a + b))];

/**
 * The prefix rewrite that lines up the most of `names` with `reference`, when it lines up more than
 * the names as they are (ties keep the names; the shorter rewrite wins among equals).
 */
export function bestPrefixMapping(names: readonly string[], reference: ReadonlySet<string>): { from: string; to: string; count: number } | null {
  let identity = 0;
  for (const n of names) if (reference.has(n)) identity++;
  let best: { from: string; to: string; count: number } | null = null;
  for (const from of PREFIXES) {
    for (const to of PREFIXES) {
      if (from === to || (from && to && (from.startsWith(to) || to.startsWith(from)))) continue;
      let count = 0;
      for (const n of names) if (n.startsWith(from) && reference.has(to + n.slice(from.length))) count++;
      if (count > identity && (!best || count > best.count || (count === best.count && from.length + to.length < best.from.length + best.to.length))) best = { from, to, count };
    }
  }
  return best;
}

/**
 * The prefix rewrites worth offering for a role, most tensors lined up first: the names as they are,
 * then every wrapper rewrite that lines up at least one tensor (at most `limit`).
 */
export function candidateMappings(names: readonly string[], reference: ReadonlySet<string>, limit = 6): { from: string; to: string; count: number }[] {
  const out: { from: string; to: string; count: number }[] = [];
  for (const from of PREFIXES) {
    for (const to of PREFIXES) {
      if ((from === to && from !== '') || (from && to && (from.startsWith(to) || to.startsWith(from)))) continue;
      const count = countMapped(names, reference, { from, to });
      if (count > 0 || (from === '' && to === '')) out.push({ from, to, count });
    }
  }
  return out.sort((a, b) => b.count - a.count || a.from.length + a.to.length - (b.from.length + b.to.length)).slice(0, limit);
}

/** How many of `names` line up with `reference` through a mapping. */
export function countMapped(names: readonly string[], reference: ReadonlySet<string>, m: NameMapOverride): number {
  let count = 0;
  for (const n of names) if (reference.has(mapName(n, m))) count++;
  return count;
}

/**
 * One `ROLE:FROM=TO` (the CLI's --map, the report's text field): `aux:module.=` strips DDP's prefix from
 * θ_aux's names, `sft:=model.` adds one. The role is everything before the last ':' ahead of '='
 * ('model:1:module.=' is role model:1). Throws a message naming the fault.
 */
export function parseNameMap(text: string): { role: string } & NameMapOverride {
  const eq = text.indexOf('=');
  const head = eq < 0 ? text : text.slice(0, eq);
  const colon = head.lastIndexOf(':');
  if (eq < 0 || colon <= 0) throw new Error(`'${text}' is not ROLE:FROM=TO (e.g. aux:module.= strips 'module.' from θ_aux's names, sft:=model. adds 'model.')`);
  return { role: head.slice(0, colon), from: head.slice(colon + 1), to: text.slice(eq + 1) };
}

/** 'module.* → *' : how a mapping reads a role's names. */
export function describeMapping(m: Pick<NameMapping, 'from' | 'to'>): string {
  return `${m.from}* → ${m.to}*`;
}

/** Applies a mapping to one name (names without the prefix are kept). */
export function mapName(name: string, m: { from: string; to: string } | undefined): string {
  return m && name.startsWith(m.from) ? m.to + name.slice(m.from.length) : name;
}

/**
 * Aligns checkpoints by tensor name (the first role's order is kept, then names only others have),
 * and reports each tensor that is missing somewhere or whose shape or dtype disagrees. A role whose
 * names carry a wrapper prefix the first role's lack (or lack one it has) is lined up through a
 * prefix mapping, listed in `mappings`; names in the report are the first role's. `overrides` (role →
 * mapping, the user's choice) replace the automatic mapping of their roles.
 */
export function alignCheckpoints(byRole: Record<string, Checkpoint>, overrides: Readonly<Record<string, NameMapOverride>> = {}): AlignmentReport {
  const roles = Object.keys(byRole);
  const reference = new Set(roles.length ? byRole[roles[0]].tensors.map((t) => t.name) : []);
  const mappings: NameMapping[] = [];
  const mapped = roles.map((r, i) => {
    const own = byRole[r].tensors.map((t) => t.name);
    // The user's mapping for a role replaces the automatic one (the reference role's names are the output's).
    const o = i === 0 ? undefined : overrides[r];
    if (o) {
      mappings.push({ role: r, from: o.from, to: o.to, count: countMapped(own, reference, o), manual: true });
      return o.from === o.to ? undefined : o;
    }
    const m = i === 0 ? null : bestPrefixMapping(own, reference);
    if (m) mappings.push({ role: r, ...m });
    return m ?? undefined;
  });
  const maps = roles.map((r, i) => new Map(byRole[r].tensors.map((t) => [mapName(t.name, mapped[i]), t] as const)));
  // A mapping that reads two of a role's tensors as one name (module.a and a, 'module.' stripped) must not pick one of them silently.
  const collisions = new Map<string, string>();
  roles.forEach((r, i) => {
    if (!mapped[i]) return;
    const first = new Map<string, string>();
    for (const t of byRole[r].tensors) {
      const n = mapName(t.name, mapped[i]);
      const other = first.get(n);
      if (other === undefined) first.set(n, t.name);
      else if (!collisions.has(n)) collisions.set(n, `${r}'s '${other}' and '${t.name}' both read as '${n}' (${describeMapping(mapped[i]!)})`);
    }
  });
  const names: string[] = [];
  const seen = new Set<string>();
  for (const [i, r] of roles.entries()) {
    for (const t of byRole[r].tensors) {
      const n = mapName(t.name, mapped[i]);
      if (!seen.has(n)) {
        seen.add(n);
        names.push(n);
      }
    }
  }
  const matched: AlignedTensor[] = [];
  const issues: AlignmentIssue[] = [];
  let dtypeMismatches = 0;
  for (const name of names) {
    const collision = collisions.get(name);
    if (collision) {
      issues.push({ name, kind: 'collision', detail: collision });
      continue;
    }
    const present = roles.filter((_, i) => maps[i].has(name));
    if (present.length < roles.length) {
      const missingIn = roles.filter((r) => !present.includes(r));
      issues.push({ name, kind: 'missing', missingIn, detail: `only in ${present.join(', ')}; missing in ${missingIn.join(', ')}` });
      continue;
    }
    const entries: Record<string, TensorEntry> = {};
    roles.forEach((r, i) => (entries[r] = maps[i].get(name)!));
    const shapes = roles.map((r) => fmtShape(entries[r].shape));
    if (new Set(shapes).size > 1) {
      issues.push({ name, kind: 'shape', detail: roles.map((r, i) => `${r} ${shapes[i]}`).join(' vs ') });
      continue;
    }
    const dtypes = roles.map((r) => entries[r].dtype as DType);
    if (new Set(dtypes).size > 1) {
      dtypeMismatches += 1;
      issues.push({ name, kind: 'dtype', detail: roles.map((r, i) => `${r} ${dtypes[i]}`).join(' vs ') });
    }
    matched.push({ name, entries });
  }
  return { roles, mappings, matched, issues, dtypeMismatches };
}
