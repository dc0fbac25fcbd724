// The CLM-detour study end to end: assets → six runs through the workspace's run queue → analyses
// → figures → HTML + PDF report. Every stage reuses what an earlier invocation finished (finished
// runs, cached analyses in SQLite, transplanted models), so a killed study continues where it stopped.
// The same function serves `npm run study` (its own workspace in OUT) and the UI (the app's workspace).
// The analyses, figures and report (analysis-stage.ts) run in the analysis host's child when given one
// (the app, serve: their main process must keep answering), else in this process (the CLI).
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../store/db';
import type { RunQueue } from '../runs/queue';
import type { AnalysisHost } from '../analysis/host';
import type { StudyStatus } from '../common/study-types';
import { SCALE_PRESETS, totalStudySteps, type StudyScale } from './plan';
import { studyAssets } from './assets';
import { ensureStudyRuns, waitForRuns } from './study-runs';
import type { AnalysisStageInput } from './analysis-stage';
import { writeFileAtomic } from '../../native-runner/data/atomic-file';

export interface StudyOptions {
  db: Db;
  queue: RunQueue;
  scale: StudyScale;
  outDir: string;              // study folder: data, transplants, study.json
  reportDir?: string;          // default OUT/report
  dataDir?: string;            // training JSONL + token cache; default OUT/study-data (the app: WORKSPACE/study-data)
  baseModel?: string;          // default fixtures/demo-base
  /** Runs the analyses, figures and report in the analysis host's child (the app, serve); absent: in this process (the CLI). */
  analysisHost?: Pick<AnalysisHost, 'call'>;
  onStatus?: (s: StudyStatus) => void;
  shouldStop?: () => boolean;
  pollMs?: number;
}

/** Runs the whole study; resolves with its final status (stage 'done'), rejects on failure (status 'failed' reported first). */
export async function runStudy(o: StudyOptions): Promise<StudyStatus> {
  const preset = SCALE_PRESETS[o.scale];
  const outDir = path.resolve(o.outDir);
  const reportDir = path.resolve(o.reportDir ?? path.join(outDir, 'report'));
  const t0 = Date.now();
  const perRun = totalStudySteps(preset);
  const status: StudyStatus = {
    scale: o.scale, outDir, reportDir, stage: 'preparing', message: 'preparing the demo data', startedAt: new Date(t0).toISOString(),
    elapsedS: 0, etaS: null, stepsDone: 0, stepsTotal: perRun * 6, runs: [], error: null, report: null, summary: null,
  };
  const emit = (patch: Partial<StudyStatus>) => {
    Object.assign(status, patch, { elapsedS: (Date.now() - t0) / 1000 });
    o.onStatus?.({ ...status });
  };
  fs.mkdirSync(outDir, { recursive: true });
  const timings: { label: string; seconds: number }[] = [];
  try {
    emit({});
    const assets = await studyAssets({ dataDir: path.resolve(o.dataDir ?? path.join(outDir, 'study-data')), baseModel: o.baseModel, onProgress: (m) => emit({ message: m }) });

    // training: the ETA is the remaining steps at the rate measured in this invocation, plus the analyses
    const tTrain = Date.now();
    let runs = ensureStudyRuns(o.db, o.queue, o.scale, assets);
    const firstDone = runs.reduce((s, r) => s + r.step, 0);
    emit({ stage: 'training', runs, stepsDone: firstDone, stepsTotal: runs.reduce((s, r) => s + r.totalSteps, 0), message: 'training the six runs' });
    runs = await waitForRuns(o.db, runs, {
      pollMs: o.pollMs,
      shouldStop: o.shouldStop,
      onTick: (cur) => {
        const done = cur.reduce((s, r) => s + r.step, 0);
        const total = cur.reduce((s, r) => s + r.totalSteps, 0);
        const secs = (Date.now() - tTrain) / 1000;
        const rate = done > firstDone && secs > 3 ? (done - firstDone) / secs : null;
        const active = cur.find((r) => r.status === 'running');
        emit({
          runs: cur, stepsDone: done, stepsTotal: total,
          etaS: rate ? (total - done) / rate + preset.analysisSecondsGuess : null,
          message: active ? `training ${active.label} (step ${active.step}/${active.totalSteps})` : 'waiting for the run queue',
        });
      },
    });
    timings.push({ label: 'training (this invocation, waiting for the queue)', seconds: (Date.now() - tTrain) / 1000 });

    // The analysis stage patches the status as it goes (its stage and message), here or from the host's child
    // (the stage shows at once, before the child has started).
    emit({ stage: 'analysing', message: 'analyses', etaS: preset.analysisSecondsGuess });
    const stageInput: AnalysisStageInput = { scale: o.scale, runs, assets, outDir, reportDir, startedAt: t0, timings };
    const { summary, report } = o.analysisHost
      ? await o.analysisHost.call('studyAnalyses', stageInput, emit).catch((e: Error) => {
          // The host itself failed (its child died or could not start), not the analyses: say how to go on.
          if (e.name === 'AnalysisHostError') throw new Error(`the analysis stage did not finish (start the study again to continue: finished runs and cached analyses are reused): ${e.message}`);
          throw e;
        })
      : await (await import('./analysis-stage')).runAnalysisStage(o.db, stageInput, emit); // loaded only where it runs
    emit({ stage: 'done', message: `report written to ${reportDir}`, etaS: 0, summary, report: { ...report, downloadPath: null } });
    writeFileAtomic(path.join(outDir, 'study.json'), JSON.stringify(status, null, 1) + '\n');
    return { ...status };
  } catch (e) {
    emit({ stage: 'failed', error: (e as Error).message, message: (e as Error).message, etaS: null });
    throw e;
  }
}
