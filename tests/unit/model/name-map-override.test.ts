/**
 * Name mappings set by hand (issue 12, item 4): a role's automatic alignment replaced by the user's
 * `ROLE:FROM=TO` — in alignCheckpoints, in a merge recipe (`nameMaps`, CLI --map) and in the statistics
 * (CLI stats --map); outputs keep θ_pre's names. Merges are checked against make_buffer_golden.py's golden.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run as statsRun, parseStatsArgs } from '../../../src/cli/commands/stats';
import { CpuEngine } from '../../../src/compute/cpu-engine';
import { memorySink } from '../../../src/merge/memory-sink';
import { planMerge } from '../../../src/merge/plan';
import { defaultRecipe, validateRecipe } from '../../../src/merge/recipe';
import { runMerge } from '../../../src/merge/run';
import type { Recipe } from '../../../src/merge/types';
import { alignCheckpoints, candidateMappings, parseNameMap } from '../../../src/model/align';
import { closeAll } from '../../../src/node/file-source';
import { openPath, openPaths } from '../../../src/node/paths';
import { useWorkbench } from '../../../src/store/workbench';
import { assertClose, compareCheckpoints, openMemory } from '../merge/golden-helpers';
import { headerCheckpoint } from './header-checkpoint';

const BUF = resolve(__dirname, '../../fixtures/buffers');
const GOLDEN = join(BUF, 'expected', 'capvector-buffers-f32.safetensors');
const NAMES = ['backbone.0.weight', 'backbone.0.bias', 'head.weight'];

const ck = headerCheckpoint;

afterAll(() => closeAll());

describe('ROLE:FROM=TO', () => {
  it('strips, adds and replaces prefixes; the role ends at the last colon before =', () => {
    expect(parseNameMap('aux:module.=')).toEqual({ role: 'aux', from: 'module.', to: '' });
    expect(parseNameMap('sft:=model.')).toEqual({ role: 'sft', from: '', to: 'model.' });
    expect(parseNameMap('model:1:policy.=model.')).toEqual({ role: 'model:1', from: 'policy.', to: 'model.' });
    expect(parseNameMap('aux:=')).toEqual({ role: 'aux', from: '', to: '' });
  });

  it('refuses text that is not ROLE:FROM=TO, saying what it should be', () => {
    for (const bad of ['aux', 'module.=', ':module.=', 'aux-module.']) expect(() => parseNameMap(bad), bad).toThrow(/is not ROLE:FROM=TO/);
  });
});

describe('alignCheckpoints with mappings set by hand', () => {
  it('lines up a prefix no automatic rule knows (a policy wrapper), marked as set by hand', () => {
    const r = alignCheckpoints({ pre: ck(NAMES), aux: ck(NAMES.map((n) => `policy.${n}`)) }, { aux: { from: 'policy.', to: '' } });
    expect(r.mappings).toEqual([{ role: 'aux', from: 'policy.', to: '', count: 3, manual: true }]);
    expect(r.issues).toEqual([]);
    expect(r.matched.map((m) => [m.name, m.entries.aux.name])).toEqual(NAMES.map((n) => [n, `policy.${n}`]));
    // without the override nothing lines up
    expect(alignCheckpoints({ pre: ck(NAMES), aux: ck(NAMES.map((n) => `policy.${n}`)) }).matched).toEqual([]);
  });

  it('replaces the automatic mapping of its role only; {"", ""} takes the names as they are', () => {
    const byRole = { pre: ck(NAMES), aux: ck(NAMES.map((n) => `module.${n}`)), sft: ck(NAMES.map((n) => `module.${n}`)) };
    const r = alignCheckpoints(byRole, { aux: { from: '', to: '' } });
    expect(r.mappings).toEqual([{ role: 'aux', from: '', to: '', count: 0, manual: true }, { role: 'sft', from: 'module.', to: '', count: 3 }]);
    expect(r.matched).toEqual([]);
    expect(r.issues.filter((i) => i.kind === 'missing')).toHaveLength(6);
  });

  it('offers the names as they are and each rewrite that lines something up, best first', () => {
    const c = candidateMappings(NAMES.map((n) => `module.${n}`), new Set(NAMES));
    expect(c[0]).toEqual({ from: 'module.', to: '', count: 3 });
    expect(c).toContainEqual({ from: '', to: '', count: 0 });
    expect(c.every((m, i) => i === 0 || m.count <= c[i - 1].count)).toBe(true);
  });
});

describe('merges and statistics with --map (make_buffer_golden.py: θ_aux saved under DDP, θ_sft with model.)', () => {
  const recipe: Recipe = {
    ...defaultRecipe('capvector'), roles: { pre: 'pre', aux: 'aux-ddp', sft: 'sft-wrapped' }, params: { alpha: 0.8 },
    nameMaps: { aux: { from: 'module.', to: '' }, sft: { from: 'model.', to: '' } },
  };

  it('a recipe with nameMaps merges into θ_pre’s names, equal to the golden, and says the mapping was set by hand', async () => {
    expect(validateRecipe(recipe)).toEqual([]);
    const [pre, aux, sft] = await openPaths(['pre', 'aux-ddp', 'sft-wrapped'].map((r) => join(BUF, r)));
    const plan = planMerge(recipe, { pre, aux, sft });
    expect(plan.notes).toContain("aux's tensor names lined up with pre's (set by hand): module.* → * (13 tensors); the output keeps pre's names");
    const sink = memorySink();
    await runMerge(recipe, { pre, aux, sft }, { engine: new CpuEngine(), sink });
    const out = await openMemory(sink.files);
    expect(out.tensors.map((t) => t.name)).toEqual(pre.tensors.map((t) => t.name));
    assertClose(await compareCheckpoints(out, await openPath(GOLDEN)), 'capvector with nameMaps');
  });

  it('refuses a mapping of the base (its names are the output’s), of a role the method has not, and a malformed one', async () => {
    const [pre, aux, sft] = await openPaths(['pre', 'aux-ddp', 'sft-wrapped'].map((r) => join(BUF, r)));
    expect(() => planMerge({ ...recipe, nameMaps: { pre: { from: 'x.', to: '' } } }, { pre, aux, sft })).toThrow("a name mapping for pre cannot apply: the output keeps pre's names (map aux, sft instead)");
    expect(() => planMerge({ ...recipe, nameMaps: { down: { from: 'x.', to: '' } } }, { pre, aux, sft })).toThrow("a name mapping names role 'down', which is not an input of capvector (aux, sft)");
    expect(validateRecipe({ ...recipe, nameMaps: { aux: { from: 1 } as never } })).toEqual(['nameMaps.aux must be {"from": "…", "to": "…"} (strings)']);
  });

  it('the CLI takes --map ROLE:FROM=TO: the golden with the right mapping, the missing tensors with a wrong one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cv-map-'));
    const cli = (...args: string[]) => spawnSync(process.execPath, [resolve(__dirname, '../../../bin/capvector.mjs'), 'merge', '--pre', join(BUF, 'pre'), '--aux', join(BUF, 'aux-ddp'),
      '--sft', join(BUF, 'sft-wrapped'), '--alpha', '0.8', '--no-hash', ...args], { encoding: 'utf8' });
    try {
      const out = join(dir, 'merged.safetensors');
      const ok = cli('--out', out, '--map', 'aux:module.=', '--map', 'sft:model.=');
      expect(ok.status, ok.stderr).toBe(0);
      expect(ok.stderr).toMatch(/note: aux's tensor names lined up with pre's \(set by hand\): module\.\* → \*/);
      assertClose(await compareCheckpoints(await openPath(out), await openPath(GOLDEN)), 'CLI --map');
      const wrong = cli('--out', join(dir, 'wrong.safetensors'), '--map', 'aux:=');
      expect(wrong.status).toBe(1);
      expect(wrong.stderr).toMatch(/^error: cannot merge: \d+ tensor\(s\) are missing/m);
      const usage = cli('--out', join(dir, 'u.safetensors'), '--map', 'aux');
      expect([usage.status, usage.stderr.split('\n')[0]]).toEqual([2, "error: --map: 'aux' is not ROLE:FROM=TO (e.g. aux:module.= strips 'module.' from θ_aux's names, sft:=model. adds 'model.')"]);
    } finally {
      await closeAll();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stats --map lines names up by hand too, and refuses a mapping of θ_pre or of a role not given', async () => {
    const base = ['--pre', join(BUF, 'pre'), '--aux', join(BUF, 'aux-ddp'), '--sft', join(BUF, 'sft-wrapped'), '--by', 'tensor', '--json'];
    const lines: string[] = [];
    expect(await statsRun([...base, '--map', 'aux:module.=', '--map', 'sft:model.='], { out: (l) => lines.push(l), err: () => undefined })).toBe(0);
    const rows = JSON.parse(lines.join('\n'));
    const auto: string[] = [];
    await statsRun(base, { out: (l) => auto.push(l), err: () => undefined });
    expect(rows).toEqual(JSON.parse(auto.join('\n')));
    await expect(statsRun([...base, '--map', 'aux:=', '--map', 'sft:='], { out: () => undefined, err: () => undefined })).rejects.toThrow(/no float tensor is present with one shape in every checkpoint/);
    expect(() => parseStatsArgs([...base, '--map', 'pre:x.='])).toThrow("--map: θ_pre's names are the reference; map aux, sft or down instead");
    expect(() => parseStatsArgs([...base, '--map', 'down:x.='])).toThrow("--map: role 'down' is not given (aux, sft)");
  });
});

