// Per-layer linear probes: for each layer, a multinomial logistic regression on the pooled
// activations, trained on a word-type-disjoint split (splits.ts), early-stopped on dev, scored on test
// by accuracy and macro-F1; the same probe on a control task (Hewitt & Liang 2019) gives the control
// accuracy, and selectivity = accuracy − control accuracy.
import { toFloat64 } from './linalg';
import type { DenseMatrix, Matrix } from './linalg';
import { predict, trainLogReg } from './logreg';
import type { LogRegOptions } from './logreg';
import { accuracyInterval, confusionMatrix } from './probe-uncertainty';
import type { AccuracyInterval } from './probe-uncertainty';
import { controlLabels, splitByGroup } from './splits';
import type { Split } from './splits';

export interface ProbeTask {
  labels: readonly (string | number)[]; // gold label per example
  groups: readonly string[]; // word type per example (the split key)
}

export interface ProbeOptions extends LogRegOptions {
  seed?: number; // split and control-task seed (default 0)
  fractions?: [number, number, number]; // train / dev / test shares (default 0.6 / 0.2 / 0.2)
}

export interface ProbeMetrics {
  accuracy: number;
  macroF1: number;
  iterations: number;
  bestIteration: number;
  /** Bootstrap interval of the test accuracy (probe-uncertainty.ts); given when word types are known. */
  ci?: AccuracyInterval;
  /** Test confusion counts, confusion[gold][predicted] (task probes only). */
  confusion?: number[][];
}

export interface LayerProbe {
  layer: number;
  task: ProbeMetrics;
  control: ProbeMetrics;
  selectivity: number; // task accuracy − control accuracy
}

export interface ProbeReport {
  classes: string[]; // label names; class index k is classes[k]
  split: { train: number; dev: number; test: number }; // example counts
  layers: LayerProbe[];
  /** What always answering the training split's most frequent class scores on the test split: the
   *  floor a probe must beat (supersense labels can be 97% one class, where 0.97 means nothing). */
  majority?: { label: string; accuracy: number };
}

export function accuracy(gold: ArrayLike<number>, pred: ArrayLike<number>): number {
  if (gold.length !== pred.length || gold.length === 0) throw new Error(`accuracy: ${gold.length} gold vs ${pred.length} predicted labels`);
  let hit = 0;
  for (let i = 0; i < gold.length; i++) if (gold[i] === pred[i]) hit++;
  return hit / gold.length;
}

/**
 * Macro-F1 over the classes that occur in the gold or the predicted labels (scikit-learn's default
 * label set); a class with no true positives scores F1 = 0.
 */
export function macroF1(gold: ArrayLike<number>, pred: ArrayLike<number>): number {
  if (gold.length !== pred.length || gold.length === 0) throw new Error(`macro-F1: ${gold.length} gold vs ${pred.length} predicted labels`);
  const tp = new Map<number, number>();
  const goldCount = new Map<number, number>();
  const predCount = new Map<number, number>();
  const bump = (m: Map<number, number>, k: number) => m.set(k, (m.get(k) ?? 0) + 1);
  for (let i = 0; i < gold.length; i++) {
    bump(goldCount, gold[i]);
    bump(predCount, pred[i]);
    if (gold[i] === pred[i]) bump(tp, gold[i]);
  }
  const classes = new Set([...goldCount.keys(), ...predCount.keys()]);
  let sum = 0;
  for (const k of classes) {
    const t = tp.get(k) ?? 0;
    sum += t === 0 ? 0 : (2 * t) / ((goldCount.get(k) ?? 0) + (predCount.get(k) ?? 0));
  }
  return sum / classes.size;
}

function pickRows(x: Matrix, idx: number[]): Matrix {
  const data = new Float64Array(idx.length * x.cols);
  idx.forEach((src, i) => data.set(x.data.subarray(src * x.cols, (src + 1) * x.cols), i * x.cols));
  return { rows: idx.length, cols: x.cols, data };
}

