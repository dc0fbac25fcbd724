import { describe, expect, it } from 'vitest';
import { mergeLive } from './merge-live';

describe('live curves across a reload', () => {
  it('keeps the live points past the database\'s last step, and takes the database\'s for the rest', () => {
    const loaded = { loss: { steps: [1, 2, 3], values: [9, 8, 7] } };
    const live = { loss: { steps: [2, 3, 4, 5], values: [8.1, 7.1, 6, 5] }, lr: { steps: [4], values: [1e-3] } };
    expect(mergeLive(loaded, live)).toEqual({ loss: { steps: [1, 2, 3, 4, 5], values: [9, 8, 7, 6, 5] }, lr: { steps: [4], values: [1e-3] } });
    expect(mergeLive(loaded, { loss: { steps: [1, 2], values: [0, 0] } })).toEqual(loaded);
  });
});
