// Fine-tuning sweeps behind the typed API: one sweep at a time per workbench process; its jobs
// (checkpoints × tasks) run in order in the analysis host (the app's heavy work never runs on the
// main thread) and report progress here, so finetuneStatus serves the queue, the live curves and the
// scores table. Results files go to WORKSPACE/finetune/<timestamp>/.
import path from 'node:path';
import type { AnalysisHost } from '../analysis/host';
import { runAnalysis } from '../analysis/host-methods';
import type { Db } from '../store/db';
import type { FinetuneStatus, FinetuneSweepProgress, FinetuneSweepRequest } from '../common/finetune-types';
import { appRoot } from '../app-root';

export interface FinetuneServiceContext {
  db: Db;
  workspaceDir: string;
  analysisHost?: Pick<AnalysisHost, 'call' | 'interrupt'>;
}

const CURVE_POINTS = 2000;

export class FinetuneService {
  private current: FinetuneStatus | null = null;
  private running: Promise<unknown> | null = null;
  private stopRequested = false;

  constructor(private ctx: FinetuneServiceContext) {}

  start(req: FinetuneSweepRequest): FinetuneStatus {
    if (this.running) throw new Error('a fine-tuning sweep is already running; wait for it to finish');
    const startedAt = new Date().toISOString();
    const jobs = req.checkpoints.flatMap((c) => req.tasks.map((task) => ({ checkpoint: c.label, modelDir: c.modelDir, task })));
    const st: FinetuneStatus = {
      stage: 'running', startedAt, request: req, message: `${jobs.length} job(s) × ${req.seeds} seed(s) queued`, error: null, curve: [], dev: [],
      jobs: jobs.map((j, index) => ({ index, ...j, metric: '', status: 'queued', seedsDone: 0, perSeed: [], mean: null, sd: null, resultsFile: null })),
    };
    this.current = st;
    this.stopRequested = false;
    const input = { ...req, outDir: path.join(this.ctx.workspaceDir, 'finetune', startedAt.replace(/[:.]/g, '-')), demoTokenizer: path.join(appRoot(), 'fixtures', 'demo-tokenizer') };
    const onProgress = (p: FinetuneSweepProgress) => this.apply(p);
    const call = this.ctx.analysisHost
      ? this.ctx.analysisHost.call('finetuneSweep', input, onProgress)
      : runAnalysis({ db: this.ctx.db, workspaceDir: this.ctx.workspaceDir, progress: (p) => onProgress(p as FinetuneSweepProgress), shouldStop: () => this.stopRequested }, 'finetuneSweep', input);
    this.running = call
      .then(() => { st.stage = 'done'; st.message = `${st.jobs.length} job(s) done`; })
      .catch((e: Error) => {
        if (this.stopRequested) {
          // finished jobs keep their scores and results files; the rest did not run to the end
          st.stage = 'cancelled'; st.error = null;
          for (const j of st.jobs) if (j.status === 'running' || j.status === 'queued') j.status = 'cancelled';
          const done = st.jobs.filter((j) => j.status === 'done').length;
          st.message = `cancelled: ${done} of ${st.jobs.length} job(s) finished`;
          return;
        }
        st.stage = 'failed'; st.error = e.message; st.message = e.message;
        for (const j of st.jobs) if (j.status === 'running') j.status = 'failed';
      })
      .finally(() => { this.running = null; });
    return structuredClone(st);
  }

  private apply(p: FinetuneSweepProgress): void {
    const st = this.current;
    if (!st) return;
    const job = st.jobs[p.index];
    if (!job) return;
    if (p.type === 'job') {
      Object.assign(job, { status: p.status, perSeed: p.perSeed, mean: p.mean, sd: p.sd, metric: p.metric, resultsFile: p.resultsFile, seedsDone: p.perSeed.length });
      if (p.status === 'running') { st.curve = []; st.dev = []; }
      st.message = p.status === 'running' ? `job ${p.index + 1}/${st.jobs.length}: ${job.checkpoint} on ${job.task}` : `job ${p.index + 1}/${st.jobs.length} done`;
    } else if (p.type === 'step') {
      st.curve.push({ job: p.index, seed: p.seed, step: p.step, loss: p.loss });
      if (st.curve.length > CURVE_POINTS) st.curve.splice(0, st.curve.length - CURVE_POINTS);
      st.message = `job ${p.index + 1}/${st.jobs.length}: ${job.checkpoint} on ${job.task}, seed ${p.seed}, step ${p.step}/${p.totalSteps}`;
    } else if (p.type === 'epoch') {
      st.dev.push({ job: p.index, seed: p.seed, epoch: p.epoch, score: p.score });
    } else {
      job.perSeed = [...job.perSeed, p.score];
      job.seedsDone = job.perSeed.length;
    }
  }

  /** Stop the running sweep: jobs that finished keep their results; false when none is running. */
  cancel(): boolean {
    if (!this.running || !this.current) return false;
    this.stopRequested = true;
    this.current.message = 'stopping…';
    this.ctx.analysisHost?.interrupt('finetuneSweep');    // in-process runs stop at their next step
    return true;
  }

  status(): FinetuneStatus | null {
    return this.current ? structuredClone(this.current) : null;
  }

  async idle(): Promise<void> {
    await this.running;
  }
}
