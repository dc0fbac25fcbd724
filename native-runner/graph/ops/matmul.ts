// Batched MatMul over the last two axes: C = op(A) · op(B), op = optional transpose.
// Gradients reuse the transpose flags instead of materialising transposes:
//   C = A B    : dA = dC Bᵀ,   dB = Aᵀ dC
//   C = A Bᵀ   : dA = dC B,    dB = dCᵀ A
//   C = Aᵀ B   : dA = B dCᵀ,   dB = A dC
//   C = Aᵀ Bᵀ  : dA = Bᵀ dCᵀ,  dB = dCᵀ Aᵀ
import type { Graph, TapeEntry, Value } from '../builder';
import * as R from '../raw';
import { unbroadcast } from '../unbroadcast';

export const MATMUL = 'MatMul';

export function matmul(g: Graph, a: Value, b: Value, transA = false, transB = false): Value {
  const y = R.matmul(g, a, b, transA, transB);
  g.record(MATMUL, [a, b], [y], { transA, transB });
  return y;
}

export function matmulGrad(g: Graph, e: TapeEntry, [dc]: readonly (Value | null)[]): (Value | null)[] {
  const [a, b] = e.inputs;
  const { transA, transB } = e.attrs as { transA: boolean; transB: boolean };
  const d = dc!;
  let da: Value | null = null;
  let db: Value | null = null;
  if (a.requiresGrad) {
    da = !transA ? R.matmul(g, d, b, false, !transB) : R.matmul(g, b, d, transB, true);
    da = unbroadcast(g, da, a.shape);
  }
  if (b.requiresGrad) {
    db = !transB ? R.matmul(g, a, d, !transA, false) : R.matmul(g, d, a, true, transA);
    db = unbroadcast(g, db, b.shape);
  }
  return [da, db];
}
