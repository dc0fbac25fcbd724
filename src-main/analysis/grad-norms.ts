// Per-layer gradient-norm summaries per training phase, from the run's metrics: the run queue stores
// the norm of each parameter group's gradient at every step as 'grad_norm/embeddings',
// 'grad_norm/layer_00' …, 'grad_norm/head' (and the global 'grad_norm'). The paper explains the CLM
// detour by its denser supervision: these tables show where in depth the gradient goes in each phase.
import type { Db } from '../store/db';
import { metricNames, metricSeries } from '../store/metrics';

// Result shapes are the API's wire types (src-main/common/analysis-types.ts).
import type { GradNormStats, PhaseGradNorms } from '../common/analysis-types';
export type { GradNormStats, PhaseGradNorms };

function classify(name: string): { group: GradNormStats['group']; layer: number | null; order: number } | null {
  if (name === 'grad_norm') return { group: 'total', layer: null, order: 1e9 + 1 };
  if (name === 'grad_norm/embeddings') return { group: 'embeddings', layer: null, order: -1 };
  if (name === 'grad_norm/head') return { group: 'head', layer: null, order: 1e9 };
  const m = /^grad_norm\/layer_(\d+)$/.exec(name);
  return m ? { group: 'layer', layer: Number(m[1]), order: Number(m[1]) } : null;
}

function summarise(values: (number | null)[]): Omit<GradNormStats, 'name' | 'group' | 'layer'> {
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v));
  const n = finite.length;
  if (n === 0) return { count: 0, nonFinite: values.length, mean: null, rms: null, min: null, max: null, first: null, last: null };
  let sum = 0;
  let sq = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of finite) {
    sum += v;
    sq += v * v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { count: n, nonFinite: values.length - n, mean: sum / n, rms: Math.sqrt(sq / n), min, max, first: finite[0], last: finite[n - 1] };
}

/**
 * One table per phase (steps first_step..last_step of the phases table). Not cached: the metrics of a
 * running run keep growing, and summarising them is a single indexed read per metric.
 */
export function gradNormSummary(db: Db, runId: number): PhaseGradNorms[] {
  if (db.prepare('SELECT id FROM runs WHERE id = ?').pluck().get(runId) === undefined) throw new Error(`no run with id ${runId} in the workspace`);
  const phases = db.prepare('SELECT idx, name, objective, first_step, last_step FROM phases WHERE run_id = ? ORDER BY idx').all(runId) as {
    idx: number; name: string; objective: 'mlm' | 'clm'; first_step: number | null; last_step: number | null;
  }[];
  const names = metricNames(db, runId)
    .map((name) => ({ name, c: classify(name) }))
    .filter((x): x is { name: string; c: NonNullable<ReturnType<typeof classify>> } => x.c !== null)
    .sort((x, y) => x.c.order - y.c.order);
  if (names.length === 0) throw new Error(`run ${runId} has no gradient-norm metrics yet`);
  const series = names.map(({ name, c }) => ({ name, c, s: metricSeries(db, runId, name) }));
  // A run without a phases table (imported metrics) is one phase over every step.
  const spans = phases.length ? phases : [{ idx: 0, name: 'all', objective: 'mlm' as const, first_step: null, last_step: null }];
  return spans.map((p) => ({
    idx: p.idx,
    name: p.name,
    objective: p.objective,
    firstStep: p.first_step,
    lastStep: p.last_step,
    norms: series.map(({ name, c, s }) => {
      const vals = s.values.filter((_, i) => (p.first_step === null || s.steps[i] >= p.first_step) && (p.last_step === null || s.steps[i] <= p.last_step));
      return { name, group: c.group, layer: c.layer, ...summarise(vals) };
    }),
  }));
}
