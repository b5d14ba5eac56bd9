/**
 * The CapVector pipeline in miniature, stage by stage:
 *   1 pretrain (or load weights)   θ_pre on the base mix ("reach <colour>")
 *   2 extract                      SFT and SFT + aux on the extraction set (push red/green)
 *   3 meta                         γ = θ_aux − θ_sft, θ_meta = θ_pre + α·γ (the merge kernels)
 *   4 downstream                   held-out tasks (push blue/yellow): SFT from θ_pre, SFT from θ_meta,
 *                                  SFT + L_orth from θ_meta, and aux SFT from θ_pre (the costly baseline)
 * Stage 5 (compare) is the curves and summaries the events carry. Every arm of a stage sees the same
 * seeded batches, so arms differ only by their start point and their loss.
 */
import { TASK_SETS, makeDataset, type Dataset, type TaskSetId } from './tasks';
import { Cancelled, trainArm, type ArmPoint, type Control } from './loop';
import { successRate } from './evaluate';
import { capabilityVector, metaModel } from './meta';
import { AUX_HEAD_SPECS, POLICY_SPECS, disposeVars, initWeights, makeVars, type Weights } from './policy';
import type { ExperimentParams } from './params';
import type { Task } from './env';
import { makeProbe, type Probe } from './probe';

export type StageId = 'pretrain' | 'extract' | 'meta' | 'downstream';
export const STAGES: StageId[] = ['pretrain', 'extract', 'meta', 'downstream'];

export type ArmId = 'pretrain' | 'extract-sft' | 'extract-aux' | 'down-pre' | 'down-meta' | 'down-meta-orth' | 'down-pre-aux';
export const DOWNSTREAM_ARMS: ArmId[] = ['down-pre', 'down-meta', 'down-meta-orth', 'down-pre-aux'];

export const ARM_LABELS: Record<ArmId, string> = {
  pretrain: 'pretrain (base mix)',
  'extract-sft': 'extraction SFT',
  'extract-aux': 'extraction SFT + aux',
  'down-pre': 'SFT from θ_pre',
  'down-meta': 'SFT from θ_meta',
  'down-meta-orth': 'SFT + L_orth from θ_meta',
  'down-pre-aux': 'aux SFT from θ_pre (baseline)',
};

/** Checkpoints the experiment makes: the pretrained, extraction and meta models, γ, and each downstream result. */
export type CkptId = 'pre' | 'sft' | 'aux' | 'gamma' | 'meta' | 'down-pre' | 'down-meta' | 'down-meta-orth' | 'down-pre-aux';
export const CKPT_LABELS: Record<CkptId, string> = {
  pre: 'θ_pre', sft: 'θ_sft', aux: 'θ_aux', gamma: 'γ (capability vector)', meta: 'θ_meta',
  'down-pre': 'downstream: SFT from θ_pre', 'down-meta': 'downstream: SFT from θ_meta',
  'down-meta-orth': 'downstream: SFT + L_orth from θ_meta', 'down-pre-aux': 'downstream: aux SFT from θ_pre',
};

export interface ArmSummary {
  arm: ArmId;
  steps: number;
  msPerStep: number;
  finalSuccess: number;
  finalLoss: number;
  /** Mean over tensors of |cos(Δ_l, γ_l)| at the end (NaN without γ). */
  meanAbsCos: number;
  /** Whole-model cos(Δ, γ) at the end. */
  modelCos: number;
  /** Probe error at the end (all colours, and the held-out one); NaN when the probe was off. */
  finalProbe: number;
  finalProbeHeldOut: number;
}

export interface AlphaPoint {
  alpha: number;
  /** Zero-shot success of θ_pre + α·γ on the downstream tasks. */
  success: number;
  probe: number;
  probeHeldOut: number;
}

export type ExperimentEvent =
  | { type: 'stage'; stage: StageId; state: 'running' | 'done' }
  | { type: 'arm-start'; arm: ArmId; steps: number }
  | { type: 'point'; arm: ArmId; point: ArmPoint }
  | { type: 'arm-done'; summary: ArmSummary }
  | { type: 'checkpoint'; id: CkptId; label: string; source: string };

