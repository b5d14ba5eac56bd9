/**
 * The message loop the merge and analysis Workers share: a 'run' request starts a run with its own
 * AbortController (runs are kept by id), a 'cancel' request aborts the run of that id.
 */
export function serveCancellableRuns<R extends { type: 'run'; id: number }>(
  scope: DedicatedWorkerGlobalScope,
  run: (req: R, signal: AbortSignal) => Promise<void>,
): void {
  const running = new Map<number, AbortController>();
  scope.onmessage = (ev: MessageEvent<R | { type: 'cancel'; id: number }>) => {
    const m = ev.data;
    if (m.type === 'run') {
      const ctrl = new AbortController();
      running.set(m.id, ctrl);
      void run(m as R, ctrl.signal).finally(() => running.delete(m.id));
    } else if (m.type === 'cancel') running.get(m.id)?.abort();
  };
}
