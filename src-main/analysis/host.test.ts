// The analysis host end to end: a real child process (tsx, ORT, its own SQLite connection to the same
// workspace file), compared with the same analyses run in this process on seeded synthetic stored
// activations; errors crossing the boundary; the main thread staying free; recovery from a killed child.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../native-runner/util/rng';
import { openWorkspaceDb, type Db } from '../store/db';
import { addCheckpoint } from '../store/checkpoints';
import { ensureProbeSet } from '../store/probe-sets';
import { putActivations } from '../store/activations';
import { createServices } from '../services';
import { RunEventBus } from '../events';
import { dispatch } from '../ipc/dispatch';
import { gaussianMatrix, noisyLinearImage, randomOrthogonal } from './synthetic';
import { runAnalysis, type AnalysisInputs } from './host-methods';
import { AnalysisHost } from './host';

let tmp: string;
let ws: string;
let db: Db;
let host: AnalysisHost;
const ids: Record<'a' | 'b' | 'c' | 'other' | 'empty' | 'bigA' | 'bigB', number> = {} as never;
let probeSet: number;
let otherSet: number;
let bigSet: number;

/** Stores `layers` float32 layers of a model: layer l = the base's layer l rotated, plus noise growing with l. */
function storeModel(name: string, set: number, base: ReturnType<typeof gaussianMatrix>[], seed: number, noise: number): number {
  const id = addCheckpoint(db, { runId: null, step: null, phase: null, path: path.join(tmp, name), sha256: `sha-${name}` });
  const rng = Rng.seeded(seed, name);
  putActivations(db, id, set, base.map((x, layer) => {
    const y = noisyLinearImage(rng, x, randomOrthogonal(rng, x.cols), noise * (layer + 1));
    return { layer, pooling: 'mean' as const, shape: [y.rows, y.cols] as [number, number], data: Float32Array.from(y.data) };
  }));
  return id;
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-host-'));
  ws = path.join(tmp, 'ws');
  db = openWorkspaceDb(ws);
  const rng = Rng.seeded(7, 'host-test');
  probeSet = ensureProbeSet(db, { name: 'synthetic', sha256: 'synthetic-40', nTexts: 40 });
  otherSet = ensureProbeSet(db, { name: 'other', sha256: 'other-40', nTexts: 40 });
  const base = [0, 1, 2, 3].map(() => gaussianMatrix(rng, 40, 12)); // 4 layers of [40, 12]
  ids.a = storeModel('a', probeSet, base, 1, 0.2);
  ids.b = storeModel('b', probeSet, base, 2, 0.5);
  ids.c = storeModel('c', probeSet, base, 3, 0.3);
  ids.other = storeModel('other', otherSet, base, 4, 0.2);
  ids.empty = addCheckpoint(db, { runId: null, step: null, phase: null, path: path.join(tmp, 'empty'), sha256: 'sha-empty' });
  // Heavy enough that the compare takes a noticeable while: 2 layers of [2000, 768] (the paper's n and width).
  bigSet = ensureProbeSet(db, { name: 'big', sha256: 'big-2000', nTexts: 2000 });
  const bigBase = [0, 1].map(() => gaussianMatrix(rng, 2000, 768));
  ids.bigA = addCheckpoint(db, { runId: null, step: null, phase: null, path: path.join(tmp, 'bigA'), sha256: 'sha-bigA' });
  ids.bigB = addCheckpoint(db, { runId: null, step: null, phase: null, path: path.join(tmp, 'bigB'), sha256: 'sha-bigB' });
  for (const [id, shift] of [[ids.bigA, 0], [ids.bigB, 1]]) {
    putActivations(db, id, bigSet, bigBase.map((x, layer) => ({ layer, pooling: 'mean' as const, shape: [2000, 768] as [number, number], data: Float32Array.from(x.data, (v, i) => v + shift * Math.sin(i)) })));
  }
  host = new AnalysisHost(ws);
});
afterAll(async () => {
  await host.close();
  db.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const src = (k: keyof typeof ids, set = probeSet) => ({ checkpointId: ids[k], probeSetId: set });
const inProcess = <M extends keyof AnalysisInputs>(method: M, input: AnalysisInputs[M]) => runAnalysis({ db, workspaceDir: ws }, method, input);

describe('analysis host', () => {
  it('gives the in-process results for same-layer (with control) and cross-layer compares, and shares the cache', async () => {
    const req: AnalysisInputs['compare'] = { a: src('a'), b: src('b'), control: { a: src('c'), b: src('b') }, cross: true, debiased: false };
    const local = await inProcess('compare', { ...req, force: true });
    const remote = await host.call('compare', { ...req, force: true });
    expect(local.cached).toEqual({ sameLayer: false, control: false, cross: false });
    expect(remote).toEqual(local);
    expect(remote.layers).toEqual([0, 1, 2, 3]);
    expect(remote.cross!.cka).toHaveLength(4);
    // Without force both sides serve the other's cached rows: one database, two connections.
    expect((await host.call('compare', req)).cached).toEqual({ sameLayer: true, control: true, cross: true });
    const debiased = await host.call('compare', { a: src('a'), b: src('c'), cross: true, debiased: true });
    expect(debiased.cached).toEqual({ sameLayer: false, cross: false });
    const readBack = await inProcess('compare', { a: src('a'), b: src('c'), cross: true, debiased: true });
    expect(readBack.cached).toEqual({ sameLayer: true, cross: true });
    expect(readBack.cka).toEqual(debiased.cka);
    expect(readBack.cross).toEqual(debiased.cross);
  });

  it('returns the same API errors (name and message) as the in-process services', async () => {
    const events = new RunEventBus();
    const local = createServices({ db, workspaceDir: ws, mode: 'serve', events });
    const remote = createServices({ db, workspaceDir: ws, mode: 'serve', events, analysisHost: host });
    const bad: [string, unknown][] = [
      ['compare', { a: src('a'), b: src('empty') }], // no stored activations
      ['compare', { a: src('a'), b: src('other', otherSet) }], // another probe set
      ['compare', { a: src('a'), b: { checkpointId: 9999, probeSetId: probeSet } }], // no such checkpoint
      ['probe', { checkpointId: ids.a, probeSetId: probeSet }], // a probe set without a file / labels
      ['weightDrift', { checkpointId: ids.a, refCheckpointId: ids.b }], // no model files
      ['transplant', { a: ids.a, b: ids.b, group: 'mid', probeSetId: probeSet }], // no probe file recorded
      ['trajectory', { runId: 4242, refCheckpointId: ids.a, probeSetId: probeSet }], // no such run (checked in main)
    ];
    for (const [method, input] of bad) {
      const want = await dispatch(local, method, input);
      const got = await dispatch(remote, method, input);
      expect(want.ok, `${method} ${JSON.stringify(input)}`).toBe(false);
      expect(got, `${method} ${JSON.stringify(input)}`).toEqual(want);
    }
    const noActs = (await dispatch(remote, 'compare', { a: src('a'), b: src('empty') })) as { ok: false; error: { name: string; message: string } };
    expect(noActs.error.name).toBe('ValidationError');
    expect(noActs.error.message).toMatch(new RegExp(`checkpoint ${ids.empty} .*no mean-pooled activations stored`));
  });

  it('runs the study\'s analysis stage (a method outside the API) with the in-process errors', async () => {
    // The full stage with its progress is tested on a real study in test/study; here: the method is
    // there, loads its modules in the child, and its failures cross the boundary unchanged.
    const input: AnalysisInputs['studyAnalyses'] = {
      scale: 'tiny', runs: [], outDir: tmp, reportDir: path.join(tmp, 'report'), startedAt: Date.now(), timings: [],
      assets: { baseModel: tmp, tokenizer: tmp, corpus: path.join(tmp, 'corpus.jsonl'), probe: path.join(tmp, 'no-probe.jsonl'), cacheDir: tmp },
    };
    const progress: unknown[] = [];
    const want = await inProcess('studyAnalyses', input).then(() => null, (e: Error) => ({ name: e.name, message: e.message }));
    const got = await host.call('studyAnalyses', input, (p) => progress.push(p)).then(() => null, (e: Error) => ({ name: e.name, message: e.message }));
    expect(want).toMatchObject({ message: expect.stringContaining('no-probe.jsonl') });
    expect(got).toEqual(want);
    expect(progress).toEqual([]); // it failed before its first analysis
    expect(fs.existsSync(path.join(tmp, 'report'))).toBe(false);
  });

  it('keeps the calling thread free while a heavy compare runs (in-process it is not)', async () => {
    const req: AnalysisInputs['compare'] = { a: src('bigA', bigSet), b: src('bigB', bigSet), force: true };
    // Timer ticks while the call is pending: in-process they can only fire at the analysis's few
    // await points (ORT's run is synchronous, between setImmediate hops); through the host, freely.
    const ticksDuring = async (f: () => Promise<unknown>): Promise<number> => {
      let ticks = 0;
      const timer = setInterval(() => ticks++, 2);
      try {
        await f();
      } finally {
        clearInterval(timer);
      }
      return ticks;
    };
    await host.call('compare', { a: src('a'), b: src('b') }); // child started and warm: time only the compare
    const local = await ticksDuring(() => inProcess('compare', req));
    const remote = await ticksDuring(() => host.call('compare', req));
    console.log(`timer ticks during a [2000, 768] x 2 layers compare: in-process ${local}, through the host ${remote}`);
    expect(remote).toBeGreaterThan(20);
    expect(remote).toBeGreaterThan(3 * local);
  });

  it('rejects the call of a child killed mid-call with a clear error, and the next call starts a new child', async () => {
    await host.call('compare', { a: src('a'), b: src('b') });
    const pid = host.pid!;
    const heavy = host.call('compare', { a: src('bigA', bigSet), b: src('bigB', bigSet), cross: true, force: true });
    while (host.inFlight === 0) await new Promise((r) => setImmediate(r)); // sent: the child has it
    process.kill(pid, 'SIGKILL');
    await expect(heavy).rejects.toMatchObject({ name: 'AnalysisHostError', message: expect.stringMatching(new RegExp(`died during compare: process ${pid} exited with signal SIGKILL`)) });
    const again = await host.call('compare', { a: src('a'), b: src('b') });
    expect(again.layers).toEqual([0, 1, 2, 3]);
    expect(host.pid).not.toBe(pid);
    // And through the API the failure reads as an internal error, not as the user's bad input.
    const services = createServices({ db, workspaceDir: ws, mode: 'serve', events: new RunEventBus(), analysisHost: host });
    const next = dispatch(services, 'compare', { a: src('bigA', bigSet), b: src('bigB', bigSet), cross: true });
    while (host.inFlight === 0) await new Promise((r) => setImmediate(r));
    process.kill(host.pid!, 'SIGKILL');
    expect(await next).toMatchObject({ ok: false, error: { name: 'InternalError', message: expect.stringContaining('analysis host died during compare') } });
  });

  it('fails a call with the child\'s own words when the child cannot start', async () => {
    const notADir = path.join(tmp, 'a-file');
    fs.writeFileSync(notADir, 'not a workspace');
    const h = new AnalysisHost(notADir);
    try {
      await expect(h.call('compare', { a: src('a'), b: src('b') })).rejects.toMatchObject({
        name: 'AnalysisHostError',
        message: expect.stringMatching(/^analysis host did not start: process \d+ exited with code 1; its stderr ended with:\n[^]*EEXIST[^]*a-file/),
      });
    } finally {
      await h.close();
    }
  });

  it('refuses calls after close()', async () => {
    const h = new AnalysisHost(ws);
    await h.call('compare', { a: src('a'), b: src('b') });
    await h.close();
    expect(h.pid).toBeUndefined();
    await expect(h.call('compare', { a: src('a'), b: src('b') })).rejects.toThrow(/analysis host is closed; compare was not run/);
  });
});
