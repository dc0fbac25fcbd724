// The typed API's heavy analyses (float64 GEMMs in ORT, probe training, weight reads), as one table
// that both the analysis host child process and the in-process fallback of services.ts run, so the
// two paths cannot drift apart. Inputs are the API's validated inputs; results are the API's outputs.
// One more method is not part of the typed API: `studyAnalyses`, the CLM-detour study's analyses,
// figures and report (study/analysis-stage.ts), which StudyService runs here, reporting progress.
import path from 'node:path';
import type { ApiOutputs } from '../common/contract';
import type { Db } from '../store/db';
import { ValidationError } from '../errors';
import type { Pooling } from '../../native-runner/activations/pooling';
import { compareStored, type CompareRequest } from './comparisons';
import { trajectory } from './trajectory';
import { agreementStored, type AgreementRequest } from './similarity/agreement-stored';
import { probeStored } from './probe-stored';
import { driftBetweenDirs } from './model-drift';
import { modelDirOf, runActivationDefaults, transplantModel } from './service';
import { logActivations } from './activation-log';
import type { AnalysisStageInput, AnalysisStageProgress, AnalysisStageResult } from '../study/analysis-stage';
import type { FinetuneSweepInput, FinetuneSweepResult } from '../finetune/sweep';
import type { FinetuneSweepProgress } from '../common/finetune-types';

export interface AnalysisContext {
  db: Db;
  workspaceDir: string;
  /** Where a method with progress (AnalysisProgress) reports it: the host's child sends it to the caller. */
  progress?: (p: unknown) => void;
  /** In-process callers only: asked between steps by methods that can stop early (finetuneSweep). */
  shouldStop?: () => boolean;
}

export interface AnalysisInputs {
  compare: CompareRequest;
  agreement: Omit<AgreementRequest, 'onProgress' | 'force'>;
  trajectory: { runId: number; refCheckpointId: number; probeSetId: number; pooling?: Pooling };
  probe: { checkpointId: number; probeSetId: number; pooling?: Pooling; labelSets?: string[] };
  weightDrift: { checkpointId: number; refCheckpointId: number };
  transplant: { a: number; b: number; group: 'low' | 'mid' | 'deep'; probeSetId: number; pooling?: Pooling; tokenizer?: string };
  logActivations: { modelDir: string; probePath: string; tokenizer?: string; maxLength?: number; poolings?: Pooling[] };
  studyAnalyses: AnalysisStageInput;
  finetuneSweep: FinetuneSweepInput;
}

export type AnalysisMethod = keyof AnalysisInputs;
type AnalysisOutputs = Pick<ApiOutputs, Exclude<AnalysisMethod, 'studyAnalyses' | 'finetuneSweep'>> & { studyAnalyses: AnalysisStageResult; finetuneSweep: FinetuneSweepResult };
export type AnalysisResult<M extends AnalysisMethod> = AnalysisOutputs[M];

/** What a method reports while it runs (methods not listed report nothing). */
interface AnalysisProgresses { studyAnalyses: AnalysisStageProgress; finetuneSweep: FinetuneSweepProgress }
export type AnalysisProgress<M extends AnalysisMethod> = M extends keyof AnalysisProgresses ? AnalysisProgresses[M] : never;

/** Analysis failures are about the inputs (missing layers, other probe sets, corrupt blobs): say so. */
async function asValidation<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof Error && e.name === 'Error') throw new ValidationError(e.message);
    throw e;
  }
}

const methods: { [M in AnalysisMethod]: (ctx: AnalysisContext, input: AnalysisInputs[M]) => Promise<AnalysisResult<M>> } = {
  compare: ({ db }, input) => compareStored(db, input),
  agreement: ({ db }, input) => agreementStored(db, input),
  trajectory: ({ db }, input) => trajectory(db, { runId: input.runId, ref: { checkpointId: input.refCheckpointId }, probeSetId: input.probeSetId, pooling: input.pooling }),
  probe: ({ db }, input) => probeStored(db, input),
  weightDrift: ({ db }, input) => driftBetweenDirs(db, modelDirOf(db, input.checkpointId), modelDirOf(db, input.refCheckpointId)),
  async transplant({ db, workspaceDir }, input) {
    const probe = db.prepare('SELECT path FROM probe_sets WHERE id = ?').pluck().get(input.probeSetId) as string | null | undefined;
    if (!probe) throw new Error(`probe set ${input.probeSetId} has no recorded file to run the transplanted model on`);
    const out = path.join(workspaceDir, 'transplants', `${input.group}-from-${input.a}-into-${input.b}`);
    const runOfB = db.prepare('SELECT run_id FROM checkpoints WHERE id = ?').pluck().get(input.b) as number | null | undefined;
    const tokenizer = input.tokenizer ?? runActivationDefaults(db, runOfB ?? null).tokenizer;
    return transplantModel(db, { a: modelDirOf(db, input.a), b: modelDirOf(db, input.b), out, group: input.group, probe, pooling: input.pooling, tokenizer });
  },
  async logActivations({ db, workspaceDir }, input) {
    // relative paths are relative to the workspace (the main process's cwd means nothing to a user)
    const abs = (p: string) => path.resolve(workspaceDir, p);
    const r = await logActivations(db, {
      modelDir: abs(input.modelDir), probeSet: abs(input.probePath), tokenizer: input.tokenizer && abs(input.tokenizer), maxLength: input.maxLength, poolings: input.poolings,
    });
    return { checkpointId: r.checkpointId, probeSetId: r.probeSetId, layers: r.layers, cached: r.cached, seconds: r.seconds };
  },
  async studyAnalyses({ db, progress }, input) {
    // Loaded on first use: the report's modules (pdfkit, fonts, resvg) need not slow every child's start.
    const { runAnalysisStage } = await import('../study/analysis-stage');
    return runAnalysisStage(db, input, progress);
  },
  async finetuneSweep({ progress, shouldStop }, input) {
    const { runFinetuneSweep } = await import('../finetune/sweep');
    return runFinetuneSweep(input, progress, shouldStop);
  },
};

export function isAnalysisMethod(m: unknown): m is AnalysisMethod {
  return typeof m === 'string' && Object.prototype.hasOwnProperty.call(methods, m);
}

/** Runs one analysis in this process; plain Errors come out as ValidationError (the request's fault). */
export function runAnalysis<M extends AnalysisMethod>(ctx: AnalysisContext, method: M, input: AnalysisInputs[M]): Promise<AnalysisResult<M>> {
  return asValidation(() => methods[method](ctx, input));
}
