/** Loads fixture files as in-memory ByteSources named like a dropped folder ("folder/file"). */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesSource, type ByteSource } from '../../../src/formats/byte-source';

export const ST_DIR = join(__dirname, '../../fixtures/safetensors');

export function fixtureFolder(folder: string, prefix = folder): ByteSource[] {
  return readdirSync(join(ST_DIR, folder)).sort().map((f) => bytesSource(`${prefix}/${f}`, new Uint8Array(readFileSync(join(ST_DIR, folder, f)))));
}

export function fixtureFile(file: string, name = file): ByteSource {
  return bytesSource(name, new Uint8Array(readFileSync(join(ST_DIR, file))));
}

export function siblingsOf(files: ByteSource[], dir: string) {
  return (rel: string) => files.find((f) => f.name === `${dir}/${rel}`);
}

export const textSource = (name: string, text: string) => bytesSource(name, new TextEncoder().encode(text));
