/**
 * Pure helpers behind the merge panel's editors: parameter values in their three editing modes, and
 * include/exclude filter lines with the counts they leave. No React, no DOM: unit-tested in
 * tests/unit/merge-ui.
 */
import { isRuleList, matchesAny } from '../../merge/params';
import type { ParamRule, ParamValue } from '../../merge/types';

export type ParamMode = 'scalar' | 'gradient' | 'rules';

export function paramMode(v: ParamValue | undefined): ParamMode {
  if (v === undefined || typeof v === 'number' || typeof v === 'boolean') return 'scalar';
  return isRuleList(v) ? 'rules' : 'gradient';
}

/** Converts a value to another editing mode, keeping what can be kept (the scalar seeds the others). */
export function convertParam(v: ParamValue | undefined, mode: ParamMode, fallback: number): ParamValue {
  const scalar = typeof v === 'number' ? v : Array.isArray(v) && !isRuleList(v) && v.length ? (v as number[])[0] : fallback;
  if (mode === 'scalar') return scalar;
  if (mode === 'gradient') return Array.isArray(v) && !isRuleList(v) ? v : [scalar, scalar];
  return isRuleList(v ?? 0) ? (v as ParamRule[]) : [{ filter: 'norm', value: 0 }, { value: scalar }];
}

/** "0, 0.5, 1" → [0, 0.5, 1]; returns a message for anything else. */
export function parseGradient(text: string): number[] | string {
  const parts = text.split(/[\s,;]+/).filter((s) => s !== '');
  if (parts.length < 2) return 'a gradient needs at least two values (first layer, …, last layer)';
  const values = parts.map(Number);
  const bad = parts.find((_, i) => !Number.isFinite(values[i]));
  return bad === undefined ? values : `'${bad}' is not a number`;
}

export const formatGradient = (v: number[]) => v.join(', ');

/** One filter per line; blank lines dropped. */
export const parseFilterLines = (text: string) => text.split('\n').map((s) => s.trim()).filter((s) => s !== '');

/** A filter matching exactly one tensor name (regex-escaped and anchored, so `a.weight` never matches `xa.weight`). */
export function exactNameFilter(name: string): string {
  return `/^${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$/`;
}

export interface FilterCount {
  total: number;
  /** Passing include (all when no include filters) and not excluded. */
  affected: number;
  excluded: number;
  notIncluded: number;
}

/** How many tensors the include/exclude filters leave to the method (the rest are copied from the base). */
export function countAffected(names: readonly string[], include: string[] | undefined, exclude: string[] | undefined): FilterCount {
  let affected = 0;
  let excluded = 0;
  let notIncluded = 0;
  for (const n of names) {
    if (include?.length && !matchesAny(include, n)) notIncluded += 1;
    else if (matchesAny(exclude, n)) excluded += 1;
    else affected += 1;
  }
  return { total: names.length, affected, excluded, notIncluded };
}
