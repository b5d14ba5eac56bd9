import { useWorkbench, type InputFile } from '../../store/workbench';
import { loadInputs } from './load-files';
import { useLoadStatus } from './load-status';

/** public/demo/manifest.json, written by scripts/make_demo.py. */
export interface DemoManifest {
  name: string;
  description?: string;
  checkpoints: { role: string; name: string; files: string[] }[];
}

/** Relative to the app's base so the built app works from any folder. */
export function demoUrl(path: string): string {
  const base = import.meta.env.BASE_URL || './';
  return `${base.endsWith('/') ? base : base + '/'}demo/${path}`;
}

async function fetchBlob(path: string): Promise<Blob> {
  const res = await fetch(demoUrl(path));
  if (!res.ok) throw new Error(`demo/${path}: HTTP ${res.status}`);
  return res.blob();
}

/**
 * Loads the built-in demo family (θ_pre, θ_aux sharded, θ_sft, θ_down) and gives each its role.
 * Each checkpoint is opened as its own group so roles follow the manifest, not name guessing.
 */
export async function loadDemo(): Promise<void> {
  const status = useLoadStatus.getState();
  const store = useWorkbench.getState();
  try {
    status.set('Fetching the demo…');
    const res = await fetch(demoUrl('manifest.json'));
    if (!res.ok) throw new Error(`demo/manifest.json: HTTP ${res.status}`);
    const manifest = (await res.json()) as DemoManifest;
    // A second click resets the demo instead of loading a second copy.
    for (const c of useWorkbench.getState().checkpoints) if (c.origin === 'demo') store.removeCheckpoint(c.id);
    for (const entry of manifest.checkpoints) {
      status.set(`Fetching the demo: ${entry.name}…`);
      const inputs: InputFile[] = await Promise.all(entry.files.map(async (path) => ({ path, blob: await fetchBlob(path) })));
      const [id] = await loadInputs(inputs, 'demo');
      if (id) useWorkbench.getState().setRole(entry.role, id);
    }
  } catch (e) {
    store.addError('demo', e instanceof Error ? e.message : String(e));
  } finally {
    status.set(null);
  }
}
