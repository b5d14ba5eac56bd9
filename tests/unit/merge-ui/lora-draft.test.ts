/** The Merge panel's LoRA fields → the Worker's request, and a LoRA export seen as a merge result. */
import { describe, expect, it } from 'vitest';
import { loraRequest, DEFAULT_LORA_DRAFT } from '../../../src/ui/merge/lora-draft';
import { loraAsMergeResult, loraProgress } from '../../../src/merge/lora/summary';
import type { LoraExportResult } from '../../../src/merge/lora/export';

describe('loraRequest', () => {
  it('is null when off, and takes a whole rank ≥ 1 and an optional energy in (0, 1]', () => {
    expect(loraRequest(DEFAULT_LORA_DRAFT)).toBeNull();
    const on = { ...DEFAULT_LORA_DRAFT, enabled: true };
    expect(loraRequest(on)).toEqual({ maxRank: 16 });
    expect(loraRequest({ ...on, rank: '8', energy: '0.95' })).toEqual({ maxRank: 8, energy: 0.95 });
    expect(loraRequest({ ...on, energy: '  ' })).toEqual({ maxRank: 16 });
    for (const rank of ['0', '2.5', '', 'x']) expect(loraRequest({ ...on, rank })).toEqual({ error: expect.stringMatching(/LoRA rank/) });
    for (const energy of ['0', '1.01', '-1', 'x']) expect(loraRequest({ ...on, energy })).toEqual({ error: expect.stringMatching(/Energy kept/) });
    expect(loraRequest({ ...on, energy: '1' })).toEqual({ maxRank: 16, energy: 1 });
  });
});

describe('a LoRA export as the run status shows it', () => {
  it('progress: the bytes read so far, a rate and an ETA from the time elapsed', () => {
    const p = loraProgress({ tensorsDone: 1, tensorCount: 4, bytesRead: 100, totalBytes: 400, currentTensor: 'w' }, 0, 2000);
    expect(p).toMatchObject({ phase: 'merging', bytesRead: 100, totalBytes: 400, rate: 50, etaSeconds: 6, currentTensor: 'w', tensorsDone: 1, tensorCount: 4 });
  });
  it('result: modules as merged, the bytes of every file, and the totals in a note', () => {
    const r: LoraExportResult = {
      files: [{ name: 'adapter_config.json', bytes: 10 }, { name: 'adapter_model.safetensors', bytes: 1000 }, { name: 'lora-report.json', bytes: 5 }],
      tensors: [
        { name: 'a.weight', kind: 'linear', shape: [8, 8], denseBytes: 128, bytes: 256, rank: 4 },
        { name: 'b.bias', kind: 'dense', shape: [8], denseBytes: 16, bytes: 16 },
      ],
      config: { r: 4 },
      totals: { adapterBytes: 1000, denseSideBytes: 0, denseGammaBytes: 144, modules: 1, dense: 1, zero: 0 },
      options: { maxRank: 4, energy: null, powerIterations: 2, oversample: 10, seed: 0, dtype: 'F32' },
      seconds: 1.5,
    };
    const m = loraAsMergeResult(r);
    expect(m).toMatchObject({ tensors: 2, merged: 1, copied: 0, bytesRead: 256, bytesWritten: 1015, seconds: 1.5, engine: 'cpu' });
    expect(m.notes[0]).toMatch(/^LoRA adapter: 1 module\(s\) \(largest rank 4\)/);
    expect(m.notes[0]).toContain('1 tensor(s) whole in gamma_dense.safetensors');
  });
});
