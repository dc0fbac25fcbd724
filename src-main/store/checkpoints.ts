// The checkpoints table: one row per checkpoint directory (ours or an imported HF directory).
import type { Db } from './db';
import type { CheckpointInfo } from '../common/types';

export interface NewCheckpoint { runId: number | null; step: number | null; phase: string | null; path: string; sha256: string }

export function addCheckpoint(db: Db, c: NewCheckpoint): number {
  const info = db
    .prepare('INSERT INTO checkpoints (run_id, step, phase, path, sha256) VALUES (?, ?, ?, ?, ?)')
    .run(c.runId, c.step, c.phase, c.path, c.sha256);
  return Number(info.lastInsertRowid);
}

export function listCheckpoints(db: Db, runId: number): CheckpointInfo[] {
  return (db
    .prepare('SELECT id, step, phase, path, sha256, created_at FROM checkpoints WHERE run_id = ? ORDER BY step, id')
    .all(runId) as { id: number; step: number | null; phase: string | null; path: string; sha256: string; created_at: string }[])
    .map((r) => ({ id: r.id, step: r.step, phase: r.phase, path: r.path, sha256: r.sha256, createdAt: r.created_at }));
}
