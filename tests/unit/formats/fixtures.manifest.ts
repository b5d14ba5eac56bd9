/**
 * One row per file under tests/fixtures (netron's test/models.json in spirit): what opening it through
 * the app's reader selection must give — the format, the tensors, where the golden values come from —
 * or the exact error. A folder row is one checkpoint dropped as a folder (an index with its shards,
 * model.json with its weight files) and covers every file in it. fixtures.test.ts runs each row the way
 * the UI opens dropped files and the way the CLI opens a path.
 */
import type { FormatId } from '../../../src/formats/registry';

/** Where a row's values are checked against. */
export type Golden =
  /** tests/fixtures/safetensors/golden.json[key] (PyTorch): every listed value, sum and L2; shard sets by shard. */
  | { safetensors: string }
  /** tests/fixtures/torch/golden.json[key] (torch / numpy): dtype, shape, sum, L2 and the first 8 values. */
  | { torch: string }
  /** The test's own decoder (independent-safetensors.ts), element by element, and the metadata. */
  | 'decoded'
  /** The tensors of another fixture (a safetensors file under tests/fixtures, by the test's own decoder), names with `prefix` before them. */
  | { like: string; prefix: string };

export interface OpensRow {
  /** Under tests/fixtures; a folder opens as one drop of all its files. */
  path: string;
  format: FormatId;
  golden: Golden;
  /** Tensor names in file order, or how many there are when the golden names them. */
  tensors?: readonly string[] | number;
  /** Checkpoint name; a file row's default is its file name. */
  name?: string;
  sharded?: boolean;
  /** The files read, as named when dropped (default: just the file). */
  files?: readonly string[];
  /** Exactly this metadata. */
  metadata?: Record<string, string>;
  /** At least these metadata entries. */
  metadataIncludes?: Record<string, string>;
}

export interface RefusedRow {
  path: string;
  /** The one error, exactly as the UI alert and the CLI print it. */
  error: string;
}

export type FixtureRow = OpensRow | RefusedRow;

const NOT_A_CHECKPOINT = 'not a recognised checkpoint (safetensors, PyTorch .bin/.pt/.pth, NumPy .npy/.npz, tfjs model.json, or PEFT LoRA adapter_config.json)';
const data = (path: string): RefusedRow => ({ path, error: `${path.split('/').pop()}: ${NOT_A_CHECKPOINT}` });
const hostile = (file: string, global: string): RefusedRow => ({
  path: `torch/${file}`,
  error: `${file}:${file.replace(/\.pt$/, '')}/data.pkl: refusing pickle global '${global}' (only tensor rebuild functions, storages, OrderedDict and dtypes are allowed)`,
});
const torch = (file: string, more: Partial<OpensRow> = {}): OpensRow => ({ path: `torch/${file}`, format: file.endsWith('.npy') || file.endsWith('.npz') ? 'numpy' : 'pytorch', golden: { torch: file }, ...more });

/** make_merge_golden.py's names_shapes(), with model.position_ids (I64) third in the models, not in vectors. */
function mergeNames(withPositionIds: boolean): string[] {
  const names = ['model.embed_tokens.weight'];
  for (let i = 0; i < 3; i++) {
    const p = `model.layers.${i}.`;
    names.push(`${p}self_attn.q_proj.weight`, `${p}self_attn.o_proj.bias`, `${p}mlp.up_proj.weight`, `${p}mlp.down_proj.weight`, `${p}input_layernorm.weight`);
  }
  names.push('model.norm.weight', 'lm_head.weight');
  if (withPositionIds) names.splice(2, 0, 'model.position_ids');
  return names;
}
const MODEL = mergeNames(true);
const VECTOR = mergeNames(false);
const merge = (path: string, tensors: readonly string[]): OpensRow => ({ path: `merge/${path}`, format: 'safetensors', golden: 'decoded', tensors });
const mergeShards = (role: string): OpensRow => ({
  ...merge(`inputs/bf16-sharded/${role}`, MODEL),
  name: role,
  sharded: true,
  files: [`${role}/model.safetensors.index.json`, `${role}/model-00001-of-00002.safetensors`, `${role}/model-00002-of-00002.safetensors`],
  metadataIncludes: { total_size: '30638', format: 'pt' },
});

