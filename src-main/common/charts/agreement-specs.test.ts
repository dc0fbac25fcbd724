// The agreement heatmap's spec: log₁₀ ratios with a control pair (non-positive / missing ratios as
// gaps), raw divergences without one; it validates and renders on a DOM-less path's schema.
import { describe, expect, it } from 'vitest';
import { parseFigureSpec } from './index';
import { agreementHeatmapSpec } from './agreement-specs';
import type { AgreementResult } from '../agreement-types';

const base = {
  a: { checkpointId: 1, path: 'a', sha256: 'x', runId: null, step: null, phase: null },
  b: { checkpointId: 2, path: 'b', sha256: 'y', runId: null, step: null, phase: null },
  probeSet: { id: 1, name: 'p', sha256: 'z' }, pooling: 'mean', examples: 10, layers: [0, 1, 2],
  params: { measures: ['cka', 'rsa'], knnK: 3, rbfFraction: 0.8, svccaShare: 0.99, permutations: 0, seed: 0, rogueK: 1, influenceK: 1 },
  rogue: [], influence: [], seconds: 0, cached: false,
} as unknown as AgreementResult;

describe('agreementHeatmapSpec', () => {
  it('puts log10 ratios in layer rows × measure columns when there is a control pair', () => {
    const r = { ...base, control: { a: base.a, b: base.b }, measures: [
      { measure: 'cka', score: [], divergence: [0.2, 0.1, 0.1], ratio: [10, 1, null] },
      { measure: 'rsa', score: [], divergence: [0.4, 0.2, 0.1], ratio: [100, 0.1, 0] },
    ] } as AgreementResult;
    const s = parseFigureSpec(agreementHeatmapSpec(r));
    if (s.kind !== 'heatmap') throw new Error('heatmap expected');
    expect(s.data.values).toEqual([[1, 2], [0, -1], [null, null]]);
    expect(s.data.colTicks).toEqual(['CKA', 'RSA']);
    expect(s.data.rowTicks).toEqual(['emb', '0', '1']);
    expect(s.data.scale).toBe('diverging');
  });

  it('shows raw divergences without a control pair', () => {
    const r = { ...base, measures: [{ measure: 'cka', score: [], divergence: [0.2, 0.1, 0.3] }] } as AgreementResult;
    const s = parseFigureSpec(agreementHeatmapSpec(r));
    if (s.kind !== 'heatmap') throw new Error('heatmap expected');
    expect(s.data.values).toEqual([[0.2], [0.1], [0.3]]);
    expect(s.data.scale).toBe('viridis');
  });
});
