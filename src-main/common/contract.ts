// The typed API contract: one entry per call, shared by the Electron preload (IPC) and the serve
// transport (HTTP + WebSocket). Inputs are zod schemas, validated on the main side before any
// service runs; outputs are plain JSON types. Imports neither electron nor node.
import { z } from 'zod';
import { RUN_STATUSES } from './types';
import type { MethodName } from './methods';
import type { ComparableCheckpoint, CompareResult, DriftResult, LoggedActivations, PhaseGradNorms, ProbeResult, TrajectoryResult, TransplantResult } from './analysis-types';
import type { StudyStatus } from './study-types';
import type { ClusterJobInfo, ClusterProfilesView, ProbeStep } from './cluster-profile';
import { MEASURE_NAMES, type AgreementResult } from './agreement-types';
import type { FinetuneStatus } from './finetune-types';
import type { DemoAssets, ExportedFigure, LogLine, ConfigCheck, MetricSeries, RunDetail, RunEvent, RunFinals, RunSummary, WorkspaceInfo } from './types';

const empty = z.object({}).strict();
const modelSource = z.object({ checkpointId: z.number().int().positive(), probeSetId: z.number().int().positive() }).strict();
const pooling = z.enum(['mean', 'cls', 'tokens']);

export const contract = {
  /** Where this workspace lives, its schema version and the versions of the runtime. */
  workspaceInfo: { input: empty },
  /** Runs, newest first. */
  listRuns: {
    input: z
      .object({
        status: z.enum(RUN_STATUSES).optional(),
        limit: z.number().int().min(1).max(1000).optional(),
        offset: z.number().int().min(0).optional(),
      })
      .strict(),
  },
  /** One run with its config, phases and checkpoints. */
  getRun: { input: z.object({ id: z.number().int().positive() }).strict() },
  /** Validate a run config and queue it; the config is checked by the runner's own schema. */
  createRun: {
    input: z.object({
      config: z.record(z.string(), z.unknown()), name: z.string().min(1).max(200).optional(),
      sweep: z.string().min(1).max(200).optional(), // the sweep it belongs to (New run form): the Runs page groups by it
    }).strict(),
  },
  /** Rename, tag, annotate or archive a run. */
  updateRun: {
    input: z.object({
      id: z.number().int().positive(),
      name: z.string().trim().min(1).max(200).optional(),
      tags: z.array(z.string().trim().min(1).max(40)).max(20).optional(),
      notes: z.string().max(10000).optional(),
      archived: z.boolean().optional(),
    }).strict(),
  },
  /** Delete a finished / failed / cancelled / interrupted run: its rows and its folder in the workspace. */
  deleteRun: { input: z.object({ id: z.number().int().positive() }).strict() },
  /** Final metrics of runs (loss at the end of each phase, held-out loss, tokens, wall time). */
  runFinals: { input: z.object({ ids: z.array(z.number().int().positive()).max(500) }).strict() },
  /** Check a run config without queueing it: every problem with its field path, and its step count. */
  validateRunConfig: { input: z.object({ config: z.record(z.string(), z.unknown()) }).strict() },
  /** Stop a running run (it writes a checkpoint first) or drop a queued one. */
  cancelRun: { input: z.object({ id: z.number().int().positive() }).strict() },
  /** Queue an interrupted, failed or cancelled run again; it continues from its last checkpoint. */
  resumeRun: { input: z.object({ id: z.number().int().positive() }).strict() },
  /** Metric series of a run (all names when `names` is absent), from `fromStep` on. */
  runMetrics: {
    input: z
      .object({
        id: z.number().int().positive(),
        names: z.array(z.string().min(1).max(100)).max(200).optional(),
        fromStep: z.number().int().min(0).optional(),
        maxPoints: z.number().int().min(10).max(100000).optional(), // downsample long series (bucket means)
      })
      .strict(),
  },
  /** Export a figure spec as SVG/PDF/PNG (+ the spec) into the workspace's figures folder. */
  exportFigure: {
    input: z
      .object({
        spec: z.record(z.string(), z.unknown()),
        name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$/, { message: "use letters, digits, '.', '_' and '-'" }),
        formats: z.array(z.enum(['svg', 'pdf', 'png'])).min(1).optional(),
        dpi: z.number().int().min(36).max(2400).optional(),
      })
      .strict(),
  },
  /** Figures exported into this workspace, newest first. */
  listFigures: { input: empty },
  /** Checkpoints with stored activations (the Compare view's choices). */
  listComparable: { input: empty },
  /** Same-layer CKA / divergence of A vs B (+ a control pair's seed noise), cross-layer table, bootstrap CIs. */
  compare: {
    input: z
      .object({
        a: modelSource,
        b: modelSource,
        control: z.object({ a: modelSource, b: modelSource }).strict().optional(),
        pooling: pooling.optional(),
        debiased: z.boolean().optional(),
        cross: z.boolean().optional(),
        bootstrap: z.object({ reps: z.number().int().min(10).max(10000).optional(), seed: z.number().int().min(0).optional() }).strict().optional(),
      })
      .strict(),
  },
  /** Is a layer-similarity claim robust? A vs B (+ control pair) under several similarity measures
   *  (CKA family, Procrustes, SVCCA, PWCCA, RSA, mutual k-NN, RBF CKA) with seed-noise ratios,
   *  permutation p-values, rogue-dimension checks and the most influential probe texts. */
  agreement: {
    input: z
      .object({
        a: modelSource,
        b: modelSource,
        control: z.object({ a: modelSource, b: modelSource }).strict().optional(),
        pooling: pooling.optional(),
        params: z
          .object({
            measures: z.array(z.enum(MEASURE_NAMES)).min(1).optional(),
            knnK: z.number().int().min(1).max(1000).optional(),
            rbfFraction: z.number().positive().max(100).optional(),
            svccaShare: z.number().positive().max(1).optional(),
            permutations: z.number().int().min(0).max(10000).optional(),
            seed: z.number().int().min(0).optional(),
            rogueK: z.number().int().min(1).max(1000).optional(),
            influenceK: z.number().int().min(1).max(100).optional(),
          })
          .strict()
          .optional(),
      })
      .strict(),
  },
  /** Every checkpoint of a run against a reference checkpoint, per layer and whole model. */
  trajectory: {
    input: z.object({ runId: z.number().int().positive(), refCheckpointId: z.number().int().positive(), probeSetId: z.number().int().positive(), pooling: pooling.optional() }).strict(),
  },
  /** Per-layer linear probes (with control task and selectivity) for each label set of the probe set. */
  probe: {
    input: z.object({ checkpointId: z.number().int().positive(), probeSetId: z.number().int().positive(), pooling: pooling.optional(), labelSets: z.array(z.string().min(1)).optional() }).strict(),
  },
  /** Per-layer gradient-norm statistics of each phase of a run (the paper's dense-supervision argument). */
  gradNorms: { input: z.object({ runId: z.number().int().positive() }).strict() },
  /** Relative weight change per layer of a checkpoint against a reference checkpoint. */
  weightDrift: { input: z.object({ checkpointId: z.number().int().positive(), refCheckpointId: z.number().int().positive() }).strict() },
  /** Layer group of A put into B (the paper's transplant test): a new model, its activations and probes. */
  transplant: {
    input: z
      .object({
        a: z.number().int().positive(),
        b: z.number().int().positive(),
        group: z.enum(['low', 'mid', 'deep']),
        probeSetId: z.number().int().positive(),
        pooling: pooling.optional(),
        tokenizer: z.string().min(1).optional(), // default: B's run's tokenizer, or tokenizer.json in B's directory
      })
      .strict(),
  },
  /** The built-in demo's model, tokenizer, corpora and probe sets (for the run form's defaults). */
  demoAssets: { input: empty },
  /** Run a probe set through any ModernBERT model directory (ours or Hugging Face's) and store every
   *  layer's pooled activations, so the model can be compared with the workspace's checkpoints.
   *  Relative paths are relative to the workspace directory. */
  logActivations: {
    input: z
      .object({
        modelDir: z.string().min(1),                   // config.json + model.safetensors
        probePath: z.string().min(1),                  // JSONL ({"text": …, labels…}) or one text per line
        tokenizer: z.string().min(1).optional(),       // tokenizer.json or its directory; default: the model directory
        maxLength: z.number().int().min(2).max(8192).optional(), // truncation; default: the longest text (capped by the model)
        poolings: z.array(pooling).min(1).optional(),  // default: mean, cls, tokens
      })
      .strict(),
  },
  /** A run's event log (runner events and errors), most recent `tail` lines. */
  runLog: { input: z.object({ id: z.number().int().positive(), tail: z.number().int().min(1).max(5000).optional() }).strict() },
  /** How many runs may train at once. */
  setConcurrency: { input: z.object({ concurrency: z.number().int().min(1).max(16) }).strict() },
  /** Start the CLM-detour study (six runs, every analysis, a report) in this workspace; continues a stopped one. */
  startStudy: { input: z.object({ scale: z.enum(['tiny', 'demo']) }).strict() },
  /** The study's progress, or its results once done (the most recent study when no scale is given). */
  studyStatus: { input: z.object({ scale: z.enum(['tiny', 'demo']).optional() }).strict() },
  /** The workspace's cluster profiles (WORKSPACE/cluster-profiles.json); error: why the file cannot be used. */
  listClusterProfiles: { input: empty },
  /** Replace the cluster profiles (each checked; nothing is written when one is invalid). */
  saveClusterProfiles: { input: z.object({ profiles: z.array(z.record(z.string(), z.unknown())).max(100) }).strict() },
  /** Test a profile: connect, sinfo, its folders, a tiny probe job. */
  testClusterProfile: { input: z.object({ name: z.string().min(1).max(64) }).strict() },
  /** Submit runs (a sweep) to a cluster as one Slurm job array; they are followed like local runs. */
  submitToCluster: {
    input: z.object({
      profile: z.string().min(1).max(64),
      runs: z.array(z.object({ config: z.record(z.string(), z.unknown()), name: z.string().min(1).max(200).optional() }).strict()).min(1).max(1000),
      sweep: z.string().min(1).max(200).optional(),
    }).strict(),
  },
  /** Job id, node and queue state of every run that runs on a cluster. */
  clusterJobs: { input: empty },
  /** Fine-tune checkpoints × tasks with N seeds each (the demo recipe), in the analysis host; one sweep at a time. */
  startFinetune: {
    input: z.object({
      checkpoints: z.array(z.object({ label: z.string().min(1).max(200), modelDir: z.string().min(1) }).strict()).min(1).max(20),
      // a demo task by name, or a JSONL task file / folder (native-runner/finetune/task.ts), relative to the workspace
      tasks: z.array(z.union([z.enum(['demo:supersense', 'demo:biotag']), z.string().min(1).max(1000).refine((t) => !t.startsWith('demo:'), 'unknown demo task')])).min(1).max(10),
      seeds: z.number().int().min(1).max(10),
      epochs: z.number().int().min(1).max(20),
      maxTrain: z.number().int().min(8).nullable(),
      maxLength: z.number().int().min(8).max(512),
    }).strict(),
  },
  /** The running or last fine-tuning sweep: its jobs, live curves and scores (null before the first). */
  finetuneStatus: { input: empty },
  /** Stop the running fine-tuning sweep (finished jobs keep their results); ConflictError when none runs. */
  cancelFinetune: { input: empty },
} as const;

