// The study's figures as specs (the shared d3 charts draw them in the UI, the report and the exports)
// and their export as SVG / PDF / PNG + spec.json into REPORT/figures.
import { crossHeatmapSpec, divergenceSpec, layerRegions, probeSpec, ratioSpec } from '../common/charts/compare-specs';
import { agreementHeatmapSpec } from '../common/charts/agreement-specs';
import type { FigureSpecInput } from '../common/charts/spec';
import type { StudyFigure } from '../common/study-types';
import { exportFigure } from '../figures/export';
import { SCORE_LABEL_SET, type StudyResults } from './analyses';

type Series = Extract<FigureSpecInput, { kind: 'lines' }>['data']['series'];
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function trajectoryFigure(r: StudyResults): FigureSpecInput {
  const k = (t: number) => t / 1000;
  const series: Series = [
    { name: 'CLM detour, whole model', x: r.trajectory.clm.map((p) => k(p.decayTokens)), y: r.trajectory.clm.map((p) => p.whole) },
    { name: 'CLM detour, low layers', x: r.trajectory.clm.map((p) => k(p.decayTokens)), y: r.trajectory.clm.map((p) => p.low), dashed: true },
    { name: 'MLM seed 2, whole model', x: r.trajectory.mlmSeed2.map((p) => k(p.decayTokens)), y: r.trajectory.mlmSeed2.map((p) => p.whole) },
  ];
  const xs = r.trajectory.clm.map((p) => k(p.decayTokens));
  if (r.trajectory.floor !== null && xs.length) series.push({ name: 'seed noise (final models)', x: [Math.min(...xs), Math.max(...xs)], y: [r.trajectory.floor, r.trajectory.floor], dashed: true });
  return {
    version: 1, kind: 'lines',
    data: { series, xLabel: 'decay tokens (thousands)', yLabel: 'divergence vs final MLM', yDomain: [0, Math.max(0.05, ...series.flatMap((s) => s.y.filter((v): v is number => v !== null)).map((v) => v * 1.1))] },
    options: { size: 'acl-column', aspect: 0.8, title: 'Decay trajectory' },
  };
}

/** Dot plot: one column per condition, one dot per probe split, a dashed line at the MLM baseline. */
function freezeDotFigure(r: StudyResults): FigureSpecInput {
  const rows = r.scores[SCORE_LABEL_SET].filter((x) => x.key !== 'mlm-s2');
  const series: Series = rows.map((row, i) => {
    const ys = [...row.scores].sort((a, b) => a - b);
    return { name: `${i}: ${row.label}`, x: ys.map(() => i), y: ys };
  });
  const mlm = rows.find((x) => x.key === 'mlm-s1')!.mean;
  series.push({ name: 'MLM baseline mean', x: [0, rows.length - 1], y: [mlm, mlm], dashed: true });
  return {
    version: 1, kind: 'lines',
    data: { series, xLabel: 'condition', yLabel: `${SCORE_LABEL_SET} probe accuracy`, integerX: true },
    options: { size: 'acl-full', aspect: 0.45, title: 'Freeze conditions: held-out probe accuracy' },
  };
}

/** The same dot plot for the fine-tuning scores: one dot per seed, the paired test's marker in the name. */
function finetuneDotFigure(r: StudyResults): FigureSpecInput | null {
  const f = r.finetune;
  if (!f) return null;
  const series: Series = f.rows.map((row, i) => {
    const ys = [...row.perSeed].sort((a, b) => a - b);
    return { name: `${i}: ${row.label}${row.marker ? ` ${row.marker}` : ''}`, x: ys.map(() => i), y: ys };
  });
  const mlm = f.rows.find((x) => x.key === 'mlm-s1')!.mean;
  series.push({ name: 'MLM baseline mean', x: [0, f.rows.length - 1], y: [mlm, mlm], dashed: true });
  return {
    version: 1, kind: 'lines',
    data: { series, xLabel: 'condition', yLabel: `fine-tuned ${f.metric} (${f.task})`, integerX: true },
    options: { size: 'acl-full', aspect: 0.45, title: 'Freeze conditions: fine-tuning score per seed' },
  };
}

function gradNormFigure(r: StudyResults): FigureSpecInput {
  const layers = r.gradNorms.filter((g) => g.name.startsWith('layer '));
  const x = layers.map((g) => Number(g.name.slice(6)));
  return {
    version: 1, kind: 'lines',
    data: {
      series: [
        { name: 'CLM phase (CLM detour)', x, y: layers.map((g) => g.clm) },
        { name: 'MLM 30% phase (baseline)', x, y: layers.map((g) => g.mlm) },
      ],
      xLabel: 'layer', yLabel: 'mean gradient norm', logY: true, integerX: true, regions: layerRegions(r.layers),
    },
    options: { size: 'acl-column', aspect: 0.8, title: 'Gradient norm per layer' },
  };
}

