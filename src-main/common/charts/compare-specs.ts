// Figure specs of the Compare view, built from the analysis results: the layer × layer CKA heatmap,
// a Δ heatmap between two comparisons, per-layer divergence with the seed-noise band and freeze
// masks on the layer axis, the seed-noise ratio, the decay trajectory and per-layer probing (lines,
// and a checkpoint × layer heatmap). Pure.
import { layerGroupBounds } from '../../../native-runner/train/recipes';
import type { CompareResult, ProbeResult, TrajectoryResult } from '../analysis-types';
import type { FigureSpecInput } from './spec';

/** Hidden-state index -> axis label: 0 is the embedding output, h is transformer layer h-1. */
export function hiddenLabel(h: number): string {
  return h === 0 ? 'emb' : String(h - 1);
}

/** The paper's low / mid / deep groups for a depth, as shaded regions on a transformer-layer axis. */
export function layerRegions(numLayers: number): { name: string; from: number; to: number }[] {
  const g = layerGroupBounds(numLayers);
  return (['low', 'mid', 'deep'] as const).filter((k) => g[k][1] > g[k][0]).map((k) => ({ name: k, from: g[k][0], to: g[k][1] - 1 }));
}

export function crossHeatmapSpec(r: CompareResult, title?: string): FigureSpecInput | null {
  if (!r.cross) return null;
  return {
    version: 1,
    kind: 'heatmap',
    data: {
      values: r.cross.cka,
      rowLabel: 'layer of A',
      colLabel: 'layer of B',
      rowTicks: r.cross.rows.map(hiddenLabel),
      colTicks: r.cross.cols.map(hiddenLabel),
      scale: 'viridis01',
      valueLabel: r.measure === 'debiased' ? 'debiased CKA' : 'linear CKA',
    },
    options: { size: 'acl-column', aspect: 0.9, title },
  };
}

/** Current minus baseline, cell by cell (same layer lists required). */
export function deltaHeatmapSpec(current: CompareResult, baseline: CompareResult): FigureSpecInput | null {
  if (!current.cross || !baseline.cross) return null;
  const same = (x: number[], y: number[]) => x.length === y.length && x.every((v, i) => v === y[i]);
  if (!same(current.cross.rows, baseline.cross.rows) || !same(current.cross.cols, baseline.cross.cols)) return null;
  const values = current.cross.cka.map((row, i) => row.map((v, j) => v - baseline.cross!.cka[i][j]));
  return {
    version: 1,
    kind: 'heatmap',
    data: {
      values, rowLabel: 'layer of A', colLabel: 'layer of B', rowTicks: current.cross.rows.map(hiddenLabel), colTicks: current.cross.cols.map(hiddenLabel),
      scale: 'diverging', valueLabel: 'Δ CKA (this − pinned)',
    },
    options: { size: 'acl-column', aspect: 0.9 },
  };
}

/** Transformer layers only (the embedding output is reported in the table). */
function transformerPart<T>(layers: number[], values: T[]): { x: number[]; y: T[] } {
  const x: number[] = [];
  const y: T[] = [];
  layers.forEach((h, i) => {
    if (h > 0) {
      x.push(h - 1);
      y.push(values[i]);
    }
  });
  return { x, y };
}

export function divergenceSpec(r: CompareResult, o: { frozen?: { name: string; layers: number[] }[]; names?: [string, string] } = {}): FigureSpecInput {
  const L = Math.max(...r.layers) ; // hidden states 0..L -> transformer layers 0..L-1
  const main = transformerPart(r.layers, r.divergence);
  const boot = r.bootstrap?.layers;
  const band = (pick: (l: NonNullable<CompareResult['bootstrap']>['layers'][number]) => { lo: number; hi: number } | undefined) =>
    boot ? transformerPart(r.layers, r.layers.map((h) => boot.find((b) => b.layer === h)).map((b) => (b ? pick(b) : undefined))).y : null;
  const mainBand = band((b) => b.divergence);
  const series: Extract<FigureSpecInput, { kind: 'lines' }>['data']['series'] = [
    {
      name: o.names ? `${o.names[0]} vs ${o.names[1]}` : 'A vs B',
      x: main.x, y: main.y,
      ...(mainBand ? { lower: mainBand.map((b) => b?.lo ?? null), upper: mainBand.map((b) => b?.hi ?? null), bandLabel: `${Math.round((r.bootstrap?.level ?? 0.95) * 100)}% bootstrap CI` } : {}),
    },
  ];
  if (r.controlDivergence) {
    const c = transformerPart(r.layers, r.controlDivergence);
    const cBand = band((b) => b.controlDivergence);
    series.push({ name: 'seed noise (control pair)', x: c.x, y: c.y, dashed: true, ...(cBand ? { lower: cBand.map((b) => b?.lo ?? null), upper: cBand.map((b) => b?.hi ?? null), bandLabel: 'seed noise: bootstrap CI' } : {}) });
  }
  return {
    version: 1,
    kind: 'lines',
    data: {
      series, xLabel: 'layer', yLabel: `divergence 1 − ${r.measure === 'debiased' ? 'debiased ' : ''}CKA`, integerX: true, yBounds: [0, 1],
      regions: layerRegions(L), frozen: o.frozen?.filter((f) => f.layers.length > 0),
    },
    options: { size: 'acl-column', aspect: 0.8 },
  };
}

