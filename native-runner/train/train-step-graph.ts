// The train-step graphs: forward + loss, reverse-mode gradients of the trainable parameters only,
// global and per-group gradient norms, and (where the optimizer lives in the graph) clipping + AdamW.
// Three forms share one core (stepCore below):
//   one step, AdamW in the graph ('graph'):
//     inputs : input_ids, attention_mask, labels [B, T] int64 (sparse prediction instead: loss_positions,
//              loss_labels [R] int64); lr, step [] float; every parameter (HF name, read by
//              forward/backward); per trainable segment (packing.ts): segment.<key> (the same
//              parameters as one flat tensor), exp_avg.<key>, exp_avg_sq.<key>
//     outputs: loss, tokens, grad_norm [], layer_grad_norms [L+2] (embeddings, layers, head; 0 if
//              frozen), new.<key>, new_exp_avg.<key>, new_exp_avg_sq.<key> per trainable segment
//   one step, AdamW on the host ('host'): the same batch inputs and parameters, no lr/step/moments;
//     outputs loss, tokens, layer_grad_norms, grad_sq [] (Σ‖g‖², what clipping needs) and
//     grad.<name> per trainable parameter. onnxruntime-node copies every output into a fresh
//     ArrayBuffer after the run, so a graph that returns parameters and both moments pays a copy
//     of the whole optimizer state per step (1.8 GB for ModernBERT-base); gradients are a third of
//     that, and adamw-host.ts applies AdamW in one pass over the state (docs/benchmarks.md).
//   K steps per run (buildScanTrainStepGraph): an ONNX Scan whose body is the 'graph' form, with the
//     trainable segments and their moments as loop state and [K, ...] batches, lr and step as scan
//     inputs; per-step loss, tokens, grad_norm, layer_grad_norms come out stacked [K]. On a GPU the
//     state then crosses the bus once per K steps instead of every step.
// Frozen parameters are graph inputs, or initializers when their values are given (`frozenValues`):
// baked into the model, they are uploaded to a device once instead of with every run.
// AdamW runs once per flat segment (its gradients concatenated), not once per parameter. Every update
// depends on the global gradient norm (through the clip coefficient), so all reads of a parameter by
// the forward/backward pass happen before its update is written: the runner may bind the update
// outputs to the very buffers it feeds as inputs (in place, no copies).
import { gradients } from '../graph/autodiff';
import { attr, Graph, type FloatDType, type Value } from '../graph/builder';
import * as R from '../graph/raw';
import type { ModernBertConfig } from '../model/config';
import { normSlot, parameterSpecs, type ParamSpec } from '../model/params';
import { adamwScalars, adamwUpdate } from './adamw';
import { isFrozen, validateFreeze } from './freeze';
import { segmentsOf, type Segment } from './packing';
import { objectiveLoss, type SparseTargets } from './objectives';
import type { AdamWHyper, FreezeSpec, Objective } from './step-api';

/** Where AdamW runs: in the graph (state in, state out), or on the host after a gradients-only graph. */
export type OptimizerPlace = 'graph' | 'host';

export interface TrainStepGraphOptions {
  objective: Objective;
  freeze: FreezeSpec;
  batchSize: number;
  seqLen: number;
  hyper: AdamWHyper;
  dtype?: FloatDType;            // float32 for training; float64 for exactness tests
  lossRows?: number;             // sparse prediction: head/decoder on R gathered rows (inputs
                                 // loss_positions/loss_labels [R] replace labels); dense when absent
  optimizer?: OptimizerPlace;    // default 'graph' (buildScanTrainStepGraph: always 'graph')
  /** Frozen parameters' values: baked in as initializers instead of graph inputs. */
  frozenValues?: ReadonlyMap<string, Float32Array | Float64Array>;
}

export interface TrainStepGraph {
  graph: Graph;
  trainable: ParamSpec[];        // parameters that are updated
  frozen: ParamSpec[];
  segments: Segment[];           // trainable segments, whose flat params/moments are inputs and outputs ('graph')
  optimizer: OptimizerPlace;
}

export const segmentName = (key: string) => `segment.${key}`;
export const expAvgName = (key: string) => `exp_avg.${key}`;
export const expAvgSqName = (key: string) => `exp_avg_sq.${key}`;
export const newName = (key: string) => `new.${key}`;
export const newExpAvgName = (key: string) => `new_exp_avg.${key}`;
export const newExpAvgSqName = (key: string) => `new_exp_avg_sq.${key}`;
export const gradName = (param: string) => `grad.${param}`;

