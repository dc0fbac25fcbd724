// Fine-tuning heads on the ModernBERT encoder, as HF transformers' ModernBertForSequenceClassification
// and ModernBertForTokenClassification (modeling_modernbert.py), with HF parameter names verbatim:
//   model.*                  the encoder (modernbert.ts, stopped after final_norm)
//   head.dense.weight [D, D] ModernBertPredictionHead: norm(act(dense(x))), no bias (classifier_bias
//   head.norm.weight  [D]    false), act = classifier_activation (gelu, exact erf form)
//   classifier.weight [C, D], classifier.bias [C]   nn.Linear(hidden_size, num_labels)
// Sequence classification pools last_hidden_state first (classifier_pooling): "cls" = row 0 of each
// sequence, "mean" = Σ_t mask·h / Σ_t mask. Token classification runs the head on every position.
// Dropout is 0 (classifier_dropout), so training and evaluation graphs are the same maths.
import type { Graph, Value } from '../graph/builder';
import * as ops from '../graph/index';
import * as R from '../graph/raw';
import type { ModernBertConfig } from '../model/config';
import { modernBertForward, type ModelInputs } from '../model/modernbert';
import { parameterSpecs, type ParamSpec } from '../model/params';

export type Pooling = 'cls' | 'mean';
export type HeadKind = 'sequence' | 'token';

/** The parameters of a classification model: the encoder's and the MLM head's dense/norm (HF loads
 *  them into the classification head from an MLM checkpoint: same names), decoder.bias dropped,
 *  classifier.weight / classifier.bias added (group 'head', never frozen: see isClassifier). */
export function classifierParamSpecs(cfg: ModernBertConfig, numLabels: number): ParamSpec[] {
  if (!Number.isInteger(numLabels) || numLabels < 1) throw new Error(`numLabels must be a positive integer, got ${numLabels}`);
  const D = cfg.hidden_size;
  return [
    ...parameterSpecs(cfg).filter((s) => s.name !== 'decoder.bias'),
    // HF _init_weights: classifier ~ truncated normal with std hidden_size^-0.5 ("final_out"), bias 0
    { name: 'classifier.weight', shape: [numLabels, D], group: 'head', layer: -1, decay: true, initStd: D ** -0.5 },
    { name: 'classifier.bias', shape: [numLabels], group: 'head', layer: -1, decay: false, initStd: 0 },
  ];
}

export const isClassifier = (s: ParamSpec): boolean => s.name.startsWith('classifier.');

/** head.dense → gelu → head.norm → classifier on rows x [N, D] -> logits [N, C]. */
export function classificationHead(g: Graph, cfg: ModernBertConfig, p: (name: string) => Value, x: Value): Value {
  const h = ops.layerNorm(g, ops.gelu(g, ops.linear(g, x, p('head.dense.weight'))), p('head.norm.weight'), cfg.norm_eps); // [N, D]
  return ops.linear(g, h, p('classifier.weight'), p('classifier.bias'));                                               // [N, C]
}

/** Pool last_hidden_state [B·T, D] to [B, D] as HF's classifier_pooling. */
export function poolSequence(g: Graph, last: Value, attentionMask: Value, pooling: Pooling): Value {
  const [B, T] = attentionMask.shape;
  const D = last.shape[1];
  if (pooling === 'cls') {
    const rows = g.constant(BigInt64Array.from({ length: B }, (_, b) => BigInt(b * T)), [B], 'int64');           // [B]
    return ops.gatherRows(g, last, rows);                                                                           // [B, D]
  }
  // mean: weights mask / Σ mask as a [B, 1, T] row per sequence, times h [B, T, D] (one batched MatMul)
  const m = R.cast(g, attentionMask, g.float);                                                                      // [B, T]
  const w = R.div(g, m, R.max(g, R.reduceSum(g, m, [1], true), g.scalar(1)));                                       // [B, T]
  const pooled = ops.matmul(g, R.reshape(g, w, [B, 1, T]), ops.reshape(g, last, [B, T, D]));                        // [B, 1, D]
  return ops.reshape(g, pooled, [B, D]);                                                                            // [B, D]
}

export interface ClassifierForward {
  logits: Value;            // sequence: [B, C]; token: [B·T, C]
  lastHiddenState: Value;   // [B·T, D] after final_norm
}

export function classifierForward(g: Graph, cfg: ModernBertConfig, params: ReadonlyMap<string, Value>, inputs: ModelInputs,
  kind: HeadKind, pooling: Pooling): ClassifierForward {
  const p = (name: string): Value => {
    const v = params.get(name);
    if (!v) throw new Error(`classifierForward: missing parameter ${name}`);
    return v;
  };
  const f = modernBertForward(g, cfg, params, inputs, { causal: false, withHead: false });
  const rows = kind === 'sequence' ? poolSequence(g, f.lastHiddenState, inputs.attentionMask, pooling) : f.lastHiddenState;
  return { logits: classificationHead(g, cfg, p, rows), lastHiddenState: f.lastHiddenState };
}

/** The task's loss. single: labels [B] int64 (-100 = batch padding). multi: targets [B, C] float 0/1,
 *  rowMask [B] float, posWeight [C] float. token: labels [B·T] int64, -100 on positions without a tag
 *  (special tokens, non-first subwords, padding). */
export type LossInputs =
  | { kind: 'single'; labels: Value }
  | { kind: 'multi'; targets: Value; rowMask: Value; posWeight: Value }
  | { kind: 'token'; labels: Value };

export function classifierLoss(g: Graph, logits: Value, l: LossInputs): Value {
  if (l.kind === 'multi') return ops.bceWithLogits(g, logits, l.targets, l.rowMask, l.posWeight);
  return ops.crossEntropy(g, logits, l.labels).loss;
}
