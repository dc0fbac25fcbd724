// The runs and phases tables.
import type { Db } from './db';
import type { PhaseInfo, RunDetail, RunStatus, RunSummary } from '../common/types';
import { listCheckpoints } from './checkpoints';

interface RunRow {
  id: number; name: string; config: string; status: RunStatus; out_dir: string | null;
  created_at: string; started_at: string | null; finished_at: string | null; error: string | null;
  total_steps: number | null; last_step: number | null;
  sweep: string | null; tags: string; notes: string; archived: number;
}

function toSummary(r: RunRow): RunSummary {
  return {
    id: r.id, name: r.name, status: r.status, createdAt: r.created_at, startedAt: r.started_at, finishedAt: r.finished_at, error: r.error,
    totalSteps: r.total_steps, lastStep: r.last_step,
    sweep: r.sweep, tags: JSON.parse(r.tags) as string[], notes: r.notes, archived: r.archived === 1,
  };
}

export interface NewRun {
  name: string;
  config: unknown;
  outDir?: string | null;
  totalSteps?: number | null;
  sweep?: string | null;
  phases?: { name: string; objective: 'mlm' | 'clm'; firstStep?: number; lastStep?: number }[];
}

/** Insert a run with its phases in one transaction; returns its id. */
export function createRun(db: Db, run: NewRun): number {
  const tx = db.transaction(() => {
    const info = db
      .prepare('INSERT INTO runs (name, config, out_dir, total_steps, sweep) VALUES (?, ?, ?, ?, ?)')
      .run(run.name, JSON.stringify(run.config), run.outDir ?? null, run.totalSteps ?? null, run.sweep ?? null);
    const id = Number(info.lastInsertRowid);
    const ins = db.prepare('INSERT INTO phases (run_id, idx, name, objective, first_step, last_step) VALUES (?, ?, ?, ?, ?, ?)');
    (run.phases ?? []).forEach((p, idx) => ins.run(id, idx, p.name, p.objective, p.firstStep ?? null, p.lastStep ?? null));
    return id;
  });
  return tx();
}

export interface ListRunsQuery { status?: RunStatus; limit?: number; offset?: number }

export function listRuns(db: Db, q: ListRunsQuery = {}): RunSummary[] {
  const where = q.status ? 'WHERE status = @status' : '';
  const rows = db
    .prepare(`SELECT * FROM runs ${where} ORDER BY created_at DESC, id DESC LIMIT @limit OFFSET @offset`)
    .all({ status: q.status, limit: q.limit ?? 100, offset: q.offset ?? 0 }) as RunRow[];
  return rows.map(toSummary);
}

export function countRuns(db: Db): number {
  return (db.prepare('SELECT count(*) AS n FROM runs').get() as { n: number }).n;
}

export function getRun(db: Db, id: number): RunDetail | null {
  const r = db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
  if (!r) return null;
  const phases = (db
    .prepare('SELECT idx, name, objective, first_step, last_step FROM phases WHERE run_id = ? ORDER BY idx')
    .all(id) as { idx: number; name: string; objective: 'mlm' | 'clm'; first_step: number | null; last_step: number | null }[])
    .map((p): PhaseInfo => ({ idx: p.idx, name: p.name, objective: p.objective, firstStep: p.first_step, lastStep: p.last_step }));
  return { ...toSummary(r), config: JSON.parse(r.config), outDir: r.out_dir, phases, checkpoints: listCheckpoints(db, id) };
}

/** What a researcher may change on a run after the fact: its name, tags, notes, archived flag. */
export interface RunMetaPatch { name?: string; tags?: string[]; notes?: string; archived?: boolean }

export function updateRunMeta(db: Db, id: number, patch: RunMetaPatch): void {
  const info = db
    .prepare(
      `UPDATE runs SET name = coalesce(@name, name), tags = coalesce(@tags, tags), notes = coalesce(@notes, notes),
         archived = coalesce(@archived, archived) WHERE id = @id`,
    )
    .run({
      id, name: patch.name ?? null, notes: patch.notes ?? null,
      tags: patch.tags ? JSON.stringify([...new Set(patch.tags.map((t) => t.trim()).filter(Boolean))]) : null,
      archived: patch.archived === undefined ? null : patch.archived ? 1 : 0,
    });
  if (info.changes !== 1) throw new Error(`no run with id ${id}`);
}

/** Delete a run's rows: phases, metrics, checkpoints and their activations go with it (ON DELETE CASCADE). */
export function deleteRunRows(db: Db, id: number): void {
  db.prepare('DELETE FROM runs WHERE id = ?').run(id);
}

export function setRunOutDir(db: Db, id: number, outDir: string): void {
  db.prepare('UPDATE runs SET out_dir = ? WHERE id = ?').run(outDir, id);
}

export function setRunProgress(db: Db, id: number, lastStep: number): void {
  db.prepare('UPDATE runs SET last_step = ? WHERE id = ?').run(lastStep, id);
}

/** Runs in a status, oldest first (the queue's order). */
export function runsWithStatus(db: Db, status: RunStatus): RunSummary[] {
  return (db.prepare('SELECT * FROM runs WHERE status = ? ORDER BY created_at, id').all(status) as RunRow[]).map(toSummary);
}

/**
 * Move a run to a new status, stamping started_at / finished_at as the status implies. A run that
 * leaves a terminal status (resumed: queued again, then running) loses its old finished_at, so no view
 * shows a "Finished" time for a run that is waiting or training; the next terminal status stamps anew.
 */
export function setRunStatus(db: Db, id: number, status: RunStatus, error: string | null = null): void {
  const terminal = status === 'finished' || status === 'failed' || status === 'diverged' || status === 'cancelled';
  const info = db
    .prepare(
      `UPDATE runs SET status = @status, error = @error,
         started_at  = CASE WHEN @status = 'running' AND started_at IS NULL THEN strftime('%Y-%m-%dT%H:%M:%fZ','now') ELSE started_at END,
         finished_at = CASE WHEN @terminal THEN strftime('%Y-%m-%dT%H:%M:%fZ','now') WHEN @status IN ('queued', 'running') THEN NULL ELSE finished_at END
       WHERE id = @id`,
    )
    .run({ id, status, error, terminal: terminal ? 1 : 0 });
  if (info.changes !== 1) throw new Error(`no run with id ${id}`);
}
