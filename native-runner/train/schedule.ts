// Learning-rate schedules and the run's step plan. Pure functions (no node imports).
//
// Conventions (index s = 0-based position of an update inside its schedule of `total` updates):
//   warmup:  lr = peak · (s + 1) / warmup for s < warmup  (the first update already moves: peak/warmup)
//   after:   progress p = (s − warmup) / (total − warmup − 1) ∈ [0, 1], so the first post-warmup update
//            uses exactly `peak` and the last one exactly `final_ratio · peak` (p = 0 when only one is left)
//     constant        peak
//     linear          peak · (1 − (1 − f) · p)
//     cosine          peak · (f + (1 − f) · ½(1 + cos πp))
//     one_minus_sqrt  peak · (f + (1 − f) · (1 − √p))        (the paper's decay, f = 0.1)

import type { LrConfig, PhaseConfig } from '../protocol';

export function lrAt(lr: LrConfig, s: number, total: number): number {
  if (!Number.isInteger(s) || s < 0 || s >= total) throw new RangeError(`schedule position ${s} outside [0, ${total})`);
  if (s < lr.warmup) return (lr.peak * (s + 1)) / lr.warmup;
  const span = total - lr.warmup - 1;
  const p = span > 0 ? (s - lr.warmup) / span : 0;
  const f = lr.final_ratio;
  switch (lr.shape) {
    case 'constant': return lr.peak;
    case 'linear': return lr.peak * (1 - (1 - f) * p);
    case 'cosine': return lr.peak * (f + (1 - f) * 0.5 * (1 + Math.cos(Math.PI * p)));
    case 'one_minus_sqrt': return lr.peak * (f + (1 - f) * (1 - Math.sqrt(p)));
  }
}

/** Where each phase sits in the run and which schedule segment drives its learning rate. */
export interface PhasePlan {
  index: number;
  phase: PhaseConfig;
  start: number;          // global 0-based index of the phase's first update
  end: number;            // one past its last update
  schedStart: number;     // first update of its schedule segment (a phase that resets starts a segment)
  schedTotal: number;     // updates in that segment (phases that continue it are included)
  lr: LrConfig;           // the segment's lr config (set by the phase that reset the scheduler)
}

export function planPhases(phases: PhaseConfig[]): PhasePlan[] {
  const out: PhasePlan[] = [];
  let at = 0;
  phases.forEach((phase, index) => {
    const prev = out[out.length - 1];
    const resets = index === 0 || phase.reset_scheduler;
    const schedStart = resets ? at : prev.schedStart;
    const lr = resets ? phase.lr : prev.lr;
    out.push({ index, phase, start: at, end: at + phase.steps, schedStart, schedTotal: 0, lr });
    at += phase.steps;
  });
  // segment length = from its start to the end of its last continuing phase
  for (const p of out) p.schedTotal = Math.max(...out.filter((q) => q.schedStart === p.schedStart).map((q) => q.end)) - p.schedStart;
  return out;
}

/** Phase plan of global update `step` (0-based). */
export function phaseAt(plan: PhasePlan[], step: number): PhasePlan {
  const p = plan.find((q) => step >= q.start && step < q.end);
  if (!p) throw new RangeError(`step ${step} is beyond the run's ${plan[plan.length - 1]?.end ?? 0} steps`);
  return p;
}

/** Learning rate of global update `step` (0-based). */
export function lrForStep(plan: PhasePlan[], step: number): number {
  const p = phaseAt(plan, step);
  return lrAt(p.lr, step - p.schedStart, p.schedTotal);
}
