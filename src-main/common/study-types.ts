// The CLM-detour study as the API shows it: its progress while it runs and a summary of its results
// (tables and figure specs) when done. Plain JSON; shared by src-main/study and the renderer.
import type { FigureSpecInput } from './charts/spec';
import type { RunStatus } from './types';

export type StudyScaleName = 'tiny' | 'demo';
export type StudyStage = 'preparing' | 'training' | 'analysing' | 'reporting' | 'done' | 'failed';

export interface StudyRunState {
  key: string;                 // mlm-s1, mlm-s2, clm, clm-freeze-low, clm-freeze-mid, clm-decay-freeze-low
  label: string;
  runId: number | null;        // null until queued
  status: RunStatus | 'pending';
  step: number;
  totalSteps: number;
  reused: boolean;             // finished by an earlier invocation of the study
}

/** One row of the low / mid / deep table: means over the region's transformer layers. */
export interface StudyRegionRow { region: string; layers: number[]; clmVsMlm: number | null; seedNoise: number | null; ratio: number | null }

/** Downstream score of one condition: held-out probe accuracy (mean over probe splits). */
export interface StudyScoreRow {
  key: string;
  label: string;
  scores: number[];            // one per probe split seed
  mean: number;
  deltaVsMlm: number | null;   // mean − the MLM baseline's mean
  divergenceVsMlm: { low: number | null; mid: number | null; deep: number | null; all: number | null } | null; // regions of 1 − CKA vs the MLM baseline
}

export interface StudyTransplantRow { group: string; layers: number[]; mean: number; scores: number[]; recovery: number | null }

export interface StudyFigure { name: string; title: string; caption: string; spec: FigureSpecInput }

/** One condition's fine-tuning score (study finetune stage): per seed, mean ± sd, and the paired
 *  bootstrap against the MLM baseline (null for the baseline itself). */
export interface StudyFinetuneRow {
  key: string;
  label: string;
  perSeed: number[];
  mean: number;
  sd: number;
  macroF1: number | null;
  deltaVsMlm: number;
  test: { delta: number; ci: [number, number]; pOneSided: number; pTwoSided: number; replicates: number } | null;
  marker: string;              // ** p < 0.01, * p < 0.05 (one-sided, condition > MLM)
}

export interface StudyFinetune {
  task: string;                // demo:supersense
  metric: string;              // accuracy
  seeds: number;
  examples: number;            // test examples
  sizes: { train: number; dev: number; test: number };
  recipe: { lr: number; epochs: number; batchSize: number; maxLength: number; warmupRatio: number; weightDecay: number; pooling: string };
  majority: { label: string; accuracy: number } | null;
  rows: StudyFinetuneRow[];
  sentence: string;            // does the paper's freeze pattern appear (with the paired tests)
}

export interface StudySummary {
  layers: number;              // transformer layers of the model
  scoreTask: string;           // e.g. "supersense probe accuracy, last layer"
  regions: StudyRegionRow[];
  scores: StudyScoreRow[];
  transplant: { mlm: number; clm: number; rows: StudyTransplantRow[] };
  lowLayerEffect: string;      // one sentence: does the paper's low-layer pattern appear here?
  figures: StudyFigure[];
  finetune?: StudyFinetune;    // fine-tuning scores per condition with the paired test (absent in older studies)
}

export interface StudyStatus {
  scale: StudyScaleName;
  outDir: string;
  reportDir: string;
  stage: StudyStage;
  message: string;             // what it is doing now
  startedAt: string;           // ISO
  elapsedS: number;
  etaS: number | null;         // whole study, training at the measured rate plus the analyses
  stepsDone: number;
  stepsTotal: number;
  runs: StudyRunState[];
  error: string | null;
  report: { html: string; pdf: string; downloadPath: string | null } | null; // downloadPath: serve mode URL path
  summary: StudySummary | null;
}
