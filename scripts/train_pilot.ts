/**
 * The pilot behind the miniature's design (issue 10): does the auxiliary objective give a capability on
 * the extraction tasks? Runs the extraction stage (SFT and SFT + aux from one θ_pre) for each number of
 * demonstrations per task and each PILOT seed (disjoint from the final run's seeds), and reports
 * closed-loop success on the extraction tasks and the probe's error. Writes docs/train-pilot.json.
 *   npx tsx scripts/train_pilot.ts [--pre FILE] [--seeds 101,102] [--episodes 5,10,20] [--extract-steps N] [--aux-weight W] [--out FILE]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { useBackend } from './lib/tf-node';
import { arg, nums, paramsFromArgs } from './lib/args';
import { Experiment } from '../src/train/experiment';
import { DEFAULT_PARAMS, paramsToSearch, type ExperimentParams } from '../src/train/params';
import { safetensorsToWeights } from '../src/train/export';


async function main(): Promise<void> {
  const backend = await useBackend(arg('backend', 'wasm') as 'wasm' | 'cpu');
  const preFile = arg('pre', 'public/pretrained/policy.safetensors');
  const pre = await safetensorsToWeights(preFile, new Uint8Array(readFileSync(preFile)));
  // Extraction only, evaluated at the end (12 episodes per task unless told).
  const base: ExperimentParams = {
    ...paramsFromArgs({ ...DEFAULT_PARAMS, evalEpisodes: 12 }, {
      'extract-steps': 'extractSteps', 'aux-weight': 'auxWeight', 'aux-until': 'auxUntil', lr: 'lr', 'eval-episodes': 'evalEpisodes',
    }),
    evalEvery: 0,
  };
  const rows: { episodes: number; seed: number; arm: string; success: number; probe: number; probeHeldOut: number; msPerStep: number }[] = [];
  for (const episodes of nums(arg('episodes', '5,10,20'))) {
    for (const seed of nums(arg('seeds', '101,102'))) {
      const exp = new Experiment({ ...base, episodes, seed }, { checkpoint: async () => true }, (e) => {
        if (e.type !== 'arm-done') return;
        const s = e.summary;
        rows.push({ episodes, seed, arm: s.arm, success: s.finalSuccess, probe: s.finalProbe, probeHeldOut: s.finalProbeHeldOut, msPerStep: s.msPerStep });
        console.error(`episodes ${episodes} seed ${seed} ${s.arm}: success ${(s.finalSuccess * 100).toFixed(0)}%, probe ${s.finalProbe.toFixed(3)} (held-out ${s.finalProbeHeldOut.toFixed(3)}), ${s.msPerStep.toFixed(1)} ms/step`);
      });
      exp.setPretrained(pre, preFile);
      await exp.run('extract');
    }
  }
  writeFileSync(arg('out', 'docs/train-pilot.json'), JSON.stringify({ backend, params: paramsToSearch(base), pre: preFile, rows }, null, 2) + '\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
