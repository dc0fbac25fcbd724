// Binary cross-entropy with logits (torch.nn.BCEWithLogitsLoss with `pos_weight`, mean reduction) over
// the rows a mask keeps, as a scalar. logits x [N, C], targets y [N, C] (0/1 floats), rowMask r [N]
// (1 = real example, 0 = batch padding), posWeight p [C] (all ones = unweighted).
//   l_nc = p_c·y·softplus(-x) + (1-y)·softplus(x) = softplus(x)·(p_c·y + 1 - y) - p_c·y·x
//   loss = Σ_n r_n Σ_c l_nc / (C · max(Σ r, 1))
//   dloss/dx_nc = r_n (σ(x)·(p_c·y + 1 - y) - p_c·y) / (C · max(Σ r, 1))
// softplus(x) = max(x, 0) + log(1 + exp(-|x|)): no overflow for large |x|.
import type { Graph, TapeEntry, Value } from '../builder';
import * as R from '../raw';

export const BCE_WITH_LOGITS = 'BceWithLogits';

const unary = (g: Graph, op: string, x: Value): Value => g.node(op, [x], [{ dtype: x.dtype, shape: x.shape }])[0];

export function bceWithLogits(g: Graph, logits: Value, targets: Value, rowMask: Value, posWeight: Value): Value {
  const [N, C] = logits.shape;
  if (targets.shape.join() !== `${N},${C}`) throw new Error(`bceWithLogits: targets [${targets.shape}] for logits [${logits.shape}]`);
  if (rowMask.shape.join() !== `${N}`) throw new Error(`bceWithLogits: rowMask [${rowMask.shape}] for ${N} rows`);
  if (posWeight.shape.join() !== `${C}`) throw new Error(`bceWithLogits: posWeight [${posWeight.shape}] for ${C} classes`);
  const py = R.mul(g, targets, posWeight);                                                      // [N, C] p_c·y
  const coef = R.add(g, R.sub(g, py, targets), g.scalar(1));                                    // [N, C] p_c·y + 1 - y
  const softplus = R.add(g, unary(g, 'Relu', logits),
    unary(g, 'Log', R.add(g, R.exp(g, R.neg(g, unary(g, 'Abs', logits))), g.scalar(1))));      // [N, C]
  const l = R.sub(g, R.mul(g, softplus, coef), R.mul(g, py, logits));                           // [N, C]
  const r = R.unsqueeze(g, rowMask, [1]);                                                       // [N, 1]
  const denom = R.mul(g, R.max(g, R.reduceSum(g, rowMask, [0], false), g.scalar(1)), g.scalar(C)); // []
  const w = R.div(g, r, denom);                                                                 // [N, 1]
  const loss = R.reduceSum(g, R.mul(g, l, w), [0, 1], false);                                   // []
  g.record(BCE_WITH_LOGITS, [logits, targets, rowMask, posWeight], [loss], {}, { coef, py, w });
  return loss;
}

export function bceWithLogitsGrad(g: Graph, e: TapeEntry, [dloss]: readonly (Value | null)[]): (Value | null)[] {
  const { coef, py, w } = e.saved;
  const x = e.inputs[0];
  const sig = unary(g, 'Sigmoid', x);                                                           // [N, C]
  const d = R.mul(g, R.sub(g, R.mul(g, sig, coef), py), R.mul(g, w, dloss!));                    // [N, C]
  return [d, null, null, null];
}
