/**
 * Byte counts and rates for people, the same in the app and the CLI: three significant digits
 * (512 B, 1.50 KiB, 15.0 GiB, 250 MiB). Binary units by default; decimal ones (kB, MB, GB: 1 GB = 1e9)
 * where the figures sit beside decimal sizes, as in the CLI's merge lines (its --shard-size is decimal,
 * as Hugging Face counts).
 */
const UNITS = {
  binary: { base: 1024, names: ['B', 'KiB', 'MiB', 'GiB', 'TiB'] },
  decimal: { base: 1000, names: ['B', 'kB', 'MB', 'GB', 'TB'] },
};

export type ByteUnits = keyof typeof UNITS;

export function formatBytes(n: number, units: ByteUnits = 'binary'): string {
  if (!Number.isFinite(n) || n < 0) return '—';
  const { base, names } = UNITS[units];
  let i = 0;
  let v = n;
  while (v >= base && i < names.length - 1) {
    v /= base;
    i += 1;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)} ${names[i]}`;
}

export function formatRate(bytesPerSecond: number, units: ByteUnits = 'binary'): string {
  return Number.isFinite(bytesPerSecond) && bytesPerSecond >= 0 ? `${formatBytes(bytesPerSecond, units)}/s` : '—';
}
