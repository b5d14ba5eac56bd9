import { useEffect, useMemo, useState } from 'react';
import { useWorkbench } from '../../store/workbench';
import { syncDraftToUrl, useMergeStore } from '../../store/merge';
import { METHOD_ORDER, METHODS } from '../../merge/registry';
import { recipeToJson, recipeToMergekitYaml } from '../../merge/recipe-yaml';
import type { MergeMethod } from '../../merge/types';
import type { SinkSpec } from '../../workers/merge-protocol';
import { clearBrowserHashCache } from '../../workers/hash-cache-idb';
import { bindDraft, previewPlan } from './bindings';
import { downloadFiles, saveBlob } from '../download';
import { OutputOptions } from './OutputOptions';
import { LoraOptions } from './LoraOptions';
import { loraRequest } from './lora-draft';
import { ParamEditor } from './ParamEditor';
import { FilterEditor, MismatchList, RoleSummary } from './RolesAndFilters';
import { RunOutcome, RunProgress } from './RunStatus';

import './merge.css';

/** The Merge tab: recipe (method, parameters, filters, output), inputs, run with progress, result. */
export default function MergePanel() {
  const checkpoints = useWorkbench((s) => s.checkpoints);
  const roles = useWorkbench((s) => s.roles);
  const nameMaps = useWorkbench((s) => s.nameMaps);
  const draft = useMergeStore((s) => s.draft);
  const modelIds = useMergeStore((s) => s.modelIds);
  const vectorId = useMergeStore((s) => s.vectorId);
  const status = useMergeStore((s) => s.status);
  const outcome = useMergeStore((s) => s.outcome);
  const urlErrors = useMergeStore((s) => s.urlErrors);
  const store = useMergeStore.getState();
  const [cacheNote, setCacheNote] = useState('');
  // In the store: the panel unmounts when another tab is shown, and the fields must survive that.
  const loraDraft = useMergeStore((s) => s.loraDraft);
  const setLoraDraft = useMergeStore((s) => s.setLoraDraft);
  useEffect(() => syncDraftToUrl(), []);

  const binding = useMemo(() => bindDraft(draft.recipe, checkpoints, roles, modelIds, vectorId, nameMaps), [draft.recipe, checkpoints, roles, modelIds, vectorId, nameMaps]);
  const preview = useMemo(() => previewPlan(binding), [binding]);
  const baseNames = useMemo(() => binding.bound[0]?.ck?.checkpoint.tensors.map((t) => t.name) ?? [], [binding]);
  const layerCount = preview.kind === 'plan' ? preview.plan.layerCount : 0;
  const busy = status === 'running' || status === 'cancelling';
  const def = METHODS[draft.recipe.method];
  const lora = draft.recipe.method === 'extract' ? loraRequest(loraDraft) : null;
  const canRun = !busy && preview.kind === 'plan' && !(lora && 'error' in lora);
  // mergekit needs a concrete out_dtype where the recipe says 'keep': the dtype most of the output has.
  const keepDtype = useMemo(() => {
    if (preview.kind !== 'plan') return undefined;
    const bytes = new Map<string, number>();
    for (const t of preview.plan.tensors) bytes.set(t.dtype, (bytes.get(t.dtype) ?? 0) + t.byteLength);
    return [...bytes].sort((a, b) => b[1] - a[1])[0]?.[0];
  }, [preview]);

  const run = async () => {
    performance.mark('capvector-merge:click');
    const recipe = binding.recipe;
    // Sharded outputs keep the Hugging Face names (model-0000k-of-0000n + model.safetensors.index.json) so the folder loads as is.
    const fileName = recipe.shardSize > 0 ? 'model.safetensors' : METHODS[recipe.method].writesVector ? 'capability-vector.safetensors' : `merged-${recipe.method}.safetensors`;
    const loraReq = lora && !('error' in lora) ? lora : undefined;
    let sink: SinkSpec = { kind: 'opfs' };
    if (draft.output === 'disk') {
      try {
        const w = window as unknown as {
          showSaveFilePicker(o: object): Promise<FileSystemFileHandle>;
          showDirectoryPicker(o: object): Promise<FileSystemDirectoryHandle>;
        };
        // A LoRA adapter is a folder of files (PEFT's layout).
        sink = recipe.shardSize > 0 || loraReq
          ? { kind: 'fsa-dir', handle: await w.showDirectoryPicker({ mode: 'readwrite', id: 'capvector-merge' }) }
          : { kind: 'fsa-file', handle: await w.showSaveFilePicker({ suggestedName: fileName, id: 'capvector-merge', types: [{ description: 'safetensors', accept: { 'application/octet-stream': ['.safetensors'] } }] }) };
      } catch (e) {
        if (e instanceof DOMException && e.name === 'AbortError') return; // the user closed the picker
        throw e;
      }
    }
    const out = await store.start({ recipe, inputs: binding.roleInputs, engine: draft.engine, sink, fileName, hashInputs: !loraReq, lora: loraReq });
    if (out.kind === 'done' && out.sink === 'opfs') {
      await downloadFiles(out.files);
      performance.mark('capvector-merge:download-handed-off');
    }
  };

  return (
    <section aria-label="merge" className="cv-merge">
      {urlErrors.length > 0 && (
        <div className="cv-alert" role="alert">
          {urlErrors.map((e) => <p key={e}>{e}</p>)}
          <button type="button" className="cv-btn cv-btn-small" onClick={store.dismissUrlErrors}>Dismiss</button>
        </div>
      )}
      <section className="cv-card" aria-labelledby="merge-method-h">
        <h3 id="merge-method-h">Method</h3>
        <fieldset disabled={busy}>
          <label className="cv-field">
            <span>Merge method</span>
            <select value={draft.recipe.method} onChange={(e) => store.setMethod(e.target.value as MergeMethod)}>
              {METHOD_ORDER.map((m) => (
                <option key={m} value={m}>{METHODS[m].label}</option>
              ))}
            </select>
          </label>
          <p className="cv-muted cv-small">{def.doc}</p>
          {def.params.filter((p) => p.scope === 'global').map((p) => (
            <ParamEditor key={`${draft.recipe.method}.${p.name}`} decl={p} value={draft.recipe.params[p.name]} onChange={(v) => store.setParam(p.name, v)} layerCount={layerCount} />
          ))}
          {draft.recipe.method === 'extract' && <LoraOptions draft={loraDraft} onChange={setLoraDraft} disabled={busy} />}
          {def.roles.includes('models') && (
            <ModelParams names={binding.bound.filter((b) => b.role.startsWith('model:')).map((b) => b.ck?.checkpoint.name ?? '?')} layerCount={layerCount} />
          )}
        </fieldset>
      </section>
      <RoleSummary binding={binding} preview={preview} />
      <FilterEditor names={baseNames} />
      <OutputOptions disabled={busy} />
      <div className="cv-toolbar">
        <button type="button" className="cv-btn cv-btn-primary" disabled={!canRun} onClick={() => void run().catch((e) => useMergeStore.setState({ status: 'error', outcome: { kind: 'error', message: e instanceof Error ? e.message : String(e) } }))}>
          {lora && !('error' in lora) ? 'Export LoRA adapter' : 'Run merge'}
        </button>
        <button type="button" className="cv-btn" disabled={binding.unbound.length > 0} onClick={() => saveBlob(new Blob([recipeToJson(binding.recipe)], { type: 'application/json' }), 'recipe.json')}>
          Export recipe (JSON)
        </button>
        <button type="button" className="cv-btn" disabled={binding.unbound.length > 0} onClick={() => saveBlob(new Blob([recipeToMergekitYaml(binding.recipe, { keepDtype })], { type: 'text/yaml' }), 'mergekit.yaml')}>
          Export recipe (mergekit YAML)
        </button>
        <button
          type="button"
          className="cv-btn"
          disabled={busy}
          title="Forget the SHA-256 of input files remembered from earlier merges (by path, size and modification time): the next merge hashes every input again"
          onClick={() => void clearBrowserHashCache().then(() => setCacheNote('Hash cache cleared.'), (e: unknown) => setCacheNote(`Could not clear the hash cache: ${e instanceof Error ? e.message : String(e)}`))}
        >
          Clear hash cache
        </button>
        <span role="status" className="cv-muted cv-small">{cacheNote}</span>
      </div>
      {outcome?.kind === 'refused' && !busy && <MismatchList message={outcome.message} issues={outcome.blocking} onExclude={store.addExclusions} />}
      <RunProgress />
      <RunOutcome />
    </section>
  );
}

function ModelParams({ names, layerCount }: { names: string[]; layerCount: number }) {
  const recipe = useMergeStore((s) => s.draft.recipe);
  const setModelParam = useMergeStore((s) => s.setModelParam);
  const decls = METHODS[recipe.method].params.filter((p) => p.scope === 'model');
  if (!decls.length || !names.length) return null;
  return (
    <fieldset>
      <legend>Per-model parameters</legend>
      {names.map((n, i) =>
        decls.map((d) => (
          <ParamEditor
            key={`${i}.${d.name}`}
            decl={d}
            context={`${n} (model ${i + 1})`}
            scalarOnly
            value={recipe.roles.models?.[i]?.params?.[d.name]}
            onChange={(v) => setModelParam(i, d.name, v)}
            layerCount={layerCount}
          />
        )),
      )}
    </fieldset>
  );
}
