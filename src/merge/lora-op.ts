/**
 * A combine over roles given as LoRA adapters (lora-sources.ts), as one `lora` op: the terms stay the
 * method's, on each adapter role's dense part (θ_pre, or a modules_to_save tensor), and each role's ΔW
 * joins as its factors weighted by the term's weight times PEFT's scale; a `vector` role's dense part
 * has θ_pre taken off. The result is the method's formula on θ_pre + ΔW rounded once, like any merge.
 */
import type { CombineSpec, LoraFactor } from '../compute/engine';
import type { TensorEntry } from '../formats/checkpoint';
import type { TensorOp } from './define';
import { factorEntries, isLoraSource, matrixOf, type LoraSource } from './lora-sources';

/** The factor inputs after the dense ones: each adapter source's A and B, in source order (readJob reads them so). */
export function factorReads(sources: TensorEntry[]): TensorEntry[] {
  return sources.flatMap(factorEntries);
}

/** The dense entry read for a source (a LoRA source's dense part). */
export const denseEntry = (e: TensorEntry) => (isLoraSource(e) ? e.lora.dense : e);

/**
 * The tensor's op with its adapter roles folded in, or `op` itself when no input is an adapter's or the
 * op is not a combine (its inputs are then formed as values: lora-sources.ts readInput).
 * `preIndex`: θ_pre's position among the inputs (−1 when the method does not read it).
 */
export function foldAdapters(op: TensorOp, sources: TensorEntry[], shape: number[], preIndex: number): TensorOp {
  if (op.kind !== 'combine' || !sources.some(isLoraSource)) return op;
  const spec = op.spec as Omit<CombineSpec, 'outDtype'>;
  const slots = new Map<number, number>();
  let next = sources.length;
  sources.forEach((e, k) => {
    if (factorEntries(e).length) {
      slots.set(k, next);
      next += 2;
    }
  });
  const terms: CombineSpec['terms'] = [];
  const factors: LoraFactor[] = [];
  const difference = (k: number | null) => k !== null && isLoraSource(sources[k]) && sources[k].lora.minus !== null;
  const addFactor = (k: number | null, w: number) => {
    const slot = k === null ? undefined : slots.get(k);
    if (slot === undefined) return;
    const u = (sources[k!] as LoraSource).lora.update!;
    factors.push({ a: slot, b: slot + 1, rank: u.rank, w: w * u.scale, transpose: u.transpose });
  };
  if (spec.base !== null && isLoraSource(sources[spec.base])) throw new Error(`${sources[spec.base].name}: the merge's base cannot be a LoRA adapter`);
  for (const t of spec.terms) {
    if ((difference(t.a) || difference(t.b)) && preIndex < 0) throw new Error(`${sources[t.a].name}: a LoRA vector needs θ_pre among the inputs`);
    if (t.b === null && difference(t.a)) terms.push({ a: t.a, b: preIndex, w: t.w });
    else {
      terms.push(t);
      if (difference(t.a)) terms.push({ a: preIndex, b: null, w: -t.w });
      if (difference(t.b)) terms.push({ a: preIndex, b: null, w: t.w });
    }
    addFactor(t.a, t.w);
    addFactor(t.b, -t.w);
  }
  return {
    kind: 'lora',
    spec: { base: spec.base, terms, scale: spec.scale, dense: sources.length, factors, ...matrixOf(shape) },
    chunk: (at) => ({ first: at.first }),
  };
}
