// Differentiable ops, one per file with forward and backward side by side (see registry.ts).
export { add } from './ops/add';
export { sub } from './ops/sub';
export { mul } from './ops/mul';
export { linear } from './ops/linear';
export { matmul } from './ops/matmul';
export { reduceSum } from './ops/reduce-sum';
export { reshape } from './ops/reshape';
export { transpose } from './ops/transpose';
export { split } from './ops/split';
export { softmax } from './ops/softmax';
export { gelu } from './ops/gelu';
export { layerNorm } from './ops/layer-norm';
export { rope } from './ops/rope';
export { embedding, gatherRows } from './ops/embedding';
export { crossEntropy, IGNORE_INDEX } from './ops/cross-entropy';
export { bceWithLogits } from './ops/bce-with-logits';
