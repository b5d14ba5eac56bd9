// Placeholder until the merge panel lands (owned by the merge area).
export default function MergePanel() {
  return <section aria-label="merge"><p>The merge panel is not built yet.</p></section>;
}
