/**
 * Page-side code for bench/browser-merge.bench.ts, kept as source text: tsx compiles a function
 * argument of page.evaluate with helpers (__name) that the page does not have.
 */

/** Attaches an invisible <input type=file multiple> with this id, for setInputFiles of reference files. */
export const addRefInput = (id: string) => `(() => {
  const el = document.createElement('input');
  el.type = 'file';
  el.multiple = true;
  el.id = ${JSON.stringify(id)};
  el.hidden = true;
  document.body.appendChild(el);
})()`;

/**
 * A stand-in for the native save picker (headless Chromium cannot show one): hands out a real
 * FileSystemFileHandle from the origin-private file system, folder `capvector-bench-picked`, which the
 * app writes through createWritable() exactly as it writes a file on disk.
 */
export const PICKED_DIR = 'capvector-bench-picked';
export const pickerHook = `(() => {
  const dir = async () => (await navigator.storage.getDirectory()).getDirectoryHandle('${PICKED_DIR}', { create: true });
  window.showSaveFilePicker = async (o) => (await dir()).getFileHandle(o.suggestedName, { create: true });
  window.showDirectoryPicker = async () => dir();
})()`;

export const clearPicked = `(async () => {
  await (await navigator.storage.getDirectory()).removeEntry('${PICKED_DIR}', { recursive: true }).catch(() => undefined);
})()`;

/** The merge's performance marks ('capvector-merge:<step>', src/workers/merge-client.ts) in epoch ms. */
export const mergeMarks = `(() => Object.fromEntries(performance.getEntriesByType('mark')
  .filter((m) => m.name.startsWith('capvector-merge:'))
  .map((m) => [m.name.slice('capvector-merge:'.length), performance.timeOrigin + m.startTime])))()`;

export const clearMarks = `performance.clearMarks()`;

/**
 * The browser's own read floor: every byte of the files in input element \`id\` read once, in a Worker,
 * through Blob.slice().arrayBuffer() as the merge Worker reads (16 MiB at a time, every file side by side).
 */
export const readAllInWorker = (id: string) => `new Promise((resolve, reject) => {
  const src = 'onmessage = async (e) => { let n = 0; await Promise.all(e.data.map(async (f) => { for (let o = 0; o < f.size; o += 16 << 20) { const b = await f.slice(o, Math.min(f.size, o + (16 << 20))).arrayBuffer(); n += b.byteLength; } })); postMessage(n); };';
  const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
  w.onmessage = (e) => { w.terminate(); resolve(e.data); };
  w.onerror = (e) => reject(new Error(e.message));
  w.postMessage(Array.from(document.getElementById(${JSON.stringify(id)}).files));
})`;

/**
 * Chromium's write floors: \`bytes\` of output written in a Worker, 16 MiB at a time, into a new file of
 * the origin-private file system, through a FileSystemSyncAccessHandle (how the app writes before a
 * download) or through createWritable() (how it writes a picked file); then the file is removed.
 */
export const writeInWorker = (how: 'sync' | 'writable', bytes: number) => `new Promise((resolve, reject) => {
  const src = 'onmessage = async (e) => { const [how, total] = e.data; const root = await navigator.storage.getDirectory();' +
    'const h = await root.getFileHandle("capvector-bench-write-floor", { create: true }); const buf = new Uint8Array(16 << 20).fill(7);' +
    'if (how === "sync") { const a = await h.createSyncAccessHandle(); a.truncate(0); for (let o = 0; o < total; o += buf.length) a.write(buf.subarray(0, Math.min(buf.length, total - o)), { at: o }); a.flush(); a.close(); }' +
    'else { const w = await h.createWritable(); for (let o = 0; o < total; o += buf.length) await w.write(buf.subarray(0, Math.min(buf.length, total - o))); await w.close(); }' +
    'await root.removeEntry("capvector-bench-write-floor"); postMessage(total); };';
  const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
  w.onmessage = (e) => { w.terminate(); resolve(e.data); };
  w.onerror = (e) => reject(new Error(e.message));
  w.postMessage([${JSON.stringify(how)}, ${bytes}]);
})`;

/** Names of the merge run folders in the origin-private file system. */
export const listRuns = `(async () => {
  const root = await navigator.storage.getDirectory();
  let dir;
  try { dir = await root.getDirectoryHandle('capvector-merges'); } catch { return []; }
  const out = [];
  for await (const k of dir.keys()) out.push(k);
  return out.sort();
})()`;

export const removeRun = (name: string) => `(async () => {
  const root = await navigator.storage.getDirectory();
  const dir = await root.getDirectoryHandle('capvector-merges');
  await dir.removeEntry(${JSON.stringify(name)}, { recursive: true });
})()`;

export interface CompareArgs {
  /** The OPFS folder holding the browser's output, as a path of names from the root. */
  dir: string[];
  /** Input element ids holding the CLI's output files and θ_pre's files. */
  cliInput: string;
  preInput: string;
  /** Tensors whose names lack this substring were copied from θ_pre (include filter); null = all merged. */
  include: string | null;
}

export interface CompareResult {
  outFiles: { name: string; bytes: number }[];
  outTensors: number;
  refTensors: number;
  sameNamesInOrder: boolean;
  vsCli: number;
  vsPre: number;
  elements: number;
  identical: number;
  within1Ulp: number;
  worstUlp: number;
  /** First few tensors that differ (name: differing elements), and structural faults. */
  faults: string[];
}

