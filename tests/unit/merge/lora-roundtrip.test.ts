/**
 * The round trip of issue 13: γ exported as a PEFT LoRA adapter (`extract --lora-rank R`) and applied by the
 * workbench's own adapter reader (`apply --vector ADAPTER`, issue 12) gives θ_pre + α·γ_R, where γ_R is
 * torch.linalg.svd's float64 best rank-R approximation (tests/fixtures/lora-export/golden.json, written by
 * make_lora_export_golden.py) — for linear weights, the embedding and the convolution alike; the tensors the
 * adapter leaves to gamma_dense.safetensors come back whole when that file is applied too.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readTensorF32 } from '../../../src/formats/checkpoint';
import { openPath } from '../../../src/node/paths';
import { runCli } from '../cli/run-cli';

const DIR = join(__dirname, '../../fixtures/lora-export');
const AUX = join(DIR, 'aux.safetensors');
const SFT = join(DIR, 'sft.safetensors');
interface GoldenTensor { name: string; kind: string; shape: number[]; matrix?: number[]; gammaR?: number[] }
const golden = JSON.parse(readFileSync(join(DIR, 'golden.json'), 'utf8')) as { rank: number; tensors: GoldenTensor[] };
const tmp = mkdtempSync(join(tmpdir(), 'capvector-lora-roundtrip-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const ALPHA = 0.75;

async function tensors(path: string): Promise<Map<string, Float32Array>> {
  const ck = await openPath(path);
  const out = new Map<string, Float32Array>();
  for (const t of ck.tensors) out.set(t.name, await readTensorF32(t));
  return out;
}

describe('γ as a LoRA adapter, applied by the workbench', () => {
  it('equals θ_pre + α·γ_R (torch float64 SVD) on every factored matrix, and θ_pre + α·γ on the side file', async () => {
    const adapter = join(tmp, 'adapter');
    const ex = await runCli(['extract', '--aux', AUX, '--sft', SFT, '--lora-rank', String(golden.rank), '--out', adapter]);
    expect(ex.code, ex.err).toBe(0);
    // θ_pre = θ_sft: then θ_meta − θ_pre is exactly what the adapter adds.
    const meta = join(tmp, 'meta.safetensors');
    const ap = await runCli(['apply', '--pre', SFT, '--vector', join(adapter, 'adapter_config.json'), '--alpha', String(ALPHA), '--out', meta]);
    expect(ap.code, ap.err).toBe(0);
    const full = join(tmp, 'meta-full.safetensors');
    const ap2 = await runCli(['apply', '--pre', meta, '--vector', join(adapter, 'gamma_dense.safetensors'), '--alpha', String(ALPHA), '--out', full]);
    expect(ap2.code, ap2.err).toBe(0);

    const [pre, aux, got, gotFull] = await Promise.all([tensors(SFT), tensors(AUX), tensors(meta), tensors(full)]);
    let checkedLowRank = 0;
    for (const g of golden.tensors) {
      const p = pre.get(g.name)!;
      const m = got.get(g.name)!;
      expect(m.length, g.name).toBe(p.length);
      if (g.gammaR) {
        // ‖(θ_meta − θ_pre)/α − γ_R‖_F against ‖γ_R‖_F: the float32 factors and output leave ~1e-7; a wrong
        // rank, layout (the conv's flattening, the embedding's transpose) or scale leaves ≥ 1e-2.
        // γ_R is in PEFT's factored orientation: the embedding's is the transpose [dim, vocab] of the tensor.
        const [vocab, dim] = g.shape;
        const at = (i: number) => (g.kind === 'embedding' ? g.gammaR![(i % dim) * vocab + Math.floor(i / dim)] : g.gammaR![i]);
        let err = 0, norm = 0;
        for (let i = 0; i < p.length; i++) {
          const d = (m[i] - p[i]) / ALPHA - at(i);
          err += d * d;
          norm += at(i) ** 2;
        }
        expect(Math.sqrt(err / norm), `${g.name} (${g.kind})`).toBeLessThan(2e-5);
        checkedLowRank++;
      } else if (g.kind === 'zero') {
        expect(Array.from(m), g.name).toEqual(Array.from(p));
      }
      if (g.kind === 'dense') {
        // Not a LoRA target: untouched by the adapter, then θ_pre + α·γ from gamma_dense.safetensors (γ = f32(aux − sft)).
        expect(Array.from(m), g.name).toEqual(Array.from(p));
        const a = aux.get(g.name)!;
        const f = gotFull.get(g.name)!;
        for (let i = 0; i < p.length; i++) {
          const want = Math.fround(p[i] + ALPHA * Math.fround(a[i] - p[i]));
          expect(Math.abs(f[i] - want), `${g.name}[${i}]`).toBeLessThanOrEqual(Math.abs(want) * 2 ** -23);
        }
      }
    }
    expect(checkedLowRank, 'linear, embedding and convolution matrices with a golden γ_R').toBe(golden.tensors.filter((t) => t.gammaR).length);
    expect(golden.tensors.filter((t) => t.gammaR).map((t) => t.kind).sort()).toEqual(['conv', 'embedding', 'linear', 'linear']);
  });
});
