import { useLoadStatus } from './load-status';

export function LoadStatus() {
  const busy = useLoadStatus((s) => s.busy);
  return (
    <div role="status" aria-live="polite" className="cv-muted cv-small" data-testid="load-status">
      {busy ?? ''}
    </div>
  );
}
