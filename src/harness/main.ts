/**
 * Exposes the pure layers to Playwright so browser tests can run kernels and readers against
 * their CPU twins in real Chromium WebGPU. Each area registers itself in ./registry-*.ts files.
 */
import * as dtype from '../formats/dtype';
import * as byteSource from '../formats/byte-source';

const modules = import.meta.glob('./expose-*.ts', { eager: true }) as Record<string, Record<string, unknown>>;
const harness: Record<string, unknown> = { dtype, byteSource };
for (const m of Object.values(modules)) Object.assign(harness, m);
(globalThis as any).harness = harness;
(globalThis as any).harnessReady = true;
