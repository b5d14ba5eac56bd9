/**
 * The `capvector` command: `inspect` and `stats` under ./commands, and the merge commands (`merge` and
 * the methods with a sub-command of their own) derived from the method registry. Faults in input print
 * one `error:` line and exit 1; usage faults exit 2; a stack trace only with --debug.
 */
import { UsageError, type CliIO, type Command } from './io';
import { METHOD_COMMANDS } from './method-flags';

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  inspect: { summary: 'inspect PATH… [--json]   summarize checkpoints (file, folder or index.json)', load: async () => (await import('./commands/inspect')).run },
  ...Object.fromEntries(METHOD_COMMANDS.map((c) => [c.name, { summary: c.usage, load: async () => (await import('./commands/merge')).methodCommand(c) }])),
  cache: { summary: 'cache clear | cache path   forget the cached input hashes, or show where they are', load: async () => (await import('./commands/cache')).run },
  stats: { summary: 'stats --pre P --aux A --sft S [--down D] [--by tensor [--spectral]] [--json]', load: async () => (await import('./commands/stats')).run },
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
    const run = await cmd.load();
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
