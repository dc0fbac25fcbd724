// Figure specs of a training run's curves, built from its metric series: loss / LR / grad-norm lines
// with phase markers, and the per-layer gradient-norm heatmap over steps. Pure: used by the run view
// and by report generation.
import type { MetricSeries, PhaseInfo } from '../types';
import type { FigureSpecInput } from './spec';

export const LAYER_GRAD_PREFIX = 'grad_norm/';

/** Exponential moving average (TensorBoard-style, debiased), skipping nulls. alpha in [0, 1). */
export function smooth(values: (number | null)[], alpha: number): (number | null)[] {
  if (alpha <= 0) return values;
  let acc = 0;
  let weight = 0;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return null;
    acc = alpha * acc + (1 - alpha) * v;
    weight = alpha * weight + (1 - alpha);
    return acc / weight;
  });
}

export function phaseMarkers(phases: PhaseInfo[]): { x: number; label: string }[] {
  return phases.filter((p, i) => i > 0 && p.firstStep !== null).map((p) => ({ x: (p.firstStep as number) - 0.5, label: p.name }));
}

export function curveSpec(
  series: MetricSeries | undefined,
  o: { name: string; yLabel: string; phases: PhaseInfo[]; smoothing?: number; logY?: boolean; title?: string },
): FigureSpecInput | null {
  if (!series || series.steps.length === 0) return null;
  const raw = { name: o.name, x: series.steps, y: series.values };
  const lines = o.smoothing && o.smoothing > 0 ? [{ ...raw, name: `${o.name} (raw)`, dashed: true }, { name: `${o.name} (smoothed)`, x: series.steps, y: smooth(series.values, o.smoothing) }] : [raw];
  return {
    version: 1,
    kind: 'lines',
    // whole steps on the x axis; the newest step marked from the first step on (never all points, which
    // would appear early and vanish as the run grows)
    data: { series: lines, xLabel: 'step', yLabel: o.yLabel, logY: o.logY ?? false, markers: phaseMarkers(o.phases), integerX: true, points: 'last' },
    options: { size: 'acl-full', aspect: 0.32, title: o.title },
  };
}

/** Row label of a per-layer gradient-norm metric ('grad_norm/layer_03' -> 'L3'). */
export function layerGradLabel(name: string): string {
  const rest = name.slice(LAYER_GRAD_PREFIX.length);
  if (rest === 'embeddings') return 'emb';
  if (rest === 'head') return 'head';
  return `L${Number(rest.replace('layer_', ''))}`;
}

/** Metric names of the per-layer gradient norms, in model order: embeddings, layers 0..L-1, head. */
export function layerGradNames(all: string[]): string[] {
  const layers = all.filter((n) => /^grad_norm\/layer_\d+$/.test(n)).sort();
  return [...all.filter((n) => n === 'grad_norm/embeddings'), ...layers, ...all.filter((n) => n === 'grad_norm/head')];
}

/**
 * Heatmap of log10 gradient norm per layer (rows, bottom = embeddings) over step bins (columns).
 * Frozen layers report 0, shown as log10 of nothing: empty cells.
 */
export function layerGradHeatmapSpec(metrics: Record<string, MetricSeries>, o: { bins?: number; title?: string } = {}): FigureSpecInput | null {
  const names = layerGradNames(Object.keys(metrics)).reverse(); // top row = head
  if (names.length === 0) return null;
  const steps = metrics[names[0]].steps;
  if (steps.length === 0) return null;
  const nb = Math.min(o.bins ?? 60, steps.length);
  const values = names.map((n) => {
    const s = metrics[n];
    return Array.from({ length: nb }, (_, b) => {
      const lo = Math.floor((b * s.values.length) / nb);
      const hi = Math.floor(((b + 1) * s.values.length) / nb);
      let sum = 0;
      let k = 0;
      for (let i = lo; i < hi; i++) {
        const v = s.values[i];
        if (v !== null && v > 0) {
          sum += v;
          k++;
        }
      }
      return k ? Math.log10(sum / k) : null;
    });
  });
  const colTicks = Array.from({ length: nb }, (_, b) => String(steps[Math.min(steps.length - 1, Math.floor(((b + 1) * steps.length) / nb) - 1)]));
  return {
    version: 1,
    kind: 'heatmap',
    data: { values, rowLabel: 'layer', colLabel: 'step', rowTicks: names.map(layerGradLabel), colTicks, scale: 'viridis', valueLabel: 'log10 ‖grad‖', square: false },
    options: { size: 'acl-full', aspect: 0.4, title: o.title },
  };
}