export function ratioSpec(r: CompareResult): FigureSpecInput | null {
  if (!r.ratio) return null;
  const p = transformerPart(r.layers, r.ratio);
  return {
    version: 1,
    kind: 'lines',
    data: { series: [{ name: 'd(A, B) / d(control)', x: p.x, y: p.y }], xLabel: 'layer', yLabel: 'seed-noise ratio', logY: true, integerX: true, regions: layerRegions(Math.max(...r.layers)) },
    options: { size: 'acl-column', aspect: 0.7 },
  };
}

export function trajectorySpec(t: TrajectoryResult): FigureSpecInput | null {
  if (t.points.length === 0) return null;
  const steps = t.points.map((p) => p.checkpoint.step ?? 0);
  const series: Extract<FigureSpecInput, { kind: 'lines' }>['data']['series'] = [{ name: 'whole model', x: steps, y: t.points.map((p) => p.whole) }];
  for (const region of ['low', 'mid', 'deep']) {
    const y = t.points.map((p) => p.regions?.find((g) => g.region === region)?.mean ?? null);
    if (y.some((v) => v !== null)) series.push({ name: region, x: steps, y, dashed: true });
  }
  return {
    version: 1,
    kind: 'lines',
    data: { series, xLabel: 'step', yLabel: 'divergence from the reference', integerX: false, yBounds: [0, 1] },
    options: { size: 'acl-column', aspect: 0.7 },
  };
}

export function probeSpec(results: { name: string; result: ProbeResult }[], labelSet: string, metric: 'accuracy' | 'selectivity'): FigureSpecInput | null {
  const series = results.flatMap(({ name, result }) => {
    const task = result.tasks.find((t) => t.labelSet === labelSet);
    if (!task) return [];
    const pts = transformerPart(result.layers, task.report.layers.map((l) => (metric === 'accuracy' ? l.task.accuracy : l.selectivity)));
    // The accuracy's bootstrap interval over test word types, as a band with its own legend entry.
    const ci = metric === 'accuracy' && task.report.layers.every((l) => l.task.ci) ? transformerPart(result.layers, task.report.layers.map((l) => l.task.ci!)) : null;
    if (!ci) return [{ name, x: pts.x, y: pts.y }];
    const c0 = ci.y[0];
    const bandLabel = `${name}: ${Math.round(c0.level * 100)}% CI`; // over test word types (or examples): the panel says which
    return [{ name, x: pts.x, y: pts.y, lower: ci.y.map((c) => c.lo), upper: ci.y.map((c) => c.hi), bandLabel }];
  });
  if (series.length === 0) return null;
  const L = Math.max(...results[0].result.layers);
  // The floor every accuracy must be read against: always answering the most frequent class.
  const majority = metric === 'accuracy' ? results.map((r) => r.result.tasks.find((t) => t.labelSet === labelSet)?.report.majority).find((m) => m) : undefined;
  if (majority) {
    const xs = series.flatMap((s) => s.x);
    series.push({ name: `majority class (“${majority.label}”, ${(100 * majority.accuracy).toFixed(0)}%)`, x: [Math.min(...xs), Math.max(...xs)], y: [majority.accuracy, majority.accuracy], dashed: true, points: 'none' } as (typeof series)[number]);
  }
  return {
    version: 1,
    kind: 'lines',
    data: {
      series, xLabel: 'layer', yLabel: `${labelSet} probe ${metric === 'accuracy' ? 'accuracy' : 'selectivity (acc − control)'}`, integerX: true, regions: layerRegions(L),
      yBounds: metric === 'accuracy' ? [0, 1] : [-1, 1],
    },
    options: { size: 'acl-column', aspect: 0.8 },
  };
}

/** Probing heatmap: one row per checkpoint, one column per hidden state (emb, 0, 1, …), cell = the
 *  label set's test accuracy (or selectivity). The colour scale spans the values shown, since probe
 *  accuracies of neighbouring checkpoints differ by points, not by the whole [0, 1]. */
