/** Numbers as the analysis views show them: 7 significant digits (exact enough to check against a reference). */
export function fmtNum(v: number | null | undefined): string {
  if (v === null || v === undefined) return '—';
  if (Number.isNaN(v)) return 'n/a';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  return v.toPrecision(7);
}

export function fmtSeconds(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return '—';
  if (s < 60) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

const SI: [number, string][] = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];

/**
 * Numbers for axes and legends, where space is short and 7 digits are noise: at most `digits`
 * significant digits, no trailing zeros, SI suffixes from 10⁴ up, exponent notation below 10⁻³.
 * (Tooltips and tables keep fmtNum: their digits are checked against a float64 reference.)
 */
export function fmtCompact(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined) return '—';
  if (Number.isNaN(v)) return 'n/a';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (v === 0) return '0';
  const sign = v < 0 ? '−' : '';
  const a = Math.abs(v);
  const trim = (s: string) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (a >= 1e4) {
    // Round first, then pick the unit, so 999 999 reads "1M" rather than "1000k".
    const r = Number(a.toPrecision(digits));
    for (const [f, u] of SI) if (r >= f) return `${sign}${trim((r / f).toPrecision(digits))}${u}`;
  }
  if (a < 1e-3) {
    const [m, e] = a.toExponential(digits - 1).split('e');
    return `${sign}${trim(m)}e${Number(e)}`;
  }
  // toPrecision may itself switch to exponent form near the bounds (e.g. 9999.9 → "1.000e+4").
  const p = a.toPrecision(digits);
  return `${sign}${p.includes('e') ? fmtCompact(Number(p), digits).replace(/^−/, '') : trim(p)}`;
}