describe('the workbench keeps a mapping only while it belongs to its checkpoints', () => {
  it('a role’s new checkpoint drops its mapping, a new θ_pre drops them all, a removed checkpoint drops its roles’', () => {
    const st = () => useWorkbench.getState();
    const add = (name: string) => st().addCheckpoint({ checkpoint: { ...headerCheckpoint(NAMES), name }, inputs: [], origin: 'user' });
    const [p, a, s2, a2] = ['p', 'a', 's', 'a2'].map(add);
    st().setRole('pre', p);
    st().setRole('aux', a);
    st().setRole('sft', s2);
    const m = { from: 'module.', to: '' };
    st().setNameMap('aux', m);
    st().setNameMap('sft', m);
    st().setRole('aux', a); // the same checkpoint again: kept
    expect(st().nameMaps).toEqual({ aux: m, sft: m });
    st().setRole('aux', a2);
    expect(st().nameMaps).toEqual({ sft: m });
    st().setNameMap('sft', undefined);
    expect(st().nameMaps).toEqual({});
    st().setNameMap('aux', m);
    st().removeCheckpoint(a2);
    expect(st().nameMaps).toEqual({});
    st().setNameMap('sft', m);
    st().setRole('pre', a);
    expect(st().nameMaps).toEqual({});
    for (const id of [p, a, s2]) st().removeCheckpoint(id);
  });
});