/** make_buffer_golden.py's policy: weights, BatchNorm statistics and LeRobot normalisation buffers, in state-dict order. */
const POLICY = [
  'normalize_inputs.buffer_observation_state.mean', 'normalize_inputs.buffer_observation_state.std',
  'backbone.0.weight', 'backbone.0.bias', 'backbone.1.weight', 'backbone.1.bias', 'backbone.1.running_mean', 'backbone.1.running_var',
  'backbone.1.num_batches_tracked', 'backbone.3.weight', 'backbone.3.bias', 'unnormalize_outputs.buffer_action.mean', 'unnormalize_outputs.buffer_action.std',
];
/** A role's folder holding model.safetensors: named after the folder. */
const policy = (role: string): OpensRow => ({
  path: `buffers/${role}`, format: 'safetensors', golden: 'decoded', tensors: POLICY, name: role, sharded: false, files: [`${role}/model.safetensors`], metadata: { format: 'pt' },
});

const LORA_BASES = ['pre-bf16', 'pre-f32', 'sft-bf16'];
function loraBase(role: string): OpensRow {
  return { path: `lora/${role}`, format: 'safetensors', golden: 'decoded', tensors: 13, name: role, sharded: false, files: [`${role}/model.safetensors`], metadata: { format: 'pt' } };
}
/** An adapter folder: one checkpoint named after it, its factors as saved, the config on its card. */
function adapter(folder: string, card: Record<string, string>): OpensRow {
  return {
    path: `lora/${folder}`, format: 'lora', golden: 'decoded', name: folder, sharded: false,
    files: [`${folder}/adapter_model.safetensors`, `${folder}/adapter_config.json`], metadataIncludes: { ...card, 'lora.weights': 'safetensors' },
  };
}
const LORA_EXPECTED = [
  'apply-plain', 'apply-rslora', 'apply-patterns', 'apply-fan-in-fan-out', 'apply-embedding', 'apply-bin', 'apply-f32-plain', 'apply-embedding-half',
  'capvector-adapters', 'capvector-mixed', 'task-arithmetic-mixed', 'ties-adapters', 'bin-factors', 'extract-adapters',
];

