import { useCallback, useEffect, useState } from 'react';
import { readHash, writeHash } from '../../store/url-hash';

/**
 * The active tab lives in the URL hash (#merge) so a link or a reload opens the same view.
 * Other state may share the hash after a '?' (#merge?alpha=0.8); only the part before it is the tab.
 */
export function useHashTab<T extends string>(tabs: readonly T[], fallback: T): [T, (tab: T) => void] {
  const read = useCallback((): T => {
    const id = readHash().tab;
    return (tabs as readonly string[]).includes(id) ? (id as T) : fallback;
  }, [tabs, fallback]);
  const [tab, setTab] = useState<T>(read);
  useEffect(() => {
    const onHash = () => setTab(read());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, [read]);
  const select = useCallback((next: T) => {
    setTab(next);
    if (read() !== next) writeHash(next);
  }, [read]);
  return [tab, select];
}
