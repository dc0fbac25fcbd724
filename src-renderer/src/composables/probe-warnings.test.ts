import { describe, expect, it } from 'vitest';
import type { ProbeResult } from '../../../src-main/common/analysis-types';
import { probeSpec } from '../../../src-main/common/charts/compare-specs';
import { majorityWarnings } from './probe-warnings';

const m = (accuracy: number) => ({ accuracy, macroF1: 0.3, iterations: 1, bestIteration: 1 });
function result(accs: number[], majority?: number): ProbeResult {
  return {
    model: { checkpointId: 1, path: 'x', sha256: 'x', runId: 1, step: 1, phase: 'p' }, probeSet: { id: 1, name: 'p', sha256: 'x' }, pooling: 'mean', layers: accs.map((_, i) => i),
    tasks: [{ labelSet: 'pos', examples: 100, cached: false, report: { classes: ['noun', 'verb'], split: { train: 60, dev: 20, test: 20 }, layers: accs.map((a, i) => ({ layer: i, task: m(a), control: m(0.5), selectivity: a - 0.5 })), ...(majority !== undefined ? { majority: { label: 'noun', accuracy: majority } } : {}) } }],
  };
}

describe('majority-class baseline', () => {
  it('warns when no layer beats always answering the majority class', () => {
    expect(majorityWarnings([{ name: 'mlm@10', result: result([0.97, 0.972], 0.97) }], 'pos')).toEqual([
      'mlm@10: the best layer\'s accuracy (97.2%) is no better than always answering “noun” (97.0% of the test split): this probe has learned nothing beyond the class prior.',
    ]);
    expect(majorityWarnings([{ name: 'a', result: result([0.6, 0.99], 0.97) }], 'pos')).toEqual([]);
    expect(majorityWarnings([{ name: 'old cache', result: result([0.97]) }], 'pos')).toEqual([]);
  });

  it('draws the baseline as a dashed line on the accuracy chart, not on selectivity', () => {
    const acc = probeSpec([{ name: 'a', result: result([0.5, 0.8, 0.9], 0.7) }], 'pos', 'accuracy')!;
    expect(acc.kind === 'lines' && acc.data.series.map((s) => [s.name, s.y, !!s.dashed])).toEqual([['a', [0.8, 0.9], false], ['majority class (“noun”, 70%)', [0.7, 0.7], true]]);
    const sel = probeSpec([{ name: 'a', result: result([0.5, 0.8, 0.9], 0.7) }], 'pos', 'selectivity')!;
    expect(sel.kind === 'lines' && sel.data.series).toHaveLength(1);
  });
});
