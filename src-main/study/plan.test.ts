// The study preset: every run validates, all six see the same data and compute, and the decay split
// into checkpointed segments has exactly the learning rates of the paper's recipe (one 1−√ decay).
import { describe, expect, it } from 'vitest';
import { parseRunConfig, totalSteps } from '../../native-runner/protocol';
import { lrForStep, planPhases } from '../../native-runner/train/schedule';
import { freezeSpec } from '../../native-runner/protocol';
import { PAPER_DEFAULTS } from '../../native-runner/train/recipes';
import { SCALE_PRESETS, STUDY_RUNS, STUDY_SCALES, decaySegmentSteps, studyRunConfig, totalStudySteps } from './plan';

const assets = { baseModel: '/m', tokenizer: '/t', corpus: '/c.jsonl', probe: '/p.jsonl', cacheDir: '/cache' };

describe.each(STUDY_SCALES)('study preset %s', (scale) => {
  const p = SCALE_PRESETS[scale];
  const configs = STUDY_RUNS.map((s) => ({ spec: s, cfg: parseRunConfig(studyRunConfig(scale, s, assets)) }));

  it('six runs with the same data, shapes, steps and starting model', () => {
    expect(configs).toHaveLength(6);
    for (const { cfg } of configs) {
      expect(cfg.init_from).toBe('/m');
      expect(cfg.data.corpus).toEqual(['/c.jsonl']);
      expect([cfg.seq_len, cfg.batch_size]).toEqual([p.seqLen, p.batchSize]);
      expect(totalSteps(cfg)).toBe(totalStudySteps(p));
      expect(cfg.probe_set?.path).toBe('/p.jsonl');
    }
    expect(configs.map((c) => c.cfg.seed)).toEqual([1, 2, 1, 1, 1, 1]);
  });

  it('phase 1 is MLM 30% or CLM for n steps; the decay is 0.1·n of MLM 15% in K checkpointed segments', () => {
    for (const { spec, cfg } of configs) {
      const [first, ...decay] = cfg.phases;
      expect(first.objective).toBe(spec.first);
      expect(first.mask_rate).toBe(spec.first === 'mlm' ? 0.3 : null);
      expect(first.steps).toBe(p.firstSteps);
      expect(decay).toHaveLength(p.decaySegments);
      expect(decay.reduce((s, d) => s + d.steps, 0)).toBe(p.decaySegments * decaySegmentSteps(p));
      expect(Math.abs(decay.reduce((s, d) => s + d.steps, 0) - p.firstSteps * PAPER_DEFAULTS.decay_ratio)).toBeLessThanOrEqual(p.decaySegments / 2);
      for (const d of decay) expect([d.objective, d.mask_rate]).toEqual(['mlm', 0.15]);
    }
  });

  it('the split decay has the learning rates of one uninterrupted 1−√ decay to 10%', () => {
    const { cfg } = configs[0];
    const plan = planPhases(cfg.phases);
    const decaySteps = cfg.phases.slice(1).reduce((s, d) => s + d.steps, 0);
    const single = planPhases([cfg.phases[0], { ...cfg.phases[1], name: 'decay', steps: decaySteps }]);
    for (let s = 0; s < totalSteps(cfg); s++) expect(lrForStep(plan, s)).toBeCloseTo(lrForStep(single, s), 15);
    expect(lrForStep(plan, totalSteps(cfg) - 1)).toBeCloseTo(p.peakLr * 0.1, 12);
  });

  it('freezes the paper\'s groups: low or mid during CLM, low during the decay', () => {
    const frozen = (key: string, phase: number) => freezeSpec(configs.find((c) => c.spec.key === key)!.cfg.phases[phase].freeze, 12).layers;
    expect(frozen('clm-freeze-low', 0)).toEqual([0, 1, 2, 3]);
    expect(frozen('clm-freeze-mid', 0)).toEqual([4, 5, 6, 7]);
    expect(frozen('clm-freeze-low', 1)).toEqual([]);
    for (let k = 1; k <= p.decaySegments; k++) expect(frozen('clm-decay-freeze-low', k)).toEqual([0, 1, 2, 3]);
    expect(frozen('clm-decay-freeze-low', 0)).toEqual([]);
    expect(frozen('clm', 0)).toEqual([]);
  });
});
