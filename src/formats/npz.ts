import { baseName } from './byte-source';
import type { TensorEntry } from './checkpoint';
import { ensure } from './errors';
import { npyTensor } from './npy';
import { defineReader } from './reader';
import { isZipHead, openZip } from './zip';

/**
 * NumPy `.npz`: a zip of `.npy` members (np.savez stores them, np.savez_compressed deflates them).
 * Tensor names are the member names without `.npy`. Deflated members inflate on read, streaming.
 */
export const npzReader = defineReader({
  id: 'npz',
  format: 'numpy',
  label: 'NumPy',
  extensions: ['.npz'],
  match(name, head) {
    return /\.npz$/i.test(name) && (head.length === 0 || isZipHead(head));
  },
  async open(source) {
    const zip = await openZip(source);
    const tensors: TensorEntry[] = [];
    let compressed = 0;
    for (const e of zip.entries) {
      if (e.name.endsWith('/') || !/\.npy$/i.test(e.name)) continue;
      if (e.method !== 0) compressed++;
      const member = await zip.open(e);
      tensors.push(await npyTensor(member, e.name.replace(/\.npy$/i, '')));
      // Drop the inflater that read the header; the tensor's own reads start a new one when asked.
      member.close?.();
    }
    ensure(tensors.length > 0 || zip.entries.length === 0, source.name, 'npz archive holds no .npy members');
    return {
      name: baseName(source.name),
      format: 'numpy',
      files: [source.name],
      sharded: false,
      tensors,
      metadata: { format: '.npz', members: String(tensors.length), compressed_members: String(compressed) },
      fileBytes: source.size,
    };
  },
});
