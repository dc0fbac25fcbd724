import { describe, expect, it } from 'vitest';
import { parseRunConfig } from '../protocol';
import { configHash } from '../checkpoint/checkpoint';
import { checkpointDue, trainerStateAt } from './loop';
import { planPhases } from './schedule';

const cfg = parseRunConfig({
  model: 'tiny', data: 'x.txt', seq_len: 8, batch_size: 2, seed: 4,
  phases: [
    { name: 'a', objective: 'clm', steps: 6, lr: { peak: 1e-3 } },
    { name: 'b', objective: 'clm', steps: 2, reset_scheduler: false, freeze: 'low' },
    { name: 'c', objective: 'mlm', mask_rate: 0.15, steps: 4, lr: { peak: 1e-3, shape: 'one_minus_sqrt' } },
  ],
});
const plan = planPhases(cfg.phases);

describe('loop bookkeeping', () => {
  it('checkpoints every N steps and at each phase end', () => {
    expect([...Array(13).keys()].filter((s) => checkpointDue(plan, 5, s))).toEqual([0, 5, 6, 8, 10, 12]);
    expect([...Array(13).keys()].filter((s) => s > 0 && checkpointDue(plan, 0, s))).toEqual([6, 8, 12]);
  });

  it('trainer state names the next update: phase, position in its schedule segment', () => {
    const cursor = { source: { epoch: 0, index: 3 }, rng: [1, 2, 3, 4] as [number, number, number, number] };
    const mid = trainerStateAt(plan, cfg, 7, cursor, 7);
    expect(mid).toMatchObject({ step: 7, phase_index: 1, phase: 'b', phase_step: 1, scheduler: { segment_start: 0, position: 7, total: 8 },
      adam_step: 7, data_cursor: cursor, rng: { mask: [1, 2, 3, 4] }, config_hash: configHash(cfg), seed: 4 });
    expect(trainerStateAt(plan, cfg, 8, cursor, 8)).toMatchObject({ phase_index: 2, phase: 'c', phase_step: 0, scheduler: { segment_start: 8, position: 0, total: 4 } });
    expect(trainerStateAt(plan, cfg, 12, cursor, 12)).toMatchObject({ phase_index: 3, phase: 'c', phase_step: 4 });
  });
});
