/**
 * The experiment's hyperparameters, their defaults and their URL form (?alpha=1&lambda=…), so a run
 * can be shared and repeated, as tensorflow/playground does. Pure: the store applies it to the URL.
 */
import { ORTH_SCOPES, ORTH_VARIANTS, type OrthScope, type OrthVariant } from './orth-reg';

export interface ExperimentParams {
  seed: number;
  /** θ_meta = θ_pre + α·γ. */
  alpha: number;
  /** Weight of the orthogonality penalty. */
  lambda: number;
  variant: OrthVariant;
  scope: OrthScope;
  /** Learning rate of every finetune (pretraining uses 3×). */
  lr: number;
  /** Downstream finetune steps per arm. */
  steps: number;
  /** Extraction finetune steps (SFT and SFT + aux). */
  extractSteps: number;
  /** Pretraining steps, when not loading the shipped weights. */
  pretrainSteps: number;
  batch: number;
  /** Weight of the auxiliary alignment loss. */
  auxWeight: number;
  /** Fraction of an auxiliary-objective arm's steps that carry the auxiliary loss (the rest is plain SFT). */
  auxUntil: number;
  /** Closed-loop evaluation every this many steps (0 = only at the end). */
  evalEvery: number;
  /** Evaluation episodes per task. */
  evalEpisodes: number;
  /** Demonstration episodes per task in the extraction and downstream datasets (small, as in the paper). */
  episodes: number;
  /** Demonstration episodes per task of the pretraining mix. */
  pretrainEpisodes: number;
  /** Probe scenes (fit and test sets each); 0 turns the probe off. */
  probeScenes: number;
}

/** The final protocol of docs/train-results.md (frozen before its run; chosen by the pilot, docs/train-pilot.md). */
export const DEFAULT_PARAMS: ExperimentParams = {
  seed: 1,
  alpha: 1,
  lambda: 1,
  variant: 'cos2',
  scope: 'tensor',
  lr: 1e-3,
  steps: 600,
  extractSteps: 1000,
  pretrainSteps: 1500,
  batch: 32,
  auxWeight: 3,
  auxUntil: 1,
  evalEvery: 100,
  evalEpisodes: 24,
  episodes: 10,
  pretrainEpisodes: 100,
  probeScenes: 256,
};

type NumKey = { [K in keyof ExperimentParams]: ExperimentParams[K] extends number ? K : never }[keyof ExperimentParams];

/** Allowed ranges: a URL is user input, so out-of-range values fall back to the default. */
const RANGES: Record<NumKey, [number, number, boolean]> = {
  seed: [0, 2 ** 31 - 1, true],
  alpha: [-10, 10, false],
  lambda: [0, 1e6, false],
  lr: [1e-6, 1, false],
  steps: [1, 100_000, true],
  extractSteps: [1, 100_000, true],
  pretrainSteps: [1, 1_000_000, true],
  batch: [1, 1024, true],
  auxWeight: [0, 100, false],
  auxUntil: [0, 1, false],
  evalEvery: [0, 100_000, true],
  evalEpisodes: [1, 1000, true],
  episodes: [1, 10_000, true],
  pretrainEpisodes: [1, 10_000, true],
  probeScenes: [0, 4096, true],
};

export const PARAM_KEYS = Object.keys(DEFAULT_PARAMS) as (keyof ExperimentParams)[];

export function parseParams(search: string): ExperimentParams {
  const q = new URLSearchParams(search);
  const p: ExperimentParams = { ...DEFAULT_PARAMS };
  for (const k of Object.keys(RANGES) as NumKey[]) {
    const raw = q.get(k);
    if (raw === null || raw.trim() === '') continue;
    const v = Number(raw);
    const [lo, hi, int] = RANGES[k];
    if (Number.isFinite(v) && v >= lo && v <= hi && (!int || Number.isInteger(v))) p[k] = v;
  }
  const variant = q.get('variant');
  if (variant && (ORTH_VARIANTS as string[]).includes(variant)) p.variant = variant as OrthVariant;
  const scope = q.get('scope');
  if (scope && (ORTH_SCOPES as string[]).includes(scope)) p.scope = scope as OrthScope;
  return p;
}

/** Writes the parameters into a query string, keeping the other keys already there. */
export function paramsToSearch(p: ExperimentParams, existing = ''): string {
  const q = new URLSearchParams(existing);
  for (const k of PARAM_KEYS) q.set(k, String(p[k]));
  return `?${q.toString()}`;
}

/** A clamped copy (for values typed into the form). */
export function sanitizeParams(p: ExperimentParams): ExperimentParams {
  return parseParams(paramsToSearch(p));
}
