// Float64 gradient checks for every op in the gradient registry, against central finite
// differences on real onnxruntime-node sessions.
import { describe, expect, it } from 'vitest';
import { gradcheck, randn, rng, type CheckInput } from '../../test/gradcheck/gradcheck';
import { gradients } from './autodiff';
import { Graph, type Value } from './builder';
import * as ops from './index';
import { REGISTERED_OPS } from './registry';

const TOL = 1e-5;
const r = rng(7);
const f64 = (name: string, shape: number[], std = 1): CheckInput => ({ name, shape, data: randn(r, shape.reduce((a, b) => a * b, 1), std) });

type Case = { inputs: CheckInput[]; build: (g: Graph, v: Record<string, Value>) => Value };

// Each registered op with at least one case; broadcasting and transpose variants included.
const CASES: Record<string, Case[]> = {
  Add: [{ inputs: [f64('a', [3, 4]), f64('b', [4])], build: (g, v) => ops.add(g, v.a, v.b) }],
  Sub: [{ inputs: [f64('a', [2, 1, 3]), f64('b', [4, 3])], build: (g, v) => ops.sub(g, v.a, v.b) }],
  Mul: [{ inputs: [f64('a', [3, 4]), f64('b', [3, 1])], build: (g, v) => ops.mul(g, v.a, v.b) }],
  Linear: [
    { inputs: [f64('x', [5, 3]), f64('w', [4, 3])], build: (g, v) => ops.linear(g, v.x, v.w) },
    { inputs: [f64('x', [5, 3]), f64('w', [4, 3]), f64('b', [4])], build: (g, v) => ops.linear(g, v.x, v.w, v.b) },
  ],
  MatMul: [
    { inputs: [f64('a', [2, 3, 4]), f64('b', [2, 4, 5])], build: (g, v) => ops.matmul(g, v.a, v.b) },
    { inputs: [f64('a', [2, 3, 4]), f64('b', [2, 5, 4])], build: (g, v) => ops.matmul(g, v.a, v.b, false, true) },
    { inputs: [f64('a', [2, 4, 3]), f64('b', [2, 4, 5])], build: (g, v) => ops.matmul(g, v.a, v.b, true, false) },
    { inputs: [f64('a', [2, 4, 3]), f64('b', [2, 5, 4])], build: (g, v) => ops.matmul(g, v.a, v.b, true, true) },
    { inputs: [f64('a', [2, 3, 4]), f64('b', [4, 5])], build: (g, v) => ops.matmul(g, v.a, v.b) },      // broadcast batch
  ],
  ReduceSum: [
    { inputs: [f64('x', [3, 4, 2])], build: (g, v) => { const y = ops.reduceSum(g, v.x, [1]); return ops.mul(g, y, y); } },
    { inputs: [f64('x', [3, 4])], build: (g, v) => ops.reduceSum(g, ops.mul(g, v.x, v.x), [0, 1], true) },
  ],
  Reshape: [{ inputs: [f64('x', [2, 6])], build: (g, v) => { const y = ops.reshape(g, v.x, [3, 4]); return ops.mul(g, y, y); } }],
  Transpose: [{ inputs: [f64('x', [2, 3, 4])], build: (g, v) => { const y = ops.transpose(g, v.x, [2, 0, 1]); return ops.mul(g, y, y); } }],
  Split: [{ inputs: [f64('x', [4, 6])], build: (g, v) => { const [a] = ops.split(g, v.x, 1, [2, 4]); return ops.mul(g, a, a); } }],
  Softmax: [{ inputs: [f64('x', [3, 5])], build: (g, v) => ops.softmax(g, v.x) }],
  Gelu: [{
    // spread over [-6, 6] so both branches of the float64 erf (|x|/√2 below and above 2.5) are hit
    inputs: [{ name: 'x', shape: [25], data: Float64Array.from({ length: 25 }, (_, i) => -6 + i * 0.5 + 0.013 * i) }],
    build: (g, v) => ops.gelu(g, v.x),
  }],
  LayerNorm: [{ inputs: [f64('x', [4, 6]), f64('w', [6])], build: (g, v) => ops.layerNorm(g, v.x, v.w, 1e-5) }],
  Rope: [{
    inputs: [f64('x', [2, 3, 4])],
    build: (g, v) => ops.rope(g, v.x, g.floatConst(randn(r, 12), [3, 4]), g.floatConst(randn(r, 12), [3, 4])),
  }],
  Embedding: [{
    inputs: [f64('w', [7, 3]), { name: 'ids', shape: [2, 4], data: BigInt64Array.from([1n, 3n, 3n, 0n, 6n, 1n, 1n, 2n]) }],
    build: (g, v) => ops.embedding(g, v.w, v.ids),
  }],
  CrossEntropy: [{
    inputs: [f64('logits', [5, 6]), { name: 'labels', shape: [5], data: BigInt64Array.from([2n, -100n, 5n, 0n, -100n]) }],
    build: (g, v) => ops.crossEntropy(g, v.logits, v.labels).loss,
  }],
  BceWithLogits: [{
    // logits spread to ±9 (softplus on both sides of 0), one padding row (mask 0), unequal pos weights
    inputs: [
      f64('logits', [4, 3], 4),
      { name: 'y', shape: [4, 3], data: Float64Array.from([1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0]), diff: false },
      { name: 'rows', shape: [4], data: Float64Array.from([1, 1, 0, 1]), diff: false },
      { name: 'pw', shape: [3], data: Float64Array.from([1, 2.5, 0.5]), diff: false },
    ],
    build: (g, v) => ops.bceWithLogits(g, v.logits, v.y, v.rows, v.pw),
  }],
};

describe('op gradients (float64 vs central differences)', () => {
  it('covers every registered op', () => {
    expect(Object.keys(CASES).sort()).toEqual([...REGISTERED_OPS].sort());
  });

  for (const [op, cases] of Object.entries(CASES)) {
    cases.forEach((c, i) => {
      it(`${op} #${i}: worst relative error <= ${TOL}`, async () => {
        const res = await gradcheck(c.build, c.inputs);
        if (process.env.GRADCHECK_VERBOSE) console.log(op, i, res.worst.toExponential(2));
        expect(res.worst).toBeLessThanOrEqual(TOL);
      });
    });
  }

  it('throws "no gradient for <op>" for an unregistered op on the path', () => {
    const g = new Graph('float64');
    const x = g.input('x', 'float64', [2], true);
    const y = g.node('Neg', [x], [{ dtype: 'float64', shape: [2] }])[0];
    g.record('NotAnOp', [x], [y]);
    const loss = ops.reduceSum(g, ops.mul(g, y, y), [0]);
    expect(() => gradients(g, loss, [x])).toThrow('no gradient for NotAnOp');
  });
});
