/**
 * The float64 CPU backend of the randomised SVD (the twin of ./webgpu-linalg.ts): plain loops over
 * the row-major matrix, every product and sum in float64.
 */
import type { DenseMatrix, LinalgBackend, Panel } from './backend';

export interface CpuPanel extends Panel {
  data: Float64Array;
}

/** C (m×l) = A (m×n) · X (n×l), all row-major; zero entries of A are skipped (sparse γ is common). */
function mulRight(a: Float64Array, rows: number, cols: number, x: Float64Array, l: number): Float64Array {
  const out = new Float64Array(rows * l);
  for (let i = 0; i < rows; i++) {
    const o = i * l;
    for (let j = 0; j < cols; j++) {
      const v = a[i * cols + j];
      if (v === 0) continue;
      const xo = j * l;
      for (let c = 0; c < l; c++) out[o + c] += v * x[xo + c];
    }
  }
  return out;
}

/** C (n×l) = Aᵀ (n×m) · X (m×l), all row-major. */
function mulLeftT(a: Float64Array, rows: number, cols: number, x: Float64Array, l: number): Float64Array {
  const out = new Float64Array(cols * l);
  for (let i = 0; i < rows; i++) {
    const xo = i * l;
    for (let j = 0; j < cols; j++) {
      const v = a[i * cols + j];
      if (v === 0) continue;
      const o = j * l;
      for (let c = 0; c < l; c++) out[o + c] += v * x[xo + c];
    }
  }
  return out;
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
    return { rows: this.rows, cols: x.cols, data: mulRight(this.m.data, this.rows, this.cols, x.data, x.cols) };
  }

  async mulT(x: CpuPanel): Promise<CpuPanel> {
    return { rows: this.cols, cols: x.cols, data: mulLeftT(this.m.data, this.rows, this.cols, x.data, x.cols) };
  }

  async gram(p: CpuPanel): Promise<Float64Array> {
    return mulLeftT(p.data, p.rows, p.cols, p.data, p.cols);
  }

  async times(p: CpuPanel, t: Float64Array, tCols: number): Promise<CpuPanel> {
    return { rows: p.rows, cols: tCols, data: mulRight(p.data, p.rows, p.cols, t, tCols) };
  }

  async read(p: CpuPanel): Promise<Float64Array> {
    return p.data;
  }

  release(): void {}
  dispose(): void {}
}
