// Fine-tuning graphs for one (task kind, pooling, labels, freeze pattern, B, T):
//   train: inputs input_ids, attention_mask [B, T] int64; the task's targets (below); every parameter
//          (HF names: classifierParamSpecs). Outputs loss [], grad_sq [] (Σ‖g‖² for clipping) and
//          grad.<name> per trainable parameter; AdamW runs on the host (train/adamw-host.ts), as the
//          pretraining runner's CPU form does.
//   eval:  the same inputs without targets; output logits ([B, C] or [B·T, C]).
// Targets: single-label labels [B] int64 (-100 = padding row); multilabel targets [B, C] float,
// row_mask [B] float, pos_weight [C] float; tagging labels [B, T] int64 (-100 = no tag).
// Freezing is the pretraining FreezeSpec (embeddings / layers / head = final_norm + head.dense/norm);
// the classifier itself is always trained. Frozen parameters are inputs without requiresGrad, so
// autodiff emits no weight-gradient work for them and backprop stops below the lowest trainable layer.
import { gradients } from '../graph/autodiff';
import { Graph, type FloatDType, type Value } from '../graph/builder';
import * as R from '../graph/raw';
import type { ModernBertConfig } from '../model/config';
import { isFrozen, validateFreeze } from '../train/freeze';
import type { FreezeSpec } from '../train/step-api';
import { classifierForward, classifierLoss, classifierParamSpecs, isClassifier, type LossInputs, type Pooling } from './heads';
import type { ParamSpec } from '../model/params';

export type TaskKind = 'single' | 'multi' | 'token';

export interface FinetuneGraphOptions {
  kind: TaskKind;
  numLabels: number;
  pooling: Pooling;             // sequence tasks; ignored for 'token'
  batchSize: number;
  seqLen: number;
  freeze: FreezeSpec;
  dtype?: FloatDType;           // float32 default; float64 for gradient checks
}

export interface FinetuneGraph {
  graph: Graph;
  specs: ParamSpec[];
  trainable: ParamSpec[];
}

export const gradOutput = (name: string) => `grad.${name}`;

export const isTrainable = (s: ParamSpec, f: FreezeSpec): boolean => isClassifier(s) || !isFrozen(s, f);

function lossInputs(g: Graph, o: FinetuneGraphOptions): LossInputs {
  const { batchSize: B, seqLen: T, numLabels: C } = o;
  if (o.kind === 'single') return { kind: 'single', labels: g.input('labels', 'int64', [B]) };
  if (o.kind === 'token') return { kind: 'token', labels: R.reshape(g, g.input('labels', 'int64', [B, T]), [B * T]) };
  return { kind: 'multi', targets: g.input('targets', g.float, [B, C]), rowMask: g.input('row_mask', g.float, [B]), posWeight: g.input('pos_weight', g.float, [C]) };
}

function check(cfg: ModernBertConfig, o: FinetuneGraphOptions): void {
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${o.batchSize}`);
  if (!Number.isInteger(o.seqLen) || o.seqLen < 2) throw new Error(`seqLen must be an integer >= 2, got ${o.seqLen}`);
  if (o.seqLen > cfg.max_position_embeddings) throw new Error(`seqLen ${o.seqLen} exceeds max_position_embeddings ${cfg.max_position_embeddings}`);
  if (o.pooling !== 'cls' && o.pooling !== 'mean') throw new Error(`pooling must be "cls" or "mean", got ${String(o.pooling)}`);
  validateFreeze(cfg, o.freeze);
}

/** Parameters as graph inputs; trainable ones require grad. */
function paramInputs(g: Graph, specs: ParamSpec[], freeze: FreezeSpec | null): Map<string, Value> {
  return new Map(specs.map((s) => [s.name, g.input(s.name, g.float, s.shape, freeze !== null && isTrainable(s, freeze))]));
}

export function buildFinetuneTrainGraph(cfg: ModernBertConfig, o: FinetuneGraphOptions): FinetuneGraph {
  check(cfg, o);
  const g = new Graph(o.dtype ?? 'float32', `finetune_${o.kind}_train`);
  const inputIds = g.input('input_ids', 'int64', [o.batchSize, o.seqLen]);
  const attentionMask = g.input('attention_mask', 'int64', [o.batchSize, o.seqLen]);
  const loss_ = lossInputs(g, o);
  const specs = classifierParamSpecs(cfg, o.numLabels);
  const params = paramInputs(g, specs, o.freeze);
  const { logits } = classifierForward(g, cfg, params, { inputIds, attentionMask }, o.kind === 'token' ? 'token' : 'sequence', o.pooling);
  const loss = classifierLoss(g, logits, loss_);
  const trainable = specs.filter((s) => isTrainable(s, o.freeze));
  const grads = gradients(g, loss, trainable.map((s) => params.get(s.name)!));
  const sq: Value[] = [];
  g.output(loss, 'loss');
  for (const s of trainable) {
    const d = grads.get(s.name);
    if (!d) throw new Error(`parameter ${s.name} does not affect the loss; it cannot be trained`);
    sq.push(R.reduce('ReduceSumSquare', g, d, d.shape.map((_, i) => i), false));
    g.output(d, gradOutput(s.name));
  }
  g.output(R.sum(g, sq), 'grad_sq');
  return { graph: g, specs, trainable };
}

export function buildFinetuneEvalGraph(cfg: ModernBertConfig, o: Omit<FinetuneGraphOptions, 'freeze'>): FinetuneGraph {
  check(cfg, { ...o, freeze: { embeddings: false, layers: [], head: false } });
  const g = new Graph(o.dtype ?? 'float32', `finetune_${o.kind}_eval`);
  const inputIds = g.input('input_ids', 'int64', [o.batchSize, o.seqLen]);
  const attentionMask = g.input('attention_mask', 'int64', [o.batchSize, o.seqLen]);
  const specs = classifierParamSpecs(cfg, o.numLabels);
  const params = paramInputs(g, specs, null);
  const { logits } = classifierForward(g, cfg, params, { inputIds, attentionMask }, o.kind === 'token' ? 'token' : 'sequence', o.pooling);
  g.output(logits, 'logits');
  return { graph: g, specs, trainable: [] };
}
