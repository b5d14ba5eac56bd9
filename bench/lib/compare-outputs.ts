/**
 * Node-side check of a merge output against a reference output (the CLI's): same tensor names in the
 * same order, same dtype and shape, and byte-identical tensor data. The headers' __metadata__ differ
 * (tool name, input hashes), so the files are compared tensor by tensor, not byte for byte.
 */
import { openPath } from '../../src/node/paths';

export interface OutputsCompared {
  tensors: number;
  bytes: number;
  identicalBytes: number;
  sameNamesInOrder: boolean;
  /** The SHA-256 of every input in both outputs' metadata, by role and file name (the CLI names paths). */
  sameInputHashes: boolean;
  faults: string[];
}

const inputHashes = (metadata: Record<string, string>) =>
  (JSON.parse(metadata['capvector.inputs'] ?? '[]') as { role: string; name: string; sha256: string }[])
    .map((h) => `${h.role} ${h.name.split('/').pop()} ${h.sha256}`).sort();

export async function compareOutputs(path: string, reference: string): Promise<OutputsCompared> {
  const [a, b] = [await openPath(path), await openPath(reference)];
  const ref = new Map(b.tensors.map((t) => [t.name, t]));
  const r: OutputsCompared = { tensors: a.tensors.length, bytes: 0, identicalBytes: 0, faults: [],
    sameInputHashes: false,
    sameNamesInOrder: a.tensors.map((t) => t.name).join('\n') === b.tensors.map((t) => t.name).join('\n') };
  const [ha, hb] = [inputHashes(a.metadata), inputHashes(b.metadata)];
  r.sameInputHashes = ha.length > 0 && ha.join('\n') === hb.join('\n');
  if (!r.sameInputHashes) r.faults.push(`input hashes: ${ha.filter((x) => !hb.includes(x)).join('; ') || 'none'} vs the CLI's ${hb.filter((x) => !ha.includes(x)).join('; ')}`);
  for (const t of a.tensors) {
    const u = ref.get(t.name);
    if (!u || u.dtype !== t.dtype || u.shape.join(',') !== t.shape.join(',')) {
      r.faults.push(`${t.name}: ${u ? `${t.dtype}[${t.shape}] vs ${u.dtype}[${u.shape}]` : 'not in the reference'}`);
      continue;
    }
    const [x, y] = [await t.read(), await u.read()];
    r.bytes += x.length;
    let same = 0;
    for (let i = 0; i < x.length; i++) if (x[i] === y[i]) same++;
    r.identicalBytes += same;
    if (same !== x.length && r.faults.length < 6) r.faults.push(`${t.name}: ${x.length - same} bytes differ`);
  }
  return r;
}
