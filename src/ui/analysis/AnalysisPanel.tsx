// Placeholder until the analysis panel lands (owned by the analysis area).
export default function AnalysisPanel() {
  return <section aria-label="analysis"><p>The analysis panel is not built yet.</p></section>;
}
