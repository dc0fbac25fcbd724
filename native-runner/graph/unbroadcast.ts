// The one place where broadcasting is undone in the backward pass: a gradient of a broadcast
// result is summed over the axes the input was stretched along, then reshaped to the input's shape.
import { fmtShape, sameShape, type Graph, type Shape, type Value } from './builder';
import { reduceSum, reshape } from './raw';

export function unbroadcast(g: Graph, grad: Value, target: Shape): Value {
  if (sameShape(grad.shape, target)) return grad;
  const lead = grad.shape.length - target.length;
  if (lead < 0) throw new Error(`unbroadcast: gradient ${fmtShape(grad.shape)} has lower rank than ${fmtShape(target)}`);
  const axes: number[] = [];
  grad.shape.forEach((d, i) => {
    const t = i < lead ? 1 : target[i - lead];
    if (i < lead || (t === 1 && d !== 1)) axes.push(i);
    else if (t !== d) throw new Error(`unbroadcast: ${fmtShape(grad.shape)} is not a broadcast of ${fmtShape(target)}`);
  });
  const summed = axes.length ? reduceSum(g, grad, axes, true) : grad;
  return reshape(g, summed, target);
}
