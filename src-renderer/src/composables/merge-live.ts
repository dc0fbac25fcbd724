// A run's metric series kept whole while it trains: a reload from the database may lag the live
// events (the ingest writes in batches), so the points that arrived live after the database's last
// step are kept instead of vanishing until the next reload. Pure.
import type { MetricSeries } from '../../../src-main/common/types';

export function mergeLive(loaded: Record<string, MetricSeries>, live: Record<string, MetricSeries>): Record<string, MetricSeries> {
  const out: Record<string, MetricSeries> = { ...loaded };
  for (const [name, s] of Object.entries(live)) {
    const base = out[name] ?? { steps: [], values: [] };
    const last = base.steps.length ? base.steps[base.steps.length - 1] : -Infinity;
    const k = s.steps.findIndex((step) => step > last);
    if (k < 0) continue;
    out[name] = { steps: [...base.steps, ...s.steps.slice(k)], values: [...base.values, ...s.values.slice(k)] };
  }
  return out;
}
