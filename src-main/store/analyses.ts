// The analyses table: results cached by (kind, hash of inputs and parameters).
import type { Db } from './db';

export function getCachedAnalysis<T>(db: Db, kind: string, inputsHash: string): T | null {
  const r = db.prepare('SELECT result FROM analyses WHERE kind = ? AND inputs_hash = ?').get(kind, inputsHash) as { result: string } | undefined;
  return r ? (JSON.parse(r.result) as T) : null;
}

export function putCachedAnalysis(db: Db, kind: string, inputsHash: string, params: unknown, result: unknown): void {
  db.prepare(
    `INSERT INTO analyses (kind, inputs_hash, params, result) VALUES (?, ?, ?, ?)
     ON CONFLICT(kind, inputs_hash) DO UPDATE SET params = excluded.params, result = excluded.result`,
  ).run(kind, inputsHash, params === undefined ? null : JSON.stringify(params), JSON.stringify(result));
}
