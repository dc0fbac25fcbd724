// The report's tables as plain rows of text: one source for the HTML and the PDF report, and a
// machine-checkable shape (the integration test counts a row per layer or per region).
import { hiddenLabel } from '../common/charts/compare-specs';
import type { StudySummary } from '../common/study-types';
import { LABEL_SETS, type StudyResults } from './analyses';
import { MEASURE_LABELS } from '../common/agreement-types';
import { pp, times } from './summary';
import { recoveryLabel, scoreNoise } from '../common/study-recovery';

export interface ReportTable { id: string; title: string; columns: string[]; rows: string[][]; note?: string }

export interface RunRecord {
  key: string;
  label: string;
  runId: number;
  steps: number;
  seconds: number | null;      // finished_at − started_at of the run (wall time of its last start)
  firstLoss: number | null;
  lastLoss: number | null;
  reused: boolean;
  config: unknown;
}

const f3 = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(3));
const f4 = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(4));
const acc = (x: number) => `${(100 * x).toFixed(1)}`;

/** The fine-tuning table: mean ± sd over seeds, per seed, Δ vs MLM with the paired bootstrap. */
export function finetuneTable(r: StudyResults): ReportTable | null {
  const f = r.finetune;
  if (!f) return null;
  return {
    id: 'finetune', title: `(d) Fine-tuning score per condition (${f.task}, ${f.metric}, ${f.seeds} seeds)`,
    columns: ['condition', `${f.metric} % (mean ± sd)`, 'per seed', 'Δ vs MLM (pp)', '95% CI (pp)', 'p (> MLM)', ''],
    rows: f.rows.map((x) => [x.label, `${acc(x.mean)} ± ${acc(x.sd)}`, x.perSeed.map(acc).join(' / '), x.test ? pp(x.test.delta) : '—',
      x.test ? `${(100 * x.test.ci[0]).toFixed(1)} … ${(100 * x.test.ci[1]).toFixed(1)}` : '—', x.test ? x.test.pOneSided.toPrecision(2) : '—', x.marker]),
    note: `Train ${f.sizes.train} / dev ${f.sizes.dev} / test ${f.sizes.test} glosses (splits disjoint by word type); recipe lr ${f.recipe.lr}, ${f.recipe.epochs} epochs, batch ${f.recipe.batchSize}, max length ${f.recipe.maxLength}, warmup ${100 * f.recipe.warmupRatio}% then linear decay, weight decay ${f.recipe.weightDecay}, ${f.recipe.pooling} pooling; best dev epoch scored on test. Paired bootstrap across seeds and test examples, ${f.rows.find((x) => x.test)?.test?.replicates ?? 0} replicates; * p < 0.05, ** p < 0.01.${f.majority ? ` Majority baseline (${f.majority.label}): ${acc(f.majority.accuracy)}.` : ''} Paper (French base, 8 tasks, 9 seeds, avg F1): MLM 58.9, CLM 61.6, low frozen during CLM 59.3, mid frozen 61.2, low frozen during decay 61.2.`,
  };
}

