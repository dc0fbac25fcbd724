// The probe_sets table: held-out texts (identified by content hash) run through every checkpoint.
import type { Db } from './db';

export interface NewProbeSet { name: string; sha256: string; nTexts: number; path?: string | null; labels?: unknown }

/** Insert a probe set, or return the id of the one with the same content hash. */
export function ensureProbeSet(db: Db, p: NewProbeSet): number {
  const existing = db.prepare('SELECT id FROM probe_sets WHERE sha256 = ?').pluck().get(p.sha256) as number | undefined;
  if (existing !== undefined) return existing;
  const info = db
    .prepare('INSERT INTO probe_sets (name, sha256, n_texts, path, labels) VALUES (?, ?, ?, ?, ?)')
    .run(p.name, p.sha256, p.nTexts, p.path ?? null, p.labels === undefined ? null : JSON.stringify(p.labels));
  return Number(info.lastInsertRowid);
}
