import { useEffect, useRef, useState } from 'react';
import { useTrain } from '../../store/train';
import { CKPT_LABELS, type CkptId } from '../../train/experiment';
import { renderAt, type EnvState } from '../../train/env';
import type { Rollout } from '../../train/evaluate';
import type { TaskSetId } from '../../train/tasks';
import type { RolloutSource } from '../../workers/train-protocol';

const SIZE = 120;
const SETS: { id: TaskSetId; label: string }[] = [
  { id: 'downstream', label: 'Downstream (held out)' },
  { id: 'extract', label: 'Extraction' },
  { id: 'pretrain', label: 'Pretraining' },
];
/** Checkpoints that are policies (γ is a difference, not a policy). */
const POLICIES: CkptId[] = ['pre', 'sft', 'aux', 'meta', 'down-pre', 'down-meta', 'down-meta-orth', 'down-pre-aux'];

const toPx = (v: number) => ((v + 1) / 2) * SIZE;

/** One episode: the scene it started from, drawn large, with the agent's path over it. */
function Episode({ r }: { r: Rollout }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const ctx = ref.current?.getContext('2d');
    if (!ctx) return;
    const start: EnvState = r.start;
    const rgb = renderAt(start, SIZE);
    const img = ctx.createImageData(SIZE, SIZE);
    for (let i = 0; i < SIZE * SIZE; i++) {
      img.data[i * 4] = rgb[i * 3] * 255;
      img.data[i * 4 + 1] = rgb[i * 3 + 1] * 255;
      img.data[i * 4 + 2] = rgb[i * 3 + 2] * 255;
      img.data[i * 4 + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
    ctx.lineWidth = 2;
    ctx.strokeStyle = r.success ? '#22c55e' : '#f97316';
    ctx.beginPath();
    r.path.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(toPx(x), toPx(-y)) : ctx.lineTo(toPx(x), toPx(-y))));
    ctx.stroke();
    const [ex, ey] = r.path[r.path.length - 1];
    ctx.fillStyle = ctx.strokeStyle;
    ctx.beginPath();
    ctx.arc(toPx(ex), toPx(-ey), 3, 0, 2 * Math.PI);
    ctx.fill();
  }, [r]);
  const label = `${r.text}: ${r.success ? 'success' : 'failed'} after ${r.path.length - 1} steps`;
  return (
    <figure className="cv-train-episode" data-success={String(r.success)}>
      <canvas ref={ref} width={SIZE} height={SIZE} role="img" aria-label={label} />
      <figcaption className="cv-small">
        <span aria-hidden="true">{r.success ? '✓' : '✗'}</span> {r.text}
      </figcaption>
    </figure>
  );
}

/** The world the policy acts in: each task's evaluation scenes with the expert's or a checkpoint's rollouts. */
export function World() {
  const checkpoints = useTrain((s) => s.checkpoints);
  const { rollout } = useTrain.getState();
  const have = new Set(checkpoints.map((c) => c.id));
  const sources: RolloutSource[] = ['expert', ...POLICIES.filter((id) => have.has(id))];
  const [source, setSource] = useState<RolloutSource>('expert');
  const [set, setSet] = useState<TaskSetId>('downstream');
  const [episodes, setEpisodes] = useState<Rollout[] | null>(null);
  const [state, setState] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });
  const show = async () => {
    setState({ busy: true, error: null });
    try {
      setEpisodes(await rollout(source, set, 3));
      setState({ busy: false, error: null });
    } catch (e) {
      setState({ busy: false, error: e instanceof Error ? e.message : String(e) });
    }
  };
  const solved = episodes ? episodes.filter((e) => e.success).length : 0;
  return (
    <section aria-label="World and rollouts" className="cv-card cv-train-world">
      <div className="cv-toolbar">
        <label className="cv-field">
          <span>Policy</span>
          <select className="cv-select" aria-label="Rollout policy" value={sources.includes(source) ? source : 'expert'} onChange={(e) => setSource(e.target.value as RolloutSource)}>
            {sources.map((s) => <option key={s} value={s}>{s === 'expert' ? 'scripted expert (demonstrations)' : CKPT_LABELS[s]}</option>)}
          </select>
        </label>
        <label className="cv-field">
          <span>Tasks</span>
          <select className="cv-select" aria-label="Rollout tasks" value={set} onChange={(e) => setSet(e.target.value as TaskSetId)}>
            {SETS.map((s) => <option key={s.id} value={s.id}>{s.label}</option>)}
          </select>
        </label>
        <button type="button" className="cv-btn" onClick={() => void show()} disabled={state.busy}>Show rollouts</button>
        {episodes && <span className="cv-small" role="status" aria-label="Rollout result">{solved} of {episodes.length} solved</span>}
        {state.error && <span className="cv-badge cv-badge-danger" role="alert">{state.error}</span>}
      </div>
      {episodes ? (
        <div className="cv-train-filmstrip" role="list" aria-label="Rollouts">
          {episodes.map((r, i) => <div role="listitem" key={i}><Episode r={r} /></div>)}
        </div>
      ) : (
        <p className="cv-muted cv-small">Evaluation scenes of each task with the path the policy takes (green: solved, orange: not).</p>
      )}
    </section>
  );
}
