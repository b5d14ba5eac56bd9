/**
 * One training arm: Adam on behaviour cloning, optionally plus the auxiliary alignment loss and the
 * orthogonality penalty, with periodic logging, closed-loop evaluation and cos(Δ, γ) monitoring.
 * Pure tfjs: the same code runs in Node (tests, bench, the pretrain script) and in the Worker.
 */
import * as tf from '@tensorflow/tfjs';
import { rng, type Task } from './env';
import { successRate } from './evaluate';
import { actionLoss, cosineAlignLoss } from './losses';
import { orthPenalty, cosineByTensor, type OrthOptions } from './orth-reg';
import { AUX_HEAD_SPECS, POLICY_SPECS, auxHead, disposeVars, forward, inputTensors, makeVars, readVars, type Weights } from './policy';
import { sampleBatch, type Dataset } from './tasks';
import { PATCH_COUNT, PATCH_TARGET_DIM } from './env';
import type { Probe, ProbeError } from './probe';

export interface ArmConfig {
  id: string;
  init: Weights;
  dataset: Dataset;
  steps: number;
  lr: number;
  batch: number;
  seed: number;
  /** Auxiliary objective: weight of the alignment loss and the head's initial weights. */
  aux?: { weight: number; head: Weights; until?: number };
  /** Orthogonality penalty against γ around the arm's initial weights (θ_meta for meta arms). */
  orth?: { gamma: Weights; opt: OrthOptions };
  /** γ to monitor cos(θ − θ_init, γ) against, whether or not it is penalised. */
  monitorGamma?: Weights;
  evalTasks: Task[];
  /** The capability probe, measured wherever success is (absent: not measured). */
  probe?: Probe;
  evalEvery: number;
  evalEpisodes: number;
  logEvery: number;
}

export interface ArmPoint {
  step: number;
  /** Training wall time so far (evaluation and monitoring excluded). */
  trainMs: number;
  loss: number;
  actionLoss: number;
  auxLoss: number;
  orthLoss: number;
  success?: number;
  /** Probe error (RMSE of object positions, table units) over all colours, and for the held-out colour. */
  probe?: number;
  probeHeldOut?: number;
  /** cos(Δ_l, γ_l) per policy tensor, then the whole-model cosine. */
  cos?: number[];
}

export interface Control {
  /** Resolves when the run may continue (waits while paused); rejects or returns false to stop. */
  checkpoint(): Promise<boolean>;
}

export class Cancelled extends Error {
  constructor() {
    super('cancelled');
  }
}

export interface ArmResult {
  weights: Weights;
  points: ArmPoint[];
  msPerStep: number;
  finalSuccess: number;
  finalProbe: ProbeError | null;
}

const NAMES = POLICY_SPECS.map((s) => s.name);

export async function trainArm(cfg: ArmConfig, ctl: Control, onPoint: (p: ArmPoint) => void): Promise<ArmResult> {
  const vars = makeVars(cfg.init, POLICY_SPECS, `${cfg.id}-${cfg.seed}`);
  const head = cfg.aux ? makeVars(cfg.aux.head, AUX_HEAD_SPECS, `${cfg.id}-${cfg.seed}-aux`) : null;
  const constants = (w: Weights | undefined) =>
    w ? Object.fromEntries(POLICY_SPECS.map((s) => [s.name, tf.tensor(w.get(s.name)!, s.shape)])) : null;
  const initT = constants(cfg.init)!;
  const gammaT = constants(cfg.orth?.gamma ?? cfg.monitorGamma);
  const optimizer = tf.train.adam(cfg.lr);
  const varList = [...Object.values(vars), ...(head ? Object.values(head) : [])];
  const next = rng(cfg.seed ^ 0xba7c4);
  const points: ArmPoint[] = [];
  let trainMs = 0;
  let finalSuccess = NaN;
  let finalProbe: ProbeError | null = null;

  const monitor = async (step: number, p: Omit<ArmPoint, 'step' | 'trainMs'>): Promise<void> => {
    const point: ArmPoint = { step, trainMs, ...p };
    if (step === cfg.steps || (cfg.evalEvery > 0 && step % cfg.evalEvery === 0)) {
      point.success = await successRate(vars, cfg.evalTasks, cfg.evalEpisodes, cfg.seed);
      finalSuccess = point.success;
      if (cfg.probe) {
        const err = await cfg.probe.measure(vars);
        point.probe = err.mean;
        point.probeHeldOut = err.heldOut;
        finalProbe = err;
      }
    }
    if (gammaT) point.cos = Array.from(await cosineByTensor(vars, initT, gammaT, NAMES));
    points.push(point);
    onPoint(point);
  };

  try {
    await monitor(0, { loss: NaN, actionLoss: NaN, auxLoss: NaN, orthLoss: NaN });
    for (let step = 1; step <= cfg.steps; step++) {
      if (!(await ctl.checkpoint())) throw new Cancelled();
      const t0 = performance.now();
      const b = sampleBatch(cfg.dataset, cfg.batch, next);
      const x = inputTensors(b.images, b.states, b.tokens, b.size);
      const target = tf.tensor2d(b.actions, [b.size, 2]);
      const auxOn = !!cfg.aux && step <= (cfg.aux.until ?? 1) * cfg.steps;
      const priv = auxOn ? tf.tensor2d(b.teacher, [b.size * PATCH_COUNT, PATCH_TARGET_DIM]) : null;
      let parts: tf.Tensor | null = null;
      optimizer.minimize(() => {
        const out = forward(vars, x);
        const la = actionLoss(out.action, target);
        const lx = head && priv ? tf.mul(cosineAlignLoss(auxHead(head, out.tokens), priv), cfg.aux!.weight) : tf.scalar(0);
        const lo = cfg.orth && gammaT ? orthPenalty(vars, initT, gammaT, NAMES, cfg.orth.opt) : tf.scalar(0);
        const total = tf.addN([la, lx, lo]) as tf.Scalar;
        parts = tf.keep(tf.stack([total, la, lx, lo]));
        return total;
      }, false, varList);
      tf.dispose([x.images, x.states, x.words, target, ...(priv ? [priv] : [])]);
      const log = step % cfg.logEvery === 0 || step === cfg.steps;
      let v: Float32Array | null = null;
      // Reading back synchronises the backend, so the time includes the queued GPU work.
      if (log) v = (await parts!.data()) as Float32Array;
      (parts as tf.Tensor | null)?.dispose();
      trainMs += performance.now() - t0;
      if (v) await monitor(step, { loss: v[0], actionLoss: v[1], auxLoss: v[2], orthLoss: v[3] });
    }
    return { weights: await readVars(vars, POLICY_SPECS), points, msPerStep: trainMs / Math.max(1, cfg.steps), finalSuccess, finalProbe };
  } finally {
    optimizer.dispose();
    disposeVars(vars);
    if (head) disposeVars(head);
    tf.dispose(Object.values(initT));
    if (gammaT) tf.dispose(Object.values(gammaT));
  }
}
