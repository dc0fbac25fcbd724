// Opening a workspace database: pragmas, numbered migrations, schema version.
// One SQLite file per workspace (workbench.db). better-sqlite3 12 (13 segfaults on Node 20).
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { MIGRATIONS, type Migration } from './migrations';

export type Db = Database.Database;

export const DB_FILE_NAME = 'workbench.db';

export interface OpenOptions {
  /** Path of a better_sqlite3.node built for another ABI (Electron's), see scripts/start-desktop.mjs. */
  nativeBinding?: string;
  /** Migrations to apply (tests pass extra ones); defaults to MIGRATIONS. */
  migrations?: Migration[];
  readonly?: boolean;
  /**
   * How long a statement waits for another connection's lock (default 5000 ms). The main process uses
   * a short wait (store/busy.ts): better-sqlite3 waits synchronously, so a long one freezes every call.
   */
  busyTimeoutMs?: number;
}

export class SchemaError extends Error {
  override name = 'SchemaError';
}

/** Open (creating if needed) the database of a workspace directory and bring its schema up to date. */
export function openWorkspaceDb(workspaceDir: string, opts: OpenOptions = {}): Db {
  fs.mkdirSync(workspaceDir, { recursive: true });
  return openDb(path.join(workspaceDir, DB_FILE_NAME), opts);
}

export function openDb(file: string, opts: OpenOptions = {}): Db {
  const db = new Database(file, {
    nativeBinding: opts.nativeBinding,
    readonly: opts.readonly ?? false,
  });
  try {
    // WAL: the UI reads while a run's events are written; busy_timeout: writers from several
    // processes (queue, runner ingest, CLI) wait instead of failing with SQLITE_BUSY.
    if (!opts.readonly) db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000))}`);
    db.pragma('synchronous = NORMAL');
    if (!opts.readonly) migrate(db, opts.migrations ?? MIGRATIONS);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Apply every migration newer than the recorded schema version, each in its own transaction. */
export function migrate(db: Db, migrations: Migration[]): number {
  checkMigrationList(migrations);
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
  )`);
  const current = schemaVersion(db);
  const latest = migrations.length ? migrations[migrations.length - 1].version : 0;
  if (current > latest) {
    throw new SchemaError(
      `database ${db.name} has schema version ${current}, newer than this build knows (${latest}); ` +
        'upgrade the workbench or open another workspace',
    );
  }
  for (const m of migrations) {
    if (m.version <= current) continue;
    const apply = db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name) VALUES (?, ?)').run(m.version, m.name);
      db.pragma(`user_version = ${m.version}`);
    });
    try {
      apply();
    } catch (err) {
      throw new SchemaError(`migration ${m.version} (${m.name}) failed on ${db.name}: ${(err as Error).message}`);
    }
  }
  return schemaVersion(db);
}

function checkMigrationList(migrations: Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new SchemaError(`migration list is not numbered 1..n: entry ${i} has version ${m.version}`);
  });
}