export function meanAbs(cos: number[] | undefined): number {
  if (!cos || cos.length < 2) return NaN;
  const per = cos.slice(0, -1);
  return per.reduce((s, c) => s + Math.abs(c), 0) / per.length;
}

export class Experiment {
  readonly weights = new Map<CkptId, Weights>();
  readonly summaries = new Map<ArmId, ArmSummary>();
  private datasets = new Map<TaskSetId, Dataset>();
  /** Built on first use (its scenes cost a few hundred renders) and again when its size changes; null when off. */
  private probeCache: { scenes: number; probe: Probe | null } | null = null;
  private get probe(): Probe | null {
    const scenes = this.params.probeScenes;
    if (this.probeCache?.scenes !== scenes) this.probeCache = { scenes, probe: scenes > 0 ? makeProbe({ fit: scenes, test: scenes }) : null };
    return this.probeCache.probe;
  }

  constructor(
    readonly params: ExperimentParams,
    private readonly ctl: Control,
    private readonly emit: (e: ExperimentEvent) => void,
  ) {}

  /** Sets θ_pre from outside (shipped weights or a dropped checkpoint); later stages are invalidated. */
  setPretrained(w: Weights, source: string): void {
    for (const k of [...this.weights.keys()]) this.weights.delete(k);
    this.weights.set('pre', w);
    this.emit({ type: 'checkpoint', id: 'pre', label: CKPT_LABELS.pre, source });
  }

  private dataset(id: TaskSetId): Dataset {
    let d = this.datasets.get(id);
    if (!d) {
      const episodes = id === 'pretrain' ? this.params.pretrainEpisodes : this.params.episodes;
      d = makeDataset(TASK_SETS[id], episodes, this.params.seed * 31 + STAGES.indexOf(id as StageId));
      this.datasets.set(id, d);
    }
    return d;
  }

  private need(id: CkptId, stage: string): Weights {
    const w = this.weights.get(id);
    if (!w) throw new Error(`${stage} needs ${CKPT_LABELS[id]}: run the earlier step first`);
    return w;
  }

  private async arm(arm: ArmId, cfg: {
    init: Weights; set: TaskSetId; steps: number; lr: number; aux?: boolean; orth?: boolean; gamma?: Weights; evalTasks?: Task[]; lambda?: number;
  }): Promise<Weights> {
    const p = this.params;
    this.emit({ type: 'arm-start', arm, steps: cfg.steps });
    const res = await trainArm({
      id: arm,
      init: cfg.init,
      dataset: this.dataset(cfg.set),
      steps: cfg.steps,
      lr: cfg.lr,
      batch: p.batch,
      seed: p.seed,
      aux: cfg.aux ? { weight: p.auxWeight, head: initWeights(AUX_HEAD_SPECS, p.seed + 7), until: p.auxUntil } : undefined,
      orth: cfg.orth && cfg.gamma ? { gamma: cfg.gamma, opt: { lambda: cfg.lambda ?? p.lambda, variant: p.variant, scope: p.scope } } : undefined,
      monitorGamma: cfg.gamma,
      evalTasks: cfg.evalTasks ?? TASK_SETS[cfg.set],
      probe: this.probe ?? undefined,
      evalEvery: p.evalEvery,
      evalEpisodes: p.evalEpisodes,
      logEvery: Math.max(1, Math.round(cfg.steps / 50)),
    }, this.ctl, (point) => this.emit({ type: 'point', arm, point }));
    const last = res.points[res.points.length - 1];
    const summary: ArmSummary = {
      arm, steps: cfg.steps, msPerStep: res.msPerStep, finalSuccess: res.finalSuccess, finalLoss: last?.actionLoss ?? NaN,
      meanAbsCos: meanAbs(last?.cos), modelCos: last?.cos ? last.cos[last.cos.length - 1] : NaN,
      finalProbe: res.finalProbe?.mean ?? NaN, finalProbeHeldOut: res.finalProbe?.heldOut ?? NaN,
    };
    this.summaries.set(arm, summary);
    this.emit({ type: 'arm-done', summary });
    return res.weights;
  }

