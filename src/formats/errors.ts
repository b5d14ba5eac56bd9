/**
 * Every fault in user input becomes a FormatError whose message starts with the file name,
 * so the UI and the CLI can show one clear line ("model.safetensors: header length ... exceeds ...").
 */
export class FormatError extends Error {
  readonly file: string;
  readonly fault: string;
  constructor(file: string, fault: string) {
    super(`${file}: ${fault}`);
    this.name = 'FormatError';
    this.file = file;
    this.fault = fault;
  }
}

/** Raises a FormatError unless `cond` holds. */
export function ensure(cond: unknown, file: string, fault: string): asserts cond {
  if (!cond) throw new FormatError(file, fault);
}

/** Turns anything thrown into a one-line message for the user. */
export function describeError(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
