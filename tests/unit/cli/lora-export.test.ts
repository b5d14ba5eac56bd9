/** `capvector extract --lora-rank R [--lora-energy q] --out DIR`: the files on disk, the report, the usage faults. */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli';

const DIR = join(__dirname, '../../fixtures/lora-export');
const AUX = join(DIR, 'aux.safetensors');
const SFT = join(DIR, 'sft.safetensors');
const golden = JSON.parse(readFileSync(join(DIR, 'golden.json'), 'utf8')) as { tensors: { name: string; kind: string; eckartYoung?: number[]; energyRank?: Record<string, number> }[] };
const tmp = mkdtempSync(join(tmpdir(), 'capvector-lora-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const cli = runCli;

describe('capvector extract --lora-rank', () => {
  it('writes the adapter folder and prints a row per tensor of γ with its rank, energy and error against Eckart–Young', async () => {
    const out = join(tmp, 'adapter');
    const r = await cli(['extract', '--aux', AUX, '--sft', SFT, '--lora-rank', '4', '--out', out]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors', 'gamma_dense.safetensors', 'lora-report.json']);
    const report = JSON.parse(readFileSync(join(out, 'lora-report.json'), 'utf8'));
    expect(report.options).toEqual({ maxRank: 4, energy: null, powerIterations: 2, oversample: 10, seed: 0, dtype: 'F32' });
    for (const g of golden.tensors) {
      const line = r.out.split('\n').find((l) => l.startsWith(`${g.name} `));
      expect(line, g.name).toBeDefined();
      expect(line).toContain(` ${g.kind} `);
      const t = report.tensors.find((x: { name: string }) => x.name === g.name);
      if (g.kind === 'linear' || g.kind === 'conv' || g.kind === 'embedding') {
        expect(t.rank).toBe(4);
        expect(t.error / g.eckartYoung![4], g.name).toBeLessThan(1.05);
        expect(t.error / g.eckartYoung![4], g.name).toBeGreaterThan(1 - 1e-6);
      }
    }
    expect(r.out).toMatch(/adapter: 6 LoRA module\(s\), .* \(float32\) \+ 3 tensor\(s\) whole in gamma_dense\.safetensors .* 1 zero γ matrix\(es\) left out/);
    expect(JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8')).r).toBe(4);
  });

  it('--lora-energy picks per-module ranks into rank_pattern', async () => {
    const out = join(tmp, 'energy');
    const r = await cli(['extract', '--aux', AUX, '--sft', SFT, '--lora-rank', '4', '--lora-energy', '0.9', '--lora-power', '3', '--out', out, '--json']);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.out);
    expect(res.options).toMatchObject({ energy: 0.9, powerIterations: 3 });
    const cfg = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8'));
    expect(cfg.rank_pattern['model.layers.0.mlp.gate_proj']).toBe(Math.min(4, golden.tensors.find((t) => t.name === 'model.layers.0.mlp.gate_proj.weight')!.energyRank!['0.9']));
    expect(cfg.rank_pattern).toEqual(cfg.alpha_pattern);
  });

  it('--threads 2 (matrices factored on worker threads) writes the very files of --threads 0', async () => {
    const outs = [];
    for (const threads of ['0', '2']) {
      const out = join(tmp, `threads-${threads}`);
      const r = await cli(['extract', '--aux', AUX, '--sft', SFT, '--lora-rank', '4', '--lora-energy', '0.95', '--threads', threads, '--out', out]);
      expect(r.code, r.err).toBe(0);
      outs.push(out);
    }
    for (const f of ['adapter_config.json', 'adapter_model.safetensors', 'gamma_dense.safetensors']) {
      expect(readFileSync(join(outs[1], f)).equals(readFileSync(join(outs[0], f))), f).toBe(true);
    }
    const tensors = outs.map((o) => JSON.parse(readFileSync(join(o, 'lora-report.json'), 'utf8')).tensors);
    expect(tensors[1]).toEqual(tensors[0]);
  });

  it('usage faults exit 2 with one error line and leave nothing behind', async () => {
    const out = join(tmp, 'bad');
    for (const [args, msg] of [
      [['--lora-energy', '0.9'], /--lora-energy needs --lora-rank/],
      [['--lora-rank', '0'], /--lora-rank must be a whole number ≥ 1/],
      [['--lora-rank', '4', '--lora-energy', '2'], /--lora-energy must be a number in \(0, 1\]/],
      [['--lora-rank', '4', '--lora-power', '-1'], /--lora-power must be a whole number/],
    ] as const) {
      const r = await cli(['extract', '--aux', AUX, '--sft', SFT, '--out', out, ...args]);
      expect(r.code).toBe(2);
      expect(r.err.split('\n')[0]).toMatch(msg);
    }
    const r = await cli(['extract', '--aux', AUX, '--sft', SFT, '--lora-rank', '4', '--out', join(tmp, 'x.safetensors')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--out of a LoRA export is a folder/);
    expect(existsSync(out)).toBe(false);
  });

  it('a missing input is one error line naming the file', async () => {
    const r = await cli(['extract', '--aux', join(tmp, 'nope.safetensors'), '--sft', SFT, '--lora-rank', '4', '--out', join(tmp, 'none')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error: .*nope\.safetensors/);
  });
});
