import { useRef } from 'react';
import { collectPicked } from './collect-files';
import { loadInputs } from './load-files';
import { loadDemo } from './demo';
import { useLoadStatus } from './load-status';

/** File picker, folder picker and the one-click demo; dropping anywhere works too. */
export function LoadControls() {
  const files = useRef<HTMLInputElement>(null);
  const folder = useRef<HTMLInputElement>(null);
  const busy = useLoadStatus((s) => s.busy);
  const pick = (input: HTMLInputElement | null) => {
    if (!input) return;
    const picked = collectPicked(input.files);
    input.value = '';
    void loadInputs(picked);
  };
  return (
    <div className="cv-toolbar">
      <button type="button" className="cv-btn" onClick={() => files.current?.click()}>Open files…</button>
      <input
        ref={files}
        type="file"
        multiple
        hidden
        aria-label="Checkpoint files"
        data-testid="file-input"
        onChange={(e) => pick(e.currentTarget)}
      />
      <button type="button" className="cv-btn" onClick={() => folder.current?.click()}>Open folder…</button>
      <input
        ref={(el) => {
          folder.current = el;
          // React does not pass webkitdirectory through as a boolean prop: set it on the element.
          if (el) el.setAttribute('webkitdirectory', '');
        }}
        type="file"
        multiple
        hidden
        aria-label="Checkpoint folder"
        data-testid="folder-input"
        onChange={(e) => pick(e.currentTarget)}
      />
      <button type="button" className="cv-btn cv-btn-primary" disabled={!!busy} onClick={() => void loadDemo()}>
        Load demo
      </button>
    </div>
  );
}
