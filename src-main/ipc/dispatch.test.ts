// Contract validation through the same dispatch() that IPC and HTTP use, on a real SQLite file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWorkspaceDb, type Db } from '../store/db';
import { createRun } from '../store/runs';
import { createServices } from '../services';
import { RunEventBus } from '../events';
import { dispatch } from './dispatch';

let dir: string;
let db: Db;
let services: ReturnType<typeof createServices>;
let runId: number;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-dispatch-'));
  db = openWorkspaceDb(dir);
  fs.writeFileSync(path.join(dir, 'corpus.txt'), 'a line of text\n'); // validateRunConfig checks that data paths exist
  runId = createRun(db, { name: 'r1', config: { seed: 1 }, phases: [{ name: 'decay', objective: 'mlm' }] });
  services = createServices({ db, workspaceDir: dir, mode: 'serve', events: new RunEventBus() });
});
afterAll(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('dispatch: valid calls', () => {
  it('workspaceInfo reports the workspace and schema', async () => {
    const r = await dispatch(services, 'workspaceInfo', {});
    expect(r.ok).toBe(true);
    const v = (r as { value: { workspaceDir: string; schemaVersion: number; runCount: number; versions: { onnxruntime: string } } }).value;
    expect(v.workspaceDir).toBe(dir);
    expect(v.schemaVersion).toBeGreaterThanOrEqual(1);
    expect(v.runCount).toBe(1);
    expect(v.versions.onnxruntime).toBe('1.30.0');
  });
  it('listRuns and getRun read the real database', async () => {
    const list = await dispatch(services, 'listRuns', { limit: 10 });
    expect(list).toMatchObject({ ok: true, value: [{ id: runId, name: 'r1', status: 'queued' }] });
    const one = await dispatch(services, 'getRun', { id: runId });
    expect(one).toMatchObject({ ok: true, value: { id: runId, config: { seed: 1 }, phases: [{ name: 'decay', objective: 'mlm' }] } });
    // A missing payload means "no options" for calls whose fields are all optional.
    expect((await dispatch(services, 'listRuns', undefined)).ok).toBe(true);
  });
});

describe('dispatch: bad payloads get a structured error naming the field', () => {
  const cases: [string, string, unknown, RegExp][] = [
    ['wrong type', 'getRun', { id: '1' }, /getRun: invalid input: id: .*number/],
    ['missing field', 'getRun', {}, /getRun: invalid input: id: /],
    ['non-integer', 'getRun', { id: 1.5 }, /id: .*int/i],
    ['negative id', 'getRun', { id: -3 }, /id: .*(>0|positive|greater)/i],
    ['unknown key', 'listRuns', { limit: 5, sortBy: 'name' }, /sortBy/],
    ['out of range', 'listRuns', { limit: 100000 }, /limit: .*1000/],
    ['unknown enum value', 'listRuns', { status: 'exploded' }, /status: /],
    ['payload not an object (null)', 'listRuns', null, /\(payload\): .*object/],
    ['payload not an object (array)', 'getRun', [1], /\(payload\): .*object/],
    ['payload not an object (string)', 'workspaceInfo', 'hello', /\(payload\): .*object/],
    ['extra field on an empty input', 'workspaceInfo', { x: 1 }, /x/],
  ];
  it.each(cases)('%s', async (_label, method, payload, message) => {
    const r = await dispatch(services, method, payload);
    expect(r.ok).toBe(false);
    const err = (r as { error: { name: string; message: string } }).error;
    expect(err.name).toBe('ValidationError');
    expect(err.message).toMatch(message);
  });

  it('unknown methods, prototype keys and non-string method names', async () => {
    for (const m of ['dropDatabase', '__proto__', 'constructor', 42, null]) {
      const r = await dispatch(services, m, {});
      expect(r).toMatchObject({ ok: false, error: { name: 'UnknownMethodError' } });
    }
  });

  it('a service failure becomes a structured error, not a crash', async () => {
    const r = await dispatch(services, 'getRun', { id: 987654 });
    expect(r).toEqual({ ok: false, error: { name: 'NotFoundError', message: 'no run with id 987654' } });
  });
});

describe('dispatch: run management calls', () => {
  const good = { model: 'tiny', data: 'corpus.txt', seq_len: 16, batch_size: 2, phases: [{ name: 'p', objective: 'clm', steps: 3, lr: { peak: 1e-3 } }] };

  it('validateRunConfig lists every problem with its field path, or the step count', async () => {
    const ok = await dispatch(services, 'validateRunConfig', { config: good });
    expect(ok).toEqual({ ok: true, value: { ok: true, errors: [], totalSteps: 3 } });
    const bad = await dispatch(services, 'validateRunConfig', { config: { ...good, seq_len: 99999, phases: [{ name: 'p', objective: 'mlm', mask_rate: 2, steps: 3, lr: { peak: 1e-3 } }] } });
    const v = (bad as { value: { ok: boolean; errors: string[] } }).value;
    expect(v.ok).toBe(false);
    expect(v.errors.join('\n')).toMatch(/phases\[0\]\.mask_rate: must be in \(0, 1\)/);
    const hf = await dispatch(services, 'validateRunConfig', { config: { ...good, model: { hf_dir: '/nonexistent/model' } } });
    expect((hf as { value: { errors: string[] } }).value.errors[0]).toMatch(/^model\.hf_dir: .*config\.json/);
  });

  it('createRun refuses a bad config with the field named; without a queue it says so', async () => {
    const bad = await dispatch(services, 'createRun', { config: { ...good, batch_size: 0 } });
    expect(bad).toMatchObject({ ok: false, error: { name: 'ValidationError', message: expect.stringMatching(/batch_size/) } });
    const noQueue = await dispatch(services, 'createRun', { config: good });
    expect(noQueue).toMatchObject({ ok: false, error: { name: 'ConflictError', message: expect.stringMatching(/no run queue/) } });
    expect((await dispatch(services, 'createRun', { config: 'run.json' })).ok).toBe(false);
  });

  it('cancel/resume check the run state; runMetrics checks the run exists', async () => {
    expect(await dispatch(services, 'resumeRun', { id: runId })).toMatchObject({ ok: false, error: { name: 'ConflictError', message: expect.stringMatching(/is queued/) } });
    expect(await dispatch(services, 'runMetrics', { id: 4242 })).toMatchObject({ ok: false, error: { name: 'NotFoundError' } });
    expect(await dispatch(services, 'runMetrics', { id: runId })).toEqual({ ok: true, value: {} });
    expect(await dispatch(services, 'setConcurrency', { concurrency: 0 })).toMatchObject({ ok: false, error: { name: 'ValidationError' } });
  });
});

describe('dispatch: figures', () => {
  const spec = { version: 1, kind: 'lines', data: { series: [{ name: 'loss', x: [1, 2, 3], y: [3, 2, 1.5] }], xLabel: 'step', yLabel: 'loss' }, options: {} };
  it('exports a figure into the workspace and lists it', async () => {
    const r = await dispatch(services, 'exportFigure', { spec, name: 'loss-curve', formats: ['svg', 'png'], dpi: 100 });
    expect(r.ok).toBe(true);
    const v = (r as { value: { files: { svg: string; png: string }; spec: string } }).value;
    expect(v.files.svg).toBe(path.join(dir, 'figures', 'loss-curve.svg'));
    expect(fs.existsSync(v.files.png)).toBe(true);
    const list = await dispatch(services, 'listFigures', {});
    expect((list as { value: { name: string }[] }).value.map((f) => f.name)).toEqual(['loss-curve']);
  });
  it('refuses a bad spec or name with the field named, writing nothing', async () => {
    const bad = await dispatch(services, 'exportFigure', { spec: { ...spec, options: { size: 'a4' } }, name: 'x' });
    expect(bad).toMatchObject({ ok: false, error: { name: 'ValidationError', message: expect.stringMatching(/options\.size/) } });
    const badName = await dispatch(services, 'exportFigure', { spec, name: '../evil' });
    expect(badName).toMatchObject({ ok: false, error: { name: 'ValidationError', message: expect.stringMatching(/name/) } });
    expect(fs.readdirSync(path.join(dir, 'figures'))).toEqual(['loss-curve.png', 'loss-curve.spec.json', 'loss-curve.svg']);
  });
  it('downsamples long metric series to bucket means, keeping the ends exact', async () => {
    const { downsample } = await import('../store/metrics');
    const steps = Array.from({ length: 1000 }, (_, i) => i + 1);
    const d = downsample({ steps, values: steps.map((s) => s * 2) }, 12);
    expect(d.steps).toHaveLength(12);
    expect(d.steps[0]).toBe(1);
    expect(d.steps[11]).toBe(1000);
    expect(d.values[11]).toBe(2000);
    // 998 inner points in 10 buckets: the first covers steps 2..100 -> mean of 2*s = 102, reported at step 100
    expect(d.steps[1]).toBe(100);
    expect(d.values[1]).toBeCloseTo(102, 9);
  });
});
