/** The randomised SVD's linear algebra on `window.harness.spectral`, for the WebGPU parity suite (e2e/spectral-gpu.spec.ts). */
import { CpuLinalg } from '../compute/linalg/cpu-linalg';
import { gemmRef, orthoReport } from '../compute/linalg/gemm.ref';
import { WebGpuLinalg, f32Matrix } from '../compute/linalg/webgpu-linalg';
import { WebGpuEngine } from '../compute/webgpu-engine';
import { orthonormalise, randomizedSvd } from '../analysis/randomized-svd';
import { gaussian } from '../analysis/rng';
import { energyRank, matrixShape, spectralSummary, subspaceOverlap } from '../analysis/spectral';
import { capvectorPlan } from '../analysis/plan';
import { planStatsTasks } from '../analysis/run-stats';
import { runSpectral, type TensorSpectral } from '../analysis/run-spectral';
import type { Checkpoint } from '../formats/checkpoint';
import { reopenCheckpoint } from '../workers/reopen';

/**
 * The spectral pass (γ's spectra, overlaps with Δ at α = 0.8) over the built-in demo family, with the
 * randomised SVD on a WebGPU engine or on the CPU (no engine, as the CLI runs it); `every` n-th matrix
 * only (SwiftShader is slow), in the order of the tasks.
 */
async function demoSpectra(kind: 'cpu' | 'webgpu', k = 32, every = 1): Promise<TensorSpectral[]> {
  const manifest = (await (await fetch('demo/manifest.json')).json()) as { checkpoints: { role: string; files: string[] }[] };
  const byRole: Record<string, Checkpoint> = {};
  for (const c of manifest.checkpoints) {
    byRole[c.role] = await reopenCheckpoint(await Promise.all(c.files.map(async (path) => ({ path, blob: await (await fetch(`demo/${path}`)).blob() }))));
  }
  const plan = capvectorPlan({ down: true });
  const tasks = planStatsTasks(plan, byRole).tasks.filter((t) => matrixShape(t.entries[0].shape)).filter((_, i) => i % every === 0);
  const engine = kind === 'webgpu' ? await WebGpuEngine.create() : undefined;
  const rows: TensorSpectral[] = [];
  try {
    await runSpectral({ plan, tasks, k, alpha: () => 0.8, engine, onTensor: (t) => rows.push(t) });
  } finally {
    engine?.dispose();
  }
  return rows;
}

export const spectral = {
  CpuLinalg, WebGpuLinalg, f32Matrix, gemmRef, orthoReport, orthonormalise, randomizedSvd, gaussian, spectralSummary, energyRank, subspaceOverlap, demoSpectra,
};
