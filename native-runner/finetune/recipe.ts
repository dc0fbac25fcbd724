// Fine-tuning recipes: the paper's protocols as presets (reference/paper.md, "Fine-tuning"), plus a
// CPU-sized demo preset. One object, one comment per field; every field can be overridden.
import type { FreezeSpec } from '../train/step-api';
import type { Pooling } from './heads';

export interface FinetuneRecipe {
  lr: number;                   // peak learning rate (paper: 2e-5 French, 5e-5 English)
  warmupRatio: number;          // linear warmup over this share of all steps, then linear decay to 0
  epochs: number;               // maximum epochs
  batchSize: number;            // examples per optimizer step
  maxLength: number;            // tokens per example incl. [CLS]/[SEP] (capped at max_position_embeddings)
  weightDecay: number;          // AdamW, decoupled; not on norms or biases (HF Trainer's rule)
  beta1: number;                // 0.9 (HF Trainer default)
  beta2: number;                // 0.999 (HF Trainer default)
  eps: number;                  // 1e-8 (HF Trainer default)
  clipGradNorm: number | null;  // 1.0 (HF Trainer max_grad_norm)
  patience: number;             // early stopping: epochs without a better dev score (0 = off)
  pooling: Pooling;             // sequence tasks: classifier_pooling ("cls" as the paper's linear head on CLS)
  freeze: FreezeSpec;           // encoder parts held fixed (the classifier always trains)
  maxTrainExamples: number | null; // use at most this many training examples (a seeded sample), null = all
  threshold: number;            // multilabel: predict a label when sigmoid(logit) > threshold
  posWeight: 'none' | 'balanced'; // multilabel BCE class weights: none, or pos_weight = #neg / #pos per class (weighted BCE)
}

const NO_FREEZE: FreezeSpec = { embeddings: false, layers: [], head: false };
const HF_ADAMW = { beta1: 0.9, beta2: 0.999, eps: 1e-8, clipGradNorm: 1.0 };

export const RECIPES = {
  /** English protocol (BioClinical-ModernBERT): lr 5e-5, wd 0.01, batch 16, 10 epochs, warmup 10%. */
  'paper-en': { lr: 5e-5, warmupRatio: 0.1, epochs: 10, batchSize: 16, maxLength: 512, weightDecay: 0.01, ...HF_ADAMW, patience: 3, pooling: 'cls', freeze: NO_FREEZE, maxTrainExamples: null, threshold: 0.5, posWeight: 'none' },
  /** French classification protocol: linear head on CLS, 15 epochs, lr 2e-5, batch 4, warmup 10%. */
  'paper-fr': { lr: 2e-5, warmupRatio: 0.1, epochs: 15, batchSize: 4, maxLength: 2048, weightDecay: 0.01, ...HF_ADAMW, patience: 3, pooling: 'cls', freeze: NO_FREEZE, maxTrainExamples: null, threshold: 0.5, posWeight: 'none' },
  /** The demo encoder (D 128, 12 layers) on a CPU: short texts, few epochs, the paper's warmup and
   *  schedule; a higher lr than the paper's because the model and the step count are small. */
  demo: { lr: 1e-4, warmupRatio: 0.1, epochs: 4, batchSize: 16, maxLength: 64, weightDecay: 0.01, ...HF_ADAMW, patience: 2, pooling: 'cls', freeze: NO_FREEZE, maxTrainExamples: null, threshold: 0.5, posWeight: 'none' },
} as const satisfies Record<string, FinetuneRecipe>;

export type RecipeName = keyof typeof RECIPES;
export const RECIPE_NAMES = Object.keys(RECIPES) as RecipeName[];

export function recipe(name: string, overrides: Partial<FinetuneRecipe> = {}): FinetuneRecipe {
  const base = (RECIPES as Record<string, FinetuneRecipe>)[name];
  if (!base) throw new Error(`unknown recipe "${name}" (known: ${RECIPE_NAMES.join(', ')})`);
  const r: FinetuneRecipe = { ...base, ...overrides, freeze: { ...(overrides.freeze ?? base.freeze) } };
  validateRecipe(r);
  return r;
}

export function validateRecipe(r: FinetuneRecipe): void {
  const bad = (f: string, why: string): never => { throw new Error(`recipe.${f} ${why}`); };
  if (!(r.lr > 0 && r.lr < 1)) bad('lr', `must be in (0, 1), got ${r.lr}`);
  if (!(r.warmupRatio >= 0 && r.warmupRatio < 1)) bad('warmupRatio', `must be in [0, 1), got ${r.warmupRatio}`);
  if (!Number.isInteger(r.epochs) || r.epochs < 1) bad('epochs', `must be an integer >= 1, got ${r.epochs}`);
  if (!Number.isInteger(r.batchSize) || r.batchSize < 1) bad('batchSize', `must be an integer >= 1, got ${r.batchSize}`);
  if (!Number.isInteger(r.maxLength) || r.maxLength < 4) bad('maxLength', `must be an integer >= 4, got ${r.maxLength}`);
  if (!(r.weightDecay >= 0)) bad('weightDecay', `must be >= 0, got ${r.weightDecay}`);
  if (!Number.isInteger(r.patience) || r.patience < 0) bad('patience', `must be an integer >= 0, got ${r.patience}`);
  if (r.pooling !== 'cls' && r.pooling !== 'mean') bad('pooling', `must be "cls" or "mean", got ${String(r.pooling)}`);
  if (r.maxTrainExamples !== null && !(Number.isInteger(r.maxTrainExamples) && r.maxTrainExamples >= 1)) bad('maxTrainExamples', `must be null or an integer >= 1, got ${r.maxTrainExamples}`);
  if (r.posWeight !== 'none' && r.posWeight !== 'balanced') bad('posWeight', `must be "none" or "balanced", got ${String(r.posWeight)}`);
  if (!(r.threshold > 0 && r.threshold < 1)) bad('threshold', `must be in (0, 1), got ${r.threshold}`);
}

/** HF get_linear_schedule_with_warmup, shifted by one step: lr·(s+1)/w during warmup (HF's first
 *  update uses lr·0/w = 0, a wasted step), then lr·(n-s)/(n-w); s = 0-based step, n = total steps. */
export function linearWarmupDecay(lr: number, step: number, total: number, warmupSteps: number): number {
  if (step < warmupSteps) return (lr * (step + 1)) / warmupSteps;
  return lr * Math.max(0, (total - step) / Math.max(1, total - warmupSteps));
}