export function reportTables(r: StudyResults, s: StudySummary, runs: RunRecord[]): ReportTable[] {
  const c = r.compare;
  const boot = (h: number) => c.bootstrap?.layers.find((b) => b.layer === h);
  const tables: ReportTable[] = [
    {
      id: 'runs', title: 'Runs (same data, compute and starting model)',
      columns: ['run', 'condition', 'steps', 'first loss', 'last loss', 'wall time (s)'],
      rows: runs.map((x) => [`#${x.runId}${x.reused ? ' (reused)' : ''}`, x.label, String(x.steps), f3(x.firstLoss), f3(x.lastLoss), x.seconds === null ? 'n/a' : x.seconds.toFixed(0)]),
    },
    {
      id: 'per-layer', title: '(a) Per-layer divergence 1 − CKA (CLM detour vs MLM) and seed noise',
      columns: ['layer', 'CLM vs MLM', '95% CI', 'seed noise', '95% CI', 'ratio'],
      rows: c.layers.map((h, i) => {
        const b = boot(h);
        return [hiddenLabel(h), f4(c.divergence[i]), b ? `${f4(b.divergence.lo)}–${f4(b.divergence.hi)}` : 'n/a', f4(c.controlDivergence?.[i]), b?.controlDivergence ? `${f4(b.controlDivergence.lo)}–${f4(b.controlDivergence.hi)}` : 'n/a', times(c.ratio?.[i])];
      }),
      note: `${c.examples} texts; bootstrap over texts, ${c.bootstrap?.reps ?? 0} replicates. Layer "emb" is the embedding output (left out of the regions).`,
    },
    {
      id: 'regions', title: '(c) Regions: mean divergence over the layer group',
      columns: ['region', 'layers', 'CLM vs MLM', 'seed noise', 'ratio of means'],
      rows: s.regions.map((g) => [g.region, g.layers.length ? `${g.layers[0]}–${g.layers[g.layers.length - 1]}` : '', f4(g.clmVsMlm), f4(g.seedNoise), times(g.ratio)]),
      note: 'Paper (French base, 22 layers): L0–7 1.57 vs 14.99; L8–14 65.97 vs 79.97; L15–21 88.48 vs 98.16; whole model 49.71 vs 62.13 (control vs CLM–MLM, %).',
    },
    {
      id: 'trajectory', title: '(b) Decay trajectory: CLM-detour checkpoints vs the final MLM model',
      columns: ['step', 'phase', 'decay tokens', 'whole', 'low', 'mid', 'deep'],
      rows: r.trajectory.clm.map((p) => [String(p.step), p.phase ?? '', String(p.decayTokens), f4(p.whole), f4(p.low), f4(p.mid), f4(p.deep)]),
      note: `Seed-noise floor (MLM seed 2 vs seed 1, final models, whole model): ${f4(r.trajectory.floor)}.`,
    },
    ...LABEL_SETS.map((l): ReportTable => ({
      id: `scores-${l}`, title: `(d) Downstream score: held-out ${l} probe accuracy (%), last layer`,
      columns: ['condition', 'mean', 'per split', 'Δ vs MLM', 'div. low', 'div. mid', 'div. deep'],
      rows: r.scores[l].map((x) => [x.label, acc(x.mean), x.scores.map(acc).join(' / '), pp(x.deltaVsMlm), f3(x.divergenceVsMlm?.low), f3(x.divergenceVsMlm?.mid), f3(x.divergenceVsMlm?.deep)]),
      note: 'Linear probe (multinomial logistic regression) on the mean-pooled last layer, word-type-disjoint 60/20/20 splits, one split per seed. The paper fine-tuned on 8 French biomedical tasks (9 seeds); this is a proxy. "div." = mean 1 − CKA vs the MLM baseline over the region.',
    })),
    {
      id: 'grad-norms', title: '(f) Mean gradient norm per parameter group, phase 1',
      columns: ['group', 'CLM phase', 'MLM 30% phase', 'CLM / MLM'],
      rows: r.gradNorms.map((g) => [g.name, f4(g.clm), f4(g.mlm), times(g.ratio)]),
    },
    {
      id: 'transplant', title: `(g) Layer-group transplants: group from the CLM detour into the MLM model (${r.transplant.labelSet} probe accuracy, %)`,
      columns: ['transplanted group', 'layers', 'accuracy', 'recovery of the gap'],
      rows: [
        ['none (MLM baseline)', '', acc(r.transplant.mlm), '0%'],
        ...r.transplant.rows.map((t) => [t.group, `${t.layers[0]}–${t.layers[t.layers.length - 1]}`, acc(t.mean),
          recoveryLabel(t.recovery, r.transplant.clm - r.transplant.mlm, scoreNoise(r.scores[r.transplant.labelSet] ?? []))]),
        ['all (CLM detour)', '', acc(r.transplant.clm), '100%'],
      ],
      note: 'Recovery = (transplant − MLM) / (CLM − MLM). Paper (DiaMED linear probe, MLM 32.8, CLM 39.9): low 31.9 (−12%), mid 35.3 (+35%), late 32.4 (−6%). With a gap near 0 the recovery is meaningless.',
    },
  ];
  const ft = finetuneTable(r);
  if (ft) tables.splice(tables.findIndex((t) => t.id.startsWith('scores-')), 0, ft);
  if (r.agreement) tables.push(...agreementTables(r.agreement));
  return tables;
}

/** (h) Robustness: region ratios per measure, the verdicts, and the rogue-dimension / influence checks. */
function agreementTables(g: NonNullable<StudyResults['agreement']>): ReportTable[] {
  const region = (m: (typeof g.measures)[number], name: string) => m.regions?.ratio?.find((x) => x.region === name)?.mean ?? null;
  const maxP = (m: (typeof g.measures)[number]) => (m.pValue?.length ? Math.max(...m.pValue) : null);
  return [
    {
      id: 'agreement', title: '(h) Divergence ÷ seed noise by region, per similarity measure',
      columns: ['measure', 'low', 'mid', 'deep', 'meets the low-layer criterion', `largest permutation p (${g.params.permutations} perms)`],
      rows: g.measures.map((m) => [MEASURE_LABELS[m.measure], times(region(m, 'low')), times(region(m, 'mid')), times(region(m, 'deep')), g.concentration?.measures.includes(m.measure) ? 'yes' : 'no', f3(maxP(m))]),
      note: [g.concentration?.line, ...(g.verdicts ?? []).map((v) => v.line)].filter(Boolean).join('. ') + '. Criterion as in the summary: low ratio ≥ 2 and at least twice the mid and deep ratios.',
    },
    {
      id: 'rogue', title: `(h) Rogue dimensions and influential texts (linear CKA, CLM detour vs MLM; top ${g.params.rogueK} features, top ${g.params.influenceK} texts)`,
      columns: ['layer', 'share of top features (A / B)', 'CKA', 'z-scored', 'top PCs removed', 'verdict flips', `without top ${g.params.influenceK} texts`],
      rows: g.rogue.map((x, i) => [
        hiddenLabel(x.layer), `${f3(x.topShareA)} / ${f3(x.topShareB)}`, f4(x.cka), f4(x.standardisedCKA), f4(x.pcRemovedCKA),
        x.flips ? [x.flips.standardised ? 'z-scored' : '', x.flips.pcRemoved ? 'PCs removed' : ''].filter(Boolean).join(', ') || 'no' : 'n/a', f4(g.influence[i]?.ckaWithoutTop),
      ]),
      note: 'Share: fraction of ‖XᵀY‖²_F (the CKA numerator) carried by the highest-variance features. A flip: the layer\'s ratio crosses 2× seed noise when features are z-scored or the top principal components removed. Last column: CKA recomputed without the texts whose leave-one-out influence is largest.',
    },
  ];
}
