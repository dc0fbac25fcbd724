// Every figure the app and the study draw, built by their own spec builders from analysis-shaped
// data chosen to be hard on the layout: long run names (the divergence legend that ran off the
// canvas), a two-row checkpoint × layer probe heatmap with long checkpoint names, a Δ CKA colour bar,
// constant series (LR in the first steps, accuracy 1.0), three logged steps, many phase markers,
// freeze masks, bands. test/e2e/chart-text.spec.ts renders each in Chromium and checks its text.
import type { CompareResult, ModelInfo, ProbeResult, TrajectoryResult } from '../../src-main/common/analysis-types';
import { MEASURE_SHORT_LABELS, type AgreementResult, type MeasureName } from '../../src-main/common/agreement-types';
import { agreementHeatmapSpec } from '../../src-main/common/charts/agreement-specs';
import { parseRunConfig } from '../../native-runner/protocol';
import { recipePhases } from '../../src-main/common/sweep';
import { lrPreviewSpec } from '../../src-renderer/src/composables/lr-preview';
import { confusionSpec, crossHeatmapSpec, deltaHeatmapSpec, divergenceSpec, panelsSpec, probeHeatmapSpec, probeSpec, ratioSpec, trajectorySpec } from '../../src-main/common/charts/compare-specs';
import { curveSpec, layerGradHeatmapSpec } from '../../src-main/common/charts/run-specs';
import { overlaySpec } from '../../src-main/common/charts/overlay-specs';
import type { FigureSpecInput } from '../../src-main/common/charts/spec';
import type { PhaseInfo } from '../../src-main/common/types';
import { studyFigures } from '../../src-main/study/figures';
import type { StudyResults } from '../../src-main/study/analyses';

const model = (id: number): ModelInfo => ({ checkpointId: id, path: `/w/runs/${id}`, sha256: 'x', runId: id, step: 28, phase: 'decay' });
const L = 12; // hidden states 0..12: the demo model's 12 layers
const layers = Array.from({ length: L + 1 }, (_, i) => i);
const wave = (k: number, a: number, b: number) => layers.map((h) => a + b * Math.sin(h * 0.7 + k));

function compare(k: number): CompareResult {
  const divergence = wave(k, 0.12, 0.08).map((v) => Math.max(0, v));
  const control = wave(k + 1, 0.01, 0.005);
  return {
    a: model(21), b: model(5), control: { a: model(7), b: model(5) },
    probeSet: { id: 1, name: 'biomedical', sha256: 'x' }, pooling: 'mean', examples: 500, measure: 'linear', layers,
    cka: divergence.map((d) => 1 - d), divergence, controlDivergence: control, ratio: divergence.map((d, i) => d / control[i]),
    regions: null,
    cross: { rows: layers, cols: layers, cka: layers.map((i) => layers.map((j) => Math.max(0, 1 - Math.abs(i - j) * (0.07 + 0.01 * k)))) },
    bootstrap: {
      reps: 200, seed: 0, level: 0.95,
      layers: layers.map((h, i) => ({
        layer: h, cka: { estimate: 1 - divergence[i], lo: 0.9 - divergence[i], hi: 1 },
        divergence: { estimate: divergence[i], lo: divergence[i] * 0.8, hi: divergence[i] * 1.2 }, divergenceShift: 0,
        controlDivergence: { estimate: control[i], lo: control[i] * 0.7, hi: control[i] * 1.3 },
      })),
    },
    cached: { sameLayer: true },
  };
}

function probe(k: number, constant?: number): ProbeResult {
  const acc = (h: number) => constant ?? Math.min(1, 0.55 + 0.03 * h + 0.02 * k);
  const m = (a: number) => ({ accuracy: a, macroF1: a, iterations: 10, bestIteration: 5, ci: { lo: Math.max(0, a - 0.06), hi: Math.min(1, a + 0.05), level: 0.95, reps: 1000, unit: 'word types' as const } });
  // 14 WordNet supersense classes (long names), most test examples in two of them
  const classes = ['noun.artifact', 'noun.act', 'noun.person', 'noun.communication', 'noun.state', 'noun.attribute', 'noun.cognition', 'noun.substance',
    'noun.body', 'noun.phenomenon', 'noun.process', 'noun.possession', 'noun.relation', 'noun.quantity'];
  const confusion = classes.map((_, g) => classes.map((_, p) => (g === p ? 40 - 2 * g : (g + p) % 5 === 0 ? 3 : 0)));
  return {
    model: model(k), probeSet: { id: 1, name: 'biomedical', sha256: 'x' }, pooling: 'mean', layers,
    tasks: [{ labelSet: 'supersense', examples: 500, cached: false, report: { classes, split: { train: 300, dev: 100, test: 100 }, layers: layers.map((h) => ({ layer: h, task: { ...m(acc(h)), confusion }, control: m(0.5), selectivity: acc(h) - 0.5 })), majority: { label: 'noun.artifact', accuracy: 0.62 } } }],
  };
}