export function validateHyper(h: AdamWHyper): void {
  const bad = (field: string, why: string) => { throw new Error(`AdamW hyperparameter ${field} ${why}`); };
  if (!(h.beta1 >= 0 && h.beta1 < 1)) bad('beta1', `must be in [0, 1), got ${h.beta1}`);
  if (!(h.beta2 >= 0 && h.beta2 < 1)) bad('beta2', `must be in [0, 1), got ${h.beta2}`);
  if (!(h.eps > 0)) bad('eps', `must be > 0, got ${h.eps}`);
  if (!(h.weightDecay >= 0)) bad('weightDecay', `must be >= 0, got ${h.weightDecay}`);
  if (h.clipGradNorm !== null && !(h.clipGradNorm > 0)) bad('clipGradNorm', `must be > 0 or null, got ${h.clipGradNorm}`);
}

interface Checked { specs: ParamSpec[]; trainable: ParamSpec[]; frozen: ParamSpec[]; segments: Segment[] }

function check(cfg: ModernBertConfig, o: TrainStepGraphOptions): Checked {
  const { batchSize: B, seqLen: T } = o;
  if (!Number.isInteger(B) || B < 1) throw new Error(`batchSize must be a positive integer, got ${B}`);
  if (!Number.isInteger(T) || T < 1) throw new Error(`seqLen must be a positive integer, got ${T}`);
  if (T > cfg.max_position_embeddings) throw new Error(`seqLen ${T} exceeds max_position_embeddings ${cfg.max_position_embeddings}`);
  validateFreeze(cfg, o.freeze);
  validateHyper(o.hyper);
  const R_ = o.lossRows;
  if (R_ !== undefined && (!Number.isInteger(R_) || R_ < 1 || R_ > B * T)) throw new Error(`lossRows must be an integer in [1, ${B * T}], got ${R_}`);
  const specs = parameterSpecs(cfg);
  const trainable = specs.filter((s) => !isFrozen(s, o.freeze));
  if (trainable.length === 0) throw new Error('freeze spec leaves no trainable parameter');
  const frozen = specs.filter((s) => isFrozen(s, o.freeze));
  for (const s of frozen) {
    const v = o.frozenValues?.get(s.name);
    if (o.frozenValues && (!v || v.length !== s.shape.reduce((a, b) => a * b, 1))) throw new Error(`frozenValues: "${s.name}" missing or not [${s.shape}]`);
  }
  // trainable segments: a group is frozen or trainable as a whole, so a segment is too
  const segments = segmentsOf(cfg).filter((seg) => !isFrozen(seg.specs[0], o.freeze));
  return { specs, trainable, frozen, segments };
}

/** A frozen parameter of `g`: an initializer holding its value, or an input. */
function frozenParam(g: Graph, s: ParamSpec, o: TrainStepGraphOptions, dtype: FloatDType): Value {
  const v = o.frozenValues?.get(s.name);
  return v ? g.constant(v, s.shape, dtype, s.name) : g.input(s.name, dtype, s.shape);
}

interface BatchValues { inputIds: Value; attentionMask: Value; labels: Value | null; sparse?: SparseTargets }

/** The batch inputs of one step, named with `prefix` (a Scan body's per-step slices are prefixed). */
function batchInputs(g: Graph, o: TrainStepGraphOptions, prefix = ''): BatchValues {
  const { batchSize: B, seqLen: T, lossRows: R_ } = o;
  const inputIds = g.input(`${prefix}input_ids`, 'int64', [B, T]);
  const attentionMask = g.input(`${prefix}attention_mask`, 'int64', [B, T]);
  if (R_ === undefined) return { inputIds, attentionMask, labels: g.input(`${prefix}labels`, 'int64', [B, T]) };
  return { inputIds, attentionMask, labels: null, sparse: { positions: g.input(`${prefix}loss_positions`, 'int64', [R_]), labels: g.input(`${prefix}loss_labels`, 'int64', [R_]) } };
}

interface Core {
  loss: Value; count: Value;
  grads: Map<string, Value | null>; // trainable parameter name -> gradient (parameter's shape)
  totalSq: Value;                // Σ‖g‖² over trainable gradients []
  layerGradNorms: Value;         // [L+2]
}

