#!/usr/bin/env node
// The `capvector` command. It runs a bundle of src/cli (esbuild, made here on first use and again
// whenever a file under src/ is newer, in node_modules/.cache/capvector-cli/): starting a bundle takes
// a fraction of what compiling the TypeScript through tsx at every start does, which matters for a
// command that is often timed. No separate build step: without esbuild, or with CAPVECTOR_FROM_SOURCE
// set, the sources run through tsx as they are.
import { mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// `capvector inspect … | head` closes the pipe early: that is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cache = join(root, 'node_modules/.cache/capvector-cli');

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

async function bundle() {
  if (process.env.CAPVECTOR_FROM_SOURCE) return null;
  const main = join(cache, 'main.mjs');
  try {
    const made = statSync(main).mtimeMs;
    if (made >= Math.max(newest(join(root, 'src')), statSync(fileURLToPath(import.meta.url)).mtimeMs)) return main;
  } catch {
    // not made yet
  }
  try {
    const esbuild = await import('esbuild');
    // Built under unique names, then renamed into place (the worker first: main.mjs means complete),
    // so two commands starting at once never run half a bundle.
    const tmp = join(cache, `tmp-${process.pid}`);
    mkdirSync(tmp, { recursive: true });
    await esbuild.build({
      entryPoints: { main: join(root, 'src/cli/main.ts'), 'cpu-pool-worker': join(root, 'src/node/cpu-pool-worker.ts'), 'spectral-pool-worker': join(root, 'src/node/spectral-pool-worker.ts') },
      outdir: tmp, outExtension: { '.js': '.mjs' }, bundle: true, platform: 'node', format: 'esm', target: 'node20',
      packages: 'external', logLevel: 'silent', legalComments: 'none',
    });
    renameSync(join(tmp, 'cpu-pool-worker.mjs'), join(cache, 'cpu-pool-worker.mjs'));
    renameSync(join(tmp, 'spectral-pool-worker.mjs'), join(cache, 'spectral-pool-worker.mjs'));
    renameSync(join(tmp, 'main.mjs'), main);
    rmSync(tmp, { recursive: true, force: true });
    return main;
  } catch {
    return null;
  }
}

const built = await bundle();
let main;
if (built) ({ main } = await import(pathToFileURL(built).href));
else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
