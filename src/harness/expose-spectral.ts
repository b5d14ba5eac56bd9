/** The randomised SVD's linear algebra on `window.harness.spectral`, for the WebGPU parity suite (e2e/spectral-gpu.spec.ts). */
import { CpuLinalg } from '../compute/linalg/cpu-linalg';
import { gemmRef, orthoReport } from '../compute/linalg/gemm.ref';
import { WebGpuLinalg, f32Matrix } from '../compute/linalg/webgpu-linalg';
import { orthonormalise, randomizedSvd } from '../analysis/randomized-svd';
import { gaussian } from '../analysis/rng';
import { energyRank, spectralSummary, subspaceOverlap } from '../analysis/spectral';

export const spectral = { CpuLinalg, WebGpuLinalg, f32Matrix, gemmRef, orthoReport, orthonormalise, randomizedSvd, gaussian, spectralSummary, energyRank, subspaceOverlap };
