/**
 * The pilot's table for docs/train-pilot.md, from the JSON files scripts/train_pilot.ts wrote
 * (docs/pilot/*.json) and the design each ran (docs/pilot/variants.json):
 *   npx tsx scripts/pilot_table.ts
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = 'docs/pilot';
const variants: Record<string, string> = JSON.parse(readFileSync(join(dir, 'variants.json'), 'utf8'));
const pct = (v: number) => `${(v * 100).toFixed(0)}%`;
const lines = ['| run | design | demos/task | seed | success SFT → aux | probe error SFT → aux (held-out colour) |', '|---|---|---|---|---|---|'];
for (const name of Object.keys(variants).filter((k) => k !== '_')) {
  const d = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8'));
  const key = (r: { episodes: number; seed: number }) => `${r.episodes}/${r.seed}`;
  const groups = new Map<string, Record<string, { success: number; probe: number; probeHeldOut: number }>>();
  for (const r of d.rows) {
    const g = groups.get(key(r)) ?? {};
    g[r.arm] = r;
    groups.set(key(r), g);
  }
  for (const [k, g] of groups) {
    const [episodes, seed] = k.split('/');
    const s = g['extract-sft'];
    const a = g['extract-aux'];
    if (!s || !a) continue;
    lines.push(`| ${name} | ${variants[name]} | ${episodes} | ${seed} | ${pct(s.success)} → ${pct(a.success)} | ${s.probe.toFixed(3)} → ${a.probe.toFixed(3)} (${s.probeHeldOut.toFixed(3)} → ${a.probeHeldOut.toFixed(3)}) |`);
  }
}
console.log(lines.join('\n'));
