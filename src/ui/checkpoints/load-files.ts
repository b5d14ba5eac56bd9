import { blobSource, baseName } from '../../formats/byte-source';
import type { Checkpoint } from '../../formats/checkpoint';
import { describeError, FormatError } from '../../formats/errors';
import { openCheckpoints } from '../../formats/registry';
import { useWorkbench, type InputFile, type LoadedCheckpoint } from '../../store/workbench';
import { autoAssignRoles } from './roles';
import { useLoadStatus } from './load-status';

/** The user's files that make up one checkpoint (the index and its shards, model.json and its bins). */
function inputsFor(ck: Checkpoint, inputs: InputFile[]): InputFile[] {
  const byPath = new Map(inputs.map((f) => [f.path, f] as const));
  const picked: InputFile[] = [];
  for (const name of ck.files) {
    const f = byPath.get(name) ?? inputs.find((i) => i.path.endsWith('/' + name) || baseName(i.path) === baseName(name));
    if (f && !picked.includes(f)) picked.push(f);
  }
  return picked.length ? picked : inputs;
}

function errorFile(e: unknown, fallback: string): { file: string; message: string } {
  if (e instanceof FormatError) return { file: e.file, message: e.message };
  const message = describeError(e);
  const m = /^([^:\n]+\.[A-Za-z0-9]+): /.exec(message);
  return { file: m ? m[1] : fallback, message };
}

/**
 * Opens dropped or picked files: groups them into checkpoints, adds each one to the store and
 * each fault as an alert naming its file. One bad file never stops the others from loading.
 * Returns the ids of the checkpoints added.
 */
export async function loadInputs(inputs: InputFile[], origin: LoadedCheckpoint['origin'] = 'user'): Promise<string[]> {
  if (!inputs.length) return [];
  const status = useLoadStatus.getState();
  const store = useWorkbench.getState();
  status.set(`Reading headers of ${inputs.length} file${inputs.length > 1 ? 's' : ''}…`);
  const ids: string[] = [];
  try {
    const { checkpoints, errors } = await openCheckpoints(inputs.map((f) => blobSource(f.blob, f.path)));
    for (const ck of checkpoints) {
      ids.push(store.addCheckpoint({ checkpoint: ck, inputs: inputsFor(ck, inputs), origin }));
    }
    for (const e of errors) {
      const { file, message } = errorFile(e, inputs[0].path);
      store.addError(file, message);
    }
  } catch (e) {
    const { file, message } = errorFile(e, inputs.map((f) => f.path).join(', '));
    store.addError(file, message);
  } finally {
    status.set(null);
  }
  // The demo assigns its roles from its manifest; guessing first could give one checkpoint two roles.
  if (origin !== 'demo') autoAssignRoles();
  return ids;
}
