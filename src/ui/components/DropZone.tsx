import { useRef, useState, type DragEvent, type ReactNode } from 'react';
import { collectDropped } from '../checkpoints/collect-files';
import { loadInputs } from '../checkpoints/load-files';

const hasFiles = (e: DragEvent) => Array.from(e.dataTransfer?.types ?? []).includes('Files');

/** The whole app is a drop target for files and folders; an overlay shows while dragging. */
export function DropZone({ children }: { children: ReactNode }) {
  const [over, setOver] = useState(false);
  const depth = useRef(0);
  return (
    <div
      className="cv-app"
      data-testid="drop-zone"
      onDragEnter={(e) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        depth.current += 1;
        setOver(true);
      }}
      onDragOver={(e) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
      }}
      onDragLeave={() => {
        depth.current = Math.max(0, depth.current - 1);
        if (!depth.current) setOver(false);
      }}
      onDrop={(e) => {
        e.preventDefault();
        depth.current = 0;
        setOver(false);
        // Entries must be taken now: the DataTransfer is emptied after this handler returns.
        const files = collectDropped(e.dataTransfer);
        void files.then((f) => loadInputs(f));
      }}
    >
      {children}
      {over && <div className="cv-dropzone-overlay" aria-hidden="true">Drop checkpoint files or folders</div>}
    </div>
  );
}