export function studyFigures(r: StudyResults): StudyFigure[] {
  const c = r.compare;
  const low = r.regions.find((g) => g.region === 'low');
  const out: StudyFigure[] = [
    {
      name: 'a-divergence', title: '(a) Per-layer divergence, CLM detour vs MLM',
      caption: `1 − linear CKA (float64, mean-pooled, ${c.examples} held-out biomedical texts) between the final CLM-detour and MLM models per layer, with the seed-noise control (MLM seed 2 vs MLM seed 1, dashed); shaded bands: ${c.bootstrap?.reps ?? 0}-replicate bootstrap 95% intervals over texts.`,
      spec: { ...divergenceSpec(c, { names: ['CLM detour', 'MLM'] }), options: { size: 'acl-column', aspect: 0.8, title: 'CLM detour vs MLM' } } as FigureSpecInput,
    },
    {
      name: 'a-ratio', title: '(a) Seed-noise ratio per layer',
      caption: `r_l = d(CLM, MLM) / d(MLM seed 2, MLM seed 1) (log scale). Low-layer mean ${low?.ratio?.toFixed(2) ?? 'n/a'}×; the paper reports 5–44× in L0–7 and ≈1.1× above.`,
      spec: ratioSpec(c)!,
    },
    {
      name: 'b-trajectory', title: '(b) Divergence along the decay',
      caption: `Whole-model (mean over transformer layers) divergence of each decay checkpoint of the CLM detour from the final MLM model, against decay tokens (${r.trajectory.tokensPerStep} tokens per step); the same for the MLM seed-2 run, and the seed-noise floor of the final models.`,
      spec: trajectoryFigure(r),
    },
    {
      name: 'd-freeze', title: '(d) Freeze conditions: downstream score',
      caption: `Held-out biomedical probing accuracy (${SCORE_LABEL_SET} of the defined word, linear probe on the last layer's mean-pooled states, word-type-disjoint splits; one dot per split seed). The paper fine-tuned on 8 French biomedical tasks instead; this is a far cheaper proxy.`,
      spec: freezeDotFigure(r),
    },
    ...(r.finetune ? [{
      name: 'd-freeze-finetune', title: '(d) Freeze conditions: fine-tuning score',
      caption: `Every condition's final model fine-tuned on ${r.finetune.task} (${r.finetune.sizes.train} training glosses, word-type-disjoint test of ${r.finetune.examples}), ${r.finetune.metric} on test, one dot per seed (${r.finetune.seeds} seeds: the same head init and data order for every condition); dashed: the MLM baseline's mean; * p < 0.05, ** p < 0.01 for "better than MLM" by the paired bootstrap across seeds and test examples.`,
      spec: finetuneDotFigure(r)!,
    }] : []),
    { name: 'e-lxl-clm-mlm', title: '(e) Layer × layer CKA, CLM detour vs MLM', caption: 'Linear CKA of every layer of the CLM detour (rows) with every layer of the MLM baseline (columns); emb = embedding output.', spec: crossHeatmapSpec(c, 'CLM detour (rows) vs MLM (cols)')! },
    { name: 'e-lxl-seed', title: '(e) Layer × layer CKA, MLM seed 2 vs MLM seed 1', caption: 'The same table for the two MLM seeds: the noise pattern to compare against.', spec: crossHeatmapSpec(r.controlCross, 'MLM seed 2 (rows) vs seed 1 (cols)')! },
    { name: 'f-grad-norms', title: '(f) Gradient norm per layer, CLM phase vs MLM phase', caption: 'Mean over the steps of phase 1 of the norm of each layer\'s gradient (before clipping): CLM (next-token loss at every position) vs MLM at 30% masking.', spec: gradNormFigure(r) },
    {
      name: 'probe-per-layer', title: 'Per-layer probe accuracy',
      caption: `${SCORE_LABEL_SET} probe accuracy at every layer (split seed 0) for the base model, the MLM baseline and the CLM detour.`,
      spec: { ...probeSpec(r.perLayerProbe, SCORE_LABEL_SET, 'accuracy')!, options: { size: 'acl-column', aspect: 0.8, title: 'Probe accuracy per layer' } } as FigureSpecInput,
    },
  ];
  if (r.agreement) {
    out.push({
      name: 'h-agreement', title: '(h) Robustness: divergence ÷ seed noise under every similarity measure',
      caption: `log₁₀ of d(CLM, MLM) / d(MLM seed 2, MLM seed 1) per hidden state (rows) and measure (columns): linear and debiased CKA, Procrustes distance, SVCCA, PWCCA, RSA, mutual ${r.agreement.params.knnK}-NN and RBF CKA; 0 = seed noise. ${r.agreement.concentration?.line ?? ''}.`,
      spec: agreementHeatmapSpec(r.agreement, 'CLM detour vs MLM, every measure'),
    });
  }
  // Letters in the order the figures appear ((a), (b), (c)…), whatever the analysis letters above.
  return out.filter((f) => f.spec).map((f, i) => ({ ...f, title: `(${String.fromCharCode(97 + i)}) ${f.title.replace(/^\([a-z]\)\s*/, '')}` }));
}

export async function exportStudyFigures(figures: StudyFigure[], dir: string): Promise<Record<string, { svg: string; pdf: string; png: string; spec: string }>> {
  const out: Record<string, { svg: string; pdf: string; png: string; spec: string }> = {};
  for (const f of figures) {
    const r = await exportFigure(f.spec, dir, f.name, { dpi: 200 });
    out[f.name] = { svg: r.files.svg!, pdf: r.files.pdf!, png: r.files.png!, spec: r.spec };
  }
  return out;
}

export { pct };
