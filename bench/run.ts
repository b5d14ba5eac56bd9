/**
 * `npm run bench`: runs every bench/*.bench.ts in turn (or those named on the command line) and
 * writes their reports to bench/results/. Each bench exports `run(): Promise<string>` returning markdown.
 */
import { readdirSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const all = readdirSync(here).filter((f) => f.endsWith('.bench.ts'));
// `npm run bench -- merge` runs merge.bench.ts only; a name that is no bench's runs every bench containing it.
const picks = (o: string) => (all.includes(`${o}.bench.ts`) ? [`${o}.bench.ts`] : all.filter((f) => f.includes(o)));
const files = (only.length === 0 ? all : [...new Set(only.flatMap(picks))]).sort();
mkdirSync(join(here, 'results'), { recursive: true });
const machine = `${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
console.log(`# CapVector benchmarks\nmachine: ${machine}\n`);
for (const f of files) {
  const mod = await import(join(here, f));
  const started = Date.now();
  const report: string = await mod.run();
  const text = `# ${f}\nmachine: ${machine}\ndate: ${new Date().toISOString()}\n\n${report}\n`;
  writeFileSync(join(here, 'results', f.replace('.bench.ts', '.md')), text);
  console.log(text);
  console.log(`(${f} took ${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
}
