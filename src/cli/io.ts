/**
 * What every sub-command gets and may throw: its output lines, and UsageError for faults in how it was
 * called (exit 2 with the usage line; other errors exit 1). Apart from ./main.ts so that the commands,
 * which main.ts loads, do not import main.ts back.
 */
export class UsageError extends Error {}

export interface CliIO {
  out(line: string): void;
  err(line: string): void;
}

export type Command = (args: string[], io: CliIO) => Promise<number>;
