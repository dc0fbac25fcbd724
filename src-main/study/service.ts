// The study behind the typed API: one study at a time per workbench process, in the app's own
// workspace (its runs appear in the run list like any other). Its folder is WORKSPACE/studies/<scale>;
// its report goes to WORKSPACE/figures/study-<scale>/ so that serve mode can hand it out under
// /files/figures/; its training data to WORKSPACE/study-data, as `npm run study -- --out WORKSPACE`
// does, so that the CLI's and the app's studies in one workspace share their runs. The last status is kept in memory while it runs and in study.json afterwards, so
// the results are there after a restart; starting it again continues a stopped study.
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../store/db';
import type { RunQueue } from '../runs/queue';
import type { AnalysisHost } from '../analysis/host';
import { figuresDir } from '../figures/library';
import type { StudyStatus } from '../common/study-types';
import { STUDY_SCALES, type StudyScale } from './plan';
import { runStudy } from './orchestrate';

export interface StudyServiceContext {
  db: Db;
  workspaceDir: string;
  queue?: RunQueue;
  baseModel?: string;
  /** Runs the analysis stage (analyses, figures, report) off this process; the app and serve always give one. */
  analysisHost?: Pick<AnalysisHost, 'call'>;
}

export function studyDirs(workspaceDir: string, scale: StudyScale): { outDir: string; reportDir: string; downloadPath: string } {
  return {
    outDir: path.join(workspaceDir, 'studies', scale),
    reportDir: path.join(figuresDir(workspaceDir), `study-${scale}`),
    downloadPath: `/files/figures/study-${scale}/report.html`,
  };
}

/** A finished study's saved status: the app's (studies/<scale>) or the CLI's (`--out WORKSPACE`). */
function readSaved(workspaceDir: string, scale: StudyScale): StudyStatus | null {
  for (const f of [path.join(studyDirs(workspaceDir, scale).outDir, 'study.json'), path.join(workspaceDir, 'study.json')]) {
    try {
      const s = JSON.parse(fs.readFileSync(f, 'utf8')) as StudyStatus;
      if (s.scale === scale) return s;
    } catch {
      // not there, or not readable: try the other layout
    }
  }
  return null;
}

export class StudyService {
  private current: StudyStatus | null = null;
  private running: Promise<unknown> | null = null;

  constructor(private ctx: StudyServiceContext) {}

  /** Starts the study in the background and answers at once with its first status. */
  start(scale: StudyScale): StudyStatus {
    if (!(STUDY_SCALES as readonly string[]).includes(scale)) throw new Error(`scale: expected ${STUDY_SCALES.join(' or ')}, got ${JSON.stringify(scale)}`);
    if (this.running) throw new Error(`a study is already running (${this.current?.scale} scale, ${this.current?.stage}); wait for it to finish`);
    if (!this.ctx.queue) throw new Error('this workbench process has no run queue (read-only mode)');
    const dirs = studyDirs(this.ctx.workspaceDir, scale);
    const withLink = (s: StudyStatus): StudyStatus => (s.report ? { ...s, report: { ...s.report, downloadPath: dirs.downloadPath } } : s);
    this.current = {
      scale, outDir: dirs.outDir, reportDir: dirs.reportDir, stage: 'preparing', message: 'starting', startedAt: new Date().toISOString(), elapsedS: 0,
      etaS: null, stepsDone: 0, stepsTotal: 0, runs: [], error: null, report: null, summary: null,
    };
    this.running = runStudy({
      db: this.ctx.db, queue: this.ctx.queue, scale, outDir: dirs.outDir, reportDir: dirs.reportDir, dataDir: path.join(this.ctx.workspaceDir, 'study-data'), baseModel: this.ctx.baseModel,
      analysisHost: this.ctx.analysisHost,
      onStatus: (s) => { this.current = withLink(s); },
    })
      .then((s) => this.save(withLink(s)))
      .catch((e: Error) => { this.current = { ...this.current!, stage: 'failed', error: e.message, message: e.message }; this.save(this.current); })
      .finally(() => { this.running = null; });
    return { ...this.current };
  }

  /** The running study's status, else the most recent saved one (either scale), else null. */
  status(scale?: StudyScale): StudyStatus | null {
    if (this.current && (!scale || this.current.scale === scale)) return { ...this.current };
    const saved = (scale ? [scale] : [...STUDY_SCALES]).map((s) => readSaved(this.ctx.workspaceDir, s)).filter((s): s is StudyStatus => s !== null);
    saved.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
    return saved[0] ?? null;
  }

  /** Resolves when no study is running (tests, shutdown). */
  async idle(): Promise<void> {
    await this.running;
  }

  private save(s: StudyStatus): void {
    this.current = s;
    fs.mkdirSync(s.outDir, { recursive: true });
    const file = path.join(s.outDir, 'study.json');
    const tmp = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, JSON.stringify(s, null, 1) + '\n');
    fs.renameSync(tmp, file);
  }
}
