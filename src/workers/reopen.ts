import { blobSource } from '../formats/byte-source';
import type { Checkpoint } from '../formats/checkpoint';
import { FormatError } from '../formats/errors';
import { openCheckpoints } from '../formats/registry';

/**
 * Reopens a checkpoint inside a Worker from the user's files (Blobs cross postMessage; parsed
 * readers do not). Header parsing is cheap, so the Worker simply parses again.
 */
export async function reopenCheckpoint(inputs: { path: string; blob: Blob }[]): Promise<Checkpoint> {
  const { checkpoints, errors } = await openCheckpoints(inputs.map((f) => blobSource(f.blob, f.path)));
  if (errors.length) throw errors[0];
  if (checkpoints.length !== 1) {
    throw new FormatError(inputs[0]?.path ?? '(no file)', `expected one checkpoint, found ${checkpoints.length}`);
  }
  return checkpoints[0];
}
