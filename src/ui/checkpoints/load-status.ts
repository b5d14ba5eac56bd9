import { create } from 'zustand';

/** What the loader is doing right now (shown under the header); null when idle. */
export const useLoadStatus = create<{ busy: string | null; set(busy: string | null): void }>()((set) => ({
  busy: null,
  set: (busy) => set({ busy }),
}));