/** Event subscriptions: the filter is validated on the main side like any call's input. */
export const runEventFilter = z.object({ runId: z.number().int().positive().optional() }).strict();
export type RunEventFilter = z.infer<typeof runEventFilter>;

export type Method = keyof typeof contract;
export const METHODS = Object.keys(contract) as Method[];

// METHOD_NAMES (used where zod is not bundled) must list exactly the contract's entries.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _namesMatch: Same<MethodName, Method> = true;
void _namesMatch;

export type ApiInput<M extends Method> = z.input<(typeof contract)[M]['input']>;

export interface ApiOutputs {
  workspaceInfo: WorkspaceInfo;
  listRuns: RunSummary[];
  getRun: RunDetail;
  createRun: { id: number };
  updateRun: RunDetail;
  deleteRun: { removedDir: string | null; keptDir: string | null };
  runFinals: RunFinals[];
  validateRunConfig: ConfigCheck;
  cancelRun: null;
  resumeRun: null;
  runMetrics: Record<string, MetricSeries>;
  setConcurrency: { concurrency: number };
  demoAssets: DemoAssets;
  logActivations: LoggedActivations;
  exportFigure: ExportedFigure;
  listComparable: ComparableCheckpoint[];
  compare: CompareResult;
  agreement: AgreementResult;
  trajectory: TrajectoryResult;
  probe: ProbeResult;
  gradNorms: PhaseGradNorms[];
  weightDrift: DriftResult;
  transplant: TransplantResult;
  runLog: LogLine[];
  listFigures: ExportedFigure[];
  startStudy: StudyStatus;
  studyStatus: StudyStatus | null;
  listClusterProfiles: ClusterProfilesView;
  saveClusterProfiles: ClusterProfilesView;
  testClusterProfile: ProbeStep[];
  submitToCluster: { runIds: number[]; jobId: string };
  clusterJobs: ClusterJobInfo[];
  startFinetune: FinetuneStatus;
  finetuneStatus: FinetuneStatus | null;
  cancelFinetune: FinetuneStatus;
}

/** What the renderer sees, whichever transport is underneath. Methods return promises. */
export type WorkbenchApi = { [M in Method]: (input: ApiInput<M>) => Promise<ApiOutputs[M]> } & {
  /** Subscribe to run events; returns a function that unsubscribes. */
  onRunEvent(filter: RunEventFilter, listener: (event: RunEvent) => void): () => void;
};

export { ApiError } from './errors';

/** Error names a call can fail with. */
export const API_ERRORS = ['ValidationError', 'NotFoundError', 'ConflictError', 'UnknownMethodError', 'InternalError', 'Unauthorized'] as const;

/** Format a zod error as one line per problem, each naming the field path. */
export function describeZodError(method: string, err: z.ZodError): string {
  const parts = err.issues.map((i) => {
    const where = i.path.length ? i.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[') : '(payload)';
    return `${where}: ${i.message}`;
  });
  return `${method}: invalid input: ${parts.join('; ')}`;
}
