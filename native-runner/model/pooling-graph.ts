// Pooling of every hidden state inside the inference graph, so only pooled rows cross the session
// boundary. onnxruntime-node copies every fetched output into a fresh ArrayBuffer after the run; at
// ModernBERT-base size (B 8, T 512) fetching all 23 hidden states meant 290 MB written by ORT, copied
// again by the binding and read once more by JS pooling per batch, and ORT had to keep every hidden
// state alive to the end of the run instead of reusing its memory. Pooled, a batch returns
// (L + 1)·B·D floats per pooling (0.5 MB at base).
// Same maths as native-runner/activations/pooling.ts (which stays the reference):
//   mean   — Σ_t mask[b, t]·h[b, t, :] / Σ_t mask[b, t]   (one batched MatMul [B,1,T]×[B,T,D])
//   cls    — h[b, 0, :]                                    (Gather of rows b·T)
//   tokens — h[b, positions[b][j], :]                      (Gather of flat rows fed as `token_rows`)
// Results differ from the JS pooling only by float32 rounding of the sum (JS sums in float64).
import type { Graph, Value } from '../graph/builder';
import { attr } from '../graph/builder';

export interface PoolingGraphOptions {
  mean?: boolean;
  cls?: boolean;
  /** k sampled rows per sequence for 'tokens' pooling (absent or 0: no tokens output). */
  tokensPerRow?: number;
}

/** Graph outputs, each layer-minor so one text's rows of all layers are contiguous:
 *  pooled_mean [B, L+1, D], pooled_cls [B, L+1, D], pooled_tokens [B·k, L+1, D]. */
export const POOLED_OUTPUTS = { mean: 'pooled_mean', cls: 'pooled_cls', tokens: 'pooled_tokens' } as const;
/** Input of flat row indices b·T + position into a hidden state [B·T, D], [B·k] int64. */
export const TOKEN_ROWS_INPUT = 'token_rows';

/** hiddenStates: each [B·T, D]; attentionMask: [B, T] int64. Adds the graph outputs above; returns their names. */
export function addPooledOutputs(g: Graph, hiddenStates: readonly Value[], attentionMask: Value, o: PoolingGraphOptions): string[] {
  const [B, T] = attentionMask.shape;
  const D = hiddenStates[0].shape[1];
  const L1 = hiddenStates.length;
  const dtype = g.float;
  const names: string[] = [];
  const output = (v: Value, name: string) => names.push(g.output(v, name).name);
  const concat = (parts: Value[], rows: number, name: string) =>
    output(g.node('Concat', parts, [{ dtype, shape: [rows, L1, D] }], { axis: attr.i(1) })[0], name);
  if (o.mean) {
    const m = g.node('Cast', [attentionMask], [{ dtype, shape: [B, T] }], { to: attr.i(dtype === 'float64' ? 11 : 1) })[0];
    const w = g.node('Reshape', [m, g.ints([B, 1, T])], [{ dtype, shape: [B, 1, T] }])[0];                       // [B, 1, T]
    const count = g.node('ReduceSum', [w, g.ints([2])], [{ dtype, shape: [B, 1, 1] }], { keepdims: attr.i(1) })[0]; // [B, 1, 1]
    // Masked sums: padding positions get weight 0 (their hidden states are finite: every query sees
    // at least one real key, so 0·h is exactly 0).
    const sums = hiddenStates.map((h) => {
      const h3 = g.node('Reshape', [h, g.ints([B, T, D])], [{ dtype, shape: [B, T, D] }])[0];                   // [B, T, D]
      return g.node('MatMul', [w, h3], [{ dtype, shape: [B, 1, D] }])[0];                                     // [B, 1, D]
    });
    const all = g.node('Concat', sums, [{ dtype, shape: [B, L1, D] }], { axis: attr.i(1) })[0];                // [B, L+1, D]
    output(g.node('Div', [all, count], [{ dtype, shape: [B, L1, D] }])[0], POOLED_OUTPUTS.mean);
  }
  if (o.cls) {
    const rows = g.constant(BigInt64Array.from({ length: B }, (_, b) => BigInt(b * T)), [B, 1], 'int64');       // [B, 1]
    concat(hiddenStates.map((h) => g.node('Gather', [h, rows], [{ dtype, shape: [B, 1, D] }], { axis: attr.i(0) })[0]), B, POOLED_OUTPUTS.cls);
  }
  const k = o.tokensPerRow ?? 0;
  if (k > 0) {
    const flat = g.input(TOKEN_ROWS_INPUT, 'int64', [B * k]);                                                  // [B·k]
    const rows = g.node('Reshape', [flat, g.ints([B * k, 1])], [{ dtype: 'int64', shape: [B * k, 1] }])[0];   // [B·k, 1]
    concat(hiddenStates.map((h) => g.node('Gather', [h, rows], [{ dtype, shape: [B * k, 1, D] }], { axis: attr.i(0) })[0]), B * k, POOLED_OUTPUTS.tokens);
  }
  return names;
}
