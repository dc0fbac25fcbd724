// Objectives, graph side. The CPU prepares input_ids / attention_mask / labels (MLM masking and CLM
// shifting live in data/masking.ts); in the graph the only difference between MLM and CLM is the
// attention: CLM is causal (local layers keep their window). Loss = mean cross-entropy over labels
// != -100; padding positions are excluded from the loss here as well, whatever their label says.
import type { Graph, Value } from '../graph/builder';
import * as ops from '../graph/index';
import * as R from '../graph/raw';
import type { ModernBertConfig } from '../model/config';
import { modernBertForward, type ForwardResult, type ModelInputs } from '../model/modernbert';
import type { Objective } from './step-api';

export interface ObjectiveInputs extends ModelInputs {
  labels: Value;          // [B, T] int64, -100 = no loss
}

export interface ObjectiveResult {
  loss: Value;            // [] mean cross-entropy
  count: Value;           // [] number of positions carrying a loss (float)
  forward: ForwardResult;
}

export function objectiveLoss(g: Graph, cfg: ModernBertConfig, params: ReadonlyMap<string, Value>, inputs: ObjectiveInputs, objective: Objective): ObjectiveResult {
  if (objective !== 'mlm' && objective !== 'clm') throw new Error(`unknown objective "${String(objective)}" (expected mlm or clm)`);
  const [B, T] = inputs.inputIds.shape;
  const forward = modernBertForward(g, cfg, params, inputs, { causal: objective === 'clm' });
  const isPad = R.equal(g, inputs.attentionMask, g.ints([0]));                                   // [B, T]
  const labels = R.reshape(g, R.where(g, isPad, g.ints([ops.IGNORE_INDEX]), inputs.labels), [B * T]); // [B·T]
  const { loss, count } = ops.crossEntropy(g, forward.logits, labels);
  return { loss, count, forward };
}
