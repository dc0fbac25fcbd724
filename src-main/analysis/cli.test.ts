// `npm run analyze` as a user runs it: separate processes (node --import tsx) on a real workspace
// directory, one JSON object per --json command, exit 2 for bad arguments, exit 1 (and nothing
// cached) when an analysis fails.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWorkspaceDb } from '../store/db';
import { addCheckpoint } from '../store/checkpoints';
import { insertMetrics } from '../store/metrics';
import { createRun } from '../store/runs';
import { modelDirHash } from './activation-log';
import { decodeNpy } from './npy';
import { DEMO_TOKENIZER, REPO_ROOT, writeProbeFile, writeTinyModel } from './test-models';

let tmp: string;
let ws: string;
let dirA: string, dirB: string, dirC: string, probe: string;
let runId: number;

interface Outcome { code: number; stdout: string; stderr: string }

function analyze(...args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'src-main/analysis/cli.ts'), ...args, '--workspace', ws], { cwd: REPO_ROOT, env: { ...process.env, WORKBENCH_WORKSPACE: '' } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** The one JSON object a --json command prints. */
function parsed(o: Outcome): Record<string, any> {
  const lines = o.stdout.trim().split('\n');
  expect(lines, o.stderr).toHaveLength(1);
  return JSON.parse(lines[0]);
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-cli-'));
  ws = path.join(tmp, 'ws');
  dirA = writeTinyModel(path.join(tmp, 'a'), 31);
  dirB = writeTinyModel(path.join(tmp, 'b'), 32);
  dirC = writeTinyModel(path.join(tmp, 'c'), 33);
  probe = writeProbeFile(path.join(tmp, 'probe.jsonl'));
  // A run whose checkpoints are A and B, with gradient-norm metrics over two phases.
  const db = openWorkspaceDb(ws);
  runId = createRun(db, { name: 'r', config: {}, phases: [{ name: 'clm', objective: 'clm', firstStep: 1, lastStep: 2 }, { name: 'decay', objective: 'mlm', firstStep: 3, lastStep: 4 }] });
  addCheckpoint(db, { runId, step: 2, phase: 'clm', path: dirA, sha256: modelDirHash(dirA) });
  addCheckpoint(db, { runId, step: 4, phase: 'decay', path: dirB, sha256: modelDirHash(dirB) });
  insertMetrics(db, runId, [1, 2, 3, 4].flatMap((step) => [{ step, name: 'grad_norm/layer_00', value: step }, { step, name: 'grad_norm', value: 2 * step }]));
  db.close();
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('analyze CLI', () => {
  it('activations, then cka with a control pair and bootstrap, served from the cache the second time', async () => {
    const act = await analyze('activations', '--model', dirA, '--probe', probe, '--tokenizer', DEMO_TOKENIZER, '--json');
    expect(act.code, act.stderr).toBe(0);
    expect(parsed(act)).toMatchObject({ command: 'activations', logged: true });
    expect(act.stderr).toMatch(/activations of .*a: 24\/24 texts/);
    const args = ['cka', '--a', dirA, '--b', dirB, '--control-a', dirC, '--control-b', dirB, '--probe', probe, '--tokenizer', DEMO_TOKENIZER, '--bootstrap', '20', '--json'];
    const first = await analyze(...args);
    expect(first.code, first.stderr).toBe(0);
    const r = parsed(first);
    expect(r).toMatchObject({ command: 'cka', measure: 'linear', examples: 24, layers: [0, 1, 2, 3, 4], cached: { sameLayer: false, control: false, bootstrap: false } });
    r.divergence.forEach((d: number, l: number) => {
      expect(d).toBeCloseTo(1 - r.cka[l], 14);
      expect(r.ratio[l]).toBeCloseTo(d / r.controlDivergence[l], 12);
    });
    expect(r.bootstrap.layers).toHaveLength(5);
    const second = parsed(await analyze(...args));
    expect(second.cached).toEqual({ sameLayer: true, control: true, bootstrap: true });
    expect(second.divergence).toEqual(r.divergence);
  });

  it('probe, drift, transplant, trajectory, grad-norms and export-npy print their results', async () => {
    const pr = parsed(await analyze('probe', '--model', dirB, '--probe', probe, '--tokenizer', DEMO_TOKENIZER, '--label-set', 'pos', '--json'));
    expect(pr.tasks.map((t: { labelSet: string }) => t.labelSet)).toEqual(['pos']);
    expect(pr.tasks[0].report.layers).toHaveLength(5);
    expect(pr.tasks[0].report.layers[0].task.ci).toMatchObject({ level: 0.95, reps: 1000 });
    expect(pr.tasks[0].report.layers[0].task.confusion).toHaveLength(pr.tasks[0].report.classes.length);
    // the text form: accuracy with its interval, the majority floor, what was resampled (from cache now)
    const text = (await analyze('probe', '--model', dirB, '--probe', probe, '--tokenizer', DEMO_TOKENIZER, '--label-set', 'pos')).stdout;
    expect(text).toMatch(/layer\s+accuracy\s+95% CI/);
    expect(text).toMatch(/majority class ".+": \d\.\d{3} on test/);
    expect(text).toMatch(/CI: 1000 bootstrap resamples of the test (word types|examples)/);
    const dr = parsed(await analyze('drift', '--model', dirA, '--ref', '2', '--json')); // checkpoint 2 is B
    expect(dr.rows.map((x: { group: string }) => x.group)).toEqual(['layer 0', 'layer 1', 'layer 2', 'layer 3', 'embeddings', 'head', 'all']);
    const tx = parsed(await analyze('transplant', '--a', dirA, '--b', dirB, '--group', 'low', '--out', path.join(tmp, 'tx'), '--probe', probe, '--tokenizer', DEMO_TOKENIZER, '--json'));
    expect(tx.transplant.layers).toEqual([0]);
    expect(tx.divergence.fromB[0]).toBeLessThan(1e-12); // the embedding output is B's
    expect(fs.existsSync(path.join(tmp, 'tx', 'model.safetensors'))).toBe(true);
    const tr = parsed(await analyze('trajectory', '--run', String(runId), '--ref', dirB, '--probe', probe, '--tokenizer', DEMO_TOKENIZER, '--json'));
    expect(tr.points.map((p: { checkpoint: { step: number } }) => p.checkpoint.step)).toEqual([2, 4]);
    expect(tr.points[1].whole).toBeLessThan(1e-12); // the last checkpoint is the reference
    const gn = parsed(await analyze('grad-norms', '--run', String(runId), '--json'));
    expect(gn.phases.map((p: { norms: { name: string; mean: number }[] }) => p.norms.map((n) => [n.name, n.mean]))).toEqual([
      [['grad_norm/layer_00', 1.5], ['grad_norm', 3]],
      [['grad_norm/layer_00', 3.5], ['grad_norm', 7]],
    ]);
    const out = path.join(tmp, 'npy');
    const ex = parsed(await analyze('export-npy', '--model', dirA, '--out', out, '--pooling', 'cls', '--json'));
    expect(ex.files.map((f: string) => path.basename(f))).toEqual(['layer_000.npy', 'layer_001.npy', 'layer_002.npy', 'layer_003.npy', 'layer_004.npy']);
    expect(decodeNpy(fs.readFileSync(ex.files[4])).shape).toEqual([24, 16]);
  });

  it('exits 2 on bad arguments and 1 on failed analyses, saying why', async () => {
    const [unknown, missing, pooling, stray, group, layers] = await Promise.all([
      analyze('nonsense'),
      analyze('cka', '--a', dirA, '--json'),
      analyze('cka', '--a', dirA, '--b', dirB, '--pooling', 'max'),
      analyze('drift', '--model', dirA, '--ref', dirB, '--cross'),
      analyze('transplant', '--a', dirA, '--b', dirB, '--group', 'middle', '--out', path.join(tmp, 'x')),
      analyze('cka', '--a', dirA, '--b', dirB, '--layers', '3-1'),
    ]);
    expect(unknown).toMatchObject({ code: 2 });
    expect(unknown.stderr).toMatch(/unknown command "nonsense"/);
    expect(missing.code).toBe(2);
    expect(parsed(missing)).toEqual({ error: '--b is required', exitCode: 2 });
    expect(pooling.stderr).toMatch(/--pooling: expected one of mean, cls, tokens, got "max"/);
    expect(stray.stderr).toMatch(/drift does not take --cross/);
    expect(group.stderr).toMatch(/--group: expected one of low, mid, deep/);
    expect(layers.stderr).toMatch(/--layers: range 3-1 runs backwards/);
    for (const o of [pooling, stray, group, layers]) expect(o.code).toBe(2);
    const db = openWorkspaceDb(ws);
    const before = db.prepare('SELECT count(*) FROM analyses').pluck().get();
    db.close();
    // C also gets activations of another probe set: without --probe, which one to use is ambiguous.
    const other = writeProbeFile(path.join(tmp, 'other.jsonl'), 1, ' (other)');
    expect((await analyze('activations', '--model', dirC, '--probe', other, '--tokenizer', DEMO_TOKENIZER)).code).toBe(0);
    const ambiguous = await analyze('cka', '--a', dirA, '--b', dirC);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toMatch(/has activations of several probe sets .*; pass --probe FILE to choose/);
    // A corrupt blob of B (checkpoint 2): the error names the checkpoint and layer, even though A vs B was cached.
    const db1 = openWorkspaceDb(ws);
    db1.prepare("UPDATE activations SET data = substr(data, 1, 64) WHERE checkpoint_id = 2 AND layer = 3 AND pooling = 'mean'").run();
    db1.close();
    const corrupt = await analyze('cka', '--a', dirA, '--b', '2', '--json');
    expect(corrupt.code).toBe(1);
    expect(parsed(corrupt).error).toMatch(/^checkpoint 2 \(.*b\) layer 3 \(mean\): corrupt blob: 64 bytes, shape \[24, 16\] of float32 needs 1536$/);
    const db2 = openWorkspaceDb(ws);
    expect(db2.prepare('SELECT count(*) FROM analyses').pluck().get()).toBe(before);
    db2.close();
  });

  it('activations print their settings; cka refuses sets logged with another max_length and warns about unknown settings', async () => {
    const dirD = writeTinyModel(path.join(tmp, 'd'), 34);
    const act = await analyze('activations', '--model', dirD, '--probe', probe, '--tokenizer', DEMO_TOKENIZER, '--max-length', '6');
    expect(act.code, act.stderr).toBe(0);
    expect(act.stdout).toMatch(/activations computed and stored \(max_length 6, texts cut at 6 tokens, tokenizer .*demo-tokenizer.tokenizer\.json, tokens_per_text 4\)/);
    // A was logged in the first test without --max-length (its run config has no probe_set).
    const refused = await analyze('cka', '--a', dirA, '--b', dirD, '--json');
    expect(refused.code).toBe(1);
    expect(parsed(refused).error).toMatch(/^checkpoint 1 \(.*a\) was logged with max_length unset \(texts cut at \d+ tokens\), checkpoint \d+ \(.*d\) with max_length 6: CKA would compare different inputs; re-log one of them with the same settings \(npm run analyze -- activations --model .*d --probe .*probe\.jsonl --max-length \d+\)$/);
    // Settings unknown (as for rows logged before they were recorded): compared, with a warning on stderr.
    const db = openWorkspaceDb(ws);
    db.prepare('UPDATE activations SET extraction = NULL WHERE checkpoint_id = (SELECT id FROM checkpoints WHERE path = ?)').run(path.resolve(dirD));
    db.close();
    const warned = await analyze('cka', '--a', dirA, '--b', dirD, '--json');
    expect(warned.code, warned.stderr).toBe(0);
    expect(parsed(warned).warnings).toHaveLength(1);
    expect(warned.stderr).toMatch(/warning: checkpoint \d+ \(.*d\): the tokenizer and truncation its activations were logged with are unknown/);
  });
});
