/**
 * Every fixture file through the app's own reader selection (fixtures.manifest.ts has the rows): once
 * as the UI opens dropped files (openCheckpoints on in-memory files named as dropped) and once as the
 * CLI opens a PATH (openPath on Node file handles). Both must give the row's checkpoint, values equal
 * to the golden ones, or the row's error word for word.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bytesSource } from '../../../src/formats/byte-source';
import type { Checkpoint } from '../../../src/formats/checkpoint';
import { FormatError } from '../../../src/formats/errors';
import { openCheckpoints } from '../../../src/formats/registry';
import { closeAll } from '../../../src/node/file-source';
import { openPath } from '../../../src/node/paths';
import { GENERATORS, MANIFEST, type FixtureRow, type OpensRow } from './fixtures.manifest';
import { checkDecoded, checkLike, checkSafetensorsGolden, checkTorchGolden, FIXTURES } from './golden-checks';

/** Files below `dir`, relative to it, '/'-separated, shard 2 before shard 10. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => f.split('\\').join('/'))
    .filter((f) => statSync(join(dir, f)).isFile())
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/** A row's files as [name as opened, absolute path]: 'folder/file' for a folder, the file name alone otherwise. */
function rowFiles(row: FixtureRow): [string, string][] {
  const abs = join(FIXTURES, row.path);
  if (!statSync(abs).isDirectory()) return [[basename(abs), abs]];
  return filesUnder(abs).map((rel) => [`${basename(abs)}/${rel}`, join(abs, rel)]);
}

type Outcome = { checkpoint: Checkpoint } | { error: string };

async function asDropped(row: FixtureRow): Promise<Outcome> {
  const files = rowFiles(row).map(([name, abs]) => bytesSource(name, new Uint8Array(readFileSync(abs))));
  const { checkpoints, errors } = await openCheckpoints(files);
  expect(checkpoints.length + errors.length, 'one checkpoint or one error').toBe(1);
  return errors.length ? { error: errors[0].message } : { checkpoint: checkpoints[0] };
}

async function asCliPath(row: FixtureRow): Promise<Outcome> {
  try {
    return { checkpoint: await openPath(join(FIXTURES, row.path)) };
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
    return { error: (e as Error).message };
  }
}

const BYTES: Record<string, number> = { F64: 8, I64: 8, U64: 8, F32: 4, I32: 4, U32: 4, F16: 2, BF16: 2, I16: 2, U16: 2, I8: 1, U8: 1, BOOL: 1, F8_E4M3: 1, F8_E5M2: 1 };

async function checkOpened(row: OpensRow, ck: Checkpoint): Promise<void> {
  const files = rowFiles(row);
  expect(ck.format).toBe(row.format);
  expect(ck.name).toBe(row.name ?? basename(row.path));
  expect(ck.sharded).toBe(row.sharded ?? false);
  expect(ck.files).toEqual(row.files ?? files.map(([name]) => name));
  expect(ck.fileBytes).toBe(files.reduce((n, [, abs]) => n + statSync(abs).size, 0));
  if (typeof row.tensors === 'number') expect(ck.tensors.length).toBe(row.tensors);
  else if (row.tensors) expect(ck.tensors.map((t) => t.name)).toEqual(row.tensors);
  if (row.metadata) expect(ck.metadata).toEqual(row.metadata);
  if (row.metadataIncludes) expect(ck.metadata).toMatchObject(row.metadataIncludes);
  for (const t of ck.tensors) {
    expect(t.byteLength, t.name).toBe(t.shape.reduce((a, b) => a * b, 1) * BYTES[t.dtype]);
    expect((await t.read()).byteLength, t.name).toBe(t.byteLength);
  }
  const g = row.golden;
  // A LoRA adapter adds its config to the file's metadata (its rows list what it must include).
  if (g === 'decoded') await checkDecoded(ck, files.map(([, abs]) => abs).filter((f) => f.endsWith('.safetensors')), !row.metadataIncludes);
  else if ('like' in g) await checkLike(ck, g.like, g.prefix);
  else if ('safetensors' in g) await checkSafetensorsGolden(ck, g.safetensors);
  else await checkTorchGolden(ck, g.torch);
}

async function check(row: FixtureRow, outcome: Outcome): Promise<void> {
  if ('error' in row) {
    expect(outcome).toEqual({ error: row.error });
    return;
  }
  expect('error' in outcome ? outcome.error : null, 'opens').toBeNull();
  await checkOpened(row, (outcome as { checkpoint: Checkpoint }).checkpoint);
}

describe('the fixture manifest', () => {
  it('has one row for every file under tests/fixtures (a folder row covers its files); generator scripts aside', () => {
    const covered = MANIFEST.flatMap((row) => rowFiles(row).map(([, abs]) => abs.slice(FIXTURES.length + 1).split('\\').join('/')));
    expect(new Set(covered).size, 'no file in two rows').toBe(covered.length);
    const files = filesUnder(FIXTURES).filter((f) => !GENERATORS.test(f));
    expect([...covered].sort()).toEqual([...files].sort());
  });
});

describe('every fixture file, opened through the registry', () => {
  afterAll(closeAll);
  for (const row of MANIFEST) {
    it(`${row.path}: dropped in the UI`, async () => check(row, await asDropped(row)));
    it(`${row.path}: a CLI path`, async () => check(row, await asCliPath(row)));
  }

  it('the rows open tensors of every dtype torch 1.13 writes plus both float8 kinds, and no hostile pickle ran', async () => {
    const seen = new Set<string>();
    for (const row of MANIFEST) {
      const outcome = await asDropped(row);
      if ('checkpoint' in outcome) for (const t of outcome.checkpoint.tensors) seen.add(t.dtype);
    }
    expect([...seen].sort()).toEqual(expect.arrayContaining(['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL', 'F8_E4M3', 'F8_E5M2']));
    expect(existsSync('/tmp/capvector-pwned')).toBe(false);
  });
});
