// The study's six training runs in a workspace's run queue: queued once, then reused. A run is
// matched by its name AND its exact config, so a re-invoked study (after a kill, or from the UI
// after the CLI) continues instead of starting over: finished runs are reused, interrupted / failed /
// cancelled ones resume from their last checkpoint, queued or running ones are waited for.
import { canonicalJson } from '../../native-runner/protocol';
import type { Db } from '../store/db';
import { getRun } from '../store/runs';
import type { RunQueue } from '../runs/queue';
import type { StudyRunState } from '../common/study-types';
import { STUDY_RUNS, studyRunConfig, totalStudySteps, SCALE_PRESETS, type StudyAssets, type StudyRunKey, type StudyScale } from './plan';

/** Ids of runs with this name whose stored config is exactly `config`, newest first. */
function matchingRuns(db: Db, name: string, config: unknown): number[] {
  const want = canonicalJson(config);
  const rows = db.prepare('SELECT id, config FROM runs WHERE name = ? ORDER BY id DESC').all(name) as { id: number; config: string }[];
  return rows.filter((r) => canonicalJson(JSON.parse(r.config)) === want).map((r) => r.id);
}

/** Queue (or find, or resume) every run of the study; returns their states in STUDY_RUNS order. */
export function ensureStudyRuns(db: Db, queue: RunQueue, scale: StudyScale, assets: StudyAssets): StudyRunState[] {
  const total = totalStudySteps(SCALE_PRESETS[scale]);
  return STUDY_RUNS.map((spec) => {
    const config = studyRunConfig(scale, spec, assets);
    const ids = matchingRuns(db, config.name!, config);
    // Prefer a finished run, else the newest one that can continue.
    const finished = ids.find((id) => getRun(db, id)!.status === 'finished');
    let id = finished ?? ids.find((id) => getRun(db, id)!.status !== 'diverged');
    let reused = finished !== undefined;
    if (id === undefined) {
      id = queue.enqueue(config, { name: config.name });
    } else {
      const status = getRun(db, id)!.status;
      if (status === 'interrupted' || status === 'failed' || status === 'cancelled') queue.resume(id);
      reused = reused && status === 'finished';
    }
    const run = getRun(db, id)!;
    return { key: spec.key, label: spec.label, runId: id, status: run.status, step: run.lastStep ?? 0, totalSteps: run.totalSteps ?? total, reused };
  });
}

/** Fresh statuses and steps from the database. */
export function refreshRunStates(db: Db, runs: StudyRunState[]): StudyRunState[] {
  return runs.map((r) => {
    const run = r.runId === null ? null : getRun(db, r.runId);
    if (!run) return r;
    return { ...r, status: run.status, step: run.status === 'finished' ? run.totalSteps ?? r.totalSteps : run.lastStep ?? 0 };
  });
}

const BAD = new Set(['failed', 'diverged', 'cancelled']);

export interface WaitOptions {
  pollMs?: number;
  onTick(runs: StudyRunState[]): void;
  shouldStop?(): boolean;
}

/**
 * Resolves once every run finished; rejects as soon as one failed, diverged or was cancelled (the
 * message names it; invoking the study again resumes it).
 */
export async function waitForRuns(db: Db, runs: StudyRunState[], o: WaitOptions): Promise<StudyRunState[]> {
  let cur = runs;
  for (;;) {
    cur = refreshRunStates(db, cur);
    o.onTick(cur);
    const bad = cur.find((r) => BAD.has(r.status));
    if (bad) {
      const run = getRun(db, bad.runId!);
      throw new Error(`run ${bad.runId} (${bad.label}) ${bad.status}${run?.error ? `: ${run.error}` : ''}; start the study again to resume it`);
    }
    if (cur.every((r) => r.status === 'finished')) return cur;
    if (o.shouldStop?.()) throw new Error('the study was stopped while its runs were training; start it again to continue');
    await new Promise((r) => setTimeout(r, o.pollMs ?? 500));
  }
}

export function runIdsByKey(runs: StudyRunState[]): Record<StudyRunKey, number> {
  return Object.fromEntries(runs.map((r) => [r.key, r.runId!])) as Record<StudyRunKey, number>;
}
