// The explicit gradient registry: op name -> backward builder. An op missing here cannot be
// differentiated, and autodiff says so instead of silently producing a wrong gradient.
import type { Graph, TapeEntry, Value } from './builder';
import { ADD, addGrad } from './ops/add';
import { BCE_WITH_LOGITS, bceWithLogitsGrad } from './ops/bce-with-logits';
import { CROSS_ENTROPY, crossEntropyGrad } from './ops/cross-entropy';
import { EMBEDDING, embeddingGrad } from './ops/embedding';
import { GELU, geluGrad } from './ops/gelu';
import { LAYER_NORM, layerNormGrad } from './ops/layer-norm';
import { LINEAR, linearGrad } from './ops/linear';
import { MATMUL, matmulGrad } from './ops/matmul';
import { MUL, mulGrad } from './ops/mul';
import { REDUCE_SUM, reduceSumGrad } from './ops/reduce-sum';
import { RESHAPE, reshapeGrad } from './ops/reshape';
import { ROPE, ropeGrad } from './ops/rope';
import { SOFTMAX, softmaxGrad } from './ops/softmax';
import { SPLIT, splitGrad } from './ops/split';
import { SUB, subGrad } from './ops/sub';
import { TRANSPOSE, transposeGrad } from './ops/transpose';

/** A backward builder. `prior(k)`, when an op calls it, hands over the gradient already summed for
 *  input k from its other consumers (null if none), and the op's result for input k must then include
 *  it: the embedding's scatter-add accumulates straight into the tied decoder's [V, D] gradient instead
 *  of scattering into zeros and adding (two fewer [V, D] tensors live at the end of the backward). */
export type GradFn = (g: Graph, entry: TapeEntry, dOutputs: readonly (Value | null)[], prior?: (k: number) => Value | null) => readonly (Value | null)[];

const GRADIENTS: Readonly<Record<string, GradFn>> = {
  [ADD]: addGrad,
  [SUB]: subGrad,
  [MUL]: mulGrad,
  [LINEAR]: linearGrad,
  [MATMUL]: matmulGrad,
  [REDUCE_SUM]: reduceSumGrad,
  [RESHAPE]: reshapeGrad,
  [TRANSPOSE]: transposeGrad,
  [SPLIT]: splitGrad,
  [SOFTMAX]: softmaxGrad,
  [GELU]: geluGrad,
  [LAYER_NORM]: layerNormGrad,
  [ROPE]: ropeGrad,
  [EMBEDDING]: embeddingGrad,
  [CROSS_ENTROPY]: crossEntropyGrad,
  [BCE_WITH_LOGITS]: bceWithLogitsGrad,
};

export const REGISTERED_OPS: readonly string[] = Object.keys(GRADIENTS);

export function gradientOf(op: string): GradFn {
  const fn = GRADIENTS[op];
  if (!fn) throw new Error(`no gradient for ${op}`);
  return fn;
}
