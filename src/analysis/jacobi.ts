/** One-sided Jacobi (Hestenes) SVD of a few columns, in float64: the small SVDs of the spectral pass. */

export interface Jacobi {
  /** Column norms after convergence (the singular values), unsorted. */
  sigma: Float64Array;
  /** The accumulated rotations V (c×c, row-major). */
  v: Float64Array;
  /** The rotated columns A·V = W·Σ, column by column. */
  cols: Float64Array[];
}

/**
 * Rotates pairs of the c columns (each of length r) until all are mutually orthogonal, in place.
 * Then A·V = W·Σ with Σ the column norms.
 */
export function oneSidedJacobi(cols: Float64Array[]): Jacobi {
  const c = cols.length;
  const r = c ? cols[0].length : 0;
  const v = new Float64Array(c * c);
  for (let i = 0; i < c; i++) v[i * c + i] = 1;
  const eps = 1e-15;
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < c - 1; p++) {
      for (let q = p + 1; q < c; q++) {
        const x = cols[p], y = cols[q];
        let alpha = 0, beta = 0, gamma = 0;
        for (let i = 0; i < r; i++) {
          alpha += x[i] * x[i];
          beta += y[i] * y[i];
          gamma += x[i] * y[i];
        }
        if (gamma === 0 || Math.abs(gamma) <= eps * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const cs = 1 / Math.sqrt(1 + t * t);
        const sn = cs * t;
        for (let i = 0; i < r; i++) {
          const xi = x[i], yi = y[i];
          x[i] = cs * xi - sn * yi;
          y[i] = sn * xi + cs * yi;
        }
        for (let i = 0; i < c; i++) {
          const vp = v[i * c + p], vq = v[i * c + q];
          v[i * c + p] = cs * vp - sn * vq;
          v[i * c + q] = sn * vp + cs * vq;
        }
      }
    }
    if (!rotated) break;
  }
  const sigma = new Float64Array(c);
  for (let j = 0; j < c; j++) {
    let s = 0;
    for (let i = 0; i < r; i++) s += cols[j][i] ** 2;
    sigma[j] = Math.sqrt(s);
  }
  return { sigma, v, cols };
}

/** Indices of sigma in descending order (ties by index, so deterministic). */
export function descending(sigma: Float64Array): number[] {
  return Array.from(sigma.keys()).sort((a, b) => sigma[b] - sigma[a] || a - b);
}

/** The columns of a row-major r × c matrix as c arrays. */
export function columnsOf(a: Float64Array, r: number, c: number): Float64Array[] {
  const out: Float64Array[] = [];
  for (let j = 0; j < c; j++) {
    const col = new Float64Array(r);
    for (let i = 0; i < r; i++) col[i] = a[i * c + j];
    out.push(col);
  }
  return out;
}
