/**
 * The tables of docs/train-results.md, from the JSON scripts/train_full_run.ts wrote (nothing typed by hand):
 *   npx tsx scripts/train_report.ts [docs/train-results.json]
 */
import { readFileSync } from 'node:fs';
import { fmtInterval, interval } from '../src/train/claims';

interface SeedRecord {
  seed: number; success: number; probeError: number; probeErrorHeldOut: number; msPerStep: number; stepsToLevel: number | null; meanAbsCos: number;
  curve: { step: number; trainSeconds: number; success?: number; probe?: number }[];
}

const file = process.argv[2] ?? 'docs/train-results.json';
const r = JSON.parse(readFileSync(file, 'utf8'));
const pct = (v: number) => `${(v * 100).toFixed(0)}`;
const ARMS: [string, string][] = [
  ['sft_extraction', 'SFT on the extraction tasks'], ['aux_extraction', 'SFT + aux on the extraction tasks'],
  ['sft_pre', 'SFT from θ_pre'], ['aux_pre', 'aux SFT from θ_pre (expensive baseline)'], ['sft_meta', 'SFT from θ_meta'], ['orth_meta', 'SFT + L_orth from θ_meta'],
];
const out: string[] = [];

out.push('### Arms (final checkpoint; mean [95% interval over seeds]; per seed)', '',
  '| arm | success % | probe error | probe error, held-out colour | mean \\|cos(Δ_l, γ_l)\\| | ms / step | steps to ' + `${r.protocol.successLevel * 100}% success |`,
  '|---|---|---|---|---|---|---|');
const row = (label: string, seeds: SeedRecord[]) => {
  const f = (g: (s: SeedRecord) => number, scale = 1, d = 3) => `${fmtInterval(interval(seeds.map(g)), scale, d)}`;
  const per = seeds.map((s) => pct(s.success)).join(', ');
  const reach = seeds.map((s) => (s.stepsToLevel === null ? '–' : String(s.stepsToLevel))).join(', ');
  out.push(`| ${label} | ${f((s) => s.success, 100, 1)} (${per}) | ${f((s) => s.probeError)} | ${f((s) => s.probeErrorHeldOut)} | ${seeds[0] && Number.isFinite(seeds[0].meanAbsCos) ? f((s) => s.meanAbsCos, 1, 4) : 'n/a'} | ${f((s) => s.msPerStep, 1, 1)} | ${seeds[0]?.stepsToLevel !== undefined && label.includes('extraction') ? 'n/a' : reach} |`);
};
for (const [id, label] of ARMS) row(`${label} (\`${id}\`)`, r.arms[id]?.seeds ?? []);
for (const [id, v] of Object.entries<{ seeds: SeedRecord[] }>(r.lambdaSweep)) row(`λ sweep: \`${id}\``, v.seeds);

out.push('', '### Paired differences by seed (mean [95% interval])', '', '| comparison | difference |', '|---|---|');
for (const [k, v] of Object.entries<{ n: number; mean: number; lo: number; hi: number }>(r.comparisons)) {
  const isSuccess = k.includes('success');
  out.push(`| ${k} | ${fmtInterval(v, isSuccess ? 100 : 1, isSuccess ? 1 : 3)}${isSuccess ? ' points' : ''} (n = ${v.n}) |`);
}

out.push('', '### α sweep of θ_pre + α·γ, before any downstream training (mean over seeds)', '', '| α | zero-shot downstream success % | probe error | probe error, held-out colour |', '|---|---|---|---|');
const alphas: number[] = r.protocol.alphas;
for (const a of alphas) {
  const pts = r.alphaSweep.map((s: { points: { alpha: number; success: number; probe: number; probeHeldOut: number }[] }) => s.points.find((p) => p.alpha === a)!);
  const m = (g: (p: { success: number; probe: number; probeHeldOut: number }) => number) => pts.reduce((s: number, p: never) => s + g(p), 0) / pts.length;
  out.push(`| ${a} | ${(m((p) => p.success) * 100).toFixed(1)} | ${m((p) => p.probe).toFixed(3)} | ${m((p) => p.probeHeldOut).toFixed(3)} |`);
}

out.push('', '### Probe error along training (mean over seeds, at each evaluation step)', '');
const steps = (id: string): number[] => (r.arms[id]?.seeds[0]?.curve ?? []).filter((p: { probe?: number }) => p.probe !== undefined).map((p: { step: number }) => p.step);
for (const group of [['sft_extraction', 'aux_extraction'], ['sft_pre', 'aux_pre', 'sft_meta', 'orth_meta']]) {
  const st = steps(group[0]);
  out.push(`| arm | ${st.map((s) => `step ${s}`).join(' | ')} |`, `|---|${st.map(() => '---').join('|')}|`);
  for (const id of group) {
    const seeds: SeedRecord[] = r.arms[id]?.seeds ?? [];
    const cells = st.map((s) => {
      const v = seeds.map((x) => x.curve.find((p) => p.step === s)?.probe).filter((x): x is number => x !== undefined);
      return v.length ? (v.reduce((a, b) => a + b, 0) / v.length).toFixed(3) : '–';
    });
    out.push(`| ${id} | ${cells.join(' | ')} |`);
  }
  out.push('');
}

out.push(`Verdicts: ${Object.entries(r.verdict).map(([k, v]) => `**${k}**: ${v}`).join(' · ')}`);
out.push('', `Protocol: \`${r.protocol.command}\` at commit ${r.protocol.commit.slice(0, 7)}, ${r.protocol.backend}, ${r.protocol.machine}, Node ${r.protocol.node}; seconds per seed: ${Object.values<number>(r.secondsPerSeed).map((s) => s.toFixed(0)).join(', ')}; the teacher's targets for one extraction dataset: ${r.protocol.teacherMsPerExtractionDataset.toFixed(0)} ms.`);
console.log(out.join('\n'));
