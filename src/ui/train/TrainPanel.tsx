// Placeholder until the train panel lands (owned by the train area).
export default function TrainPanel() {
  return <section aria-label="train"><p>The train panel is not built yet.</p></section>;
}