describe('a mapping that reads two of a role’s tensors as one name', () => {
  const byRole = () => ({ pre: ck(['a.weight', 'b.weight']), aux: ck(['module.a.weight', 'a.weight', 'module.b.weight']) });

  it('is an issue naming both tensors and the mapping, and the name is not matched (no tensor silently chosen)', () => {
    const r = alignCheckpoints(byRole(), { aux: { from: 'module.', to: '' } });
    expect(r.matched.map((m) => m.name)).toEqual(['b.weight']);
    expect(r.issues).toEqual([{ name: 'a.weight', kind: 'collision', detail: "aux's 'module.a.weight' and 'a.weight' both read as 'a.weight' (module.* → *)" }]);
  });

  it('blocks a merge with that issue', () => {
    const recipe: Recipe = { ...defaultRecipe('capvector'), params: { alpha: 0.8 }, nameMaps: { aux: { from: 'module.', to: '' } } };
    const { pre, aux } = byRole();
    try {
      planMerge(recipe, { pre, aux, sft: ck(['a.weight', 'b.weight']) });
      expect.unreachable('planMerge accepted two tensors read as one');
    } catch (e) {
      expect((e as { issues: { name: string; kind: string }[] }).issues).toEqual([expect.objectContaining({ name: 'a.weight', kind: 'collision' })]);
      expect((e as Error).message).toMatch(/^cannot merge: 1 tensor\(s\) are missing or have mismatched shapes or are read twice by a name mapping;/);
    }
  });
});
