// Shapes of the fine-tuning sweep behind the typed API (startFinetune / finetuneStatus): checkpoints ×
// tasks as a queue of jobs, each run with N seeds by native-runner/finetune in the analysis host.

export interface FinetuneCheckpoint { label: string; modelDir: string }

export interface FinetuneSweepRequest {
  checkpoints: FinetuneCheckpoint[];
  tasks: string[];             // demo:supersense, demo:biotag
  seeds: number;
  epochs: number;
  maxTrain: number | null;     // training examples per job (a fixed subset), null = all
  maxLength: number;
}

export interface FinetuneJobState {
  index: number;
  checkpoint: string;          // label
  modelDir: string;
  task: string;
  metric: string;              // the task's primary metric (accuracy, entityF1)
  status: 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
  seedsDone: number;
  perSeed: number[];           // test score per finished seed
  mean: number | null;
  sd: number | null;
  resultsFile: string | null;
}

export interface FinetuneStatus {
  stage: 'running' | 'done' | 'failed' | 'cancelled';
  startedAt: string;
  request: FinetuneSweepRequest;
  jobs: FinetuneJobState[];
  /** The running (or last) job's training loss per step, and its dev score per epoch: the live curves. */
  curve: { job: number; seed: number; step: number; loss: number }[];
  dev: { job: number; seed: number; epoch: number; score: number }[];
  message: string;
  error: string | null;
}

/** Progress the analysis host reports while a sweep runs. */
export type FinetuneSweepProgress =
  | { type: 'job'; index: number; status: 'running' | 'done'; perSeed: number[]; mean: number | null; sd: number | null; metric: string; resultsFile: string | null }
  | { type: 'step'; index: number; seed: number; step: number; totalSteps: number; loss: number }
  | { type: 'epoch'; index: number; seed: number; epoch: number; score: number }
  | { type: 'seed'; index: number; seed: number; score: number };
