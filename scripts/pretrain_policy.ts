/**
 * Makes the pretrained policy the finetune panel ships:
 *   npx tsx scripts/pretrain_policy.ts [steps] [seed] [out-file] [episodes-per-task]
 * Runs stage 1 of the experiment (behaviour cloning on the base "reach <colour>" mix) on tfjs's CPU
 * backend in Node and writes public/pretrained/policy.safetensors (F32, ~130 KB) with its facts in
 * the metadata. Deterministic for a given seed and step count. The shipped file was made by
 *   npx tsx scripts/pretrain_policy.ts 800 1 public/pretrained/policy.safetensors 150
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Experiment } from '../src/train/experiment';
import { useBackend } from './lib/tf-node';
import { DEFAULT_PARAMS } from '../src/train/params';
import { weightsToSafetensors } from '../src/train/export';
import { parameterTotal } from '../src/train/policy';

async function main(): Promise<void> {
  const backend = await useBackend(process.env.TF_BACKEND === 'cpu' ? 'cpu' : 'wasm');
  const steps = Number(process.argv[2] ?? DEFAULT_PARAMS.pretrainSteps);
  const seed = Number(process.argv[3] ?? DEFAULT_PARAMS.seed);
  const pretrainEpisodes = Number(process.argv[5] ?? DEFAULT_PARAMS.pretrainEpisodes);
  const params = { ...DEFAULT_PARAMS, seed, pretrainSteps: steps, pretrainEpisodes, evalEvery: Math.max(1, Math.round(steps / 5)), evalEpisodes: 16 };
  const started = Date.now();
  let success = NaN;
  const exp = new Experiment(params, { checkpoint: async () => true }, (e) => {
    if (e.type === 'point' && e.point.success !== undefined) {
      success = e.point.success;
      console.log(`step ${e.point.step}: loss ${e.point.actionLoss.toFixed(4)}, success ${(success * 100).toFixed(0)}%, probe ${e.point.probe?.toFixed(3)} (held-out ${e.point.probeHeldOut?.toFixed(3)})`);
    }
  });
  await exp.run('pretrain');
  const out = process.argv[4] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'public', 'pretrained', 'policy.safetensors');
  mkdirSync(dirname(out), { recursive: true });
  const bytes = weightsToSafetensors(exp.weights.get('pre')!, {
    'capvector.kind': 'finetune-policy',
    'capvector.stage': 'pretrain',
    'capvector.steps': String(steps),
    'capvector.seed': String(seed),
    'capvector.episodes_per_task': String(params.pretrainEpisodes),
    'capvector.lr': String(3 * params.lr),
    'capvector.success': success.toFixed(3),
    'capvector.made_by': `scripts/pretrain_policy.ts (${backend}, Node)`,
  });
  writeFileSync(out, bytes);
  console.log(`wrote ${out}: ${bytes.length} bytes, ${parameterTotal()} parameters, success ${(success * 100).toFixed(0)}%, ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
