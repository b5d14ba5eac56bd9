/** Human-readable figures for cards and tables (pure; unit-tested in tests/unit/ui-pure). */

/** 7_241_732_096 → '7.2 B'; 1_300_000 → '1.3 M'; 950 → '950'. */
export function humanCount(n: number): string {
  if (!Number.isFinite(n)) return '—';
  const abs = Math.abs(n);
  const units: [number, string][] = [[1e12, 'T'], [1e9, 'B'], [1e6, 'M'], [1e3, 'K']];
  for (const [size, unit] of units) {
    if (abs >= size) {
      const v = n / size;
      return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${unit}`;
    }
  }
  return String(n);
}

export function formatShape(shape: number[]): string {
  return `[${shape.join(', ')}]`;
}

/** A statistic for display: 6 significant digits, exponent form when tiny or huge. */
export function formatStat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '−Inf';
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a < 1e-4 || a >= 1e6 ? x.toExponential(5) : String(Number(x.toPrecision(6)));
}

/** A CSS colour variable for a dtype in the mix bar. */
export function dtypeColor(dtype: string): string {
  if (dtype === 'F32' || dtype === 'F64') return 'var(--cv-dtype-f32)';
  if (dtype === 'BF16') return 'var(--cv-dtype-bf16)';
  if (dtype === 'F16') return 'var(--cv-dtype-f16)';
  if (dtype.startsWith('F8') || dtype.startsWith('F6') || dtype.startsWith('F4')) return 'var(--cv-dtype-f8)';
  if (/^(I|U)\d+$/.test(dtype) || dtype === 'BOOL') return 'var(--cv-dtype-int)';
  return 'var(--cv-dtype-other)';
}
