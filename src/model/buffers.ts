/**
 * Buffers are not weights: statistics a model keeps beside its parameters (BatchNorm's running
 * mean and variance and its int64 step counter, LeRobot's `normalize_*`/`unnormalize_*` dataset
 * statistics saved as `*.buffer_*`), and integer or bool tensors (position ids, masks, counters).
 * Averaging or extrapolating them gives statistics of no dataset, so every merge copies them from
 * θ_pre unless the recipe asks to include them (`includeBuffers`, CLI `--include-buffers`).
 */
import { isFloatDType, type DType } from '../formats/dtype';

/** Names of buffers by what they are, whatever their dtype. */
const BUFFER_NAME = /(^|\.)(running_mean|running_var|num_batches_tracked)$|(^|\.)(un)?normali[sz]e[^.]*\.buffer_|(^|\.)buffer_[^.]*\.(mean|std|min|max)$/;

/** Why a tensor is a buffer, or undefined when it is a weight: 'statistics' by its name, 'integer' by its dtype. */
export function bufferKind(name: string, dtype: DType): 'statistics' | 'integer' | undefined {
  if (BUFFER_NAME.test(name)) return 'statistics';
  if (!isFloatDType(dtype)) return 'integer';
  return undefined;
}

export function isBuffer(name: string, dtype: DType): boolean {
  return bufferKind(name, dtype) !== undefined;
}
