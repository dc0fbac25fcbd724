import { describe, expect, it } from 'vitest';
import { recoveryLabel, scoreNoise } from './study-recovery';

describe('transplant recovery wording', () => {
  it('gives a percentage only for a gap beyond the noise', () => {
    expect(recoveryLabel(0.35, 0.07, 0.02)).toBe('35%');
    expect(recoveryLabel(1.67, -0.01, 0.02)).toBe('no effect to recover (CLM ≤ MLM)');
    expect(recoveryLabel(1.67, 0.01, 0.02)).toBe('no effect to recover (CLM − MLM within noise)');
  });
  it('noise is twice the largest split SD, the base model left out', () => {
    const row = (key: string, scores: number[]) => ({ key, label: key, scores, mean: 0, deltaVsMlm: null, divergenceVsMlm: null });
    expect(scoreNoise([row('base', [0, 1]), row('mlm-s1', [0.5, 0.7]), row('clm', [0.6, 0.6])])).toBeCloseTo(2 * Math.SQRT2 * 0.1, 10);
  });
});
