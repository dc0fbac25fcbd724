import { describe, expect, it } from 'vitest';
import { parseRunConfig } from '../../../native-runner/protocol';
import { lrAt } from '../../../native-runner/train/schedule';
import { parseFigureSpec } from '../../../src-main/common/charts';
import { recipePhases } from '../../../src-main/common/sweep';
import { lrPreviewSpec } from './lr-preview';

const phasesOf = (name: 'mlm-baseline' | 'clm-detour', tokens: number) =>
  parseRunConfig({ model: 'tiny', data: 'c.txt', seq_len: 32, batch_size: 4, phases: recipePhases(name, tokens, 128) }).phases;

describe('lrPreviewSpec', () => {
  it('draws the runner\'s LR at every step of a short run, in units of 1e-4, with phase markers', () => {
    const phases = phasesOf('mlm-baseline', 2560); // 20 steps (warmup 1) + 2 decay steps
    const spec = parseFigureSpec(lrPreviewSpec([{ name: 'mlm-baseline', phases }]));
    if (spec.kind !== 'lines') throw new Error('expected a lines spec');
    const [s] = spec.data.series;
    expect(s.x).toEqual(Array.from({ length: 22 }, (_, i) => i + 1));
    expect(s.y[0]).toBeCloseTo(2, 12);                  // warmup of 1 step reaches the peak at once
    expect(s.y[20]).toBeCloseTo(lrAt(phases[1].lr, 0, 2) * 1e4, 12);
    expect(s.y[21]).toBeCloseTo(0.2, 12);               // the decay ends at 10% of the peak
    expect(spec.data.yLabel).toBe('learning rate (×1e-4)');
    expect(spec.data.markers).toEqual([{ x: 1, label: 'mlm' }, { x: 21, label: 'decay' }]);
  });

  it('samples long runs, keeping both sides of every phase boundary', () => {
    const phases = phasesOf('clm-detour', 128 * 5000); // 5000 + 500 steps
    const spec = lrPreviewSpec([{ name: 'clm', phases }, { name: 'clm again', phases }]);
    if (!spec || spec.kind !== 'lines') throw new Error('expected a lines spec');
    const { x } = spec.data.series[0];
    expect(x.length).toBeLessThanOrEqual(402);
    expect(x[0]).toBe(1);
    expect(x[x.length - 1]).toBe(5500);
    expect(x).toContain(5000);
    expect(x).toContain(5001);
    expect(spec.data.series).toHaveLength(2);
  });

  it('draws nothing without a usable recipe', () => {
    expect(lrPreviewSpec([])).toBeNull();
  });
});