/**
 * Compares every tensor of the browser's output, element by element (16-bit and 32-bit words on an
 * ordered integer line, so the distance is in ulps), against the CLI's output of the same merge, or
 * against θ_pre where the tensor was left out by the include filter. Reads 8 MiB at a time.
 */
export const compareOutput = (a: CompareArgs) => `(async (args) => {
  const root = await navigator.storage.getDirectory();
  let dir = root;
  for (const name of args.dir) dir = await dir.getDirectoryHandle(name);
  const outFiles = [];
  for await (const [name, h] of dir.entries()) if (h.kind === 'file' && name.endsWith('.safetensors')) outFiles.push(await h.getFile());
  outFiles.sort((x, y) => x.name.localeCompare(y.name));
  const header = async (f) => {
    const n = Number(new DataView(await f.slice(0, 8).arrayBuffer()).getBigUint64(0, true));
    const h = JSON.parse(new TextDecoder().decode(await f.slice(8, 8 + n).arrayBuffer()));
    delete h.__metadata__;
    return Object.entries(h)
      .map(([name, e]) => ({ name, dtype: e.dtype, shape: e.shape, file: f, start: 8 + n + e.data_offsets[0], end: 8 + n + e.data_offsets[1] }))
      .sort((x, y) => x.start - y.start);
  };
  const tensorsOf = async (files) => {
    const out = [];
    for (const f of [...files].sort((x, y) => x.name.localeCompare(y.name))) if (f.name.endsWith('.safetensors')) out.push(...(await header(f)));
    return out;
  };
  const out = await tensorsOf(outFiles);
  const cli = await tensorsOf(Array.from(document.getElementById(args.cliInput).files));
  const pre = new Map((await tensorsOf(Array.from(document.getElementById(args.preInput).files))).map((t) => [t.name, t]));
  const cliBy = new Map(cli.map((t) => [t.name, t]));
  const r = { outFiles: outFiles.map((f) => ({ name: f.name, bytes: f.size })), outTensors: out.length, refTensors: cli.length,
    sameNamesInOrder: out.map((t) => t.name).join('\\n') === cli.map((t) => t.name).join('\\n'),
    vsCli: 0, vsPre: 0, elements: 0, identical: 0, within1Ulp: 0, worstUlp: 0, faults: [] };
  const CHUNK = 8 << 20;
  for (const t of out) {
    const fromPre = args.include !== null && !t.name.includes(args.include);
    const ref = fromPre ? pre.get(t.name) : cliBy.get(t.name);
    if (!ref) { r.faults.push(t.name + ': not in the reference'); continue; }
    if (ref.dtype !== t.dtype || ref.shape.join(',') !== t.shape.join(',') || ref.end - ref.start !== t.end - t.start) {
      r.faults.push(t.name + ': ' + t.dtype + '[' + t.shape + '] vs ' + ref.dtype + '[' + ref.shape + ']');
      continue;
    }
    if (fromPre) r.vsPre++; else r.vsCli++;
    const size = t.dtype === 'F32' || t.dtype === 'I32' || t.dtype === 'U32' ? 4 : t.dtype === 'BF16' || t.dtype === 'F16' ? 2 : 1;
    const sign = size === 4 ? 0x80000000 : 0x8000;
    const ord = (x) => (x >= sign ? -(x - sign) : x);
    let differ = 0;
    for (let off = 0; off < t.end - t.start; off += CHUNK) {
      const len = Math.min(CHUNK, t.end - t.start - off);
      const [x, y] = await Promise.all([t.file.slice(t.start + off, t.start + off + len).arrayBuffer(), ref.file.slice(ref.start + off, ref.start + off + len).arrayBuffer()]);
      const xa = size === 4 ? new Uint32Array(x) : size === 2 ? new Uint16Array(x) : new Uint8Array(x);
      const ya = size === 4 ? new Uint32Array(y) : size === 2 ? new Uint16Array(y) : new Uint8Array(y);
      r.elements += xa.length;
      for (let i = 0; i < xa.length; i++) {
        const p = xa[i], q = ya[i];
        if (p === q) { r.identical++; continue; }
        differ++;
        const d = size === 1 ? Infinity : Math.abs(ord(p) - ord(q));
        if (d <= 1) r.within1Ulp++;
        if (d > r.worstUlp) r.worstUlp = d;
      }
    }
    if (differ && r.faults.length < 6) r.faults.push(t.name + ': ' + differ + ' elements differ (vs ' + (fromPre ? 'θ_pre' : 'CLI') + ')');
  }
  r.within1Ulp += r.identical;
  return r;
})(${JSON.stringify(a)})`;

/** The adapter the page's WebGPU would get (the Worker asks the same browser). */
export const adapterInfo = `(async () => {
  if (!navigator.gpu) return null;
  const ad = await navigator.gpu.requestAdapter();
  if (!ad) return null;
  const i = ad.info ?? {};
  return { vendor: i.vendor ?? '', architecture: i.architecture ?? '', description: i.description ?? '', fallback: !!(ad.isFallbackAdapter ?? i.isFallbackAdapter) };
})()`;
