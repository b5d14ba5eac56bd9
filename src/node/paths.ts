/**
 * CLI paths to byte sources. A PATH is a file, a folder (all its files), or an index.json / tfjs
 * model.json (plus the files it names). Names are relative to the folder's parent
 * ("openvla/model-00001-of-00003.safetensors"), the same shape a folder dropped in the browser has,
 * so the shared grouping in formats/registry sees the same thing in both places.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { ByteSource } from '../formats/byte-source';
import type { Checkpoint } from '../formats/checkpoint';
import { distinctNames, isGenericFileName } from '../formats/display-name';
import { FormatError } from '../formats/errors';
import { HEAD_BYTES, joinPath, openCheckpoints, readerForSource } from '../formats/registry';
import { naturalCompare } from '../formats/sharded';
import { fileSource } from './file-source';

async function walk(dir: string, rel: string, out: { path: string; name: string }[]): Promise<void> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => naturalCompare(a.name, b.name));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue; // .git, .cache, editor files
    const p = join(dir, e.name);
    const r = `${rel}/${e.name}`;
    if (e.isDirectory()) await walk(p, r, out);
    else if (e.isFile()) out.push({ path: p, name: r });
    else if (e.isSymbolicLink()) {
      const s = await stat(p).catch(() => null);
      if (s?.isFile()) out.push({ path: p, name: r });
    }
  }
}

async function expandOne(path: string): Promise<ByteSource[]> {
  const abs = resolve(path);
  const s = await stat(abs).catch(() => null);
  if (!s) throw new FormatError(path, 'no such file or folder');
  if (s.isDirectory()) {
    const files: { path: string; name: string }[] = [];
    await walk(abs, basename(abs), files);
    return Promise.all(files.map((f) => fileSource(f.path, f.name)));
  }
  if (!s.isFile()) throw new FormatError(path, 'not a regular file or folder');
  // A generically named file (pytorch_model.bin, model.safetensors) is known by its folder, as in a dropped folder.
  const plain = await fileSource(abs, isGenericFileName(abs) && basename(dirname(abs)) ? `${basename(dirname(abs))}/${basename(abs)}` : basename(abs));
  const head = await plain.read(0, Math.min(HEAD_BYTES, plain.size));
  const reader = await readerForSource(plain, head);
  if (!reader?.members) return [plain];
  // A multi-file format named by its index: bring along the files it lists, named under its folder.
  const folder = basename(dirname(abs));
  const self = await fileSource(abs, `${folder}/${basename(abs)}`);
  const out: ByteSource[] = [self];
  let members: string[] = [];
  try {
    members = await reader.members(self);
  } catch {
    // The reader's open reports a broken index with its own message.
  }
  for (const m of members) {
    const name = joinPath(folder, m);
    const p = resolve(dirname(abs), m);
    const ms = await stat(p).catch(() => null);
    if (ms?.isFile() && !out.some((o) => o.name === name)) out.push(await fileSource(p, name));
  }
  return out;
}

/** One group of sources per PATH, in the order given. */
export async function expandPaths(paths: string[]): Promise<ByteSource[][]> {
  const groups: ByteSource[][] = [];
  for (const p of paths) groups.push(await expandOne(p));
  return groups;
}

/** Opens PATH as exactly one checkpoint (for merge/stats/extract/apply), or throws a clear FormatError. */
export async function openPath(path: string): Promise<Checkpoint> {
  const [group] = await expandPaths([path]);
  const { checkpoints, errors } = await openCheckpoints(group);
  if (errors.length) throw errors[0];
  if (checkpoints.length === 0) throw new FormatError(path, 'holds no checkpoint files');
  if (checkpoints.length > 1) {
    const names = checkpoints.slice(0, 4).map((c) => c.name).join(', ');
    throw new FormatError(path, `holds ${checkpoints.length} checkpoints (${names}${checkpoints.length > 4 ? ', …' : ''}); name one file, folder or index.json`);
  }
  return checkpoints[0];
}

/**
 * Opens each PATH as one checkpoint (openPath) and makes their display names distinct, telling
 * same-named checkpoints apart by the folders above them (`run1/ckpt`, `run2/ckpt`).
 */
export async function openPaths(paths: string[]): Promise<Checkpoint[]> {
  const cks: Checkpoint[] = [];
  for (const p of paths) cks.push(await openPath(p));
  const where = await Promise.all(paths.map(async (p) => ((await stat(resolve(p)).catch(() => null))?.isDirectory() ? `${resolve(p)}/` : resolve(p))));
  const names = distinctNames(cks.map((c, i) => ({ name: c.name, where: where[i] })));
  return cks.map((c, i) => (names[i] === c.name ? c : { ...c, name: names[i] }));
}
