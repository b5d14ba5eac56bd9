import type { InputFile } from '../../store/workbench';

/**
 * Turns a drop or a picker selection into files with their relative paths, so a dropped folder
 * ('aux/model-00001-of-00002.safetensors', 'aux/model.safetensors.index.json') keeps its layout
 * and the sharded index can find its shards.
 */

type Entry = FileSystemEntry;

function isFile(e: Entry): e is FileSystemFileEntry {
  return e.isFile;
}
function isDir(e: Entry): e is FileSystemDirectoryEntry {
  return e.isDirectory;
}

function fileOf(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

/** readEntries returns at most ~100 entries per call: keep reading until it returns none. */
async function readAll(dir: FileSystemDirectoryEntry): Promise<Entry[]> {
  const reader = dir.createReader();
  const out: Entry[] = [];
  for (;;) {
    const batch = await new Promise<Entry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) return out;
    out.push(...batch);
  }
}

async function walk(entry: Entry, out: InputFile[]): Promise<void> {
  if (isFile(entry)) {
    const file = await fileOf(entry);
    out.push({ path: entry.fullPath.replace(/^\/+/, '') || file.name, blob: file });
  } else if (isDir(entry)) {
    for (const child of await readAll(entry)) await walk(child, out);
  }
}

/**
 * Files of a drop. Entries must be taken synchronously inside the drop event (the DataTransfer is
 * emptied once the handler returns), so call this before any await.
 */
export function collectDropped(dt: DataTransfer): Promise<InputFile[]> {
  const entries: (Entry | null)[] = [];
  const plain: File[] = [];
  for (const item of Array.from(dt.items ?? [])) {
    if (item.kind !== 'file') continue;
    const entry = typeof item.webkitGetAsEntry === 'function' ? item.webkitGetAsEntry() : null;
    if (entry) entries.push(entry);
    else {
      const f = item.getAsFile();
      if (f) plain.push(f);
    }
  }
  if (!entries.length && !plain.length) plain.push(...Array.from(dt.files ?? []));
  return (async () => {
    const out: InputFile[] = plain.map((f) => ({ path: f.webkitRelativePath || f.name, blob: f }));
    for (const e of entries) if (e) await walk(e, out);
    return out;
  })();
}

/** Files from an <input type=file> (webkitRelativePath is set when a folder was picked). */
export function collectPicked(list: FileList | null): InputFile[] {
  return Array.from(list ?? []).map((f) => ({ path: f.webkitRelativePath || f.name, blob: f }));
}
