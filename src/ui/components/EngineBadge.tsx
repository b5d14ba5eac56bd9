import { useEffect, useState } from 'react';

/**
 * Says which compute path the workbench can use here. It only asks the browser for an adapter
 * (no device, no kernels); the compute area may replace this with the engine it actually picked.
 */
export function EngineBadge() {
  const [engine, setEngine] = useState<'checking' | 'webgpu' | 'cpu'>('checking');
  useEffect(() => {
    let live = true;
    const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
    if (!gpu) {
      setEngine('cpu');
      return;
    }
    gpu.requestAdapter().then(
      (a) => live && setEngine(a ? 'webgpu' : 'cpu'),
      () => live && setEngine('cpu'),
    );
    return () => { live = false; };
  }, []);
  const text = engine === 'checking' ? 'Engine: checking…' : engine === 'webgpu' ? 'Engine: WebGPU' : 'Engine: CPU';
  return (
    <span className={`cv-badge ${engine === 'webgpu' ? 'cv-badge-ok' : ''}`} data-testid="engine-badge" role="status">
      {text}
    </span>
  );
}
