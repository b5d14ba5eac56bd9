/** `--name value` from the command line of the finetune scripts, or the fallback. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

/** A comma-separated list of numbers ("1,2,3"). */
export const nums = (s: string): number[] => s.split(',').filter(Boolean).map(Number);

/** `base` with each listed flag (`--extract-steps 500`) read into its parameter, where given. */
export function paramsFromArgs<P extends object>(base: P, flags: Record<string, keyof P>): P {
  const out = { ...base };
  for (const [flag, key] of Object.entries(flags)) {
    const raw = arg(flag, '');
    if (raw !== '') (out as Record<keyof P, unknown>)[key] = Number(raw);
  }
  return out;
}
