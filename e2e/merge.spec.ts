/**
 * The Merge panel end to end in real Chromium (WebGPU on SwiftShader): load the demo, merge, download,
 * and compare the downloaded safetensors in Node against a float64 PyTorch reference rounded once
 * (tests/fixtures/make_demo_merge_golden.py). Also: cancel mid-merge leaves nothing, a checkpoint that
 * lacks a tensor is refused by name, and the File System Access sink writes only on commit.
 */
import { expect, test, type Page } from '@playwright/test';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { card, dropFiles, filesFromDisk, loadDemo, openApp, watchRequests } from './helpers';

const ROOT = join(import.meta.dirname, '..');
const DEMO = join(ROOT, 'public/demo');
const GOLDEN = join(ROOT, 'tests/fixtures/merge-demo');

interface StTensor { dtype: string; shape: number[]; data: Uint8Array }
interface St { names: string[]; tensors: Map<string, StTensor>; metadata: Record<string, string> }

/** A safetensors file parsed by hand (independent of the app's reader). */
function parseSafetensors(buf: Uint8Array): St {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = Number(dv.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + n)));
  const metadata = header.__metadata__ ?? {};
  delete header.__metadata__;
  const entries = Object.entries(header as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>);
  entries.sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0]);
  const tensors = new Map<string, StTensor>();
  let expectOffset = 0;
  for (const [name, e] of entries) {
    expect(e.data_offsets[0], `${name} offsets tile the data`).toBe(expectOffset);
    expectOffset = e.data_offsets[1];
    tensors.set(name, { dtype: e.dtype, shape: e.shape, data: buf.subarray(8 + n + e.data_offsets[0], 8 + n + e.data_offsets[1]) });
  }
  expect(8 + n + expectOffset, 'no trailing bytes').toBe(buf.byteLength);
  return { names: entries.map(([k]) => k), tensors, metadata };
}

