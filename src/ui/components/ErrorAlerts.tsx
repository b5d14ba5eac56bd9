import { useWorkbench } from '../../store/workbench';

/** Load errors from the store, each naming its file and fault, each dismissible. */
export function ErrorAlerts() {
  const errors = useWorkbench((s) => s.errors);
  const dismiss = useWorkbench((s) => s.dismissError);
  if (!errors.length) return null;
  return (
    <div className="cv-alerts">
      {errors.map((e) => (
        <div key={e.id} role="alert" className="cv-alert" data-file={e.file}>
          <p>
            <strong>Could not open {e.file}</strong>
            <br />
            {e.message}
          </p>
          <button type="button" className="cv-btn cv-btn-small" aria-label={`Dismiss error for ${e.file}`} onClick={() => dismiss(e.id)}>
            Dismiss
          </button>
        </div>
      ))}
    </div>
  );
}