  private keep(id: CkptId, w: Weights, source: string): void {
    this.weights.set(id, w);
    this.emit({ type: 'checkpoint', id, label: CKPT_LABELS[id], source });
  }

  async run(stage: StageId): Promise<void> {
    const p = this.params;
    this.emit({ type: 'stage', stage, state: 'running' });
    if (stage === 'pretrain') {
      const w = await this.arm('pretrain', { init: initWeights(POLICY_SPECS, p.seed), set: 'pretrain', steps: p.pretrainSteps, lr: 3 * p.lr });
      this.setPretrained(w, `pretrained here, ${p.pretrainSteps} steps`);
    } else if (stage === 'extract') {
      const pre = this.need('pre', 'Extraction');
      this.keep('sft', await this.arm('extract-sft', { init: pre, set: 'extract', steps: p.extractSteps, lr: p.lr }), 'extraction SFT');
      this.keep('aux', await this.arm('extract-aux', { init: pre, set: 'extract', steps: p.extractSteps, lr: p.lr, aux: true }), 'extraction SFT + aux');
    } else if (stage === 'meta') {
      const pre = this.need('pre', 'The meta model');
      const sft = this.need('sft', 'The meta model');
      const aux = this.need('aux', 'The meta model');
      this.keep('gamma', await capabilityVector(aux, sft), 'θ_aux − θ_sft');
      this.keep('meta', await metaModel(pre, aux, sft, p.alpha), `θ_pre + ${p.alpha}·γ`);
    } else {
      const pre = this.need('pre', 'Downstream');
      const meta = this.need('meta', 'Downstream');
      const gamma = this.need('gamma', 'Downstream');
      const base = { set: 'downstream' as const, steps: p.steps, lr: p.lr, gamma };
      this.keep('down-pre', await this.arm('down-pre', { ...base, init: pre }), ARM_LABELS['down-pre']);
      this.keep('down-meta', await this.arm('down-meta', { ...base, init: meta }), ARM_LABELS['down-meta']);
      this.keep('down-meta-orth', await this.arm('down-meta-orth', { ...base, init: meta, orth: true }), ARM_LABELS['down-meta-orth']);
      this.keep('down-pre-aux', await this.arm('down-pre-aux', { ...base, init: pre, aux: true }), ARM_LABELS['down-pre-aux']);
    }
    this.emit({ type: 'stage', stage, state: 'done' });
  }

  /**
   * θ_pre + α·γ for each α, before any downstream training: the probe's error and zero-shot success on
   * the downstream tasks. Shows whether γ carries the capability and how far it can be scaled.
   */
  async alphaSweep(alphas: number[]): Promise<AlphaPoint[]> {
    const pre = this.need('pre', 'The α sweep');
    const sft = this.need('sft', 'The α sweep');
    const aux = this.need('aux', 'The α sweep');
    const out: AlphaPoint[] = [];
    for (const alpha of alphas) {
      if (!(await this.ctl.checkpoint())) throw new Cancelled();
      const w = await metaModel(pre, aux, sft, alpha);
      const vars = makeVars(w, POLICY_SPECS, `alpha-${alpha}-${this.params.seed}`);
      try {
        const success = await successRate(vars, TASK_SETS.downstream, this.params.evalEpisodes, this.params.seed);
        const probe = this.probe ? await this.probe.measure(vars) : null;
        out.push({ alpha, success, probe: probe?.mean ?? NaN, probeHeldOut: probe?.heldOut ?? NaN });
      } finally {
        disposeVars(vars);
      }
    }
    return out;
  }

  /** SFT + L_orth from θ_meta with another λ (the λ sweep); the arm's weights are not kept. */
  async orthArm(lambda: number): Promise<void> {
    const meta = this.need('meta', 'Downstream');
    const gamma = this.need('gamma', 'Downstream');
    await this.arm('down-meta-orth', { set: 'downstream', steps: this.params.steps, lr: this.params.lr, gamma, init: meta, orth: true, lambda });
  }

  /** Every stage in order; pretraining is skipped when θ_pre is already set. */
  async runAll(): Promise<void> {
    for (const s of STAGES) {
      if (s === 'pretrain' && this.weights.has('pre')) continue;
      await this.run(s);
    }
  }
}
