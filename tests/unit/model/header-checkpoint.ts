import type { Checkpoint } from '../../../src/formats/checkpoint';

/** A header-only checkpoint with these names (shape [2], F32): what the alignment tests line up. */
export function headerCheckpoint(names: string[]): Checkpoint {
  return {
    name: 'x', format: 'safetensors', files: ['x'], sharded: false, metadata: {}, fileBytes: 0,
    tensors: names.map((name) => ({ name, dtype: 'F32', shape: [2], byteLength: 8, file: 'x', read: async () => new Uint8Array(8) })),
  };
}
