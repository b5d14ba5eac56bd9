import { lazy, Suspense } from 'react';
import { ErrorBoundary } from './components/ErrorBoundary';
import { ErrorAlerts } from './components/ErrorAlerts';
import { EngineBadge } from './components/EngineBadge';
import { Tabs, type TabDef } from './components/Tabs';
import { DropZone } from './components/DropZone';
import { LoadControls } from './checkpoints/LoadControls';
import { LoadStatus } from './checkpoints/LoadStatus';
import { useHashTab } from './hooks/useHashTab';

// Each panel is its own chunk: the Checkpoints view opens without loading tfjs or the merge code.
const CheckpointsPanel = lazy(() => import('./checkpoints/CheckpointsPanel'));
const MergePanel = lazy(() => import('./merge/MergePanel'));
const AnalysisPanel = lazy(() => import('./analysis/AnalysisPanel'));
const TrainPanel = lazy(() => import('./train/TrainPanel'));

type TabId = 'checkpoints' | 'merge' | 'analysis' | 'finetune';
const TABS: TabDef<TabId>[] = [
  { id: 'checkpoints', label: 'Checkpoints' },
  { id: 'merge', label: 'Merge' },
  { id: 'analysis', label: 'Analysis' },
  { id: 'finetune', label: 'Finetune' },
];
const TAB_IDS = TABS.map((t) => t.id);
const PANELS = { checkpoints: CheckpointsPanel, merge: MergePanel, analysis: AnalysisPanel, finetune: TrainPanel };

/** Layout only: header, tabs, alerts, and the active panel behind an error boundary. */
export function App() {
  const [tab, setTab] = useHashTab<TabId>(TAB_IDS, 'checkpoints');
  const Panel = PANELS[tab];
  const label = TABS.find((t) => t.id === tab)!.label;
  return (
    <DropZone>
      <header className="cv-header">
        <h1>CapVector Workbench</h1>
        <span className="cv-muted cv-small cv-tagline">capability vectors for vision-language-action models</span>
        <span className="cv-spacer" />
        <LoadStatus />
        <LoadControls />
        <EngineBadge />
      </header>
      <Tabs tabs={TABS} active={tab} onSelect={setTab} label="Workbench views" />
      <main className="cv-main">
        <ErrorAlerts />
        <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className="cv-panel">
          <ErrorBoundary key={tab} name={label}>
            <Suspense fallback={<p className="cv-muted" role="status">Loading {label}…</p>}>
              <Panel />
            </Suspense>
          </ErrorBoundary>
        </div>
      </main>
    </DropZone>
  );
}