const LONG_A = 'clm-detour · freeze low during CLM · seed 1@28';
const LONG_B = 'mlm-baseline · freeze none · seed 1@28';
const phases: PhaseInfo[] = [
  { idx: 0, name: 'clm', objective: 'clm', firstStep: 1, lastStep: 200 },
  ...Array.from({ length: 8 }, (_, i) => ({ idx: i + 1, name: `decay-${i + 1}`, objective: 'mlm' as const, firstStep: 201 + i * 3, lastStep: 203 + i * 3 })),
];
const steps = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

function trajectory(): TrajectoryResult {
  return {
    runId: 3, ref: model(5), probeSet: { id: 1, name: 'biomedical', sha256: 'x' }, pooling: 'mean', measure: 'linear', layers,
    points: [0, 200, 210, 220, 230].map((s, i) => ({
      checkpoint: { ...model(30 + i), step: s }, divergence: [], whole: 0.1 - i * 0.01, cached: false,
      regions: [{ region: 'low', layers: [0, 1, 2, 3], mean: 0.2 - i * 0.02 }, { region: 'mid', layers: [4, 5, 6, 7], mean: 0.1 }, { region: 'deep', layers: [8, 9, 10, 11], mean: 0.05 }],
    })),
  };
}

function study(): StudyResults {
  const c = compare(0);
  const rows = (k: number) => ({ checkpointId: k, step: k, phase: 'decay', decayTokens: k * 4096, whole: 0.1 / (k + 1), low: 0.2 / (k + 1), mid: 0.05, deep: 0.02 });
  const score = (key: string, label: string, mean: number) => ({ key, label, scores: [mean - 0.01, mean, mean + 0.01], mean, deltaVsMlm: null, divergenceVsMlm: null });
  return {
    layers: L, compare: c, controlCross: compare(3),
    regions: [{ region: 'low', layers: [0, 1, 2, 3], clmVsMlm: 0.2, seedNoise: 0.01, ratio: 20 }],
    trajectory: { clm: [1, 2, 3, 4].map(rows), mlmSeed2: [1, 2, 3, 4].map(rows), floor: 0.01, tokensPerStep: 4096 },
    scores: { supersense: [score('mlm-s1', 'MLM baseline', 0.61), score('mlm-s2', 'MLM seed 2', 0.6), score('clm', 'CLM detour', 0.65),
      score('clm-freeze-low', 'CLM detour, low frozen during CLM', 0.62), score('clm-freeze-mid', 'CLM detour, mid frozen during CLM', 0.64), score('clm-decay-freeze-low', 'CLM detour, low frozen during the decay', 0.63)] },
    perLayerProbe: [{ name: 'base model', result: probe(0) }, { name: 'MLM baseline', result: probe(1) }, { name: 'CLM detour', result: probe(2) }],
    gradNorms: Array.from({ length: L }, (_, i) => ({ name: `layer ${i}`, clm: 0.5 + i * 0.1, mlm: 0.2 + i * 0.05, ratio: 2 })),
  } as unknown as StudyResults;
}

/** The agreement panel's layers × measures map over seed noise, every measure. */
function agreement(): Pick<AgreementResult, 'layers' | 'measures' | 'control'> {
  const names = Object.keys(MEASURE_SHORT_LABELS) as MeasureName[];
  return {
    layers, control: { a: model(7), b: model(5) },
    measures: names.map((measure, k) => ({ measure, score: [], divergence: layers.map((h) => 0.1 + 0.01 * h), ratio: layers.map((h) => (h === 3 && k === 2 ? null : 10 ** Math.sin(h + k))) })),
  } as unknown as Pick<AgreementResult, 'layers' | 'measures' | 'control'>;
}

/** The New run form's LR-schedule preview of two recipes at the form's token budget. */
function lrPreview() {
  const phasesOf = (name: 'mlm-baseline' | 'clm-detour') => parseRunConfig({ model: 'tiny', data: 'c.txt', seq_len: 32, batch_size: 4, phases: recipePhases(name, 25600, 128) }).phases;
  return lrPreviewSpec([{ name: 'mlm-baseline', phases: phasesOf('mlm-baseline') }, { name: 'clm-detour', phases: phasesOf('clm-detour') }]);
}

