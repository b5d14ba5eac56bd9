/**
 * The URL state of the app, read and written in one place (as the TensorFlow playground keeps one
 * State): the hash is '#tab' or '#tab?query'. The tab is the open panel; the query belongs to that
 * panel's store (the merge recipe draft, the analysis view) and is only written while it is open, so
 * a link reopens the same view and panels never overwrite each other's state.
 */

export interface HashState {
  tab: string;
  /** What follows '?', or null when there is no '?'. */
  query: string | null;
}

export function readHash(): HashState {
  if (typeof window === 'undefined') return { tab: '', query: null };
  const h = window.location.hash.replace(/^#/, '');
  const i = h.indexOf('?');
  return i < 0 ? { tab: h, query: null } : { tab: h.slice(0, i), query: h.slice(i + 1) };
}

/** Replaces the hash (no history entry per change). */
export function writeHash(tab: string, query?: string): void {
  window.history.replaceState(null, '', query === undefined ? `#${tab}` : `#${tab}?${query}`);
}

/** The query of `tab` when the URL opens it with a non-empty one, else null. */
export function queryFor(tab: string): string | null {
  const { tab: open, query } = readHash();
  return open === tab && query ? query : null;
}

interface Store<S> {
  getState(): S;
  subscribe(listener: (state: S, prev: S) => void): () => void;
}

/**
 * Keeps `pick(state)` in '#tab?query' while `tab` is open: on every change of it, and when `sync` is
 * called (the panel calls it when it mounts). Returns `sync`.
 */
export function mirrorToHash<S, T>(tab: string, store: Store<S>, pick: (s: S) => T, toQuery: (v: T) => string): () => void {
  const sync = () => {
    if (readHash().tab === tab) writeHash(tab, toQuery(pick(store.getState())));
  };
  if (typeof window !== 'undefined') {
    store.subscribe((s, prev) => {
      if (pick(s) !== pick(prev)) sync();
    });
  }
  return sync;
}
