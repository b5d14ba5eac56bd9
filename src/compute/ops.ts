/**
 * Every compute op, one registration line each. The Engine interface (engine.ts) derives its methods
 * from this table, the engines run an op through `run(op, …)` by looking it up here, and the CPU pool
 * forwards any op of it to its worker threads. Adding an op: its folder kernels/<op>/ (the WGSL
 * program, the reference, the CPU fast path and <op>.op.ts) and a line here.
 */
import type { OpDef } from './op';
import { combineOp } from './kernels/combine/combine.op';
import { dareOp } from './kernels/dare/dare.op';
import { loraOp } from './kernels/lora/lora.op';
import { statsOp } from './kernels/stats/stats.op';
import { tiesOp } from './kernels/ties/ties.op';

export const OPS = {
  combine: combineOp,
  ties: tiesOp,
  dare: dareOp,
  stats: statsOp,
  lora: loraOp,
};

export type OpName = keyof typeof OPS;
export type OpSpec<K extends OpName> = (typeof OPS)[K] extends OpDef<infer S, infer _R> ? S : never;
export type OpResult<K extends OpName> = (typeof OPS)[K] extends OpDef<infer _S, infer R> ? R : never;
export const OP_NAMES = Object.keys(OPS) as OpName[];

/** The op's definition with its spec and result types kept (TypeScript cannot relate OPS[op] to K itself). */
export function opDef<K extends OpName>(op: K): OpDef<OpSpec<K>, OpResult<K>> {
  return OPS[op] as unknown as OpDef<OpSpec<K>, OpResult<K>>;
}