/** Name → spec of every chart kind the app and the study draw. */
export function figureGallery(): { name: string; spec: FigureSpecInput }[] {
  const out: { name: string; spec: FigureSpecInput | null }[] = [
    { name: 'compare-cross', spec: crossHeatmapSpec(compare(0), `${LONG_A} (rows) vs ${LONG_B} (cols)`) },
    { name: 'compare-delta', spec: deltaHeatmapSpec(compare(0), compare(2)) },
    { name: 'compare-divergence', spec: divergenceSpec(compare(0), { names: [LONG_A, LONG_B], frozen: [{ name: 'A: clm-detour · freeze low', layers: [0, 1, 2, 3] }, { name: 'B: none', layers: [5] }] }) },
    { name: 'compare-ratio', spec: ratioSpec(compare(0)) },
    { name: 'compare-trajectory', spec: trajectorySpec(trajectory()) },
    { name: 'probe-accuracy', spec: probeSpec([{ name: LONG_A, result: probe(0) }, { name: LONG_B, result: probe(1) }], 'supersense', 'accuracy') },
    { name: 'probe-selectivity', spec: probeSpec([{ name: LONG_A, result: probe(0) }], 'supersense', 'selectivity') },
    { name: 'probe-constant-accuracy', spec: probeSpec([{ name: 'all nouns', result: probe(0, 1) }], 'supersense', 'accuracy') },
    { name: 'probe-confusion-12-and-other', spec: confusionSpec(probe(0), 'supersense', 6) },
    { name: 'probe-confusion-6-classes', spec: confusionSpec(probe(0), 'supersense', 6, 6) },
    { name: 'probe-heatmap-2-rows', spec: probeHeatmapSpec([{ name: LONG_A, result: probe(0) }, { name: LONG_B, result: probe(1) }], 'supersense', 'accuracy') },
    { name: 'probe-heatmap-constant', spec: probeHeatmapSpec([{ name: 'start', result: probe(0, 1) }, { name: 'step 28', result: probe(1, 1) }], 'supersense', 'accuracy') },
    { name: 'probe-heatmap-selectivity', spec: probeHeatmapSpec([{ name: 'start', result: probe(0) }, { name: 'step 28', result: probe(1) }, { name: 'step 56', result: probe(2) }], 'supersense', 'selectivity') },
    { name: 'run-loss-many-phases', spec: curveSpec({ steps: steps(224), values: steps(224).map((s) => 9 / Math.sqrt(s)) }, { name: 'loss', yLabel: 'loss', phases, smoothing: 0.6 }) },
    { name: 'run-lr-first-steps', spec: curveSpec({ steps: [1, 2, 3], values: [2e-4, 2e-4, 2e-4] }, { name: 'lr', yLabel: 'learning rate', phases: phases.slice(0, 1) }) },
    { name: 'run-grad-norm-1-step', spec: curveSpec({ steps: [1], values: [1.234] }, { name: 'grad norm', yLabel: 'gradient norm', phases: phases.slice(0, 1), logY: true }) },
    {
      name: 'run-layer-grad-heatmap',
      spec: layerGradHeatmapSpec(Object.fromEntries(['grad_norm/embeddings', ...Array.from({ length: 12 }, (_, i) => `grad_norm/layer_${String(i).padStart(2, '0')}`), 'grad_norm/head']
        .map((n, k) => [n, { steps: steps(300), values: steps(300).map((s) => (k + 1) / s) }]))),
    },
    {
      name: 'overlay-loss',
      spec: overlaySpec([
        { name: LONG_A, x: steps(60), y: steps(60).map((s) => 8 / Math.sqrt(s)) },
        { name: LONG_B, x: steps(60), y: steps(60).map((s) => 8.5 / Math.sqrt(s)) },
        { name: 'clm-detour · freeze mid during CLM · seed 1', x: steps(40), y: steps(40).map((s) => 7.9 / Math.sqrt(s)) },
        { name: 'clm-detour · freeze low during decay · seed 1', x: steps(40), y: steps(40).map((s) => 8.1 / Math.sqrt(s)) },
      ], { metric: 'loss', xAxis: 'step', smoothing: 0.5 }),
    },
    { name: 'agreement-measures', spec: agreementHeatmapSpec(agreement()) },
    { name: 'new-run-lr-preview', spec: lrPreview() },
    { name: 'compare-panels-abc', spec: panelsSpec([divergenceSpec(compare(0), { names: [LONG_A, LONG_B] }), ratioSpec(compare(0)), crossHeatmapSpec(compare(0))]) },
    ...studyFigures(study()).map((f) => ({ name: `study-${f.name}`, spec: f.spec })),
  ];
  return out.filter((f): f is { name: string; spec: FigureSpecInput } => f.spec !== null);
}
