// Additive attention biases [B, 1, T, T] built in-graph from attention_mask (no [T, T] initializers,
// so long sequences cost nothing in model size). A key j is hidden from query i when
//   - j is padding (attention_mask[b, j] == 0), or
//   - the layer is local and |i - j| > local_attention / 2 (HF: window of local_attention // 2 each side), or
//   - the objective is causal and j > i.
// Hidden keys get NEG_BIAS: exp(NEG_BIAS - max) underflows to exactly 0 in float32 and float64.
import type { Graph, Value } from '../graph/builder';
import * as R from '../graph/raw';

export const NEG_BIAS = -1e9;

export interface AttentionBiases {
  global: Value;   // [B, 1, T, T]
  local: Value;    // [B, 1, T, T]
}

export function attentionBiases(g: Graph, attentionMask: Value, localAttention: number, causal: boolean): AttentionBiases {
  const [B, T] = attentionMask.shape;
  const pos = g.constant(BigInt64Array.from({ length: T }, (_, i) => BigInt(i)), [T], 'int64');
  const qi = R.reshape(g, pos, [T, 1]);
  const kj = R.reshape(g, pos, [1, T]);
  const diff = g.node('Sub', [kj, qi], [{ dtype: 'int64', shape: [T, T] }])[0];              // [T, T]: j - i
  const dist = g.node('Abs', [diff], [{ dtype: 'int64', shape: [T, T] }])[0];
  const half = Math.floor(localAttention / 2);
  const outside = g.node('Greater', [dist, g.ints([half])], [{ dtype: 'bool', shape: [T, T] }])[0];
  const future = g.node('Greater', [diff, g.ints([0])], [{ dtype: 'bool', shape: [T, T] }])[0];
  const neg = g.scalar(NEG_BIAS);
  const zero = g.scalar(0);
  const structural = (hide: Value | null): Value | null => (hide ? R.where(g, hide, neg, zero) : null);  // [T, T]
  const orBool = (a: Value, b: Value) => g.node('Or', [a, b], [{ dtype: 'bool', shape: a.shape }])[0];
  const globalHide = causal ? future : null;
  const localHide = causal ? orBool(outside, future) : outside;
  // padding keys: (mask - 1) * 1e9 -> 0 for real tokens, NEG_BIAS for padding; [B, 1, 1, T]
  const m = R.reshape(g, R.cast(g, attentionMask, g.float), [B, 1, 1, T]);
  const pad = R.mul(g, R.sub(g, m, g.scalar(1)), g.scalar(-NEG_BIAS));
  const withPad = (s: Value | null) => (s ? R.add(g, pad, s) : g.node('Expand', [pad, g.ints([B, 1, T, T])], [{ dtype: g.float, shape: [B, 1, T, T] }])[0]);
  return { global: withPad(structural(globalHide)), local: withPad(structural(localHide)) };
}
