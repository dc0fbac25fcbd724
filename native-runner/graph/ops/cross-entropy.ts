// Mean cross-entropy over positions whose label is not -100 (HF ignore_index), as a scalar.
// logits [N, V], labels [N] int64. With w_n = valid_n / max(count, 1):
//   loss = -Σ_n w_n log softmax(logits_n)[label_n]
//   dlogits = dloss · (softmax(logits) w - onehot(label) w)
// onehot·w is a ScatterElements(reduction=add) of -w into softmax·w, so no [N, V] one-hot is built.
import { attr, type Graph, type TapeEntry, type Value } from '../builder';
import * as R from '../raw';

export const CROSS_ENTROPY = 'CrossEntropy';
export const IGNORE_INDEX = -100;

export function crossEntropy(g: Graph, logits: Value, labels: Value): { loss: Value; count: Value } {
  const [N, V] = logits.shape;
  if (labels.shape.length !== 1 || labels.shape[0] !== N) throw new Error(`crossEntropy: labels [${labels.shape}] for logits [${logits.shape}]`);
  const valid = R.cast(g, R.unsqueeze(g, R.less(g, g.ints([IGNORE_INDEX]), labels), [1]), g.float); // [N, 1] (labels > -100)
  const safe = R.unsqueeze(g, R.max(g, labels, g.ints([0])), [1]);                                    // [N, 1] ignored -> 0
  const count = R.reduceSum(g, valid, [0, 1], false);                                                 // []
  const w = R.div(g, valid, R.max(g, count, g.scalar(1)));                                            // [N, 1]
  const logp = g.node('LogSoftmax', [logits], [{ dtype: logits.dtype, shape: [N, V] }], { axis: attr.i(-1) })[0];
  const picked = g.node('GatherElements', [logp, safe], [{ dtype: logits.dtype, shape: [N, 1] }], { axis: attr.i(1) })[0];
  const loss = R.neg(g, R.reduceSum(g, R.mul(g, picked, w), [0, 1], false));                          // []
  g.record(CROSS_ENTROPY, [logits], [loss], {}, { logp, w, safe });
  return { loss, count };
}

export function crossEntropyGrad(g: Graph, e: TapeEntry, [dloss]: readonly (Value | null)[]): (Value | null)[] {
  const { logp, w, safe } = e.saved;
  const logits = e.inputs[0];
  const ws = R.mul(g, w, dloss!);                                                                     // [N, 1]
  const p = R.mul(g, R.exp(g, logp), ws);                                                             // [N, V]
  const d = g.node('ScatterElements', [p, safe, R.neg(g, ws)], [{ dtype: logits.dtype, shape: logits.shape }],
    { axis: attr.i(1), reduction: attr.s('add') })[0];
  return [d];
}
