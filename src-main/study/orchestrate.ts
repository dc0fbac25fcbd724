// The CLM-detour study end to end: assets → six runs through the workspace's run queue → analyses
// → figures → HTML + PDF report. Every stage reuses what an earlier invocation finished (finished
// runs, cached analyses in SQLite, transplanted models), so a killed study continues where it stopped.
// The same function serves `npm run study` (its own workspace in OUT) and the UI (the app's workspace).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { writeFileAtomic } from '../../native-runner/data/atomic-file';
import type { Db } from '../store/db';
import type { RunQueue } from '../runs/queue';
import { getRun } from '../store/runs';
import { metricSeries } from '../store/metrics';
import { appRoot, appVersion } from '../app-root';
import type { StudyRunState, StudyStatus } from '../common/study-types';
import { SCALE_PRESETS, totalStudySteps, type StudyScale } from './plan';
import { studyAssets } from './assets';
import { ensureStudyRuns, runIdsByKey, waitForRuns } from './study-runs';
import { runAnalyses } from './analyses';
import { exportStudyFigures, studyFigures } from './figures';
import { studySummary } from './summary';
import { reportTables, type RunRecord } from './report-tables';
import { reportHtml } from './report-html';
import { reportPdf } from './report-pdf';
import type { ReportModel } from './report-model';

export interface StudyOptions {
  db: Db;
  queue: RunQueue;
  scale: StudyScale;
  outDir: string;              // study folder: data, transplants, study.json
  reportDir?: string;          // default OUT/report
  dataDir?: string;            // training JSONL + token cache; default OUT/study-data (the app: WORKSPACE/study-data)
  baseModel?: string;          // default fixtures/demo-base
  onStatus?: (s: StudyStatus) => void;
  shouldStop?: () => boolean;
  pollMs?: number;
}

const require = createRequire(import.meta.url);
function packageVersion(name: string): string {
  try { return (require(`${name}/package.json`) as { version: string }).version; } catch { return 'unknown'; }
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: appRoot(), stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return 'unknown';
  }
}

export function studyVersions(db: Db): Record<string, string> {
  return {
    workbench: `${appVersion()} (git ${gitCommit()})`,
    node: process.versions.node,
    'onnxruntime-node': packageVersion('onnxruntime-node'),
    sqlite: (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v,
    'better-sqlite3': packageVersion('better-sqlite3'),
    pdfkit: packageVersion('pdfkit'),
    machine: `${os.platform()} ${os.arch()}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`,
  };
}

function runRecord(db: Db, r: StudyRunState): RunRecord {
  const run = getRun(db, r.runId!)!;
  const loss = metricSeries(db, run.id, 'loss');
  const finite = loss.values.filter((v): v is number => v !== null && Number.isFinite(v));
  const t = (iso: string | null) => (iso ? Date.parse(iso.endsWith('Z') || iso.includes('+') ? iso : `${iso.replace(' ', 'T')}Z`) : NaN);
  const seconds = (t(run.finishedAt) - t(run.startedAt)) / 1000;
  return {
    key: r.key, label: r.label, runId: run.id, steps: run.totalSteps ?? 0, seconds: Number.isFinite(seconds) ? seconds : null,
    firstLoss: finite[0] ?? null, lastLoss: finite[finite.length - 1] ?? null, reused: r.reused, config: run.config,
  };
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

    const tAnalyses = Date.now();
    emit({ stage: 'analysing', message: 'analyses', etaS: preset.analysisSecondsGuess });
    const results = await runAnalyses({
      db: o.db, scale: o.scale, runIds: runIdsByKey(runs), assets, workDir: outDir,
      onProgress: (m) => emit({ message: m, etaS: Math.max(0, preset.analysisSecondsGuess - (Date.now() - tAnalyses) / 1000) }),
    });
    for (const [label, seconds] of Object.entries(results.timings)) timings.push({ label: `analysis: ${label}`, seconds });

    emit({ stage: 'reporting', message: 'figures and report', etaS: 10 });
    const tReport = Date.now();
    const figures = studyFigures(results);
    const files = await exportStudyFigures(figures, path.join(reportDir, 'figures'));
    const summary = studySummary(results, figures);
    const records = runs.map((r) => runRecord(o.db, r));
    for (const r of records) if (r.seconds !== null) timings.unshift({ label: `run #${r.runId} ${r.label}${r.reused ? ' (earlier invocation)' : ''}`, seconds: r.seconds });
    timings.push({ label: 'figures export', seconds: (Date.now() - tReport) / 1000 });
    timings.push({ label: 'whole study (this invocation)', seconds: (Date.now() - t0) / 1000 });
    const model: ReportModel = {
      title: 'The CLM detour on the demo encoder: every analysis of the paper',
      scale: o.scale, preset, createdAt: new Date().toISOString(), summary, results,
      figures: figures.map((f) => ({ ...f, files: files[f.name], svg: fs.readFileSync(files[f.name].svg, 'utf8') })),
      tables: reportTables(results, summary, records), runs: records,
      data: { baseModel: assets.baseModel, corpus: assets.corpus, tokenizer: assets.tokenizer, probe: assets.probe, tokensPerRun: perRun * preset.batchSize * preset.seqLen },
      versions: studyVersions(o.db), timings,
    };
    const html = path.join(reportDir, 'report.html');
    const pdf = path.join(reportDir, 'report.pdf');
    writeFileAtomic(path.join(reportDir, 'results.json'), JSON.stringify({ ...results, runs: records, summary: { ...summary, figures: undefined }, timings, versions: model.versions }, null, 1) + '\n');
    writeFileAtomic(html, reportHtml(model));
    writeFileAtomic(pdf, await reportPdf(model));
    emit({ stage: 'done', message: `report written to ${reportDir}`, etaS: 0, summary, report: { html, pdf, downloadPath: null } });
    writeFileAtomic(path.join(outDir, 'study.json'), JSON.stringify(status, null, 1) + '\n');
    return { ...status };
  } catch (e) {
    emit({ stage: 'failed', error: (e as Error).message, message: (e as Error).message, etaS: null });
    throw e;
  }
}
