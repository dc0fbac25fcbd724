// Data shapes that cross the typed API (main <-> renderer). Plain JSON only: no Dates, no Maps.

export const RUN_STATUSES = ['queued', 'running', 'finished', 'failed', 'diverged', 'cancelled', 'interrupted'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export interface RunSummary {
  id: number;
  name: string;
  status: RunStatus;
  createdAt: string;          // ISO 8601, UTC
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  totalSteps: number | null;
  lastStep: number | null;    // last optimizer step the run reported
  sweep: string | null;       // the sweep it was launched with (New run form), null: launched alone
  tags: string[];
  notes: string;
  archived: boolean;          // hidden from the Runs page unless "show archived"
}

/** A run's end-of-training numbers, one row of a sweep's final-metrics table. */
export interface RunFinals {
  id: number;
  name: string;
  sweep: string | null;
  status: RunStatus;
  /** Mean loss over the last FINAL_LOSS_WINDOW logged steps of each phase (null: the phase did not run). */
  phaseLoss: { phase: string; loss: number | null }[];
  heldOutLoss: number | null; // last value of a held-out / eval loss metric, when the run logs one
  lastStep: number | null;
  tokens: number | null;      // input positions seen: last step × batch size × sequence length
  wallS: number | null;       // finished − started, seconds
}

export interface PhaseInfo {
  idx: number;
  name: string;
  objective: 'mlm' | 'clm';
  firstStep: number | null;
  lastStep: number | null;
}

export interface CheckpointInfo {
  id: number;
  step: number | null;
  phase: string | null;
  path: string;
  sha256: string;
  createdAt: string;
}

export interface RunDetail extends RunSummary {
  config: unknown;            // the run-config JSON as validated by native-runner/protocol.ts
  outDir: string | null;
  phases: PhaseInfo[];
  checkpoints: CheckpointInfo[];
}

/** The built-in demo's files (absolute paths), null where not built yet. */
export interface DemoAssets {
  baseModel: string | null;   // fixtures/demo-base: a pretrained 12-layer ModernBERT (general text)
  tokenizer: string | null;   // fixtures/demo-tokenizer
  corpora: { general: string | null; biomedical: string | null };
  probeSets: { name: string; path: string }[];
  buildCommand: string;       // what builds the missing corpora and probe sets
}

export interface ExportedFigure {
  name: string;
  spec: string;                                           // path of <name>.spec.json
  files: { svg?: string; pdf?: string; png?: string };    // absolute paths
  modifiedAt: string;                                     // ISO 8601
  specData?: unknown;                                     // the spec itself (listFigures), to redraw it
}

export interface LogLine {
  t: string | null;           // ISO time of the event; null for stderr lines
  level: 'info' | 'warning' | 'error';
  text: string;
}

export interface MetricSeries {
  steps: number[];
  values: (number | null)[];
}

export interface ConfigCheck {
  ok: boolean;
  errors: string[];           // "field.path: message", one per problem
  totalSteps: number | null;
}

export interface WorkspaceInfo {
  mode: 'desktop' | 'serve';
  workspaceDir: string;
  dbPath: string;
  schemaVersion: number;
  appVersion: string;
  versions: { node: string; electron: string | null; onnxruntime: string; sqlite: string };
  runCount: number;
  concurrency: number;        // runs that may train at once
}

/** Events pushed from main to the renderer (IPC event or WebSocket message). */
export type RunEvent =
  | { type: 'run-created'; run: RunSummary }
  | { type: 'run-status'; runId: number; status: RunStatus; error: string | null }
  | { type: 'run-progress'; runId: number; step: number; totalSteps: number | null; phase: string; loss: number; lr: number; gradNorm: number; tokensPerS: number; etaS: number | null }
  | { type: 'run-checkpoint'; runId: number; step: number; path: string }
  | { type: 'run-log'; runId: number; level: 'info' | 'warning' | 'error'; message: string };

/** Errors cross process boundaries as plain {name, message}. */
export interface ApiErrorShape {
  name: string;
  message: string;
}
