import { describe, expect, it } from 'vitest';
import { parseRunConfig, type LrConfig } from '../protocol';
import { lrAt, lrForStep, phaseAt, planPhases } from './schedule';

const lr = (o: Partial<LrConfig>): LrConfig => ({ peak: 1, warmup: 0, shape: 'constant', final_ratio: 0.1, ...o });
const curve = (c: LrConfig, n: number) => Array.from({ length: n }, (_, s) => lrAt(c, s, n));

describe('lr schedules', () => {
  it('warms up linearly to the peak, then holds it (constant)', () => {
    expect(curve(lr({ warmup: 4 }), 7)).toEqual([0.25, 0.5, 0.75, 1, 1, 1, 1]);
  });
  it('each shape starts at the peak after warmup and ends at final_ratio·peak', () => {
    for (const shape of ['linear', 'cosine', 'one_minus_sqrt'] as const) {
      const c = curve(lr({ peak: 2e-4, warmup: 2, shape, final_ratio: 0.1 }), 12);
      expect(c[2]).toBeCloseTo(2e-4, 15);
      expect(c[11]).toBeCloseTo(2e-5, 15);
      for (let i = 3; i < 12; i++) expect(c[i]).toBeLessThan(c[i - 1]); // strictly decreasing
    }
  });
  it('matches the closed forms at the midpoint of the decay', () => {
    // total 11, no warmup: s = 5 is p = 0.5
    expect(lrAt(lr({ shape: 'linear', final_ratio: 0 }), 5, 11)).toBeCloseTo(0.5, 15);
    expect(lrAt(lr({ shape: 'cosine', final_ratio: 0.2 }), 5, 11)).toBeCloseTo(0.6, 15);
    expect(lrAt(lr({ shape: 'one_minus_sqrt', final_ratio: 0.1 }), 5, 11)).toBeCloseTo(0.1 + 0.9 * (1 - Math.SQRT1_2), 15);
  });
  it('a single-update schedule uses the peak, and out-of-range positions throw', () => {
    expect(lrAt(lr({ shape: 'cosine' }), 0, 1)).toBe(1);
    expect(() => lrAt(lr({}), 3, 3)).toThrow('schedule position 3 outside [0, 3)');
  });
});

describe('phase plan', () => {
  const base = { model: 'tiny', data: 'x.txt', seq_len: 8, batch_size: 2 };
  it('resets the schedule at the decay phase of a recipe', () => {
    const cfg = parseRunConfig({ ...base, recipe: { name: 'clm-detour', tokens: 16 * 50, warmup: 5 } });
    const plan = planPhases(cfg.phases);
    expect(plan.map((p) => [p.start, p.end, p.schedStart, p.schedTotal])).toEqual([[0, 50, 0, 50], [50, 55, 50, 5]]);
    expect(lrForStep(plan, 0)).toBeCloseTo(2e-4 / 5, 15);
    expect(lrForStep(plan, 49)).toBe(2e-4);
    expect(lrForStep(plan, 50)).toBe(2e-4);                 // decay restarts from the peak
    expect(lrForStep(plan, 54)).toBeCloseTo(2e-5, 15);      // and ends at 10%
    expect(phaseAt(plan, 52).phase.name).toBe('decay');
    expect(() => phaseAt(plan, 55)).toThrow('beyond');
  });
  it('a phase with reset_scheduler false continues the previous schedule', () => {
    const cfg = parseRunConfig({ ...base, phases: [
      { name: 'a', objective: 'clm', steps: 4, lr: { peak: 1, shape: 'linear', final_ratio: 0 } },
      { name: 'b', objective: 'clm', steps: 3, reset_scheduler: false, freeze: 'low' },
    ] });
    const plan = planPhases(cfg.phases);
    expect(plan.map((p) => [p.schedStart, p.schedTotal])).toEqual([[0, 7], [0, 7]]);
    expect(Array.from({ length: 7 }, (_, s) => lrForStep(plan, s))).toEqual([1, 5 / 6, 4 / 6, 3 / 6, 2 / 6, 1 / 6, 0].map((x) => expect.closeTo(x, 12)));
  });
});
