/**
 * The merge Worker's hashFiles with the input-hash cache in front (src/merge/hash-cache.ts): a File is
 * known by its relative path (or name), size and lastModified; a plain Blob has no modification time
 * and is always hashed. Pure apart from what it is given, so unit tests pass a memory cache and a fake
 * hasher.
 */
import { hashWithCache, type FileStamp, type HashCache } from '../merge/hash-cache';
import type { RunOptions } from '../merge/types';

type HashBlobs = (blobs: Blob[], names: string[], onBytes: (n: number) => void, signal?: AbortSignal) => Promise<string[]>;

/** A File's identity; null for a Blob that is not a File. */
export function blobStamp(name: string, blob: Blob): FileStamp | null {
  if (typeof File === 'undefined' || !(blob instanceof File)) return null;
  return { key: name, size: blob.size, version: String(blob.lastModified) };
}

/** hashFiles for runMerge: the input's Blob from `blobOf`, hashed by `hashBlobs`; through `cache` unless it is null. */
export function cachedHashFiles(blobOf: (source: object) => Blob, hashBlobs: HashBlobs, cache: HashCache | null): NonNullable<RunOptions['hashFiles']> {
  type Files = Parameters<NonNullable<RunOptions['hashFiles']>>[0];
  const hash = (list: Files, onBytes: (n: number) => void, signal?: AbortSignal) =>
    hashBlobs(list.map((f) => blobOf(f.source)), list.map((f) => f.name), onBytes, signal);
  if (!cache) return hash;
  return (list, onBytes, signal) =>
    hashWithCache(list, { cache, stampOf: (f) => Promise.resolve(blobStamp(f.name, blobOf(f.source))), hash, sizeOf: (f) => f.source.size }, onBytes, signal);
}
