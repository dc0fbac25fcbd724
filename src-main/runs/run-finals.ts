// End-of-training numbers of runs, for a sweep's final-metrics table: the loss at the end of each
// phase, a held-out loss when the run logs one, tokens seen and wall time. Read from SQLite only.
import type { Db } from '../store/db';
import { metricNames, metricSeries } from '../store/metrics';
import { getRun } from '../store/runs';
import type { RunFinals } from '../common/types';

/** Steps averaged for a phase's final loss: one step's loss is one batch's, too noisy to rank runs by. */
export const FINAL_LOSS_WINDOW = 10;
const HELD_OUT = /^(held_out|heldout|eval|val)[_/]?loss$/;

function meanOfLast(values: (number | null)[], k: number): number | null {
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v)).slice(-k);
  return finite.length ? finite.reduce((s, v) => s + v, 0) / finite.length : null;
}

export function runFinals(db: Db, id: number): RunFinals | null {
  const run = getRun(db, id);
  if (!run) return null;
  const loss = metricSeries(db, id, 'loss');
  const phaseLoss = run.phases.map((p) => {
    if (p.firstStep === null || p.lastStep === null) return { phase: p.name, loss: null };
    const inPhase = loss.values.filter((_, i) => loss.steps[i] >= p.firstStep! && loss.steps[i] <= p.lastStep!);
    return { phase: p.name, loss: meanOfLast(inPhase, FINAL_LOSS_WINDOW) };
  });
  const heldName = metricNames(db, id).find((n) => HELD_OUT.test(n));
  const held = heldName ? metricSeries(db, id, heldName) : null;
  const cfg = (run.config ?? {}) as { batch_size?: unknown; seq_len?: unknown };
  const perStep = Number(cfg.batch_size) * Number(cfg.seq_len);
  const wall = run.startedAt && run.finishedAt ? (Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000 : null;
  return {
    id, name: run.name, sweep: run.sweep, status: run.status, phaseLoss,
    heldOutLoss: held ? meanOfLast(held.values, 1) : null,
    lastStep: run.lastStep,
    tokens: run.lastStep !== null && Number.isFinite(perStep) ? run.lastStep * perStep : null,
    wallS: wall !== null && Number.isFinite(wall) ? wall : null,
  };
}
