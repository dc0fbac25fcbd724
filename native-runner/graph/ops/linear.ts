// Linear without bias, HF nn.Linear layout: y = x · Wᵀ with x [N, in], W [out, in] -> [N, out].
// One Gemm each way; transA/transB avoid materialised transposes (float32 and float64 both have Gemm).
import type { Graph, TapeEntry, Value } from '../builder';
import * as R from '../raw';

export const LINEAR = 'Linear';

export function linear(g: Graph, x: Value, w: Value): Value {
  if (x.shape.length !== 2 || w.shape.length !== 2 || x.shape[1] !== w.shape[1]) {
    throw new Error(`linear: x [N, in] and W [out, in] expected, got [${x.shape}] and [${w.shape}]`);
  }
  const y = R.gemm(g, x, w, false, true);                                  // [N, out]
  g.record(LINEAR, [x, w], [y]);
  return y;
}

export function linearGrad(g: Graph, e: TapeEntry, [dy]: readonly (Value | null)[]): (Value | null)[] {
  const [x, w] = e.inputs;
  return [
    x.requiresGrad ? R.gemm(g, dy!, w, false, false) : null,               // [N, out] · [out, in] = [N, in]
    w.requiresGrad ? R.gemm(g, dy!, x, true, false) : null,                // [N, out]ᵀ · [N, in] = [out, in]
  ];
}
