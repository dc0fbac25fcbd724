// The main-side services behind the typed API. The same object serves Electron IPC and the serve
// transport; it owns the workspace database and the run queue.
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ApiOutputs, Method } from './common/contract';
import type { ListRunsQuery } from './store/runs';
import { countRuns, getRun, listRuns } from './store/runs';
import { downsample, metricNames, metricSeries } from './store/metrics';
import { describeZodError } from './common/contract';
import { figureSpecSchema } from './common/charts/spec';
import { exportFigure, type FigureFormat } from './figures/export';
import { figuresDir, listFigures } from './figures/library';
import { DB_FILE_NAME, schemaVersion, type Db } from './store/db';
import { RunEventBus } from './events';
import { ConflictError, NotFoundError, ValidationError } from './errors';
import { appVersion } from './app-root';
import type { RunQueue } from './runs/queue';
import { checkRunConfig } from './runs/config-check';
import { demoAssets } from './demo-assets';
import { readRunLog } from './runs/run-log';
import { listComparable } from './analysis/comparable';
import { gradNormSummary } from './analysis/grad-norms';
import { runAnalysis, type AnalysisInputs, type AnalysisMethod, type AnalysisResult } from './analysis/host-methods';
import type { AnalysisHost } from './analysis/host';
import { StudyService } from './study/service';
import { FinetuneService } from './finetune/service';
import { taskFrom } from '../native-runner/finetune/cli-task';
import type { FinetuneSweepRequest } from './common/finetune-types';
import fs from 'node:fs';
import { runAdminServices } from './runs/run-admin';
import type { ClusterFollower } from './cluster/follow';
import { findProfile, profilesPath, readProfiles, writeProfiles } from './cluster/profiles-file';
import { probeProfile } from './cluster/probe';
import { connectProfile } from './cluster/connect';
import { submitSweep } from './cluster/submit';
import { clusterJobInfos, isClusterRun } from './store/cluster-jobs';
import { ClusterProfileError } from './common/cluster-profile';

export type Services = { [M in Method]: (input: never) => Promise<ApiOutputs[M]> };

export interface ServiceContext {
  db: Db;
  workspaceDir: string;
  mode: 'desktop' | 'serve';
  events: RunEventBus;
  queue?: RunQueue;       // absent: read-only services (no training from this process)
  /** Runs the heavy analyses in a child process; absent: in this process (tests that build services themselves). */
  analysisHost?: Pick<AnalysisHost, 'call' | 'interrupt'>;
  /** Follows runs on Slurm clusters; absent: cluster submission is refused (read-only mode). */
  cluster?: ClusterFollower;
}

const require = createRequire(import.meta.url);