/** Loss, gradients and gradient norms of one step. */
function stepCore(g: Graph, cfg: ModernBertConfig, o: TrainStepGraphOptions, params: ReadonlyMap<string, Value>, b: BatchValues, trainable: ParamSpec[]): Core {
  const { loss, count } = objectiveLoss(g, cfg, params, { inputIds: b.inputIds, attentionMask: b.attentionMask, labels: b.labels ?? undefined }, o.objective, b.sparse);
  const byValue = gradients(g, loss, trainable.map((s) => params.get(s.name)!));                   // keyed by value name
  const grads = new Map(trainable.map((s) => [s.name, byValue.get(params.get(s.name)!.name) ?? null]));
  const L = cfg.num_hidden_layers;
  const slotParts: Value[][] = Array.from({ length: L + 2 }, () => []);
  for (const s of trainable) {
    const d = grads.get(s.name);
    if (!d) throw new Error(`parameter ${s.name} does not affect the loss; it cannot be trained`);
    slotParts[normSlot(s, L)].push(R.reduce('ReduceSumSquare', g, d, d.shape.map((_, i) => i), false));   // []
  }
  const slotSq = slotParts.map((parts) => (parts.length ? R.sum(g, parts) : g.scalar(0)));
  const totalSq = R.sum(g, slotSq.filter((_, i) => slotParts[i].length > 0));
  const layerGradNorms = R.sqrt(g, R.concat(g, slotSq.map((v) => R.reshape(g, v, [1])), 0));         // [L+2]
  return { loss, count, grads, totalSq, layerGradNorms };
}

/** Clipping + AdamW over the trainable segments; returns [p', m', v'] per segment and the norm. */
function graphAdamw(g: Graph, o: TrainStepGraphOptions, core: Core, segments: Segment[], lr: Value, step: Value,
  state: (seg: Segment) => { p: Value; m: Value; v: Value }): { updates: [Value, Value, Value][]; gradNorm: Value } {
  const { scalars, gradNorm } = adamwScalars(g, o.hyper, lr, step, core.totalSq);
  const updates = segments.map((seg) => {
    const parts = seg.specs.map((s) => { const d = core.grads.get(s.name)!; return R.reshape(g, d, [d.shape.reduce((a, b) => a * b, 1)]); });
    const flat = parts.length === 1 ? parts[0] : R.concat(g, parts, 0);                                 // [n]
    const { p, m, v } = state(seg);
    return adamwUpdate(g, scalars, p, flat, m, v, seg.decay);
  });
  return { updates, gradNorm };
}

export function buildTrainStepGraph(cfg: ModernBertConfig, o: TrainStepGraphOptions): TrainStepGraph {
  const dtype = o.dtype ?? 'float32';
  const optimizer = o.optimizer ?? 'graph';
  const { specs, trainable, frozen, segments } = check(cfg, o);
  const g = new Graph(dtype, `train_step_${o.objective}`);
  const batch = batchInputs(g, o);
  const lr = optimizer === 'graph' ? g.input('lr', dtype, []) : null;
  const step = optimizer === 'graph' ? g.input('step', dtype, []) : null;
  const params = new Map<string, Value>();
  for (const s of specs) params.set(s.name, isFrozen(s, o.freeze) ? frozenParam(g, s, o, dtype) : g.input(s.name, dtype, s.shape, true));
  const core = stepCore(g, cfg, o, params, batch, trainable);
  g.output(core.loss, 'loss');
  g.output(core.count, 'tokens');
  g.output(core.layerGradNorms, 'layer_grad_norms');
  if (optimizer === 'host') {
    g.output(core.totalSq, 'grad_sq');
    for (const s of trainable) g.output(core.grads.get(s.name)!, gradName(s.name));
    return { graph: g, trainable, frozen, segments, optimizer };
  }
  const { updates, gradNorm } = graphAdamw(g, o, core, segments, lr!, step!, (seg) => ({
    p: g.input(segmentName(seg.key), dtype, [seg.length]),
    m: g.input(expAvgName(seg.key), dtype, [seg.length]),
    v: g.input(expAvgSqName(seg.key), dtype, [seg.length]),
  }));
  g.output(gradNorm, 'grad_norm');
  segments.forEach((seg, i) => {
    g.output(updates[i][0], newName(seg.key));
    g.output(updates[i][1], newExpAvgName(seg.key));
    g.output(updates[i][2], newExpAvgSqName(seg.key));
  });
  return { graph: g, trainable, frozen, segments, optimizer };
}

/** The dimension name of a K-step graph's leading axis (fixed only when the graph runs). */
export const STEPS_DIM = 'K';

/**
 * K optimizer steps per run: Scan over [K, ...] batches, lr [K] and step [K], with the trainable
 * segments and their moments as loop state. Inputs: segment.<key>, exp_avg.<key>, exp_avg_sq.<key>
 * (as in the one-step graph), input_ids / attention_mask / labels [K, B, T] (or loss_positions /
 * loss_labels [K, R]), lr [K], step [K], and the frozen parameters (unless baked in). Outputs:
 * new.<key>, new_exp_avg.<key>, new_exp_avg_sq.<key>, and loss, tokens, grad_norm [K],
 * layer_grad_norms [K, L+2]. K is a named dimension: one session runs any K.
 */
