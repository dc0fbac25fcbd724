// The LR-schedule preview: the learning rate the runner will use at every step of each recipe
// (native-runner/train/schedule.ts, the same functions the training loop calls), as a 'lines' figure.
import type { FigureSpecInput } from '../../../src-main/common/charts/spec';
import type { PhaseConfig } from '../../../native-runner/protocol';
import { lrForStep, planPhases } from '../../../native-runner/train/schedule';

export interface LrCurve { name: string; phases: PhaseConfig[] }

const MAX_POINTS = 400;

/** Steps to draw: all of them for short runs, else an even sample that keeps every phase boundary. */
function sampleSteps(total: number, boundaries: number[]): number[] {
  if (total <= MAX_POINTS) return Array.from({ length: total }, (_, i) => i);
  const out = new Set<number>();
  for (let k = 0; k < MAX_POINTS; k++) out.add(Math.round((k * (total - 1)) / (MAX_POINTS - 1)));
  for (const b of boundaries) for (const s of [b - 1, b]) if (s >= 0 && s < total) out.add(s);
  return [...out].sort((a, b) => a - b);
}

/** A lines spec (x = optimizer step, 1-based; y = lr in units of 10^e), phase starts of the first curve as markers. */
export function lrPreviewSpec(curves: LrCurve[]): FigureSpecInput | null {
  const usable = curves.filter((c) => c.phases.length && c.phases.every((p) => p.steps > 0));
  if (!usable.length) return null;
  const raw = usable.map((c) => {
    const plan = planPhases(c.phases);
    const total = plan[plan.length - 1].end;
    const steps = sampleSteps(total, plan.map((p) => p.start));
    return { name: c.name, x: steps.map((s) => s + 1), y: steps.map((s) => lrForStep(plan, s)) };
  });
  // Values like 0.00020 make tick labels wider than the axis margin: plot in units of 10^e instead.
  const peak = Math.max(...raw.flatMap((s) => s.y));
  const e = peak > 0 && Number.isFinite(peak) ? Math.floor(Math.log10(peak)) : 0;
  // Later recipes dashed: recipes with the same schedule would otherwise hide each other.
  const series = raw.map((s, i) => ({ ...s, y: s.y.map((v) => v / 10 ** e), dashed: i > 0 }));
  const first = planPhases(usable[0].phases);
  return {
    version: 1,
    kind: 'lines',
    data: {
      series,
      xLabel: 'step',
      yLabel: e ? `learning rate (×1e${e})` : 'learning rate',
      markers: first.map((p) => ({ x: p.start + 1, label: p.phase.name })),
      integerX: true,
      points: 'none', // a schedule, not measurements
    },
    options: { size: { widthCm: 16 }, aspect: 0.32, font: 8 },
  };
}
