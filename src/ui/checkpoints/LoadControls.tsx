import { useRef } from 'react';
import { collectPicked } from './collect-files';
import { loadInputs } from './load-files';
import { loadDemo } from './demo';
import { useLoadStatus } from './load-status';

/** A button that opens a hidden file input (files, or a whole folder) and loads what was picked. */
function PickButton({ label, inputLabel, testId, folder }: { label: string; inputLabel: string; testId: string; folder?: boolean }) {
  const input = useRef<HTMLInputElement | null>(null);
  const pick = (el: HTMLInputElement) => {
    const picked = collectPicked(el.files);
    el.value = '';
    void loadInputs(picked);
  };
  return (
    <>
      <button type="button" className="cv-btn" onClick={() => input.current?.click()}>{label}</button>
      <input
        ref={(el) => {
          input.current = el;
          // React does not pass webkitdirectory through as a boolean prop: set it on the element.
          if (el && folder) el.setAttribute('webkitdirectory', '');
        }}
        type="file"
        multiple
        hidden
        aria-label={inputLabel}
        data-testid={testId}
        onChange={(e) => pick(e.currentTarget)}
      />
    </>
  );
}

/** File picker, folder picker and the one-click demo; dropping anywhere works too. */
export function LoadControls() {
  const busy = useLoadStatus((s) => s.busy);
  return (
    <div className="cv-toolbar">
      <PickButton label="Open files…" inputLabel="Checkpoint files" testId="file-input" />
      <PickButton label="Open folder…" inputLabel="Checkpoint folder" testId="folder-input" folder />
      <button type="button" className="cv-btn cv-btn-primary" disabled={!!busy} onClick={() => void loadDemo()}>
        Load demo
      </button>
    </div>
  );
}
