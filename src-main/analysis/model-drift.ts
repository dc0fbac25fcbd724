// Weight drift between model directories: per transformer layer (plus embeddings, head and the whole
// model), the relative Frobenius change ‖W − W_ref‖_F / ‖W_ref‖_F (drift.ts), cached by the weight
// files' hashes. For a run, every checkpoint against one reference.
import path from 'node:path';
import { loadModelDir } from '../../native-runner/checkpoint/checkpoint';
import type { Db } from '../store/db';
import { modelDirHash } from './activation-log';
import { cachedAnalysis } from './analysis-cache';
import { weightDrift } from './drift';
import type { DriftRow } from './drift';
import { runCheckpointIds } from './trajectory';
import { getCheckpointRow } from './stored-activations';

export interface DriftResult {
  model: { path: string; sha256: string };
  ref: { path: string; sha256: string };
  rows: Omit<DriftRow, 'params'>[]; // per layer in order, then embeddings, head, all
  cached: boolean;
}

/** Drift of `modelDir` from `refDir`; cached in the workspace when a database is given. */
export async function driftBetweenDirs(db: Db | null, modelDir: string, refDir: string, opts: { force?: boolean } = {}): Promise<DriftResult> {
  const model = { path: path.resolve(modelDir), sha256: modelDirHash(modelDir) };
  const ref = { path: path.resolve(refDir), sha256: modelDirHash(refDir) };
  const compute = async () => {
    const cur = loadModelDir(modelDir);
    const base = loadModelDir(refDir);
    // The tensor names list is long and implied by the model; rows keep the numbers.
    return weightDrift(cur.params, base.params).map(({ params: _params, ...r }) => r);
  };
  if (!db) return { model, ref, rows: await compute(), cached: false };
  const r = await cachedAnalysis(db, 'weight-drift', { model: model.sha256, ref: ref.sha256 }, {}, compute, opts);
  return { model, ref, rows: r.result, cached: r.cached };
}

/** Drift of every checkpoint of a run from a reference directory, in step order. */
export async function runDrift(db: Db, runId: number, refDir: string, opts: { force?: boolean } = {}): Promise<{ step: number | null; checkpointId: number; drift: DriftResult }[]> {
  const ids = runCheckpointIds(db, runId);
  if (ids.length === 0) throw new Error(`run ${runId} has no checkpoints yet`);
  const out = [];
  for (const id of ids) {
    const c = getCheckpointRow(db, id);
    out.push({ step: c.step, checkpointId: id, drift: await driftBetweenDirs(db, c.path, refDir, opts) });
  }
  return out;
}