export const MANIFEST: readonly FixtureRow[] = [
  // safetensors written by make_safetensors_fixtures.py, values from PyTorch
  { path: 'safetensors/all_dtypes.safetensors', format: 'safetensors', golden: { safetensors: 'all_dtypes.safetensors' } },
  { path: 'safetensors/scalar_zero_meta.safetensors', format: 'safetensors', golden: { safetensors: 'scalar_zero_meta.safetensors' }, metadata: { description: 'scalar, zero-size tensors and metadata', 'ünïcode': '✓' } },
  { path: 'safetensors/unaligned.safetensors', format: 'safetensors', golden: { safetensors: 'unaligned.safetensors' } },
  {
    path: 'safetensors/openvla-tiny', format: 'safetensors', golden: { safetensors: 'openvla-tiny' }, name: 'openvla-tiny', sharded: true,
    files: ['openvla-tiny/model.safetensors.index.json', ...[1, 2, 3].map((k) => `openvla-tiny/model-0000${k}-of-00003.safetensors`)],
    metadataIncludes: { total_size: '22112', format: 'pt' },
  },
  {
    path: 'safetensors/pytorch-sharded', format: 'pytorch', golden: { safetensors: 'pytorch-sharded' }, name: 'pytorch-sharded', sharded: true,
    files: ['pytorch-sharded/pytorch_model.bin.index.json', 'pytorch-sharded/pytorch_model-00001-of-00002.bin', 'pytorch-sharded/pytorch_model-00002-of-00002.bin'],
    metadataIncludes: { total_size: '248' },
  },
  data('safetensors/golden.json'),
  data('safetensors/dtype_conversions.json'),
  data('safetensors/f16_all_values.f32'),

  // torch.save, np.save and tfjs written by make_torch_fixtures.py, values from torch / numpy
  torch('dtypes.pt', {
    tensors: ['f64', 'f32', 'f16', 'bf16', 'i64', 'i32', 'i16', 'i8', 'u8', 'bool', 'scalar', 'empty'],
    metadataIncludes: { archive_folder: 'dtypes', byteorder: 'little', version: '3', non_tensor_values: '0' },
  }),
  torch('bigendian.pt', { metadataIncludes: { archive_folder: 'bigarchive', byteorder: 'big' } }),
  // 11 views on 6 storages: w (w_t, rows, col, every_other), expand, flat (shared_a, shared_b), bf16_t, permuted, i64_t.
  torch('views.pt', { tensors: 11, metadataIncludes: { storages: '6' } }),
  torch('zip64.pt', { metadataIncludes: { archive_folder: 'archive' } }),
  torch('renamed_folder.bin', { metadataIncludes: { archive_folder: 'some_other_stem' } }),
  torch('nested.ckpt', {
    tensors: ['state_dict.encoder.weight', 'state_dict.encoder.bias', 'model.weight', 'model.bias', 'params.0'],
    metadataIncludes: { non_tensor_values: '3' }, // epoch, lr, name
  }),
  {
    path: 'torch/sharded', format: 'pytorch', golden: { torch: 'sharded/pytorch_model.bin.index.json' }, name: 'sharded', sharded: true, tensors: 4,
    files: ['sharded/pytorch_model.bin.index.json', 'sharded/pytorch_model-00001-of-00002.bin', 'sharded/pytorch_model-00002-of-00002.bin'],
  },
  {
    // More than one weight file counts as sharded.
    path: 'torch/tfjs', format: 'tfjs', golden: { torch: 'tfjs/model.json' }, name: 'tfjs', sharded: true,
    tensors: ['dense/kernel', 'dense/bias', 'quant/kernel', 'half/bias', 'mask', 'embed/table'],
    files: ['tfjs/model.json', 'tfjs/group1-shard1of2.bin', 'tfjs/group1-shard2of2.bin'],
    metadataIncludes: { model_format: 'layers-model', quantized_weights: '2', weight_groups: '1' },
  },
  {
    // A tfjs model under its own name: recognised by its content (weightsManifest + format/modelTopology).
    path: 'torch/faceres', format: 'tfjs', golden: { torch: 'faceres/faceres.json' }, name: 'faceres.json', sharded: false,
    tensors: ['fc/weight', 'fc/bias'],
    files: ['faceres/faceres.json', 'faceres/faceres.weights.bin'],
    metadataIncludes: { model_format: 'graph-model', quantized_weights: '1', weight_groups: '1' },
  },
  ...['be_f4', 'bool', 'f16', 'f32', 'f64_fortran', 'scalar', 'u8', 'v2', 'v3'].map((s) => torch(`${s}.npy`, { tensors: [s], metadata: { format: '.npy' } })),
  torch('i64.npy', { tensors: ['i64'], metadata: { format: '.npy' } }),
  torch('stored.npz', { tensors: ['weight', 'bias', 'steps', 'layer/mask'], metadata: { format: '.npz', members: '4', compressed_members: '0' } }),
  torch('compressed.npz', { tensors: ['weight', 'bias', 'steps', 'layer/mask'], metadata: { format: '.npz', members: '4', compressed_members: '4' } }),
  { path: 'torch/legacy.pt', error: 'legacy.pt: legacy torch format (pre-1.6) is not supported; re-save with torch.save' },
  hostile('evil_os_system.pt', 'os.system'),
  hostile('evil_posix_system.pt', 'posix.system'),
  hostile('evil_builtins_eval.pt', 'builtins.eval'),
  hostile('evil_subprocess.pt', 'subprocess.Popen'),
  hostile('evil_load_from_bytes.pt', 'torch.storage._load_from_bytes'),
  data('torch/golden.json'),
  data('torch/pickles.json'),

  // a torch policy with BatchNorm and normalisation buffers, and capvector goldens, from make_buffer_golden.py
  ...['pre', 'aux', 'sft'].map(policy),
  // θ_aux saved through nn.DataParallel with torch.save (DDP's `module.` names), θ_sft inside a wrapper (`model.` names)
  {
    path: 'buffers/aux-ddp', format: 'pytorch', golden: { like: 'buffers/aux/model.safetensors', prefix: 'module.' }, name: 'aux-ddp', sharded: false,
    files: ['aux-ddp/pytorch_model.bin'], tensors: POLICY.map((n) => `module.${n}`),
  },
  {
    path: 'buffers/sft-wrapped', format: 'safetensors', golden: { like: 'buffers/sft/model.safetensors', prefix: 'model.' }, name: 'sft-wrapped', sharded: false,
    files: ['sft-wrapped/model.safetensors'], tensors: POLICY.map((n) => `model.${n}`), metadata: { format: 'pt' },
  },
  ...['capvector-buffers-f32', 'capvector-include-buffers-f32'].map((g): OpensRow => ({ path: `buffers/expected/${g}.safetensors`, format: 'safetensors', golden: 'decoded', tensors: POLICY })),

  // merge inputs and float64-torch outputs written by make_merge_golden.py (the merge tests use them)
  ...['pre', 'pre2', 'aux', 'sft', 'm3'].map((r) => merge(`inputs/bf16/${r}.safetensors`, MODEL)),
  ...['f16', 'f32'].flatMap((d) => ['pre', 'aux', 'sft', 'm3'].map((r) => merge(`inputs/${d}/${r}.safetensors`, MODEL))),
  merge('inputs/vector-f32.safetensors', VECTOR),
  ...['pre', 'aux', 'sft'].map(mergeShards),
  ...[
    'apply-bf16', 'capvector-bf16-sharded-in', 'capvector-bf16', 'capvector-f16-to-f32', 'capvector-f16', 'capvector-f32',
    'capvector-gradient-bf16', 'capvector-rules-exclude-bf16', 'linear-f16', 'task-arithmetic-bf16', 'task-arithmetic-f32', 'ties-bf16', 'ties-f32',
  ].map((c) => merge(`expected/${c}.safetensors`, MODEL)),
  merge('expected/extract-bf16-f32.safetensors', VECTOR),
  merge('expected/extract-bf16-keep.safetensors', VECTOR),
  data('merge/cases.json'),

  // the demo family merged by make_demo_merge_golden.py, and the statistics family of make_stats_golden.py
  ...['f16', 'keep'].map((d): OpensRow => ({ path: `merge-demo/expected_capvector_a0.8_${d}.safetensors`, format: 'safetensors', golden: 'decoded', tensors: 161 })),
  ...['pre', 'aux', 'sft', 'down'].map((r): OpensRow => ({ path: `stats/${r}.safetensors`, format: 'safetensors', golden: 'decoded', tensors: 20 })),
  data('stats/expected.json'),
  data('stats/demo_expected.json'),

  // OpenVLA-OFT component files (make_oft_fixtures.py): named after component and step, DDP's `module.` kept as saved
  ...([
    ['aux/action_head--150000_checkpoint.pt', 'action_head (step 150000)', 'action_head', '150000'],
    ['aux/proprio_projector--150000_checkpoint.pt', 'proprio_projector (step 150000)', 'proprio_projector', '150000'],
    ['sft/action_head--latest_checkpoint.pt', 'action_head (latest)', 'action_head', 'latest'],
  ] as const).map(([path, name, component, step]): OpensRow => ({
    path: `oft/${path}`, format: 'pytorch', golden: { torch: `oft/${path}` }, name, metadataIncludes: { oft_component: component, oft_step: step },
  })),
  data('oft/golden.json'),

  // the stacked-layer (JAX/openpi layout) family of make_stacked_golden.py (stacked.test.ts)
  ...['pre', 'aux', 'sft', 'down'].map((r): OpensRow => ({ path: `stacked/${r}.safetensors`, format: 'safetensors', golden: 'decoded', tensors: 8 })),
  data('stacked/expected.json'),

  // torch.linalg.svd float64 spectra written by make_spectral_golden.py (spectral.test.ts)
  data('spectral/golden.json'),
  // γ = aux − sft for the LoRA export and its torch.linalg.svd goldens, by make_lora_export_golden.py (lora-export tests)
  ...['aux', 'sft'].map((r): OpensRow => ({ path: `lora-export/${r}.safetensors`, format: 'safetensors', golden: 'decoded', tensors: 10 })),
  data('lora-export/golden.json'),

  // PEFT LoRA adapters, their bases and merge goldens written by make_lora_golden.py (tests/unit/lora)
  ...LORA_BASES.map(loraBase),
  adapter('plain', { 'lora.r': '4', 'lora.alpha': '8', 'lora.scale': '2 (alpha/r)', 'lora.target_modules': 'q_proj, v_proj', 'lora.modules': '4' }),
  adapter('rslora', { 'lora.r': '4', 'lora.alpha': '16', 'lora.scale': '8 (rsLoRA: alpha/√r)', 'lora.target_modules': 'up_proj, down_proj', 'lora.modules': '4' }),
  adapter('patterns', {
    'lora.r': '4', 'lora.alpha': '8', 'lora.modules': '6', 'lora.rank_pattern': '{"layers.0.self_attn.q_proj":2,"down_proj":6}', 'lora.alpha_pattern': '{"v_proj":3}',
  }),
  adapter('fan-in-fan-out', { 'lora.r': '3', 'lora.alpha': '6', 'lora.fan_in_fan_out': 'true', 'lora.modules': '2' }),
  adapter('embedding', { 'lora.target_modules': 'embed_tokens, q_proj', 'lora.modules': '3', 'lora.modules_to_save': 'lm_head', 'lora.scale': '1 (alpha/r)' }),
  adapter('f32-plain', { 'lora.modules': '4' }),
  {
    path: 'lora/bin', format: 'lora', golden: { like: 'lora/expected/bin-factors.safetensors', prefix: '' }, name: 'bin', sharded: false,
    files: ['bin/adapter_model.bin', 'bin/adapter_config.json'], tensors: 4, metadataIncludes: { 'lora.r': '2', 'lora.alpha': '5', 'lora.scale': '2.5 (alpha/r)', 'lora.weights': 'PyTorch' },
  },
  adapter('bad-shape', { 'lora.modules': '1' }),
  { path: 'lora/bad-no-config', error: "bad-no-config/adapter_model.safetensors: a PEFT adapter's weights without its adapter_config.json (r and lora_alpha are in it): open the adapter's folder, or both files" },
  { path: 'lora/bad-peft-type', error: "bad-peft-type/adapter_config.json: peft_type 'IA3' is not supported (only LoRA adapters are read)" },
  { path: 'lora/bad-dora', error: 'bad-dora/adapter_config.json: DoRA adapters (use_dora: true) are not supported: their magnitude vectors rescale each column of W + ΔW' },
  ...LORA_EXPECTED.map((e): OpensRow => ({ path: `lora/expected/${e}.safetensors`, format: 'safetensors', golden: 'decoded', tensors: e === 'bin-factors' ? 4 : e === 'extract-adapters' ? 6 : 13 })),
  data('lora/cases.json'),
  data('lora/stats.json'),
];

/** The scripts that write the fixtures: not fixtures themselves. */
export const GENERATORS = /^make_[a-z_]+\.py$/;