export function probeHeatmapSpec(results: { name: string; result: ProbeResult }[], labelSet: string, metric: 'accuracy' | 'selectivity'): FigureSpecInput | null {
  const rows = results.flatMap(({ name, result }) => {
    const task = result.tasks.find((t) => t.labelSet === labelSet);
    return task ? [{ name, layers: result.layers, values: task.report.layers.map((l) => (metric === 'accuracy' ? l.task.accuracy : l.selectivity)) }] : [];
  });
  if (rows.length === 0) return null;
  const layers = rows[0].layers;
  // one column set for all rows: a checkpoint probed on other layers would misalign the grid
  if (rows.some((r) => r.layers.length !== layers.length || r.layers.some((l, i) => l !== layers[i]))) return null;
  return {
    version: 1,
    kind: 'heatmap',
    data: {
      values: rows.map((r) => r.values),
      rowLabel: 'checkpoint',
      colLabel: `layer (${labelSet} probe)`,
      rowTicks: rows.map((r) => r.name),
      colTicks: layers.map(hiddenLabel),
      scale: metric === 'accuracy' ? 'viridis' : 'diverging',
      valueLabel: metric,
      bounds: metric === 'accuracy' ? [0, 1] : [-1, 1],
      square: false,
    },
    // Full width, and a height that grows with the rows: a checkpoint × layer map of two rows in a
    // column-wide square was a ~20 px strip beside its long checkpoint names.
    options: { size: 'acl-full', aspect: Math.min(0.7, 0.14 + 0.05 * rows.length) },
  };
}

/**
 * Confusion matrix of one probe (the label set's task probe at hidden state `hidden`) on the test
 * split: rows the gold class, columns the predicted class, each cell the share of that gold class
 * (rows sum to 1). The `maxClasses` most frequent gold classes keep their own row and column; the
 * rest are pooled as "other". Null when the report has no confusion matrix (cached before one was kept).
 */
export function confusionSpec(result: ProbeResult, labelSet: string, hidden: number, maxClasses = 12): FigureSpecInput | null {
  const task = result.tasks.find((t) => t.labelSet === labelSet);
  const at = result.layers.indexOf(hidden);
  const m = at >= 0 ? task?.report.layers[at]?.task.confusion : undefined;
  if (!task || !m) return null;
  const classes = task.report.classes;
  const rowSum = m.map((r) => r.reduce((a, b) => a + b, 0));
  const colSum = classes.map((_, k) => m.reduce((a, r) => a + r[k], 0));
  const seen = classes.map((_, k) => k).filter((k) => rowSum[k] > 0 || colSum[k] > 0).sort((a, b) => rowSum[b] - rowSum[a] || a - b);
  const kept = seen.slice(0, maxClasses);
  const rest = seen.slice(maxClasses);
  const bucket = (k: number) => (kept.includes(k) ? kept.indexOf(k) : kept.length); // pooled classes: the last index
  const nb = kept.length + (rest.length ? 1 : 0);
  const counts = Array.from({ length: nb }, () => new Array<number>(nb).fill(0));
  m.forEach((row, g) => row.forEach((n, p) => { if (n) counts[bucket(g)][bucket(p)] += n; }));
  const names = [...kept.map((k) => classes[k]), ...(rest.length ? [`other (${rest.length})`] : [])];
  const values = counts.map((row) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((n) => (total ? n / total : null));
  });
  return {
    version: 1,
    kind: 'heatmap',
    data: {
      values, rowLabel: 'gold class', colLabel: `predicted class (${labelSet}, layer ${hiddenLabel(hidden)})`, rowTicks: names, colTicks: names,
      scale: 'viridis', domain: [0, 1], valueLabel: 'share of the gold class', square: true, cellValues: nb <= 8, uprightColTicks: true,
    },
    // a few classes fit a column; more need the full width for their upright names
    options: nb <= 6 ? { size: 'acl-column', aspect: 0.9 } : { size: 'acl-full', aspect: 0.62 },
  };
}

/** Several of the figures above as one multi-panel figure at full ACL width, labelled (a), (b), (c). */
export function panelsSpec(panels: (FigureSpecInput | null)[], title?: string): FigureSpecInput | null {
  const list = panels.filter((p): p is Exclude<FigureSpecInput, { kind: 'panels' }> => p !== null && p.kind !== 'panels');
  if (list.length < 2) return null;
  return { version: 1, kind: 'panels', data: { panels: list, columns: Math.min(3, list.length) }, options: { size: 'acl-full', title } };
}
