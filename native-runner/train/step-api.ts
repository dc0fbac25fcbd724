// The seam between the training loop (loop.ts, cli.ts) and the compiled train-step graphs
// (train-step.ts) and between the loop and the data pipeline (data/). Both sides code against these
// interfaces so they can be built and tested independently.

/** One batch, already prepared on the CPU: MLM masking / CLM shifting happen in data/masking.ts. */
export interface Batch {
  batchSize: number;            // B
  seqLen: number;               // T
  inputIds: BigInt64Array;      // [B, T] token ids fed to the model (MLM: after 80/10/10 replacement)
  attentionMask: BigInt64Array; // [B, T] 1 = real token, 0 = padding
  labels: BigInt64Array;        // [B, T] target id per position, -100 = no loss (HF ignore_index)
}

export type Objective = 'mlm' | 'clm';

/** Which parameters receive updates. Tied decoder weight = tok_embeddings, so it follows `embeddings`. */
export interface FreezeSpec {
  embeddings: boolean;          // model.embeddings.* frozen
  layers: number[];             // indices i whose model.layers.{i}.* are frozen
  head: boolean;                // model.final_norm, head.*, decoder.bias frozen
}

export interface AdamWHyper {
  beta1: number;                // 0.9
  beta2: number;                // 0.98
  eps: number;                  // 1e-6
  weightDecay: number;          // 1e-5, decoupled; never on norms or biases
  clipGradNorm: number | null;  // global L2 clip before the update (null = off)
}

export interface StepResult {
  loss: number;                 // mean cross-entropy over positions with label != -100
  gradNorm: number;             // global L2 norm of the trainable gradients, before clipping
  layerGradNorms: number[];     // [embeddings, layer 0 .. layer L-1, head]; 0 for frozen groups
  tokens: number;               // positions that carried a loss
}

/** Full optimizer state: parameters and AdamW moments, keyed by HF state-dict names. */
export interface TrainState {
  params: Map<string, Float32Array>;
  expAvg: Map<string, Float32Array>;     // AdamW first moment
  expAvgSq: Map<string, Float32Array>;   // AdamW second moment
  adamStep: number;                      // number of optimizer updates applied so far (bias correction)
}

/** A compiled train step for one (objective, freeze pattern, B, T). */
export interface TrainStepRunner {
  readonly objective: Objective;
  readonly freeze: FreezeSpec;
  /** Optimizer steps one session run does at most (1, or K of a K-step Scan graph). */
  readonly stepsPerCall: number;
  /** Apply one AdamW update in place on the shared state; frozen tensors are left bit-identical. */
  step(batch: Batch, lr: number): Promise<StepResult>;
  /** Apply batches.length (≤ stepsPerCall) updates in order, lrs[i] for batches[i], in one run
   *  where the graph allows (the same results as that many step() calls, to float rounding). */
  stepMany(batches: Batch[], lrs: number[]): Promise<StepResult[]>;
  /** Bytes of tensor data fed to and fetched from the session by the last step/stepMany call. */
  readonly lastCallBytes: number;
  /** Milliseconds the last step/stepMany call spent on the host after the session run (the host
   *  AdamW and freeing the gradients; 0 where AdamW runs in the graph). */
  readonly lastHostMs: number;
  release(): Promise<void>;
}

/** Deterministic batch stream whose position can be saved and restored (resume = same batches). */
export interface BatchSource<Cursor = unknown> {
  next(): Batch;
  cursor(): Cursor;             // JSON-serialisable
  seek(cursor: Cursor): void;
}
