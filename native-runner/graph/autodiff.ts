// Reverse-mode autodiff over the tape recorded by differentiable ops. Walks the tape backwards,
// sums the gradient contributions of every consumer of a value (one Sum node), and asks the
// registry for each op's backward builder. Values that do not require grad get no gradient work,
// so frozen parameters cost no weight-gradient GEMMs and backprop stops below the lowest trainable layer.
import { fmtShape, sameShape, type Graph, type TapeEntry, type Value } from './builder';
import { sum } from './raw';
import { gradientOf } from './registry';

/** Emit the gradient of scalar `loss` w.r.t. each of `wrt` (null when `loss` does not depend on it). */
export function gradients(g: Graph, loss: Value, wrt: readonly Value[]): Map<string, Value | null> {
  if (loss.shape.length !== 0) throw new Error(`gradients: loss must be a scalar, got ${fmtShape(loss.shape)}`);
  const pending = new Map<string, Value[]>();                     // value name -> contributions
  const take = (v: Value): Value | null => {
    const parts = pending.get(v.name);
    if (!parts || parts.length === 0) return null;
    const total = sum(g, parts);
    pending.set(v.name, [total]);
    return total;
  };
  pending.set(loss.name, [g.scalar(1)]);

  for (let i = g.tape.length - 1; i >= 0; i--) {
    const entry = g.tape[i];
    const dOut = entry.outputs.map(take);
    if (dOut.every((d) => d === null)) continue;                   // does not reach the loss
    const absorbed = new Set<number>();                             // inputs whose prior sum the op took over
    const prior = (k: number): Value | null => {
      const x = entry.inputs[k];
      if (!x.requiresGrad || entry.inputs.indexOf(x) !== k) return null;   // a repeated input keeps plain summing
      absorbed.add(k);
      return take(x);
    };
    const dIn = gradientOf(entry.op)(g, entry, dOut, prior);
    entry.inputs.forEach((x, k) => {
      const d = dIn[k];
      if (!x.requiresGrad || !d) return;
      if (!sameShape(d.shape, x.shape)) {
        throw new Error(`backward of ${entry.op}: gradient ${fmtShape(d.shape)} for input ${k} of shape ${fmtShape(x.shape)}`);
      }
      const list = pending.get(x.name);
      if (absorbed.has(k)) pending.set(x.name, [d]);                 // d already holds the earlier contributions
      else if (list) list.push(d);
      else pending.set(x.name, [d]);
    });
  }
  return new Map(wrt.map((w) => [w.name, take(w)]));
}
