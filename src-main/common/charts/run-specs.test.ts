import { describe, expect, it } from 'vitest';
import { parseFigureSpec } from './index';
import { curveSpec, layerGradHeatmapSpec, layerGradLabel, layerGradNames, phaseMarkers, smooth } from './run-specs';

describe('run chart specs', () => {
  it('smooths with a debiased EMA that starts at the first value and skips gaps', () => {
    expect(smooth([4, 4, 4], 0.9)).toEqual([4, 4, 4]);
    const s = smooth([0, 10, null, 10], 0.5);
    expect(s[0]).toBe(0);
    expect(s[1]).toBeCloseTo((0.5 * 0 * 0.5 + 0.5 * 10) / 0.75, 12);
    expect(s[2]).toBeNull();
    expect(smooth([1, 2], 0)).toEqual([1, 2]);
  });

  it('marks phase boundaries halfway between steps', () => {
    const phases = [
      { idx: 0, name: 'clm', objective: 'clm' as const, firstStep: 1, lastStep: 10 },
      { idx: 1, name: 'decay', objective: 'mlm' as const, firstStep: 11, lastStep: 12 },
    ];
    expect(phaseMarkers(phases)).toEqual([{ x: 10.5, label: 'decay' }]);
    const spec = parseFigureSpec(curveSpec({ steps: [1, 2, 3], values: [3, 2, 1] }, { name: 'loss', yLabel: 'loss', phases, smoothing: 0.6 })!);
    expect(spec.kind === 'lines' && spec.data.series.map((s) => s.name)).toEqual(['loss (raw)', 'loss (smoothed)']);
    expect(curveSpec({ steps: [], values: [] }, { name: 'loss', yLabel: 'loss', phases })).toBeNull();
  });

  it('orders per-layer gradient norms embeddings, layers, head and bins them as log10', () => {
    const names = ['grad_norm/head', 'grad_norm/layer_10', 'grad_norm/layer_02', 'grad_norm', 'loss', 'grad_norm/embeddings'];
    expect(layerGradNames(names)).toEqual(['grad_norm/embeddings', 'grad_norm/layer_02', 'grad_norm/layer_10', 'grad_norm/head']);
    expect(['grad_norm/embeddings', 'grad_norm/layer_02', 'grad_norm/head'].map(layerGradLabel)).toEqual(['emb', 'L2', 'head']);
    const steps = [1, 2, 3, 4];
    const metrics = {
      'grad_norm/embeddings': { steps, values: [10, 10, 100, 100] },
      'grad_norm/layer_00': { steps, values: [0, 0, 0, 0] }, // frozen: no value
      'grad_norm/head': { steps, values: [1, 1, 1, 1] },
    };
    const spec = parseFigureSpec(layerGradHeatmapSpec(metrics, { bins: 2 })!);
    if (spec.kind !== 'heatmap') throw new Error('expected a heatmap');
    expect(spec.data.rowTicks).toEqual(['head', 'L0', 'emb']);
    expect(spec.data.values).toEqual([[0, 0], [null, null], [1, 2]]);
    expect(spec.data.colTicks).toEqual(['2', '4']);
  });
});
