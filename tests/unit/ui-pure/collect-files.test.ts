import { describe, expect, it } from 'vitest';
import { collectDropped, collectPicked } from '../../../src/ui/checkpoints/collect-files';

// Minimal stand-ins for the browser's FileSystemEntry API (Node has Blob/File but no entries).
function fileEntry(fullPath: string, bytes = 1) {
  const name = fullPath.split('/').pop()!;
  return { isFile: true, isDirectory: false, fullPath, name, file: (ok: (f: File) => void) => ok(new File([new Uint8Array(bytes)], name)) };
}
function dirEntry(fullPath: string, children: unknown[]) {
  return {
    isFile: false,
    isDirectory: true,
    fullPath,
    createReader() {
      // Real readers hand out entries in batches (about 100 in Chrome) and then an empty batch.
      const batches = [children.slice(0, 2), children.slice(2), []];
      return { readEntries: (ok: (e: unknown[]) => void) => ok(batches.shift() ?? []) };
    },
  };
}
function transfer(items: { entry?: unknown; file?: File }[]) {
  return {
    items: items.map((it) => ({ kind: 'file', webkitGetAsEntry: () => it.entry ?? null, getAsFile: () => it.file ?? null })),
    files: [],
  } as unknown as DataTransfer;
}

describe('collecting dropped files', () => {
  it('walks folders recursively, reading every batch, keeping relative paths', async () => {
    const folder = dirEntry('/openvla', [
      fileEntry('/openvla/model.safetensors.index.json'),
      fileEntry('/openvla/model-00001-of-00003.safetensors'),
      fileEntry('/openvla/model-00002-of-00003.safetensors'),
      dirEntry('/openvla/sub', [fileEntry('/openvla/sub/model-00003-of-00003.safetensors', 5)]),
    ]);
    const got = await collectDropped(transfer([{ entry: folder }, { entry: fileEntry('/loose.pt') }]));
    expect(got.map((f) => f.path)).toEqual([
      'openvla/model.safetensors.index.json',
      'openvla/model-00001-of-00003.safetensors',
      'openvla/model-00002-of-00003.safetensors',
      'openvla/sub/model-00003-of-00003.safetensors',
      'loose.pt',
    ]);
    expect(got[3].blob.size).toBe(5);
  });

  it('falls back to getAsFile when there is no entry (script-made drops), keeping webkitRelativePath', async () => {
    const f = new File([new Uint8Array(3)], 'x.safetensors');
    Object.defineProperty(f, 'webkitRelativePath', { value: 'dir/x.safetensors' });
    const got = await collectDropped(transfer([{ file: f }, { file: new File([], 'y.npy') }]));
    expect(got.map((g) => g.path)).toEqual(['dir/x.safetensors', 'y.npy']);
  });

  it('takes picked files with their folder paths', () => {
    const f = new File([], 'a.bin');
    Object.defineProperty(f, 'webkitRelativePath', { value: 'ckpt/a.bin' });
    expect(collectPicked([f, new File([], 'b.bin')] as unknown as FileList).map((x) => x.path)).toEqual(['ckpt/a.bin', 'b.bin']);
    expect(collectPicked(null)).toEqual([]);
  });
});