function pickLabels(y: Int32Array, idx: number[]): Int32Array {
  return Int32Array.from(idx, (i) => y[i]);
}

/** Trains on split.train, stops on split.dev, scores on split.test; with `detail`, also the accuracy's
 *  bootstrap interval over the test word types and (if asked) the test confusion matrix. */
export async function probeOnSplit(
  x: Matrix, y: Int32Array, numClasses: number, split: Split, opts: LogRegOptions = {},
  detail?: { groups: readonly string[]; confusion: boolean; seed: number },
): Promise<ProbeMetrics> {
  const fit = await trainLogReg(
    { x: pickRows(x, split.train), y: pickLabels(y, split.train) },
    { x: pickRows(x, split.dev), y: pickLabels(y, split.dev) },
    numClasses,
    opts,
  );
  const gold = pickLabels(y, split.test);
  const pred = await predict(fit.model, pickRows(x, split.test));
  const out: ProbeMetrics = { accuracy: accuracy(gold, pred), macroF1: macroF1(gold, pred), iterations: fit.iterations, bestIteration: fit.bestIteration };
  if (detail) {
    out.ci = accuracyInterval(gold, pred, split.test.map((i) => detail.groups[i]), { seed: detail.seed });
    if (detail.confusion) out.confusion = confusionMatrix(gold, pred, numClasses);
  }
  return out;
}

/** Label names → class indices, in sorted order of the names (stable across runs). */
export function encodeLabels(labels: readonly (string | number)[]): { classes: string[]; y: Int32Array } {
  const classes = [...new Set(labels.map(String))].sort();
  const index = new Map(classes.map((c, i) => [c, i]));
  return { classes, y: Int32Array.from(labels, (l) => index.get(String(l))!) };
}

/** Probes every layer on the task and on its control task, with one split for all layers. */
export async function probeLayers(layers: DenseMatrix[], task: ProbeTask, opts: ProbeOptions = {}): Promise<ProbeReport> {
  const n = task.labels.length;
  if (task.groups.length !== n) throw new Error(`probe task: ${n} labels but ${task.groups.length} word types`);
  if (layers.length === 0) throw new Error('probe: no layers given');
  layers.forEach((l, i) => {
    if (l.rows !== n) throw new Error(`probe: layer ${i} has ${l.rows} examples, the task labels ${n}`);
  });
  const seed = opts.seed ?? 0;
  const { classes, y } = encodeLabels(task.labels);
  if (classes.length < 2) throw new Error(`probe task: need at least 2 classes, got ${classes.length}`);
  const split = splitByGroup(task.groups, seed, opts.fractions);
  const control = controlLabels(task.groups, y, seed);
  const out: LayerProbe[] = [];
  for (let l = 0; l < layers.length; l++) {
    const x = toFloat64(layers[l], `probe layer ${l}`);
    const t = await probeOnSplit(x, y, classes.length, split, opts, { groups: task.groups, confusion: true, seed });
    const c = await probeOnSplit(x, control, classes.length, split, opts, { groups: task.groups, confusion: false, seed });
    out.push({ layer: l, task: t, control: c, selectivity: t.accuracy - c.accuracy });
  }
  return { classes, split: { train: split.train.length, dev: split.dev.length, test: split.test.length }, layers: out, majority: majorityBaseline(y, split, classes) };
}

/** Test accuracy of always predicting the training split's most frequent class. */
export function majorityBaseline(y: Int32Array, split: { train: number[]; test: number[] }, classes: string[]): { label: string; accuracy: number } {
  const counts = new Array<number>(classes.length).fill(0);
  for (const i of split.train) counts[y[i]]++;
  const k = counts.indexOf(Math.max(...counts));
  const hits = split.test.reduce((s, i) => s + (y[i] === k ? 1 : 0), 0);
  return { label: classes[k], accuracy: split.test.length ? hits / split.test.length : 0 };
}
