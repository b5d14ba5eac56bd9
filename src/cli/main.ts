/**
 * The `capvector` command: one file per sub-command under ./commands, each exporting
 * `run(args, io)`. Faults in input print one `error:` line and exit 1; usage faults exit 2;
 * a stack trace only with --debug.
 */
export class UsageError extends Error {}

export interface CliIO {
  out(line: string): void;
  err(line: string): void;
}

export type Command = (args: string[], io: CliIO) => Promise<number>;

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run: Command }> }> = {
  inspect: { summary: 'inspect PATH… [--json]   summarize checkpoints (file, folder or index.json)', load: () => import('./commands/inspect') },
  merge: { summary: 'merge --pre P --aux A --sft S [--alpha 0.8] [--method …] [--out FILE|DIR] [--dtype keep|f32|f16|bf16]', load: () => import('./commands/merge') },
  extract: { summary: 'extract --aux A --sft S --out vector.safetensors', load: () => import('./commands/extract') },
  apply: { summary: 'apply --pre P --vector V --alpha 0.8 --out FILE', load: () => import('./commands/apply') },
  stats: { summary: 'stats --pre P --aux A --sft S [--json]', load: () => import('./commands/stats') },
};

function usage(): string {
  return ['usage: capvector <command> [options]', '', ...Object.values(COMMANDS).map((c) => `  capvector ${c.summary}`)].join('\n');
}

export async function main(argv: string[], io: CliIO = { out: (l) => process.stdout.write(l + '\n'), err: (l) => process.stderr.write(l + '\n') }): Promise<number> {
  const debug = argv.includes('--debug');
  const args = argv.filter((a) => a !== '--debug');
  const name = args[0];
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    (name ? io.out : io.err)(usage());
    return name ? 0 : 2;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    io.err(`error: unknown command '${name}'`);
    io.err(usage());
    return 2;
  }
  try {
    const { run } = await cmd.load();
    return await run(args.slice(1), io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`error: ${e.message}`);
      io.err(`usage: capvector ${cmd.summary}`);
      return 2;
    }
    const msg = e instanceof Error ? e.message : String(e);
    io.err(`error: ${msg.split('\n')[0]}`);
    if (debug && e instanceof Error && e.stack) io.err(e.stack);
    return 1;
  }
}
