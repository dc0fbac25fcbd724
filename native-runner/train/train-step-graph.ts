// The train-step graph: forward + loss, reverse-mode gradients of the trainable parameters only,
// global and per-group gradient norms, clipping and AdamW, in one ONNX graph.
//   inputs : input_ids, attention_mask, labels [B, T] int64 (sparse prediction instead: loss_positions,
//            loss_labels [K] int64); lr, step [] float;
//            every parameter (HF name, read by forward/backward); per trainable segment (packing.ts):
//            segment.<key> (the same parameters as one flat tensor), exp_avg.<key>, exp_avg_sq.<key>
//   outputs: loss, tokens, grad_norm [], layer_grad_norms [L+2] (embeddings, layers, head; 0 if frozen),
//            new.<key>, new_exp_avg.<key>, new_exp_avg_sq.<key> per trainable segment
// AdamW runs once per flat segment (its gradients concatenated), not once per parameter.
// Every update depends on the global gradient norm (through the clip coefficient), so all reads of
// a parameter by the forward/backward pass happen before its update is written: the runner may
// bind the update outputs to the very buffers it feeds as inputs (in-place, no copies).
import { gradients } from '../graph/autodiff';
import { Graph, type FloatDType, type Value } from '../graph/builder';
import * as R from '../graph/raw';
import type { ModernBertConfig } from '../model/config';
import { parameterSpecs, type ParamSpec } from '../model/params';
import { adamwScalars, adamwUpdate } from './adamw';
import { isFrozen, validateFreeze } from './freeze';
import { segmentsOf, type Segment } from './packing';
import { objectiveLoss } from './objectives';
import type { AdamWHyper, FreezeSpec, Objective } from './step-api';

export interface TrainStepGraphOptions {
  objective: Objective;
  freeze: FreezeSpec;
  batchSize: number;
  seqLen: number;
  hyper: AdamWHyper;
  dtype?: FloatDType;            // float32 for training; float64 for exactness tests
  lossRows?: number;             // sparse prediction: head/decoder on K gathered rows (inputs
                                 // loss_positions/loss_labels [K] replace labels); dense when absent
}

export interface TrainStepGraph {
  graph: Graph;
  trainable: ParamSpec[];        // parameters that are updated
  frozen: ParamSpec[];
  segments: Segment[];           // trainable segments, whose flat params/moments are inputs and outputs
}

export const segmentName = (key: string) => `segment.${key}`;
export const expAvgName = (key: string) => `exp_avg.${key}`;
export const expAvgSqName = (key: string) => `exp_avg_sq.${key}`;
export const newName = (key: string) => `new.${key}`;
export const newExpAvgName = (key: string) => `new_exp_avg.${key}`;
export const newExpAvgSqName = (key: string) => `new_exp_avg_sq.${key}`;

export function validateHyper(h: AdamWHyper): void {
  const bad = (field: string, why: string) => { throw new Error(`AdamW hyperparameter ${field} ${why}`); };
  if (!(h.beta1 >= 0 && h.beta1 < 1)) bad('beta1', `must be in [0, 1), got ${h.beta1}`);
  if (!(h.beta2 >= 0 && h.beta2 < 1)) bad('beta2', `must be in [0, 1), got ${h.beta2}`);
  if (!(h.eps > 0)) bad('eps', `must be > 0, got ${h.eps}`);
  if (!(h.weightDecay >= 0)) bad('weightDecay', `must be >= 0, got ${h.weightDecay}`);
  if (h.clipGradNorm !== null && !(h.clipGradNorm > 0)) bad('clipGradNorm', `must be > 0 or null, got ${h.clipGradNorm}`);
}

