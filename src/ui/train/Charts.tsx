import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useTrain } from '../../store/train';
import { ARM_LABELS, meanAbs, type ArmId } from '../../train/experiment';
import type { ArmPoint } from '../../train/loop';
import { POLICY_SPECS } from '../../train/policy';
import { ARM_COLORS } from './arms';

type Y = (p: ArmPoint) => number | undefined;

function Curve({ title, arms, x, y, xLabel, yDomain }: { title: string; arms: ArmId[]; x: 'step' | 'time'; y: Y; xLabel: string; yDomain?: [number, number] }) {
  const curves = useTrain((s) => s.curves);
  const series = arms
    .map((arm) => ({
      arm,
      data: (curves[arm] ?? [])
        .map((p) => ({ x: x === 'step' ? p.step : p.trainMs / 1000, y: y(p) }))
        .filter((d): d is { x: number; y: number } => d.y !== undefined && Number.isFinite(d.y)),
    }))
    .filter((s) => s.data.length > 0);
  return (
    <figure className="cv-card cv-train-chart" aria-label={title} data-series={series.map((s) => s.arm).join(' ')}>
      <figcaption>{title}</figcaption>
      {series.length === 0 ? (
        <p className="cv-muted cv-small">No data yet.</p>
      ) : (
        <ResponsiveContainer width="100%" height={200}>
          <LineChart margin={{ top: 4, right: 12, bottom: 16, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="x" type="number" domain={['dataMin', 'dataMax']} label={{ value: xLabel, position: 'insideBottom', offset: -8 }} tick={{ fontSize: 11 }} allowDuplicatedCategory={false} />
            <YAxis type="number" domain={yDomain ?? ['auto', 'auto']} tick={{ fontSize: 11 }} width={48} />
            <Tooltip formatter={(v) => (typeof v === 'number' ? v.toFixed(4) : String(v))} labelFormatter={(v) => `${xLabel} ${v}`} />
            <Legend wrapperStyle={{ fontSize: 11 }} />
            {series.map((s) => (
              <Line key={s.arm} data={s.data} dataKey="y" name={ARM_LABELS[s.arm]} stroke={ARM_COLORS[s.arm]} dot={false} isAnimationActive={false} strokeWidth={2} />
            ))}
          </LineChart>
        </ResponsiveContainer>
      )}
    </figure>
  );
}

/** Live per-layer cos(Δ_l, γ_l) of the latest point of each arm: the orthogonality, tensor by tensor. */
function LayerCosines({ arms }: { arms: ArmId[] }) {
  const curves = useTrain((s) => s.curves);
  const withCos = arms.filter((a) => (curves[a] ?? []).some((p) => p.cos));
  const last = (a: ArmId) => [...(curves[a] ?? [])].reverse().find((p) => p.cos)?.cos;
  const data = POLICY_SPECS.map((s, i) => {
    const row: Record<string, number | string> = { name: s.name.replace(/\.(weight|bias)$/, (m) => (m === '.bias' ? ' (b)' : '')) };
    for (const a of withCos) row[a] = last(a)?.[i] ?? 0;
    return row;
  });
  return (
    <figure className="cv-card cv-train-chart cv-train-wide" aria-label="Per-layer cos(Δ, γ), latest" data-series={withCos.join(' ')}>
      <figcaption>Per-tensor cos(Δ<sub>l</sub>, γ<sub>l</sub>) now (Δ = θ − θ at the arm's start)</figcaption>
      {withCos.length === 0 ? (
        <p className="cv-muted cv-small">Appears once an arm with γ runs (step 4).</p>
      ) : (
        <ResponsiveContainer width="100%" height={240}>
          <BarChart data={data} margin={{ top: 4, right: 12, bottom: 70, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="name" angle={-40} textAnchor="end" interval={0} tick={{ fontSize: 9 }} />
            <YAxis domain={[-1, 1]} tick={{ fontSize: 11 }} width={40} />
            <Tooltip formatter={(v) => (typeof v === 'number' ? v.toFixed(4) : String(v))} />
            <Legend verticalAlign="top" wrapperStyle={{ fontSize: 11 }} />
            {withCos.map((a) => <Bar key={a} dataKey={a} name={ARM_LABELS[a]} fill={ARM_COLORS[a]} isAnimationActive={false} />)}
          </BarChart>
        </ResponsiveContainer>
      )}
    </figure>
  );
}

export function Charts({ arms }: { arms: ArmId[] }) {
  return (
    <div className="cv-train-charts">
      <Curve title="Success rate vs steps" arms={arms} x="step" y={(p) => p.success} xLabel="step" yDomain={[0, 1]} />
      <Curve title="Probe error vs steps" arms={arms} x="step" y={(p) => p.probe} xLabel="step" />
      <Curve title="Probe error, held-out colour, vs steps" arms={arms} x="step" y={(p) => p.probeHeldOut} xLabel="step" />
      <Curve title="Action loss vs steps" arms={arms} x="step" y={(p) => p.actionLoss} xLabel="step" />
      <Curve title="Action loss vs wall-clock" arms={arms} x="time" y={(p) => p.actionLoss} xLabel="training seconds" />
      <Curve title="Success rate vs wall-clock" arms={arms} x="time" y={(p) => p.success} xLabel="training seconds" yDomain={[0, 1]} />
      <Curve title="Probe error vs wall-clock" arms={arms} x="time" y={(p) => p.probe} xLabel="training seconds" />
      <Curve title="Mean |cos(Δ, γ)| over tensors vs steps" arms={arms} x="step" y={(p) => (p.cos ? meanAbs(p.cos) : undefined)} xLabel="step" />
      <Curve title="Total loss vs steps (with aux / L_orth terms)" arms={arms} x="step" y={(p) => p.loss} xLabel="step" />
      <LayerCosines arms={arms} />
    </div>
  );
}