/** Element-wise comparison in units in the last place of 16-bit floats (bf16/f16: ordered bit patterns). */
function compareToGolden(got: St, want: St) {
  expect(got.names, 'tensor names and order kept').toEqual(want.names);
  let total = 0;
  let exact = 0;
  let worst = 0;
  for (const name of want.names) {
    const g = got.tensors.get(name)!;
    const w = want.tensors.get(name)!;
    expect([name, g.dtype, g.shape]).toEqual([name, w.dtype, w.shape]);
    expect(g.data.byteLength).toBe(w.data.byteLength);
    const size = w.dtype === 'F32' ? 4 : 2;
    const dg = new DataView(g.data.buffer, g.data.byteOffset, g.data.byteLength);
    const dw = new DataView(w.data.buffer, w.data.byteOffset, w.data.byteLength);
    for (let i = 0; i < w.data.byteLength; i += size) {
      const a = size === 4 ? dg.getUint32(i, true) : dg.getUint16(i, true);
      const b = size === 4 ? dw.getUint32(i, true) : dw.getUint16(i, true);
      total += 1;
      if (a === b) {
        exact += 1;
        continue;
      }
      // Map sign-magnitude bits onto a monotonic integer line; the distance is the ulp count.
      const signBit = size === 4 ? 0x80000000 : 0x8000;
      const ord = (x: number) => (x >= signBit ? -(x - signBit) : x);
      worst = Math.max(worst, Math.abs(ord(a) - ord(b)));
    }
  }
  return { total, exact, worst };
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

async function openMergeWithDemo(page: Page) {
  await openApp(page, '#checkpoints');
  await loadDemo(page);
  await page.getByRole('tab', { name: 'Merge' }).click();
  await expect(page.getByTestId('merge-alignment')).toContainText('161 merged');
}

async function setupCapvector(page: Page, opts: { engine: 'webgpu' | 'cpu'; dtype: 'keep' | 'F16' }) {
  await page.getByLabel('Merge method').selectOption('capvector');
  await page.getByLabel('α', { exact: true }).fill('0.8');
  await page.getByLabel('Output dtype').selectOption(opts.dtype);
  await page.getByLabel('Compute engine').selectOption(opts.engine);
  await page.getByLabel('Save to').selectOption('download');
  // The recipe lives in the URL.
  await expect.poll(() => page.evaluate(() => decodeURIComponent(location.hash))).toContain('"alpha":0.8');
}

for (const c of [
  { engine: 'webgpu' as const, dtype: 'keep' as const, golden: 'expected_capvector_a0.8_keep.safetensors', badge: 'Ran on WebGPU' },
  { engine: 'cpu' as const, dtype: 'F16' as const, golden: 'expected_capvector_a0.8_f16.safetensors', badge: 'Ran on CPU' },
]) {
  test(`capvector α=0.8 on ${c.engine}, dtype ${c.dtype}: the download equals the float64 reference`, async ({ page }, info) => {
    const noLeaks = watchRequests(page);
    await openMergeWithDemo(page);
    await setupCapvector(page, c);
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Run merge' }).click();
    const dl = await download;
    const out = info.outputPath(dl.suggestedFilename());
    await dl.saveAs(out);
    const result = page.getByTestId('merge-result');
    await expect(result).toBeVisible();
    await expect(result.getByTestId('merge-engine')).toContainText(c.badge);
    if (c.engine === 'cpu') await expect(result.getByTestId('merge-engine')).toContainText('WebAssembly (SIMD)');
    await expect(result).toContainText('161 merged');

    const got = parseSafetensors(new Uint8Array(readFileSync(out)));
    const want = parseSafetensors(new Uint8Array(readFileSync(join(GOLDEN, c.golden))));
    const { total, exact, worst } = compareToGolden(got, want);
    console.log(`${c.engine} ${c.dtype}: ${exact}/${total} bit-exact (${((100 * exact) / total).toFixed(3)}%), worst ${worst} ulp`);
    expect(total).toBe(813688);
    expect(worst, 'no element off by more than 1 ulp').toBeLessThanOrEqual(1);
    expect(exact / total, 'at least 99.9% bit-exact').toBeGreaterThanOrEqual(0.999);

    // __metadata__: the recipe that made it, and the SHA-256 of every input file.
    const recipe = JSON.parse(got.metadata['capvector.recipe']);
    expect(recipe).toMatchObject({ method: 'capvector', params: { alpha: 0.8 }, outDtype: c.dtype, roles: { pre: 'pre.safetensors', aux: 'aux', sft: 'sft.safetensors' } });
    const inputs = JSON.parse(got.metadata['capvector.inputs']) as { role: string; name: string; sha256: string }[];
    const expected = [
      ['pre', 'pre.safetensors'],
      ['aux', 'aux/model.safetensors.index.json'],
      ['aux', 'aux/model-00001-of-00002.safetensors'],
      ['aux', 'aux/model-00002-of-00002.safetensors'],
      ['sft', 'sft.safetensors'],
    ].map(([role, name]) => ({ role, name, sha256: sha256(join(DEMO, name)) }));
    expect([...inputs].sort((a, b) => a.name.localeCompare(b.name))).toEqual([...expected].sort((a, b) => a.name.localeCompare(b.name)));

    // The recipe exports: JSON equal to the one in the metadata, mergekit YAML that says the same merge.
    const jsonDl = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export recipe (JSON)' }).click();
    const jsonPath = info.outputPath('recipe.json');
    await (await jsonDl).saveAs(jsonPath);
    expect(JSON.parse(readFileSync(jsonPath, 'utf8'))).toEqual(recipe);
    const yamlDl = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export recipe (mergekit YAML)' }).click();
    const yamlPath = info.outputPath('mergekit.yaml');
    await (await yamlDl).saveAs(yamlPath);
    const yaml = readFileSync(yamlPath, 'utf8');
    expect(yaml).toContain('merge_method: task_arithmetic');
    expect(yaml).toContain('base_model: pre.safetensors');
    expect(yaml).toMatch(/weight: 0\.8\b/);
    expect(yaml).toMatch(/weight: -0\.8\b/);
    expect(yaml).toContain(`out_dtype: ${c.dtype === 'F16' ? 'float16' : 'bfloat16'}`);

    // The merged file opens in the workbench as an experiment.
    await result.getByRole('button', { name: 'Open result in workbench' }).click();
    await expect(result.getByRole('status').filter({ hasText: 'Added' })).toContainText('161 tensors');
    await page.getByRole('tab', { name: 'Checkpoints' }).click();
    await expect(page.getByTestId('checkpoint-card')).toHaveCount(5);
    noLeaks();
  });
}

test('a checkpoint missing a tensor is refused with the tensor named, and one click excludes it', async ({ page }) => {
  const gone = 'language_model.model.layers.3.mlp.up_proj.weight';
  // sft without one tensor: rewrite the header and data by hand.
  const src = parseSafetensors(new Uint8Array(readFileSync(join(DEMO, 'sft.safetensors'))));
  const header: Record<string, unknown> = {};
  const parts: Uint8Array[] = [];
  let off = 0;
  for (const name of src.names.filter((n) => n !== gone)) {
    const t = src.tensors.get(name)!;
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + t.data.byteLength] };
    parts.push(t.data);
    off += t.data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  const broken = Buffer.concat([len, json, ...parts]);

  await openApp(page, '#checkpoints');
  await loadDemo(page);
  await dropFiles(page, [{ path: 'sft-broken.safetensors', data: broken }]);
  await expect(page.getByTestId('checkpoint-card')).toHaveCount(5);
  await card(page, 'sft-broken').getByRole('combobox', { name: /Role of/ }).selectOption('sft');
  await page.getByRole('tab', { name: 'Merge' }).click();
  const refusal = page.getByTestId('merge-mismatches');
  await expect(refusal).toContainText(gone);
  await expect(refusal).toContainText('missing in sft');
  await expect(page.getByRole('button', { name: 'Run merge' })).toBeDisabled();
  await refusal.getByRole('button', { name: /Exclude these 1 tensor/ }).click();
  await expect(page.getByTestId('merge-alignment')).toContainText('160 merged, 1 copied');
  await expect(page.getByTestId('merge-filter-count')).toContainText('160 of 161');
  await expect(page.getByRole('button', { name: 'Run merge' })).toBeEnabled();
});

