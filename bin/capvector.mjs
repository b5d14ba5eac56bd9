#!/usr/bin/env node
// Runs the TypeScript CLI straight from source (no build step after npm install).
import { register } from 'tsx/esm/api';

// `capvector inspect … | head` closes the pipe early: that is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}
register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
