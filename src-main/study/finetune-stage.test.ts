// The study's freeze-pattern verdict from fine-tuning: its three outcomes from synthetic paired tests.
import { describe, expect, it } from 'vitest';
import type { StudyFinetuneRow } from '../common/study-types';
import { freezePatternSentence } from './finetune-stage';

const row = (key: string, delta: number | null, p: number): StudyFinetuneRow => ({
  key, label: key, perSeed: [0.5], mean: 0.5, sd: 0, macroF1: null, deltaVsMlm: delta ?? 0, marker: '',
  test: delta === null ? null : { delta, ci: [delta - 0.01, delta + 0.01], pOneSided: p, pTwoSided: Math.min(1, 2 * p), replicates: 1000 },
});
const base = { seeds: 3, metric: 'accuracy', task: 'demo:supersense', examples: 900 };

describe('freeze pattern sentence', () => {
  it('appears: CLM > MLM significant, low-freeze not, mid-freeze significant', () => {
    const s = freezePatternSentence({ ...base, rows: [row('mlm-s1', null, 1), row('clm', 0.03, 0.001), row('clm-freeze-low', 0.004, 0.3), row('clm-freeze-mid', 0.025, 0.01), row('clm-decay-freeze-low', 0.02, 0.02)] });
    expect(s).toMatch(/the CLM detour is \+3\.0 pp \(p = 0\.0010\)/);
    expect(s).toMatch(/freeze pattern .* APPEARS\.$/);
  });
  it('partly: the low-freeze keeps a significant gain', () => {
    const s = freezePatternSentence({ ...base, rows: [row('mlm-s1', null, 1), row('clm', 0.03, 0.001), row('clm-freeze-low', 0.03, 0.001), row('clm-freeze-mid', 0.03, 0.001), row('clm-decay-freeze-low', 0.02, 0.02)] });
    expect(s).toMatch(/PARTLY \(freezing the low layers during CLM keeps a significant gain, unlike the paper; the mid-freeze keeps it as in the paper\)/);
  });
  it('does not appear when the CLM gain is not significant', () => {
    const s = freezePatternSentence({ ...base, rows: [row('mlm-s1', null, 1), row('clm', 0.005, 0.2), row('clm-freeze-low', 0, 0.5), row('clm-freeze-mid', 0.01, 0.03), row('clm-decay-freeze-low', 0, 0.5)] });
    expect(s).toMatch(/does NOT appear \(no significant CLM gain to remove\)/);
  });
});