test('a recipe link reopens the same recipe', async ({ page }) => {
  const recipe = { method: 'capvector', params: { alpha: [{ filter: 'norm', value: 0 }, { value: 0.5 }] }, exclude: ['embed'], outDtype: 'F16', shardSize: 0 };
  await openApp(page, `#merge?recipe=${encodeURIComponent(JSON.stringify(recipe))}&engine=cpu`);
  await expect(page.getByLabel('Form of α')).toHaveValue('rules');
  await expect(page.getByLabel('α rule 2 value')).toHaveValue('0.5');
  await expect(page.getByLabel('Output dtype')).toHaveValue('F16');
  await expect(page.getByLabel('Compute engine')).toHaveValue('cpu');
  await expect(page.getByLabel(/^Exclude/)).toHaveValue('embed');
  // A broken link says so and falls back to the default recipe.
  const other = await page.context().newPage();
  await openApp(other, '#merge?recipe=%7Bbroken');
  await expect(other.getByRole('alert').filter({ hasText: 'not valid JSON' })).toBeVisible();
  await expect(other.getByLabel('Output dtype')).toHaveValue('keep');
});

/** Three large bf16 checkpoints (made here, not committed) so that a merge lasts long enough to cancel. */
function makeBigTriple(dir: string): string[] {
  const tensors = 6;
  const numel = 4 << 20; // 8 MiB of bf16 each: 48 MiB a file
  const paths: string[] = [];
  for (const role of ['pre', 'aux', 'sft']) {
    const header: Record<string, unknown> = {};
    for (let i = 0; i < tensors; i++) header[`model.layers.${i}.mlp.weight`] = { dtype: 'BF16', shape: [numel], data_offsets: [i * numel * 2, (i + 1) * numel * 2] };
    const json = Buffer.from(JSON.stringify(header));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    const data = Buffer.alloc(tensors * numel * 2, role === 'pre' ? 0x3f : role === 'aux' ? 0x40 : 0x3e);
    const p = join(dir, `big-${role}.safetensors`);
    writeFileSync(p, Buffer.concat([len, json, data]));
    paths.push(p);
  }
  return paths;
}

async function opfsRunDirs(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const root = await navigator.storage.getDirectory();
    const names: string[] = [];
    try {
      const dir = await root.getDirectoryHandle('capvector-merges');
      for await (const k of (dir as any).keys()) names.push(k as string);
    } catch {
      // No merge has written yet.
    }
    return names;
  });
}

