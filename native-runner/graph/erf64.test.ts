// The float64 erf composition against tabulated erf values (see fixtures/README.md, "erf table").
import * as ort from 'onnxruntime-node';
import { expect, it } from 'vitest';
import { Graph } from './builder';
import { erf64 } from './erf64';

const TABLE: [number, number][] = [
  [0, 0], [0.5, 0.5204998778130465], [1, 0.8427007929497149], [2, 0.9953222650189527],
  [2.5, 0.9995930479825550], [3, 0.9999779095030014], [3.5, 0.9999992569016276], [-1, -0.8427007929497149],
];

it('erf64 matches tabulated erf to 1e-13 on both branches', async () => {
  const g = new Graph('float64');
  const x = g.input('x', 'float64', [TABLE.length]);
  g.output(erf64(g, x), 'y');
  const s = await ort.InferenceSession.create(g.toModel(), { intraOpNumThreads: 1 });
  const out = await s.run({ x: new ort.Tensor('float64', Float64Array.from(TABLE.map((t) => t[0])), [TABLE.length]) });
  const y = out.y.data as Float64Array;
  TABLE.forEach(([, ref], i) => expect(Math.abs(y[i] - ref)).toBeLessThan(1e-13));
  await s.release();
});
