import { describe, expect, it } from 'vitest';
import { freezeSpec, parseRunConfig } from '../../../native-runner/protocol';
import { choiceOf, describeFreeze, fromChoice, groupOfLayer, normalizeFreeze, resolveFreeze, withLayerToggled, withPartToggled } from './freeze';
import type { FreezeInput } from '../../../src-main/common/sweep';

describe('freeze helpers of the form', () => {
  it('resolve presets with the runner\'s layer groups', () => {
    expect(resolveFreeze('low', 12).layers).toEqual([0, 1, 2, 3]);
    expect(resolveFreeze('deep', 22).layers).toEqual([15, 16, 17, 18, 19, 20, 21]);
    expect(resolveFreeze('none', 4)).toEqual({ embeddings: false, layers: [], head: false, error: null, outOfRange: [] });
    expect(resolveFreeze({ embeddings: true, layers: ['mid', 11], head: false }, 12).layers).toEqual([4, 5, 6, 7, 11]);
    expect(groupOfLayer(12)).toEqual(['low', 'low', 'low', 'low', 'mid', 'mid', 'mid', 'mid', 'deep', 'deep', 'deep', 'deep']);
  });

  it('report masks the model cannot have, every out-of-range layer listed, the rest still shown', () => {
    expect(resolveFreeze({ embeddings: false, layers: [7], head: false }, 4).error).toBe('layer 7 is out of range for a 4-layer model (0..3)');
    const r = resolveFreeze({ embeddings: true, layers: [9, 1, 7, 'deep', 12], head: false }, 4);
    expect(r).toEqual({ embeddings: true, layers: [1, 3], head: false, outOfRange: [7, 9, 12], error: 'layers 7, 9 and 12 are out of range for a 4-layer model (0..3)' });
    // clicking a flagged cell removes that layer from the mask
    expect(withLayerToggled({ embeddings: false, layers: [0, 7], head: false }, 4, 7)).toBe('low');
    expect(resolveFreeze('middle', 4).error).toBe('unknown freeze preset "middle"');
  });

  it('toggling cells gives a preset when the mask is exactly one, else a custom mask', () => {
    // tiny: 4 layers, low = [0], mid = [1, 2], deep = [3]
    let f: FreezeInput = 'none';
    f = withLayerToggled(f, 4, 0);
    expect(f).toBe('low');
    f = withLayerToggled(f, 4, 2);
    expect(f).toEqual({ embeddings: false, layers: [0, 2], head: false });
    expect(choiceOf(f)).toBe('custom');
    f = withLayerToggled(withLayerToggled(f, 4, 0), 4, 1);
    expect(f).toBe('mid');
    f = withPartToggled(f, 4, 'head');
    expect(f).toEqual({ embeddings: false, layers: [1, 2], head: true });
    expect(describeFreeze(f)).toBe('custom: layers 1, 2 + head');
    expect(withPartToggled(f, 4, 'head')).toBe('mid');
    expect(normalizeFreeze({ embeddings: false, layers: [], head: false }, 4)).toBe('none');
  });

  it('"custom" from the drop-down spells out the current mask', () => {
    expect(fromChoice('custom', 'mid', 12)).toEqual({ embeddings: false, layers: [4, 5, 6, 7], head: false });
    expect(fromChoice('deep', { embeddings: true, layers: [0], head: false }, 12)).toBe('deep');
    expect(fromChoice('custom', 'low', null)).toEqual({ embeddings: false, layers: [], head: false });
  });

  it('what the strip shows is what the runner freezes', () => {
    const masks: FreezeInput[] = ['low', 'mid', 'deep', withLayerToggled('low', 12, 9), withPartToggled('none', 12, 'embeddings')];
    for (const freeze of masks) {
      const cfg = parseRunConfig({
        model: 'demo', data: 'corpus.txt', seq_len: 32, batch_size: 2,
        phases: [{ name: 'p', objective: 'clm', steps: 3, lr: { peak: 1e-4, warmup: 0, shape: 'constant', final_ratio: 1 }, freeze }],
      });
      const shown = resolveFreeze(freeze, 12);
      expect(freezeSpec(cfg.phases[0].freeze, 12)).toEqual({ embeddings: shown.embeddings, layers: shown.layers, head: shown.head });
    }
  });
});