test('cancel mid-merge: no download, no file left in browser storage, and the next merge runs', async ({ page }) => {
  const dir = mkdtempSync(join(tmpdir(), 'cv-merge-e2e-'));
  try {
    await openApp(page, '#checkpoints');
    await page.getByTestId('file-input').setInputFiles(makeBigTriple(dir));
    await expect(page.getByTestId('checkpoint-card')).toHaveCount(3);
    for (const role of ['pre', 'aux', 'sft']) await card(page, `big-${role}`).getByRole('combobox', { name: /Role of/ }).selectOption(role);
    await page.getByRole('tab', { name: 'Merge' }).click();
    await expect(page.getByTestId('merge-alignment')).toContainText('6 merged');
    await page.getByLabel('Compute engine').selectOption('webgpu');
    await page.getByLabel('Save to').selectOption('download');
    let downloads = 0;
    page.on('download', () => (downloads += 1));

    await page.getByRole('button', { name: 'Run merge' }).click();
    const bar = page.getByRole('progressbar', { name: 'Merge progress' });
    await expect.poll(async () => Number((await bar.getAttribute('value')) ?? 0), { timeout: 60_000, intervals: [20] }).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Cancel merge' }).click();
    await expect(page.getByTestId('merge-cancelled')).toContainText('Nothing was saved');
    await page.waitForTimeout(1000);
    expect(downloads, 'a cancelled merge offers no download').toBe(0);
    expect(await opfsRunDirs(page), 'the partial output was removed').toEqual([]);

    // The UI recovers: the same inputs merge to completion on the CPU engine.
    await page.getByLabel('Compute engine').selectOption('cpu');
    const download = page.waitForEvent('download', { timeout: 90_000 });
    await page.getByRole('button', { name: 'Run merge' }).click();
    const dl = await download;
    const out = join(dir, 'out.safetensors');
    await dl.saveAs(out);
    const st = parseSafetensors(new Uint8Array(readFileSync(out)));
    expect(st.names.length).toBe(6);
    // α = 1 (the default): 0x3f3f + (0x4040 − 0x3e3e) in bf16 = 0.74609375 + (3 − 0.185546875) = 3.5605… → 0x4064 (3.5625).
    expect(new DataView(st.tensors.get('model.layers.5.mlp.weight')!.data.buffer).getUint16(st.tensors.get('model.layers.5.mlp.weight')!.data.byteOffset, true)).toBe(0x4064);
    expect(await opfsRunDirs(page)).toHaveLength(1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('File System Access output: written as it goes into the picked file or folder, no download', async ({ page }) => {
  // A stand-in for the native pickers that hands out real origin-private handles (createWritable and all).
  await page.addInitScript(() => {
    const w = window as any;
    w.showSaveFilePicker = async (o: { suggestedName: string }) => (await navigator.storage.getDirectory()).getFileHandle(`picked-${o.suggestedName}`, { create: true });
    w.showDirectoryPicker = async () => (await navigator.storage.getDirectory()).getDirectoryHandle('picked-folder', { create: true });
  });
  await openMergeWithDemo(page);
  await setupCapvector(page, { engine: 'cpu', dtype: 'keep' });
  await page.getByLabel('Compute engine').selectOption('auto');
  await page.getByLabel('Save to').selectOption('disk');
  let downloads = 0;
  page.on('download', () => (downloads += 1));
  await page.getByRole('button', { name: 'Run merge' }).click();
  await expect(page.getByTestId('merge-result')).toContainText('the file/folder you picked');
  // 'Auto' races both engines and says so (on SwiftShader, which the reason must call CPU emulation).
  await expect(page.getByTestId('merge-result').getByTestId('merge-engine')).toContainText(/faster when measured \(WebGPU \d+ ms vs CPU \d+ ms/);
  expect(downloads).toBe(0);
  const b64 = await page.evaluate(async () => {
    const f = await (await (await navigator.storage.getDirectory()).getFileHandle('picked-merged-capvector.safetensors')).getFile();
    const url = await new Promise<string>((res) => {
      const r = new FileReader();
      r.onload = () => res(r.result as string);
      r.readAsDataURL(f);
    });
    return url.slice(url.indexOf(',') + 1);
  });
  const got = parseSafetensors(new Uint8Array(Buffer.from(b64, 'base64')));
  const want = parseSafetensors(new Uint8Array(readFileSync(join(GOLDEN, 'expected_capvector_a0.8_keep.safetensors'))));
  const { worst, exact, total } = compareToGolden(got, want);
  expect(worst).toBeLessThanOrEqual(1);
  expect(exact / total).toBeGreaterThanOrEqual(0.999);

  // Sharded into the picked folder, with the Hugging Face names.
  await page.getByLabel(/Shard size/).fill('0.5');
  await page.getByRole('button', { name: 'Run merge' }).click();
  await expect(page.getByTestId('merge-result')).toBeHidden();
  await expect(page.getByTestId('merge-result')).toContainText('model.safetensors.index.json');
  const listed = await page.evaluate(async () => {
    const d = await (await navigator.storage.getDirectory()).getDirectoryHandle('picked-folder');
    const out: string[] = [];
    for await (const k of (d as any).keys()) out.push(k as string);
    return out.sort();
  });
  expect(listed).toEqual(['model-00001-of-00004.safetensors', 'model-00002-of-00004.safetensors', 'model-00003-of-00004.safetensors', 'model-00004-of-00004.safetensors', 'model.safetensors.index.json']);
  await expect(page.getByTestId('merge-result').getByRole('button', { name: 'Open result in workbench' })).toBeEnabled();
});

test('File System Access sink: nothing visible before commit, abort restores what was there and removes what it created', async ({ page }) => {
  await page.goto('/harness.html');
  await page.waitForFunction(() => (globalThis as any).harnessReady);
  const r = await page.evaluate(async () => {
    const { fsaSink } = (globalThis as any).harness.mergeSinks;
    const root = await navigator.storage.getDirectory();
    const dir = await root.getDirectoryHandle('sink-test', { create: true });
    const read = async (name: string) => {
      try {
        return new TextDecoder().decode(await (await (await dir.getFileHandle(name)).getFile()).arrayBuffer());
      } catch {
        return null;
      }
    };
    const names = async () => {
      const out: string[] = [];
      for await (const k of (dir as any).keys()) out.push(k as string);
      return out.sort();
    };
    const enc = (s: string) => new TextEncoder().encode(s);
    // A file the user already had in the folder.
    const old = await (await dir.getFileHandle('model-00001-of-00002.safetensors', { create: true })).createWritable();
    await old.write('OLD');
    await old.close();

    const a = fsaSink({ dir });
    const f1 = await a.createFile('model-00001-of-00002.safetensors', 6);
    await f1.write(enc('HEAD'));
    await f1.write(enc('xx'));
    await f1.writeAt(0, enc('he'));
    await f1.close();
    const f2 = await a.createFile('model-00002-of-00002.safetensors', 3);
    await f2.write(enc('new'));
    const midway = { old: await read('model-00001-of-00002.safetensors'), names: await names() };
    await a.abort();
    const afterAbort = { old: await read('model-00001-of-00002.safetensors'), names: await names() };

    const b = fsaSink({ dir });
    const g = await b.createFile('model-00001-of-00002.safetensors', 6);
    await g.write(enc('HEAD'));
    await g.write(enc('xx'));
    await g.writeAt(0, enc('he'));
    await g.write(enc('!'));
    await g.close();
    const beforeCommit = await read('model-00001-of-00002.safetensors');
    await b.commit();
    const committed = await read('model-00001-of-00002.safetensors');
    const finished = (await b.finished()).map((x: { name: string; bytes: number }) => [x.name, x.bytes]);

    const single = await root.getFileHandle('picked.safetensors', { create: true });
    const c = fsaSink({ file: single });
    await (await c.createFile('x.safetensors', 1)).write(enc('z'));
    const second = await c.createFile('y.safetensors', 1).then(() => 'accepted', (e: Error) => e.message);
    await c.abort();
    const singleLeft = await root.getFileHandle('picked.safetensors').then(() => true, () => false);
    return { midway, afterAbort, beforeCommit, committed, finished, second, singleLeft };
  });
  // Midway the data sits in Chromium's swap files; the user's file still holds its old bytes.
  expect(r.midway).toEqual({
    old: 'OLD',
    names: ['model-00001-of-00002.safetensors', 'model-00001-of-00002.safetensors.crswap', 'model-00002-of-00002.safetensors', 'model-00002-of-00002.safetensors.crswap'],
  });
  expect(r.afterAbort).toEqual({ old: 'OLD', names: ['model-00001-of-00002.safetensors'] });
  expect(r.beforeCommit).toBe('OLD');
  expect(r.committed).toBe('heADxx!');
  expect(r.finished).toEqual([['model-00001-of-00002.safetensors', 7]]);
  expect(r.second).toMatch(/choose a folder/);
  expect(r.singleLeft, 'the file the save picker created is removed on abort').toBe(false);
});

/** Records of the Merge's input-hash cache in IndexedDB (after a merge created it). */
function hashCacheRows(page: Page, overwrite?: string): Promise<{ key: string; sha256: string }[]> {
  return page.evaluate((fake) => new Promise<{ key: string; sha256: string }[]>((resolve, reject) => {
    const req = indexedDB.open('capvector-hash-cache');
    req.onerror = () => reject(req.error);
    req.onsuccess = () => {
      const db = req.result;
      const tx = db.transaction('hashes', fake ? 'readwrite' : 'readonly');
      const store = tx.objectStore('hashes');
      const all = store.getAll();
      all.onsuccess = () => {
        const rows = all.result as { key: string; sha256: string }[];
        if (fake) for (const r of rows) store.put({ ...r, sha256: fake });
        tx.oncomplete = () => {
          db.close();
          resolve(rows.map((r) => ({ key: r.key, sha256: r.sha256 })));
        };
      };
      all.onerror = () => reject(all.error);
    };
  }), overwrite);
}

test('a second merge of the same dropped files takes their SHA-256 from the hash cache; Clear hash cache forgets them', async ({ page }, info) => {
  await openApp(page, '#checkpoints');
  await dropFiles(page, [
    ...filesFromDisk([join(DEMO, 'pre.safetensors'), join(DEMO, 'sft.safetensors')]),
    ...filesFromDisk(['model.safetensors.index.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'].map((f) => join(DEMO, 'aux', f)), 'aux'),
  ]);
  await expect(page.getByTestId('checkpoint-card')).toHaveCount(3);
  await page.getByRole('tab', { name: 'Merge' }).click();
  await expect(page.getByTestId('merge-alignment')).toContainText('161 merged');
  await page.getByLabel('Compute engine').selectOption('cpu');
  await page.getByLabel('Save to').selectOption('download');
  const merge = async (name: string) => {
    const download = page.waitForEvent('download', { timeout: 90_000 });
    await page.getByRole('button', { name: 'Run merge' }).click();
    const out = info.outputPath(name);
    await (await download).saveAs(out);
    await expect(page.getByRole('button', { name: 'Run merge' })).toBeEnabled();
    return new Uint8Array(readFileSync(out));
  };
  const inputsOf = (bytes: Uint8Array) => JSON.parse(parseSafetensors(bytes).metadata['capvector.inputs']) as { name: string; sha256: string }[];

  const first = await merge('first.safetensors');
  const hashes = inputsOf(first);
  expect(hashes).toHaveLength(5);
  for (const h of hashes) expect(h.sha256, h.name).toBe(sha256(join(DEMO, h.name)));
  expect((await hashCacheRows(page)).map((r) => r.key).sort()).toEqual(hashes.map((h) => h.name).sort());

  // The second merge reads the cache: a digest planted there is what its metadata says.
  const planted = 'f'.repeat(64);
  await hashCacheRows(page, planted);
  const second = await merge('second.safetensors');
  expect(inputsOf(second).map((h) => h.sha256)).toEqual(hashes.map(() => planted));

  // Cleared, the files are hashed again: the same bytes as the first merge.
  await page.getByRole('button', { name: 'Clear hash cache' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Hash cache cleared.' })).toBeVisible();
  expect(await hashCacheRows(page)).toEqual([]);
  const third = await merge('third.safetensors');
  expect(Buffer.from(third).equals(Buffer.from(first))).toBe(true);
  expect(await hashCacheRows(page)).toHaveLength(5);
});
