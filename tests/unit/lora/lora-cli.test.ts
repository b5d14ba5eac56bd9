/**
 * The CLI with LoRA adapters as roles (PATH = the adapter's folder): `merge` with two adapters, `apply`
 * as PEFT's merge-and-unload, task arithmetic over an adapter and a full checkpoint, each against the
 * float64 PyTorch golden of make_lora_golden.py, `extract` from two adapters (γ = ΔW_a − ΔW_s, no θ_pre);
 * and a bad adapter's one `error:` line naming its file.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closeAll } from '../../../src/node/file-source';
import { openPath } from '../../../src/node/paths';
import { assertClose, compareCheckpoints } from '../merge/golden-helpers';
import { LORA } from './lora-fixtures';

const ROOT = resolve(__dirname, '../../..');
const cli = (args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin/capvector.mjs'), ...args], { encoding: 'utf8', cwd: LORA });

afterAll(() => closeAll());

describe('capvector with LoRA adapters', () => {
  const cases: [string, string[]][] = [
    ['capvector-adapters', ['merge', '--pre', 'pre-bf16', '--aux', 'plain', '--sft', 'patterns', '--alpha', '0.8']],
    ['apply-embedding', ['apply', '--pre', 'pre-bf16', '--vector', 'embedding', '--alpha', '1']],
    ['apply-f32-plain', ['apply', '--pre', 'pre-f32', '--vector', 'f32-plain/adapter_config.json', '--alpha', '1']],
    ['apply-bin', ['apply', '--pre', 'pre-bf16', '--vector', 'bin', '--alpha', '1', '--threads', '0']],
    ['task-arithmetic-mixed', ['merge', '--method', 'task-arithmetic', '--pre', 'pre-bf16', '--models', 'embedding,sft-bf16', '--weight', '0.7,0.4']],
    ['extract-adapters', ['extract', '--aux', 'plain', '--sft', 'patterns']],
  ];
  for (const [golden, args] of cases) {
    it(`${args.join(' ')} equals ${golden}`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'cv-lora-cli-'));
      try {
        const out = join(dir, 'merged.safetensors');
        const r = cli([...args, '--out', out, '--no-hash']);
        expect(r.stderr.split('\n').filter((l) => l.startsWith('error'))).toEqual([]);
        expect(r.status).toBe(0);
        assertClose(await compareCheckpoints(await openPath(out), await openPath(join(LORA, 'expected', `${golden}.safetensors`))), `${golden} via the CLI`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  const bad: [string, string][] = [
    ['bad-shape', "error: bad-shape/adapter_model.safetensors: module 'model.layers.0.self_attn.q_proj': its factors (A [4, 25], B [24, 4]) make a [24, 25] update, but θ_pre (pre-bf16)'s 'model.layers.0.self_attn.q_proj.weight' is [24, 24]"],
    ['bad-dora', 'error: bad-dora/adapter_config.json: DoRA adapters (use_dora: true) are not supported: their magnitude vectors rescale each column of W + ΔW'],
    ['bad-peft-type', "error: bad-peft-type/adapter_config.json: peft_type 'IA3' is not supported (only LoRA adapters are read)"],
    ['bad-no-config', "error: bad-no-config/adapter_model.safetensors: a PEFT adapter's weights without its adapter_config.json (r and lora_alpha are in it): open the adapter's folder, or both files"],
  ];
  for (const [folder, line] of bad) {
    it(`${folder}: one error line naming the file and the fault, exit 1, no output`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'cv-lora-bad-'));
      try {
        const r = cli(['apply', '--pre', 'pre-bf16', '--vector', folder, '--out', join(dir, 'out.safetensors'), '--no-hash']);
        expect(r.status).toBe(1);
        expect(r.stderr.trim().split('\n')).toEqual([line]);
        expect(spawnSync('ls', [dir], { encoding: 'utf8' }).stdout).toBe('');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('extract from an adapter and a full checkpoint needs θ_pre, which extract does not read', () => {
    const r = cli(['extract', '--aux', 'plain', '--sft', 'sft-bf16', '--out', join(tmpdir(), 'never.safetensors'), '--no-hash']);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe('error: plain (θ_aux) is a LoRA adapter, θ_pre + ΔW, but extract does not read θ_pre: give the full checkpoint instead, or adapters for all its roles');
  });

  it('an adapter cannot be θ_pre', () => {
    const r = cli(['apply', '--pre', 'plain', '--vector', 'embedding', '--out', join(tmpdir(), 'never.safetensors'), '--no-hash']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: plain is a LoRA adapter: θ_pre must be a full checkpoint/);
  });
});