export function buildTrainStepGraph(cfg: ModernBertConfig, o: TrainStepGraphOptions): TrainStepGraph {
  const dtype = o.dtype ?? 'float32';
  const { batchSize: B, seqLen: T } = o;
  if (!Number.isInteger(B) || B < 1) throw new Error(`batchSize must be a positive integer, got ${B}`);
  if (!Number.isInteger(T) || T < 1) throw new Error(`seqLen must be a positive integer, got ${T}`);
  if (T > cfg.max_position_embeddings) throw new Error(`seqLen ${T} exceeds max_position_embeddings ${cfg.max_position_embeddings}`);
  validateFreeze(cfg, o.freeze);
  validateHyper(o.hyper);
  const specs = parameterSpecs(cfg);
  const trainable = specs.filter((s) => !isFrozen(s, o.freeze));
  if (trainable.length === 0) throw new Error('freeze spec leaves no trainable parameter');

  const g = new Graph(dtype, `train_step_${o.objective}`);
  const inputIds = g.input('input_ids', 'int64', [B, T]);
  const attentionMask = g.input('attention_mask', 'int64', [B, T]);
  const K = o.lossRows;
  if (K !== undefined && (!Number.isInteger(K) || K < 1 || K > B * T)) throw new Error(`lossRows must be an integer in [1, ${B * T}], got ${K}`);
  const labels = K === undefined ? g.input('labels', 'int64', [B, T]) : null;
  const sparse = K === undefined ? undefined : { positions: g.input('loss_positions', 'int64', [K]), labels: g.input('loss_labels', 'int64', [K]) };
  const lr = g.input('lr', dtype, []);
  const step = g.input('step', dtype, []);
  const params = new Map<string, Value>();
  for (const s of specs) params.set(s.name, g.input(s.name, dtype, s.shape, !isFrozen(s, o.freeze)));
  const { loss, count } = objectiveLoss(g, cfg, params, { inputIds, attentionMask, labels: labels ?? undefined }, o.objective, sparse);
  g.output(loss, 'loss');
  g.output(count, 'tokens');
  const grads = gradients(g, loss, trainable.map((s) => params.get(s.name)!));

  // trainable segments: a group is frozen or trainable as a whole, so a segment is too
  const segments = segmentsOf(cfg).filter((seg) => !isFrozen(seg.specs[0], o.freeze));
  const L = cfg.num_hidden_layers;
  const slotParts: Value[][] = Array.from({ length: L + 2 }, () => []);
  const flatGrads = segments.map((seg) => {
    const parts = seg.specs.map((s) => {
      const d = grads.get(s.name);
      if (!d) throw new Error(`parameter ${s.name} does not affect the loss; it cannot be trained`);
      return R.reshape(g, d, [d.shape.reduce((a, b) => a * b, 1)]);
    });
    const flat = parts.length === 1 ? parts[0] : R.concat(g, parts, 0);                      // [n]
    slotParts[seg.slot].push(R.reduce('ReduceSumSquare', g, flat, [0], false));
    return flat;
  });
  const slotSq = slotParts.map((parts) => (parts.length ? R.sum(g, parts) : g.scalar(0)));
  const totalSq = R.sum(g, slotSq.filter((_, i) => slotParts[i].length > 0));
  g.output(R.sqrt(g, R.concat(g, slotSq.map((v) => R.reshape(g, v, [1])), 0)), 'layer_grad_norms');

  const { scalars, gradNorm } = adamwScalars(g, o.hyper, lr, step, totalSq);
  g.output(gradNorm, 'grad_norm');
  segments.forEach((seg, i) => {
    const p = g.input(segmentName(seg.key), dtype, [seg.length]);
    const m = g.input(expAvgName(seg.key), dtype, [seg.length]);
    const v = g.input(expAvgSqName(seg.key), dtype, [seg.length]);
    const [p2, m2, v2] = adamwUpdate(g, scalars, p, flatGrads[i], m, v, seg.decay);
    g.output(p2, newName(seg.key));
    g.output(m2, newExpAvgName(seg.key));
    g.output(v2, newExpAvgSqName(seg.key));
  });
  return { graph: g, trainable, frozen: specs.filter((s) => isFrozen(s, o.freeze)), segments };
}
