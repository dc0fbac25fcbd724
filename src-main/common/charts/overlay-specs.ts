// Overlaid curves of several runs (loss, LR, grad norm; by step or by tokens seen): one line per
// run, named by the run's readable name, optionally smoothed (the raw curves are then not drawn:
// with several runs the raw noise hides the comparison). Pure.
import { smooth } from './run-specs';
import type { FigureSpecInput } from './spec';

export interface OverlayCurve { name: string; x: number[]; y: (number | null)[] }
export type OverlayXAxis = 'step' | 'tokens';

export const OVERLAY_METRICS = {
  loss: { label: 'loss', log: false },
  lr: { label: 'learning rate', log: false },
  grad_norm: { label: 'gradient norm', log: true },
} as const;
export type OverlayMetric = keyof typeof OVERLAY_METRICS;

/** Steps → tokens seen (B·T per step), for the "by tokens" x axis; thousands keep ticks short. */
export function stepsToKTokens(steps: number[], tokensPerStep: number): number[] {
  return steps.map((s) => (s * tokensPerStep) / 1000);
}

export function overlaySpec(curves: OverlayCurve[], o: { metric: OverlayMetric; xAxis: OverlayXAxis; smoothing?: number; title?: string }): FigureSpecInput | null {
  const drawn = curves.filter((c) => c.x.length > 0);
  if (drawn.length === 0) return null;
  const m = OVERLAY_METRICS[o.metric];
  return {
    version: 1,
    kind: 'lines',
    data: {
      series: drawn.map((c) => ({ name: c.name, x: c.x, y: o.smoothing ? smooth(c.y, o.smoothing) : c.y })),
      xLabel: o.xAxis === 'step' ? 'step' : 'tokens seen (thousands)',
      yLabel: o.smoothing ? `${m.label} (smoothed ${o.smoothing})` : m.label,
      logY: m.log,
      integerX: o.xAxis === 'step',
      points: 'last', // each run's newest point, whatever its length
    },
    options: { size: 'acl-full', aspect: 0.45, title: o.title },
  };
}
