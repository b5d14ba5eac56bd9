/**
 * `capvector inspect PATH… [--json] [--all | --limit N]`: the same summary the app's cards show.
 * JSON: one object {name, format, files, sharded, parameters, bytes, tensorBytes, metadata,
 * tensors:[{name, dtype, shape}]} when a single PATH yields a single checkpoint, else an array of them.
 * `bytes` is the size of the files on disk; `tensorBytes` the tensor data they hold.
 * Faulty inputs print `error: <file>: <fault>` on stderr (others still print) and exit 1.
 */
import { dtypeMix, parameterCount, type Checkpoint } from '../../formats/checkpoint';
import { describeError, FormatError } from '../../formats/errors';
import { openCheckpoints } from '../../formats/registry';
import { closeAll } from '../../node/file-source';
import { expandPaths } from '../../node/paths';
import { formatBytes } from '../../text/bytes';
import { one, parseArgs } from '../args';
import { UsageError, type CliIO } from '../io';

const DEFAULT_LIMIT = 20;

export function formatCount(n: number): string {
  const units: [number, string][] = [[1e12, 'T'], [1e9, 'B'], [1e6, 'M'], [1e3, 'K']];
  const u = units.find(([v]) => n >= v);
  return u ? `${n.toLocaleString('en-US')} (${(n / u[0]).toFixed(2)} ${u[1]})` : n.toLocaleString('en-US');
}

export function summaryJson(ck: Checkpoint) {
  return {
    name: ck.name,
    format: ck.format,
    files: ck.files,
    sharded: ck.sharded,
    parameters: parameterCount(ck),
    bytes: ck.fileBytes,
    tensorBytes: ck.tensors.reduce((n, t) => n + t.byteLength, 0),
    metadata: ck.metadata,
    tensors: ck.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape })),
  };
}

export function summaryText(ck: Checkpoint, limit: number): string[] {
  const s = summaryJson(ck);
  const lines = [`${ck.name}`];
  lines.push(`  format:     ${ck.format}${ck.sharded ? `, sharded (${ck.files.length} files)` : ''}`);
  const shownFiles = ck.files.slice(0, 8).join(', ') + (ck.files.length > 8 ? `, … (${ck.files.length} in all)` : '');
  lines.push(`  files:      ${shownFiles}`);
  lines.push(`  tensors:    ${ck.tensors.length.toLocaleString('en-US')}`);
  lines.push(`  parameters: ${formatCount(s.parameters)}`);
  lines.push(`  bytes:      ${formatBytes(s.bytes)} on disk, ${formatBytes(s.tensorBytes)} of tensor data`);
  const mix = Object.entries(dtypeMix(ck)).sort((a, b) => b[1]!.bytes - a[1]!.bytes);
  const pct = (b: number) => (s.tensorBytes ? ` ${((100 * b) / s.tensorBytes).toFixed(1)}%` : '');
  lines.push(`  dtypes:     ${mix.length ? mix.map(([d, m]) => `${d} ×${m!.tensors}${pct(m!.bytes)}`).join(', ') : '(none)'}`);
  const meta = Object.entries(ck.metadata);
  if (meta.length === 0) lines.push('  metadata:   (none)');
  else {
    lines.push('  metadata:');
    for (const [k, v] of meta) lines.push(`    ${k}: ${v.length > 200 ? v.slice(0, 200) + '…' : v}`);
  }
  const shown = ck.tensors.slice(0, limit);
  if (shown.length) {
    lines.push(shown.length < ck.tensors.length ? `  tensors (first ${shown.length} of ${ck.tensors.length}; --all lists every one):` : '  tensors:');
    const w = Math.min(80, Math.max(...shown.map((t) => t.name.length)));
    for (const t of shown) lines.push(`    ${t.name.padEnd(w)}  ${t.dtype.padEnd(7)} [${t.shape.join(', ')}]`);
  }
  return lines;
}

export async function run(args: string[], io: CliIO): Promise<number> {
  const p = parseArgs(args, { values: ['limit'], switches: ['json', 'all'], positional: true });
  const json = p.switches.has('json');
  const paths = p.positional;
  let limit = p.switches.has('all') ? Infinity : DEFAULT_LIMIT;
  const limitArg = one(p, 'limit');
  if (limitArg !== undefined) {
    limit = Number(limitArg);
    if (!Number.isInteger(limit) || limit < 0) throw new UsageError('--limit takes a non-negative integer');
  }
  if (paths.length === 0) throw new UsageError('inspect needs at least one PATH (a file, a folder or an index.json)');

  const checkpoints: Checkpoint[] = [];
  const errors: FormatError[] = [];
  try {
    for (const p of paths) {
      try {
        const [group] = await expandPaths([p]);
        const r = await openCheckpoints(group);
        checkpoints.push(...r.checkpoints);
        errors.push(...r.errors);
        if (group.length === 0) errors.push(new FormatError(p, 'holds no files'));
      } catch (e) {
        errors.push(e instanceof FormatError ? e : new FormatError(p, describeError(e)));
      }
    }
  } finally {
    await closeAll();
  }

  if (json) {
    const out = checkpoints.map(summaryJson);
    if (out.length) io.out(JSON.stringify(paths.length === 1 && out.length === 1 ? out[0] : out, null, 2));
  } else {
    checkpoints.forEach((ck, i) => {
      if (i) io.out('');
      for (const l of summaryText(ck, limit)) io.out(l);
    });
  }
  for (const e of errors) io.err(`error: ${e.message.split('\n')[0]}`);
  return errors.length ? 1 : 0;
}
