/**
 * OpenVLA-OFT's component files (tests/fixtures/oft, written by make_oft_fixtures.py with real torch.save):
 * recognised by name or by the archive folder inside, named after component and step, lined up across
 * roles whatever DDP left on their names, and analysed under their component.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { capvectorPlan } from '../../../src/analysis/plan';
import { planStatsTasks, runStats, type TensorStats } from '../../../src/analysis/run-stats';
import { CpuEngine } from '../../../src/compute/cpu-engine';
import { oftComponentFile, oftDisplayName } from '../../../src/formats/oft';
import { alignCheckpoints } from '../../../src/model/align';
import { openPath, openPaths } from '../../../src/node/paths';
import { FIXTURES } from './golden-checks';

const AUX_HEAD = join(FIXTURES, 'oft/aux/action_head--150000_checkpoint.pt');
const SFT_HEAD = join(FIXTURES, 'oft/sft/action_head--latest_checkpoint.pt');
const tmp = mkdtempSync(join(tmpdir(), 'oft-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('OpenVLA-OFT component file names', () => {
  it('reads component and step from `<component>--<step>_checkpoint.pt`, and nothing from other names', () => {
    expect(oftComponentFile('run/action_head--150000_checkpoint.pt')).toEqual({ component: 'action_head', step: '150000' });
    expect(oftComponentFile('C:\\runs\\proprio_projector--latest_checkpoint.pt')).toEqual({ component: 'proprio_projector', step: 'latest' });
    expect(oftComponentFile('noisy_action_projector--20000_checkpoint.pth')).toEqual({ component: 'noisy_action_projector', step: '20000' });
    expect(oftComponentFile('pytorch_model.bin')).toBeNull();
    expect(oftComponentFile('model.pt')).toBeNull();
    expect(oftComponentFile('action_head--150000_checkpoint.safetensors')).toBeNull();
    expect(oftDisplayName({ component: 'action_head', step: '150000' })).toBe('action_head (step 150000)');
    expect(oftDisplayName({ component: 'action_head', step: 'latest' })).toBe('action_head (latest)');
  });

  it('a renamed component file is still recognised by the folder torch.save wrote inside it', async () => {
    const renamed = join(tmp, 'head.pt');
    copyFileSync(AUX_HEAD, renamed);
    const ck = await openPath(renamed);
    expect([ck.name, ck.metadata.oft_component, ck.metadata.oft_step]).toEqual(['action_head (step 150000)', 'action_head', '150000']);
  });

  it('two runs saving the same component get the runs’ folders in their names', async () => {
    const names = (await openPaths([AUX_HEAD, join(FIXTURES, 'oft/aux/proprio_projector--150000_checkpoint.pt'), SFT_HEAD])).map((c) => c.name);
    expect(names).toEqual(['action_head (step 150000)', 'proprio_projector (step 150000)', 'action_head (latest)']);
    const same = ['run-a', 'run-b'].map((run) => {
      mkdirSync(join(tmp, run));
      copyFileSync(AUX_HEAD, join(tmp, run, 'action_head--150000_checkpoint.pt'));
      return join(tmp, run, 'action_head--150000_checkpoint.pt');
    });
    expect((await openPaths(same)).map((c) => c.name)).toEqual(['run-a/action_head (step 150000)', 'run-b/action_head (step 150000)']);
  });
});

describe('OpenVLA-OFT component files as roles', () => {
  it("line up with DDP's `module.` on one side only, and keep θ_pre's names", async () => {
    const [pre, aux, sft] = await openPaths([SFT_HEAD, AUX_HEAD, SFT_HEAD]);
    const r = alignCheckpoints({ pre, aux, sft });
    expect(r.mappings).toEqual([{ role: 'aux', from: 'module.', to: '', count: 16 }]);
    expect(r.issues).toEqual([]);
    expect(r.matched.map((m) => m.name)).toEqual(pre.tensors.map((t) => t.name));
    expect(r.matched.find((m) => m.name === 'model.fc1.weight')!.entries.aux.name).toBe('module.model.fc1.weight');
  });

  it('are analysed under their component (the action head), not as unknown tensors', async () => {
    const [pre, aux, sft] = await openPaths([SFT_HEAD, AUX_HEAD, SFT_HEAD]);
    const plan = capvectorPlan({ down: false });
    const { tasks } = planStatsTasks(plan, { pre, aux, sft });
    const out: TensorStats[] = [];
    await runStats({ plan, tasks, engine: new CpuEngine(), onTensor: (t) => out.push(t) });
    expect(new Set(out.map((t) => t.group))).toEqual(new Set(['action']));
    expect(out.find((t) => t.name === 'model.fc2.weight')!.key.module).toBe('fc2');
  });
});