export function buildScanTrainStepGraph(cfg: ModernBertConfig, o: TrainStepGraphOptions): TrainStepGraph {
  const dtype = o.dtype ?? 'float32';
  const { trainable, frozen, segments } = check(cfg, o);
  const L = cfg.num_hidden_layers;

  // body: one step on loop-state segments; trainable parameters are views (Slice + Reshape) of them
  const body = new Graph(dtype, `train_step_${o.objective}_body`);
  const st = segments.map((seg) => ({
    p: body.input(`state.${segmentName(seg.key)}`, dtype, [seg.length]),
    m: body.input(`state.${expAvgName(seg.key)}`, dtype, [seg.length]),
    v: body.input(`state.${expAvgSqName(seg.key)}`, dtype, [seg.length]),
  }));
  const batch = batchInputs(body, o, 'step.');
  const lr = body.input('step.lr', dtype, []);
  const step = body.input('step.step', dtype, []);
  const params = new Map<string, Value>();
  segments.forEach((seg, si) => seg.specs.forEach((s, j) => {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const start = seg.offsets[j];
    const flat = seg.specs.length === 1 ? st[si].p
      : body.node('Slice', [st[si].p, body.ints([start]), body.ints([start + n]), body.ints([0])], [{ dtype, shape: [n] }])[0];
    const v = R.reshape(body, flat, s.shape);
    // a leaf for autodiff: the slice is not taped, so gradients stop here, at the parameter
    const leaf = v === st[si].p ? body.node('Identity', [v], [{ dtype, shape: s.shape }])[0] : v;
    leaf.requiresGrad = true;
    params.set(s.name, leaf);
  }));
  for (const s of frozen) params.set(s.name, body.outer(s.name, dtype, s.shape));
  const core = stepCore(body, cfg, o, params, batch, trainable);
  const { updates, gradNorm } = graphAdamw(body, o, core, segments, lr, step, (seg) => st[segments.indexOf(seg)]);
  segments.forEach((seg, i) => {
    body.output(updates[i][0], `out.${newName(seg.key)}`);
    body.output(updates[i][1], `out.${newExpAvgName(seg.key)}`);
    body.output(updates[i][2], `out.${newExpAvgSqName(seg.key)}`);
  });
  body.output(core.loss, 'out.loss');
  body.output(core.count, 'out.tokens');
  body.output(gradNorm, 'out.grad_norm');
  body.output(core.layerGradNorms, 'out.layer_grad_norms');

  // outer graph: state and [K, ...] scan inputs in, final state and stacked per-step metrics out
  const g = new Graph(dtype, `train_step_${o.objective}_x${STEPS_DIM}`);
  const stateIn = segments.flatMap((seg) => [
    g.input(segmentName(seg.key), dtype, [seg.length]),
    g.input(expAvgName(seg.key), dtype, [seg.length]),
    g.input(expAvgSqName(seg.key), dtype, [seg.length]),
  ]);
  const scanIn = body.inputs.slice(stateIn.length).map((vi) => g.input(vi.name.slice('step.'.length), vi.dtype, [1, ...(vi.dims as number[])]));
  for (const s of frozen) frozenParam(g, s, o, dtype);
  const outs = g.node('Scan', [...stateIn, ...scanIn], [
    ...stateIn.map((v) => ({ dtype, shape: v.shape })),
    { dtype, shape: [1] }, { dtype, shape: [1] }, { dtype, shape: [1] }, { dtype, shape: [1, L + 2] },
  ], { body: { kind: 'graph', value: body.graphData() }, num_scan_inputs: attr.i(scanIn.length) });
  segments.forEach((seg, i) => {
    g.output(outs[3 * i], newName(seg.key));
    g.output(outs[3 * i + 1], newExpAvgName(seg.key));
    g.output(outs[3 * i + 2], newExpAvgSqName(seg.key));
  });
  const k = 3 * segments.length;
  g.output(outs[k], 'loss');
  g.output(outs[k + 1], 'tokens');
  g.output(outs[k + 2], 'grad_norm');
  g.output(outs[k + 3], 'layer_grad_norms');
  // the leading axis of every scan input and per-step output is K, named (not fixed) in the model
  for (const vi of [...g.inputs.filter((x) => scanIn.some((v) => v.name === x.name)), ...g.outputs.slice(k)]) {
    (vi as unknown as { dims: (number | string)[] }).dims = [STEPS_DIM, ...vi.dims.slice(1)];
  }
  return { graph: g, trainable, frozen, segments, optimizer: 'graph' };
}
