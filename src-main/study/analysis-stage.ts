// The study's tail once its six runs are finished: every analysis (analyses.ts), the figures and the
// HTML + PDF report. In the app and serve mode it runs in the analysis host's child process (host
// method `studyAnalyses`), because ORT's blocking session.run, probe training, the transplants' forward
// passes and the figure / PDF rendering would otherwise stall the main process for seconds (measured at
// demo scale: ~15 s of analyses with stalls up to ~0.5 s, then ~0.7 s for the figure export and ~0.4 s
// for the PDF, each one uninterrupted stall). The CLI runs it in its own process.
// Input and output are plain data (they cross the host's IPC); progress goes out as status patches.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { writeFileAtomic } from '../../native-runner/data/atomic-file';
import type { Db } from '../store/db';
import { getRun } from '../store/runs';
import { metricSeries } from '../store/metrics';
import { appRoot, appVersion } from '../app-root';
import type { StudyRunState, StudyStage, StudySummary } from '../common/study-types';
import { SCALE_PRESETS, totalStudySteps, type StudyAssets, type StudyScale } from './plan';
import { runIdsByKey } from './study-runs';
import { runAnalyses } from './analyses';
import { runFinetuneStage } from './finetune-stage';
import { exportStudyFigures, studyFigures } from './figures';
import { studySummary } from './summary';
import { reportTables, type RunRecord } from './report-tables';
import { reportHtml } from './report-html';
import { reportPdf } from './report-pdf';
import type { ReportModel } from './report-model';

export interface AnalysisStageInput {
  scale: StudyScale;
  runs: StudyRunState[];       // the six finished runs, in STUDY_RUNS order
  assets: StudyAssets;
  outDir: string;              // study folder: transplanted models go to OUT/transplants
  reportDir: string;
  startedAt: number;           // epoch ms when this invocation started (the "whole study" timing)
  timings: { label: string; seconds: number }[]; // the earlier stages' timings, for the report
}

/** A patch of the study's status: the stage it is in and what it does now. */
export interface AnalysisStageProgress { stage: Extract<StudyStage, 'analysing' | 'reporting'>; message: string; etaS: number | null }

export interface AnalysisStageResult { summary: StudySummary; report: { html: string; pdf: string } }

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

/** Analyses → figures → results.json, report.html, report.pdf in REPORT; resolves with the summary and the report's paths. */
export async function runAnalysisStage(db: Db, input: AnalysisStageInput, onProgress: (p: AnalysisStageProgress) => void = () => {}): Promise<AnalysisStageResult> {
  const preset = SCALE_PRESETS[input.scale];
  const reportDir = input.reportDir;
  const timings = [...input.timings];
  const tAnalyses = Date.now(); // the caller has reported the stage 'analysing' already
  const results = await runAnalyses({
    db, scale: input.scale, runIds: runIdsByKey(input.runs), assets: input.assets, workDir: input.outDir,
    onProgress: (m) => onProgress({ stage: 'analysing', message: m, etaS: Math.max(0, preset.analysisSecondsGuess - (Date.now() - tAnalyses) / 1000) }),
  });
  for (const [label, seconds] of Object.entries(results.timings)) timings.push({ label: `analysis: ${label}`, seconds });
  // the paper's downstream measure: fine-tune every condition (seeds), paired tests against MLM
  const say = (message: string) => onProgress({ stage: 'analysing', message, etaS: null });
  say('fine-tuning every condition');
  const tFinetune = Date.now();
  results.finetune = await runFinetuneStage({ preset, finals: results.finals, tokenizer: input.assets.tokenizer, workDir: input.outDir, onProgress: say });
  timings.push({ label: `fine-tuning ${results.finetune.rows.length} conditions × ${results.finetune.seeds} seeds (${results.finetune.task})`, seconds: (Date.now() - tFinetune) / 1000 });

  onProgress({ stage: 'reporting', message: 'figures and report', etaS: 10 });
  const tReport = Date.now();
  const figures = studyFigures(results);
  const files = await exportStudyFigures(figures, path.join(reportDir, 'figures'));
  const summary = studySummary(results, figures);
  const records = input.runs.map((r) => runRecord(db, r));
  for (const r of records) if (r.seconds !== null) timings.unshift({ label: `run #${r.runId} ${r.label}${r.reused ? ' (earlier invocation)' : ''}`, seconds: r.seconds });
  timings.push({ label: 'figures export', seconds: (Date.now() - tReport) / 1000 });
  timings.push({ label: 'whole study (this invocation)', seconds: (Date.now() - input.startedAt) / 1000 });
  const model: ReportModel = {
    title: 'The CLM detour on the demo encoder: every analysis of the paper',
    scale: input.scale, preset, createdAt: new Date().toISOString(), summary, results,
    figures: figures.map((f) => ({ ...f, files: files[f.name], svg: fs.readFileSync(files[f.name].svg, 'utf8') })),
    tables: reportTables(results, summary, records), runs: records,
    data: { baseModel: input.assets.baseModel, corpus: input.assets.corpus, tokenizer: input.assets.tokenizer, probe: input.assets.probe, tokensPerRun: totalStudySteps(preset) * preset.batchSize * preset.seqLen },
    versions: studyVersions(db), timings,
  };
  const html = path.join(reportDir, 'report.html');
  const pdf = path.join(reportDir, 'report.pdf');
  writeFileAtomic(path.join(reportDir, 'results.json'), JSON.stringify({ ...results, runs: records, summary: { ...summary, figures: undefined }, timings, versions: model.versions }, null, 1) + '\n');
  writeFileAtomic(html, reportHtml(model));
  writeFileAtomic(pdf, await reportPdf(model));
  return { summary, report: { html, pdf } };
}
