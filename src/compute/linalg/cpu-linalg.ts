/**
 * The float64 CPU backend of the randomised SVD (the twin of ./webgpu-linalg.ts): the register-blocked
 * products of ./cpu-products.ts over the row-major matrix, every product and sum in float64.
 */
import type { DenseMatrix, LinalgBackend, Panel } from './backend';
import { mulLeftT, mulRight } from './cpu-products';

export interface CpuPanel extends Panel {
  data: Float64Array;
}

export class CpuLinalg implements LinalgBackend<CpuPanel> {
  readonly rows: number;
  readonly cols: number;
  /** float64 Gram matrices are good to ~1e-15 of the largest eigenvalue: directions below ~1e-7·σ₁ are noise. */
  readonly dropRatio = 1e-6;

  constructor(private readonly m: DenseMatrix) {
    this.rows = m.rows;
    this.cols = m.cols;
  }

  async panel(data: Float64Array, r: number, l: number): Promise<CpuPanel> {
    return { rows: r, cols: l, data };
  }

  async mul(x: CpuPanel): Promise<CpuPanel> {
    return { rows: this.rows, cols: x.cols, data: mulRight(this.m, x.data, x.cols) };
  }

  async mulT(x: CpuPanel): Promise<CpuPanel> {
    return { rows: this.cols, cols: x.cols, data: mulLeftT(this.m, x.data, x.cols) };
  }

  async gram(p: CpuPanel): Promise<Float64Array> {
    return mulLeftT(p, p.data, p.cols);
  }

  async times(p: CpuPanel, t: Float64Array, tCols: number): Promise<CpuPanel> {
    return { rows: p.rows, cols: tCols, data: mulRight(p, t, tCols) };
  }

  async read(p: CpuPanel): Promise<Float64Array> {
    return p.data;
  }

  release(): void {}
  dispose(): void {}
}
