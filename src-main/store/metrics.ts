// The metrics table: (run, metric name, step) -> value, interned names, bulk inserts.
import type { Db } from './db';

export interface MetricPoint { step: number; name: string; value: number }

function nameIds(db: Db, names: Iterable<string>): Map<string, number> {
  const ids = new Map<string, number>();
  const ins = db.prepare('INSERT INTO metric_names (name) VALUES (?) ON CONFLICT(name) DO NOTHING');
  const sel = db.prepare('SELECT id FROM metric_names WHERE name = ?');
  for (const n of names) {
    if (ids.has(n)) continue;
    ins.run(n);
    ids.set(n, (sel.get(n) as { id: number }).id);
  }
  return ids;
}

/** Insert many points in one transaction (all or nothing). NaN/Infinity are stored as NULL. */
export function insertMetrics(db: Db, runId: number, points: MetricPoint[]): void {
  const tx = db.transaction(() => {
    const ids = nameIds(db, new Set(points.map((p) => p.name)));
    const ins = db.prepare('INSERT OR REPLACE INTO metrics (run_id, name_id, step, value) VALUES (?, ?, ?, ?)');
    for (const p of points) ins.run(runId, ids.get(p.name), p.step, Number.isFinite(p.value) ? p.value : null);
  });
  tx();
}

/** One metric of one run, ordered by step (served by the primary key). */
export function metricSeries(db: Db, runId: number, name: string, fromStep = 0): { steps: number[]; values: (number | null)[] } {
  const rows = db
    .prepare(
      `SELECT step, value FROM metrics
       WHERE run_id = ? AND name_id = (SELECT id FROM metric_names WHERE name = ?) AND step >= ?
       ORDER BY step`,
    )
    .raw()
    .all(runId, name, fromStep) as [number, number | null][];
  return { steps: rows.map((r) => r[0]), values: rows.map((r) => r[1]) };
}

/**
 * At most `maxPoints` points: consecutive steps are grouped into equal buckets, each reported at its
 * last step with the mean of its finite values (null if it has none). The first and last points of
 * the series stay exact so curves start and end where the run did.
 */
export function downsample(series: { steps: number[]; values: (number | null)[] }, maxPoints: number): { steps: number[]; values: (number | null)[] } {
  const n = series.steps.length;
  if (n <= maxPoints) return series;
  const steps: number[] = [series.steps[0]];
  const values: (number | null)[] = [series.values[0]];
  const inner = maxPoints - 2;
  for (let b = 0; b < inner; b++) {
    const lo = 1 + Math.floor((b * (n - 2)) / inner);
    const hi = 1 + Math.floor(((b + 1) * (n - 2)) / inner);
    let sum = 0;
    let k = 0;
    for (let i = lo; i < hi; i++) {
      const v = series.values[i];
      if (v !== null && Number.isFinite(v)) {
        sum += v;
        k++;
      }
    }
    steps.push(series.steps[hi - 1]);
    values.push(k ? sum / k : null);
  }
  steps.push(series.steps[n - 1]);
  values.push(series.values[n - 1]);
  return { steps, values };
}

export function metricNames(db: Db, runId: number): string[] {
  return (db
    .prepare('SELECT DISTINCT n.name FROM metrics m JOIN metric_names n ON n.id = m.name_id WHERE m.run_id = ? ORDER BY n.name')
    .pluck()
    .all(runId)) as string[];
}
