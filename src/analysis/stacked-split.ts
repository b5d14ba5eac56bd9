import { stackedLayout } from '../model/stacked';
import { matrixShape } from './spectral';

/**
 * How the spectral pass sees a tensor: `layers` matrices of rows × cols stored one after another.
 * Linear weights and embeddings are one matrix; conv kernels [out, in, k…] one [out, in·k…] matrix; a
 * rank-3 tensor whose last axis is longer than a kernel ([L, out, in]: layers or experts stacked on
 * axis 0, as scanned JAX/Flax checkpoints and MoE weights store them) is split per layer on axis 0.
 * A name the layer parser knows as a scanned stack (src/model/stacked.ts: `…llm.layers.attn.q_einsum.w`
 * [L, H, D, hd]) is split on axis 0 whatever its rank, each layer viewed as one matrix of its own shape
 * ([H, D·hd]; a stacked vector [L, d] holds no matrix); other names fall back to the shape. A leading
 * axis of 1 ([1, 17, 64]: a position embedding) is one matrix without a layer index.
 */
export interface MatrixView {
  layers: number;
  /** True when the tensor holds more than one layer (each spectrum then carries its layer index). */
  stacked: boolean;
  rows: number;
  cols: number;
}

/** Conv kernels are at most this wide; a longer last axis of a rank-3 tensor is a matrix's columns. */
const MAX_KERNEL = 7;

export function matrixView(shape: readonly number[], name = ''): MatrixView | null {
  const st = name ? stackedLayout(name, shape) : null;
  if (st) {
    const m = matrixShape(st.layerShape);
    return m ? { layers: st.layers, stacked: st.layers > 1, rows: m[0], cols: m[1] } : null;
  }
  if (shape.length === 3 && shape[2] > MAX_KERNEL && shape.every((d) => d > 0)) {
    return { layers: shape[0], stacked: shape[0] > 1, rows: shape[1], cols: shape[2] };
  }
  const m = matrixShape(shape);
  return m ? { layers: 1, stacked: false, rows: m[0], cols: m[1] } : null;
}
