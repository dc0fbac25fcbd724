// Axis ranges and ticks that a reviewer accepts. Pure.
//  - A constant series gets a range around its value relative to it (2e-4 → 1.9e-4…2.1e-4), never a
//    fixed ±0.5 (which drew an LR axis of −0.4…0.6 and an accuracy axis of 0.5…1.5).
//  - Bounded quantities (accuracy, CKA, divergence) never leave their bounds, padded or "niced".
//  - Step axes show whole steps only, even with three steps logged.
import { scaleLinear, ticks as d3ticks } from 'd3';

/** Relative padding of a constant value: 5% of it, or 0.05 around 0. */
export function constantPad(v: number): number {
  return v === 0 ? 0.05 : Math.abs(v) * 0.05;
}

/** The [lo, hi] to draw for values spanning [min, max], kept inside `bounds` when given. */
export function valueDomain(min: number, max: number, o: { log?: boolean; bounds?: [number, number] } = {}): [number, number] {
  let lo = min;
  let hi = max;
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) [lo, hi] = o.bounds ?? (o.log ? [1e-3, 1] : [0, 1]);
  if (lo === hi) {
    if (o.log) [lo, hi] = [lo / 1.5, hi * 1.5];
    else {
      const p = constantPad(lo);
      [lo, hi] = [lo - p, hi + p];
    }
  }
  if (!o.log) {
    // "nice" round ends for linear axes, then back inside the bounds
    const nice = scaleLinear().domain([lo, hi]).nice().domain() as [number, number];
    [lo, hi] = nice;
  }
  if (o.bounds) {
    lo = Math.max(o.bounds[0], lo);
    hi = Math.min(o.bounds[1], hi);
    if (lo >= hi) {
      // a constant at the bound (accuracy 1.0): open the range inwards
      const p = constantPad(o.bounds[1] - o.bounds[0]);
      if (hi >= o.bounds[1]) lo = o.bounds[1] - p;
      else hi = o.bounds[0] + p;
    }
  }
  return [lo, hi];
}

/** Up to `count` whole-number ticks within [lo, hi] (a step axis never shows 1.5). */
export function integerTicks(lo: number, hi: number, count: number): number[] {
  const first = Math.ceil(lo);
  const last = Math.floor(hi);
  if (last < first) return [];
  if (last - first + 1 <= count) return Array.from({ length: last - first + 1 }, (_, i) => first + i);
  return d3ticks(first, last, count).filter((t) => Number.isInteger(t));
}
