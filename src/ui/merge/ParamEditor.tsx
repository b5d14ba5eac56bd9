import { useEffect, useId, useState } from 'react';
import type { ParamDecl } from '../../merge/define';
import type { ParamRule, ParamValue } from '../../merge/types';
import { interpolateGradient } from '../../merge/layer';
import { convertParam, formatGradient, paramMode, parseGradient, type ParamMode } from './editing';

interface Props {
  decl: ParamDecl;
  value: ParamValue | undefined;
  onChange(v: ParamValue | undefined): void;
  /** Layers of the base checkpoint, for the gradient preview. */
  layerCount: number;
  /** Prefix for accessible names of per-model copies ("model 2 weight"). */
  context?: string;
  /** Per-model parameters offer only scalars (mergekit allows more; the recipe JSON still can). */
  scalarOnly?: boolean;
}

/** One parameter: a scalar, a per-layer gradient list, or {filter, value} rules (first match wins). */
export function ParamEditor({ decl, value, onChange, layerCount, context, scalarOnly }: Props) {
  const id = useId();
  const name = `${context ? `${context} ` : ''}${decl.label}`;
  if (decl.kind === 'boolean') {
    const checked = typeof value === 'boolean' ? value : typeof value === 'number' ? value !== 0 : Boolean(decl.default);
    return (
      <label className="cv-field cv-inline" title={decl.doc}>
        <input type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} /> {name}
      </label>
    );
  }
  const mode = paramMode(value);
  const fallback = Number(decl.default);
  return (
    <fieldset className="cv-param">
      <legend title={decl.doc}>
        {name} <span className="cv-muted cv-small">{decl.doc}</span>
      </legend>
      {!scalarOnly && (
        <label className="cv-field cv-inline">
          <span>Form of {name}</span>
          <select value={mode} onChange={(e) => onChange(convertParam(value, e.target.value as ParamMode, fallback))}>
            <option value="scalar">one value</option>
            <option value="gradient">per-layer gradient</option>
            <option value="rules">filter rules</option>
          </select>
        </label>
      )}
      {mode === 'scalar' && (
        <NumberField id={id} label={name} decl={decl} value={typeof value === 'number' ? value : fallback} onChange={onChange} />
      )}
      {mode === 'gradient' && <GradientField label={name} value={value as number[]} onChange={onChange} layerCount={layerCount} />}
      {mode === 'rules' && <RulesField label={name} decl={decl} rules={value as ParamRule[]} onChange={onChange} />}
    </fieldset>
  );
}

function NumberField({ id, label, decl, value, onChange }: { id: string; label: string; decl: ParamDecl; value: number; onChange(v: number): void }) {
  // Local text so that typing "0." or "-" is not fought by the number formatting.
  const [text, setText] = useState(String(value));
  useEffect(() => setText((t) => (Number(t) === value ? t : String(value))), [value]);
  return (
    <label className="cv-field cv-inline" htmlFor={id}>
      <span>{label}</span>
      <input
        id={id}
        type="number"
        step={decl.kind === 'integer' ? 1 : 'any'}
        min={decl.min}
        max={decl.max}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          const v = Number(e.target.value);
          if (e.target.value !== '' && Number.isFinite(v)) onChange(v);
        }}
      />
    </label>
  );
}

function GradientField({ label, value, onChange, layerCount }: { label: string; value: number[]; onChange(v: number[]): void; layerCount: number }) {
  const [text, setText] = useState(formatGradient(value));
  const [error, setError] = useState<string | null>(null);
  const errId = useId();
  const n = Math.max(2, layerCount);
  const preview = [0, Math.floor((n - 1) / 2), n - 1].map((l) => `layer ${l}: ${+interpolateGradient(value, l / (n - 1)).toFixed(4)}`);
  return (
    <div>
      <label className="cv-field">
        <span>{label} per layer (first … last layer, interpolated linearly)</span>
        <input
          className="cv-mono"
          value={text}
          aria-invalid={!!error}
          aria-describedby={errId}
          onChange={(e) => {
            setText(e.target.value);
            const parsed = parseGradient(e.target.value);
            if (typeof parsed === 'string') setError(parsed);
            else {
              setError(null);
              onChange(parsed);
            }
          }}
        />
      </label>
      <p id={errId} className={error ? 'cv-error cv-small' : 'cv-muted cv-small'}>
        {error ?? `${preview.join(' · ')} (of ${layerCount || '?'} layers)`}
      </p>
    </div>
  );
}

function RulesField({ label, decl, rules, onChange }: { label: string; decl: ParamDecl; rules: ParamRule[]; onChange(v: ParamRule[]): void }) {
  const update = (i: number, patch: Partial<ParamRule>) => onChange(rules.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <div>
      <p className="cv-muted cv-small">The first rule whose filter is part of the tensor name wins; a rule with an empty filter is the default.</p>
      <table className="cv-table">
        <thead>
          <tr>
            <th scope="col">Filter (substring)</th>
            <th scope="col">{label}</th>
            <th scope="col"><span className="visually-hidden">Remove</span></th>
          </tr>
        </thead>
        <tbody>
          {rules.map((r, i) => (
            <tr key={i}>
              <td>
                <input
                  className="cv-input cv-mono"
                  aria-label={`${label} rule ${i + 1} filter`}
                  placeholder="(default)"
                  value={r.filter ?? ''}
                  onChange={(e) => update(i, { filter: e.target.value === '' ? undefined : e.target.value })}
                />
              </td>
              <td>
                <input
                  className="cv-input"
                  type="number"
                  step="any"
                  min={decl.min}
                  max={decl.max}
                  aria-label={`${label} rule ${i + 1} value`}
                  value={typeof r.value === 'number' ? r.value : Number(r.value)}
                  onChange={(e) => e.target.value !== '' && update(i, { value: Number(e.target.value) })}
                />
              </td>
              <td>
                <button type="button" className="cv-btn cv-btn-small" aria-label={`Remove ${label} rule ${i + 1}`} disabled={rules.length <= 1} onClick={() => onChange(rules.filter((_, j) => j !== i))}>
                  ✕
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <button type="button" className="cv-btn cv-btn-small" onClick={() => onChange([...rules.slice(0, -1), { filter: 'mlp', value: Number(decl.default) }, ...rules.slice(-1)])}>
        Add {label} rule
      </button>
    </div>
  );
}
