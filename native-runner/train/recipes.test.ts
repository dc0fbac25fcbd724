import { describe, expect, it } from 'vitest';
import { layerGroup, layerGroupBounds } from './recipes';

describe('layer groups', () => {
  it('22 layers give exactly the paper groups low 0-7, mid 8-14, deep 15-21', () => {
    expect(layerGroup('low', 22)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(layerGroup('mid', 22)).toEqual([8, 9, 10, 11, 12, 13, 14]);
    expect(layerGroup('deep', 22)).toEqual([15, 16, 17, 18, 19, 20, 21]);
  });
  it('12 layers give 4/4/4 and 28 layers 10/9/9', () => {
    expect(layerGroupBounds(12)).toEqual({ low: [0, 4], mid: [4, 8], deep: [8, 12] });
    expect(layerGroupBounds(28)).toEqual({ low: [0, 10], mid: [10, 19], deep: [19, 28] });
  });
  it('groups partition the layers for every depth 1..48', () => {
    for (let L = 1; L <= 48; L++) {
      const all = [...layerGroup('low', L), ...layerGroup('mid', L), ...layerGroup('deep', L)];
      expect(all).toEqual([...Array(L).keys()]);
    }
  });
});
