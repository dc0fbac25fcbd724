// Objectives, graph side. The CPU prepares input_ids / attention_mask / labels (MLM masking and CLM
// shifting live in data/masking.ts); in the graph the only difference between MLM and CLM is the
// attention: CLM is causal (local layers keep their window). Loss = mean cross-entropy over labels
// != -100; padding positions are excluded from the loss here as well, whatever their label says.
import type { Graph, Value } from '../graph/builder';
import * as ops from '../graph/index';
import * as R from '../graph/raw';
import type { ModernBertConfig } from '../model/config';
import { lmHead, modernBertForward, type ForwardResult, type ModelInputs } from '../model/modernbert';
import type { Objective } from './step-api';

export interface ObjectiveInputs extends ModelInputs {
  labels?: Value;         // [B, T] int64, -100 = no loss (dense path; sparse targets replace it)
}

/** Sparse prediction (HF `sparse_prediction`): the head and decoder run only on K gathered rows.
 *  The loss and its gradients are the same as the dense path's, as unlabelled rows carry no loss. */
export interface SparseTargets {
  positions: Value;       // [K] int64 flat indices into B·T (padding entries point anywhere)
  labels: Value;          // [K] int64 label per gathered row, -100 for padding entries
}

export interface ObjectiveResult {
  loss: Value;            // [] mean cross-entropy
  count: Value;           // [] number of positions carrying a loss (float)
  forward: ForwardResult;
}

export function objectiveLoss(g: Graph, cfg: ModernBertConfig, params: ReadonlyMap<string, Value>, inputs: ObjectiveInputs, objective: Objective, sparse?: SparseTargets): ObjectiveResult {
  if (objective !== 'mlm' && objective !== 'clm') throw new Error(`unknown objective "${String(objective)}" (expected mlm or clm)`);
  const [B, T] = inputs.inputIds.shape;
  const causal = objective === 'clm';
  if (sparse) {
    const forward = modernBertForward(g, cfg, params, inputs, { causal, withHead: false });
    const rows = ops.gatherRows(g, forward.lastHiddenState, sparse.positions);                        // [K, D]
    const { loss, count } = ops.crossEntropy(g, lmHead(g, cfg, params, rows), sparse.labels);
    return { loss, count, forward };
  }
  if (!inputs.labels) throw new Error('objectiveLoss: labels are required without sparse targets');
  const forward = modernBertForward(g, cfg, params, inputs, { causal });
  const isPad = R.equal(g, inputs.attentionMask, g.ints([0]));                                   // [B, T]
  const labels = R.reshape(g, R.where(g, isPad, g.ints([ops.IGNORE_INDEX]), inputs.labels), [B * T]); // [B·T]
  const { loss, count } = ops.crossEntropy(g, forward.logits, labels);
  return { loss, count, forward };
}