function packageVersion(name: string): string {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function createServices(ctx: ServiceContext) {
  const { db } = ctx;
  const version = appVersion();
  const queue = (): RunQueue => {
    if (!ctx.queue) throw new ConflictError('this workbench process has no run queue (read-only mode)');
    return ctx.queue;
  };
  const existing = (id: number) => {
    const run = getRun(db, id);
    if (!run) throw new NotFoundError(`no run with id ${id}`);
    return run;
  };
  // The app and serve mode always give a host, so ORT's blocking GEMMs never stall their event loop.
  const analyse = <M extends AnalysisMethod>(method: M, input: AnalysisInputs[M]): Promise<AnalysisResult<M>> =>
    ctx.analysisHost ? ctx.analysisHost.call(method, input) : runAnalysis({ db, workspaceDir: ctx.workspaceDir }, method, input);
  const study = new StudyService({ db, workspaceDir: ctx.workspaceDir, queue: ctx.queue, analysisHost: ctx.analysisHost });
  const finetune = new FinetuneService({ db, workspaceDir: ctx.workspaceDir, analysisHost: ctx.analysisHost });
  const services = {
    async workspaceInfo(): Promise<ApiOutputs['workspaceInfo']> {
      return {
        mode: ctx.mode,
        workspaceDir: ctx.workspaceDir,
        dbPath: path.join(ctx.workspaceDir, DB_FILE_NAME),
        schemaVersion: schemaVersion(db),
        appVersion: version,
        versions: {
          node: process.versions.node,
          electron: process.versions.electron ?? null,
          onnxruntime: packageVersion('onnxruntime-node'),
          sqlite: (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v,
        },
        runCount: countRuns(db),
        concurrency: ctx.queue?.concurrency ?? 0,
      };
    },
    async listRuns(input: ListRunsQuery): Promise<ApiOutputs['listRuns']> {
      return listRuns(db, input);
    },
    async getRun(input: { id: number }): Promise<ApiOutputs['getRun']> {
      return existing(input.id);
    },
    ...runAdminServices(ctx),
    async validateRunConfig(input: { config: Record<string, unknown> }): Promise<ApiOutputs['validateRunConfig']> {
      return checkRunConfig(input.config, ctx.workspaceDir);
    },
    async createRun(input: { config: Record<string, unknown>; name?: string; sweep?: string }): Promise<ApiOutputs['createRun']> {
      const check = checkRunConfig(input.config, ctx.workspaceDir);
      if (!check.ok) throw new ValidationError(`createRun: invalid run config: ${check.errors.join('; ')}`);
      return { id: queue().enqueue(input.config, { name: input.name, sweep: input.sweep }) };
    },
    async cancelRun(input: { id: number }): Promise<null> {
      const run = existing(input.id);
      if (!['queued', 'running', 'interrupted'].includes(run.status)) throw new ConflictError(`run ${run.id} is ${run.status}; only queued, running or interrupted runs can be cancelled`);
      if (isClusterRun(db, input.id)) {
        // on a cluster: scancel; the follower records the end when Slurm reports it
        if (!ctx.cluster) throw new ConflictError('this workbench process does not follow cluster runs');
        try { await ctx.cluster.cancel(input.id); } catch (e) { throw new ConflictError((e as Error).message); }
        return null;
      }
      queue().cancel(input.id);
      return null;
    },
    async resumeRun(input: { id: number }): Promise<null> {
      const run = existing(input.id);
      if (isClusterRun(db, input.id)) throw new ConflictError(`run ${run.id} ran on a cluster; submit it again from the New run form (Clone into form) to continue`);
      if (!['interrupted', 'failed', 'cancelled'].includes(run.status)) throw new ConflictError(`run ${run.id} is ${run.status}; only interrupted, failed or cancelled runs can be resumed`);
      queue().resume(input.id);
      return null;
    },
    async runMetrics(input: { id: number; names?: string[]; fromStep?: number; maxPoints?: number }): Promise<ApiOutputs['runMetrics']> {
      existing(input.id);
      const names = input.names ?? metricNames(db, input.id);
      return Object.fromEntries(
        names.map((n) => {
          const s = metricSeries(db, input.id, n, input.fromStep ?? 0);
          return [n, input.maxPoints ? downsample(s, input.maxPoints) : s];
        }),
      );
    },
    async exportFigure(input: { spec: Record<string, unknown>; name: string; formats?: FigureFormat[]; dpi?: number }): Promise<ApiOutputs['exportFigure']> {
      const parsed = figureSpecSchema.safeParse(input.spec);
      if (!parsed.success) throw new ValidationError(describeZodError('exportFigure: spec', parsed.error));
      const r = await exportFigure(parsed.data, figuresDir(ctx.workspaceDir), input.name, { formats: input.formats, dpi: input.dpi });
      return { name: input.name, spec: r.spec, files: r.files, modifiedAt: new Date().toISOString() };
    },
    async listFigures(): Promise<ApiOutputs['listFigures']> {
      return listFigures(figuresDir(ctx.workspaceDir));
    },
    async runLog(input: { id: number; tail?: number }): Promise<ApiOutputs['runLog']> {
      const run = existing(input.id);
      return run.outDir ? readRunLog(run.outDir, { tail: input.tail }) : [];
    },
    async listComparable(): Promise<ApiOutputs['listComparable']> {
      return listComparable(db);
    },
    async compare(input: AnalysisInputs['compare']): Promise<ApiOutputs['compare']> {
      return analyse('compare', input);
    },
    async agreement(input: AnalysisInputs['agreement']): Promise<ApiOutputs['agreement']> {
      return analyse('agreement', input);
    },
    async trajectory(input: AnalysisInputs['trajectory']): Promise<ApiOutputs['trajectory']> {
      existing(input.runId);
      return analyse('trajectory', input);
    },
    async probe(input: AnalysisInputs['probe']): Promise<ApiOutputs['probe']> {
      return analyse('probe', input);
    },
    // A few indexed metric reads, no ORT: not worth a trip to the analysis host.
    async gradNorms(input: { runId: number }): Promise<ApiOutputs['gradNorms']> {
      existing(input.runId);
      return gradNormSummary(db, input.runId);
    },
    async weightDrift(input: AnalysisInputs['weightDrift']): Promise<ApiOutputs['weightDrift']> {
      return analyse('weightDrift', input);
    },
    async logActivations(input: AnalysisInputs['logActivations']): Promise<ApiOutputs['logActivations']> {
      return analyse('logActivations', input);
    },
    async transplant(input: AnalysisInputs['transplant']): Promise<ApiOutputs['transplant']> {
      return analyse('transplant', input);
    },
    async demoAssets(): Promise<ApiOutputs['demoAssets']> {
      return demoAssets();
    },
    async setConcurrency(input: { concurrency: number }): Promise<ApiOutputs['setConcurrency']> {
      queue().setConcurrency(input.concurrency);
      return { concurrency: queue().concurrency };
    },
    async startStudy(input: { scale: 'tiny' | 'demo' }): Promise<ApiOutputs['startStudy']> {
      queue();
      try {
        return study.start(input.scale);
      } catch (e) {
        throw new ConflictError((e as Error).message);
      }
    },
    async studyStatus(input: { scale?: 'tiny' | 'demo' }): Promise<ApiOutputs['studyStatus']> {
      return study.status(input.scale);
    },
    async listClusterProfiles(): Promise<ApiOutputs['listClusterProfiles']> {
      try {
        return { file: profilesPath(ctx.workspaceDir), profiles: readProfiles(ctx.workspaceDir), error: null };
      } catch (e) {
        return { file: profilesPath(ctx.workspaceDir), profiles: [], error: (e as Error).message };
      }
    },
    async saveClusterProfiles(input: { profiles: Record<string, unknown>[] }): Promise<ApiOutputs['saveClusterProfiles']> {
      try {
        return { file: profilesPath(ctx.workspaceDir), profiles: writeProfiles(ctx.workspaceDir, input.profiles), error: null };
      } catch (e) {
        if (e instanceof ClusterProfileError) throw new ValidationError(e.message);
        throw e;
      }
    },
    async testClusterProfile(input: { name: string }): Promise<ApiOutputs['testClusterProfile']> {
      const p = findProfile(ctx.workspaceDir, input.name);
      if (!p) throw new NotFoundError(`no cluster profile named "${input.name}" in ${profilesPath(ctx.workspaceDir)}`);
      return probeProfile(p);
    },
    async submitToCluster(input: { profile: string; runs: { config: Record<string, unknown>; name?: string }[]; sweep?: string }): Promise<ApiOutputs['submitToCluster']> {
      if (!ctx.cluster) throw new ConflictError('this workbench process does not follow cluster runs (read-only mode)');
      const p = findProfile(ctx.workspaceDir, input.profile);
      if (!p) throw new NotFoundError(`no cluster profile named "${input.profile}" in ${profilesPath(ctx.workspaceDir)}`);
      for (const [i, r] of input.runs.entries()) {
        const check = checkRunConfig(r.config, ctx.workspaceDir);
        if (!check.ok) throw new ValidationError(`submitToCluster: runs[${i}]${r.name ? ` (${r.name})` : ''}: invalid run config: ${check.errors.join('; ')}`);
      }
      const t = await connectProfile(p);
      try {
        const sub = await submitSweep(db, ctx.events, ctx.workspaceDir, p, t, input.runs, { sweep: input.sweep });
        ctx.cluster.start();
        return { runIds: sub.runIds, jobId: sub.arrayJobId };
      } finally {
        await t.close();
      }
    },
    async clusterJobs(): Promise<ApiOutputs['clusterJobs']> {
      return clusterJobInfos(db);
    },
    async startFinetune(input: FinetuneSweepRequest): Promise<ApiOutputs['startFinetune']> {
      // relative model paths are relative to the workspace (the main process's cwd means nothing to a user)
      const req = { ...input, checkpoints: input.checkpoints.map((c) => ({ ...c, modelDir: path.resolve(ctx.workspaceDir, c.modelDir) })) };
      for (const c of req.checkpoints) if (!fs.existsSync(path.join(c.modelDir, 'config.json'))) throw new ValidationError(`checkpoints: ${c.modelDir} has no config.json (not a model directory)`);
      // a user's task file is read here first, so a bad line is refused at once by file and line
      req.tasks = req.tasks.map((t, i) => {
        if (t.startsWith('demo:')) return t;
        const file = path.resolve(ctx.workspaceDir, t);
        if (!fs.existsSync(file)) throw new ValidationError(`tasks[${i}]: ${file} does not exist`);
        try { taskFrom(file); } catch (e) { throw new ValidationError(`tasks[${i}]: ${(e as Error).message}`); }
        return file;
      });
      try {
        return finetune.start(req);
      } catch (e) {
        throw new ConflictError((e as Error).message);
      }
    },
    async finetuneStatus(): Promise<ApiOutputs['finetuneStatus']> {
      return finetune.status();
    },
    async cancelFinetune(): Promise<ApiOutputs['cancelFinetune']> {
      if (!finetune.cancel()) throw new ConflictError('no fine-tuning sweep is running');
      return finetune.status()!;
    },
  } satisfies Services;
  return services;
}
