// Linear, HF nn.Linear layout: y = x · Wᵀ (+ b) with x [N, in], W [out, in], b [out] -> [N, out].
// One Gemm each way; transA/transB avoid materialised transposes (float32 and float64 both have Gemm),
// and a bias rides in Gemm's C input instead of a separate Add pass over [N, out].
import type { Graph, TapeEntry, Value } from '../builder';
import * as R from '../raw';

export const LINEAR = 'Linear';

export function linear(g: Graph, x: Value, w: Value, bias?: Value): Value {
  if (x.shape.length !== 2 || w.shape.length !== 2 || x.shape[1] !== w.shape[1]) {
    throw new Error(`linear: x [N, in] and W [out, in] expected, got [${x.shape}] and [${w.shape}]`);
  }
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== w.shape[0])) throw new Error(`linear: bias [${bias.shape}] for W [${w.shape}]`);
  const y = R.gemm(g, x, w, false, true, 1, bias);                         // [N, out]
  g.record(LINEAR, bias ? [x, w, bias] : [x, w], [y]);
  return y;
}

export function linearGrad(g: Graph, e: TapeEntry, [dy]: readonly (Value | null)[]): (Value | null)[] {
  const [x, w, b] = e.inputs;
  return [
    x.requiresGrad ? R.gemm(g, dy!, w, false, false) : null,               // [N, out] · [out, in] = [N, in]
    w.requiresGrad ? R.gemm(g, dy!, x, true, false) : null,                // [N, out]ᵀ · [N, in] = [out, in]
    b?.requiresGrad ? R.reduceSum(g, dy!, [0], false) : null,              // [out]
  ];
}
