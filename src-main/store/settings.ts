// The settings table: small JSON values keyed by name (e.g. the run queue's concurrency).
import type { Db } from './db';

export function getSetting<T>(db: Db, key: string, fallback: T): T {
  const v = db.prepare('SELECT value FROM settings WHERE key = ?').pluck().get(key) as string | undefined;
  return v === undefined ? fallback : (JSON.parse(v) as T);
}

export function setSetting(db: Db, key: string, value: unknown): void {
  db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, JSON.stringify(value));
}
