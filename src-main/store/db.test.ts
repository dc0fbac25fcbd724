import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DB_FILE_NAME, SchemaError, openDb, openWorkspaceDb, schemaVersion } from './db';
import { MIGRATIONS } from './migrations';
import { createRun, getRun, listRuns, setRunStatus } from './runs';
import { insertMetrics, metricSeries } from './metrics';
import { addCheckpoint } from './checkpoints';
import { activationLayers, getActivation, putActivations, storedExtractions } from './activations';
import { ensureProbeSet } from './probe-sets';
import { getCachedAnalysis, putCachedAnalysis } from './analyses';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-db-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const TABLES = ['activations', 'analyses', 'checkpoints', 'cluster_jobs', 'metric_names', 'metrics', 'phases', 'probe_sets', 'runs', 'schema_migrations', 'settings'];

describe('workspace database', () => {
  it('migrates an empty file to the latest schema with WAL, foreign keys and a busy timeout', () => {
    const db = openWorkspaceDb(dir);
    expect(fs.existsSync(path.join(dir, DB_FILE_NAME))).toBe(true);
    expect(schemaVersion(db)).toBe(MIGRATIONS.length);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    expect(tables).toEqual(TABLES);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    const recorded = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
    expect(recorded).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    db.close();
  });

  it('re-opens idempotently: no migration runs twice and data survives', () => {
    const db1 = openWorkspaceDb(dir);
    const id = createRun(db1, { name: 'keep me', config: { a: 1 } });
    db1.close();
    const db2 = openWorkspaceDb(dir);
    expect(schemaVersion(db2)).toBe(MIGRATIONS.length);
    expect(db2.prepare('SELECT count(*) FROM schema_migrations').pluck().get()).toBe(MIGRATIONS.length);
    expect(getRun(db2, id)?.name).toBe('keep me');
    db2.close();
  });

  it('applies a later migration on top of an existing database, and rolls back a failing one', () => {
    const file = path.join(dir, 'x.db');
    openDb(file).close();
    const extra = [...MIGRATIONS, { version: MIGRATIONS.length + 1, name: 'add a test column', sql: 'ALTER TABLE runs ADD COLUMN test_column TEXT' }];
    const db = openDb(file, { migrations: extra });
    expect(schemaVersion(db)).toBe(extra.length);
    expect(db.prepare("SELECT count(*) FROM pragma_table_info('runs') WHERE name = 'test_column'").pluck().get()).toBe(1);
    db.close();
    const broken = [...extra, { version: extra.length + 1, name: 'broken', sql: 'CREATE TABLE t (a INT); SELECT * FROM no_such_table' }];
    expect(() => openDb(file, { migrations: broken })).toThrow(/migration \d+ \(broken\) failed/);
    const again = openDb(file, { migrations: extra });
    expect(schemaVersion(again)).toBe(extra.length); // the failed migration left nothing behind
    expect(again.prepare("SELECT count(*) FROM sqlite_master WHERE name = 't'").pluck().get()).toBe(0);
    again.close();
  });

  it('migration 3 keeps activation rows of a version-2 database, with unknown (NULL) extraction settings', () => {
    const file = path.join(dir, 'v2.db');
    const v2 = openDb(file, { migrations: MIGRATIONS.slice(0, 2) });
    expect(schemaVersion(v2)).toBe(2);
    const ck = addCheckpoint(v2, { runId: null, step: null, phase: null, path: '/old', sha256: 'o' });
    const ps = ensureProbeSet(v2, { name: 'probe', sha256: 'h', nTexts: 2 });
    const data = Float32Array.from([1, 2, 3, 4]);
    // The version-2 table has no extraction column: rows as that build wrote them.
    const ins = v2.prepare("INSERT INTO activations (checkpoint_id, probe_set_id, layer, pooling, dtype, shape, data) VALUES (?, ?, ?, 'mean', 'float32', '[2,2]', ?)");
    for (const layer of [0, 1]) ins.run(ck, ps, layer, Buffer.from(data.buffer));
    v2.close();
    const db = openDb(file);
    expect(schemaVersion(db)).toBe(MIGRATIONS.length);
    expect(db.prepare('SELECT name FROM schema_migrations WHERE version = 3').pluck().get()).toMatch(/extraction settings/);
    expect(db.prepare('SELECT count(*) FROM activations WHERE extraction IS NULL').pluck().get()).toBe(2);
    const old = getActivation(db, ck, ps, 1, 'mean')!;
    expect(Array.from(old.data)).toEqual([1, 2, 3, 4]);
    expect(old.extraction).toBeNull();
    // New rows keep their settings; the column only takes JSON.
    const extraction = { max_length: 8, truncated_to: 8, tokenizer_sha256: 't'.repeat(64), tokenizer_path: '/tok', input_ids_sha256: 'i'.repeat(64), tokens_per_text: 4, position_seed: 0 };
    putActivations(db, ck, ps, [{ layer: 2, pooling: 'mean', shape: [2, 2], data, extraction }]);
    expect(getActivation(db, ck, ps, 2, 'mean')!.extraction).toEqual(extraction);
    const distinct = storedExtractions(db, ck, ps, ['mean']);
    expect(distinct).toHaveLength(2);
    expect(distinct).toEqual(expect.arrayContaining([null, extraction]));
    expect(() => db.prepare("UPDATE activations SET extraction = 'not json' WHERE layer = 0").run()).toThrow(/CHECK/);
    db.close();
  });

  it('refuses a database from a newer build', () => {
    const file = path.join(dir, 'newer.db');
    const db = openDb(file);
    db.pragma(`user_version = ${MIGRATIONS.length + 5}`);
    db.close();
    expect(() => openDb(file)).toThrow(SchemaError);
    expect(() => openDb(file)).toThrow(/newer than this build knows/);
  });

  it('stores runs, statuses, phases and checkpoints', () => {
    const db = openWorkspaceDb(dir);
    const id = createRun(db, { name: 'clm', config: { phases: 2 }, phases: [{ name: 'clm', objective: 'clm' }, { name: 'decay', objective: 'mlm' }] });
    setRunStatus(db, id, 'running');
    addCheckpoint(db, { runId: id, step: 10, phase: 'clm', path: '/tmp/ckpt-10', sha256: 'ab' });
    setRunStatus(db, id, 'failed', 'boom');
    const run = getRun(db, id)!;
    expect(run.status).toBe('failed');
    expect(run.error).toBe('boom');
    expect(run.startedAt).not.toBeNull();
    expect(run.finishedAt).not.toBeNull();
    expect(run.phases.map((p) => p.objective)).toEqual(['clm', 'mlm']);
    expect(run.checkpoints).toHaveLength(1);
    expect(listRuns(db, { status: 'failed' }).map((r) => r.id)).toEqual([id]);
    expect(listRuns(db, { status: 'running' })).toEqual([]);
    expect(() => setRunStatus(db, 999, 'running')).toThrow(/no run with id 999/);
    // Resumed: queued again, it has no finish time until it ends again (a new one, not the old one).
    const firstStart = run.startedAt;
    setRunStatus(db, id, 'queued');
    expect(getRun(db, id)!.finishedAt).toBeNull();
    expect(listRuns(db).find((r) => r.id === id)!.finishedAt).toBeNull();
    setRunStatus(db, id, 'running');
    expect(getRun(db, id)!.finishedAt).toBeNull();
    expect(getRun(db, id)!.startedAt).toBe(firstStart);
    setRunStatus(db, id, 'finished');
    expect(getRun(db, id)!.finishedAt).not.toBeNull();
    expect(() => db.prepare("UPDATE runs SET status = 'bogus' WHERE id = ?").run(id)).toThrow(/CHECK/);
    db.close();
  });

  it('bulk-inserts metrics and reads one series through the primary-key index', () => {
    const db = openWorkspaceDb(dir);
    const id = createRun(db, { name: 'm', config: {} });
    const pts = [];
    for (let s = 0; s < 5000; s++) pts.push({ step: s, name: 'loss', value: 1 / (s + 1) }, { step: s, name: 'lr', value: s });
    pts.push({ step: 5000, name: 'loss', value: Number.NaN });
    insertMetrics(db, id, pts);
    const loss = metricSeries(db, id, 'loss');
    expect(loss.steps).toHaveLength(5001);
    expect(loss.values[9]).toBeCloseTo(0.1, 12);
    expect(loss.values[5000]).toBeNull();
    const plan = db
      .prepare("EXPLAIN QUERY PLAN SELECT step, value FROM metrics WHERE run_id = 1 AND name_id = 1 AND step >= 0 ORDER BY step")
      .all()
      .map((r) => (r as { detail: string }).detail)
      .join(' ');
    expect(plan).toMatch(/SEARCH metrics USING PRIMARY KEY/);
    expect(plan).not.toMatch(/TEMP B-TREE/);
    // Foreign keys are enforced: metrics of a run that does not exist are refused, nothing is written.
    expect(() => insertMetrics(db, 4242, [{ step: 0, name: 'loss', value: 1 }, { step: 1, name: 'loss', value: 2 }])).toThrow(/FOREIGN KEY/);
    expect(db.prepare('SELECT count(*) FROM metrics WHERE run_id = 4242').pluck().get()).toBe(0);
    db.close();
  });

  it('round-trips activation blobs all-or-nothing, and caches analyses', () => {
    const db = openWorkspaceDb(dir);
    const run = createRun(db, { name: 'a', config: {} });
    const ck = addCheckpoint(db, { runId: run, step: 1, phase: 'p', path: '/c1', sha256: 'x' });
    const ps = ensureProbeSet(db, { name: 'probe', sha256: 'h1', nTexts: 3 });
    expect(ensureProbeSet(db, { name: 'same content', sha256: 'h1', nTexts: 3 })).toBe(ps);
    const data = Float32Array.from({ length: 12 }, (_, i) => i * 0.5);
    putActivations(db, ck, ps, [0, 1, 2].map((layer) => ({ layer, pooling: 'mean' as const, shape: [3, 4] as [number, number], data })));
    const got = getActivation(db, ck, ps, 1, 'mean')!;
    expect(got.shape).toEqual([3, 4]);
    expect(Array.from(got.data)).toEqual(Array.from(data));
    expect(() =>
      putActivations(db, ck, ps, [
        { layer: 3, pooling: 'mean', shape: [3, 4], data },
        { layer: 4, pooling: 'mean', shape: [3, 5], data },
      ]),
    ).toThrow(/12 values for shape \[3, 5\]/);
    expect(activationLayers(db, ck, ps, 'mean')).toEqual([0, 1, 2]);
    putCachedAnalysis(db, 'cka', 'hash1', { layers: 3 }, { values: [1, 0.5] });
    expect(getCachedAnalysis(db, 'cka', 'hash1')).toEqual({ values: [1, 0.5] });
    expect(getCachedAnalysis(db, 'cka', 'nope')).toBeNull();
    db.close();
  });
});
