// Packed optimizer storage: layout covers every parameter once; packing keeps values, re-homes
// swapped-in arrays, and rejects a bad state before writing anything.
import { describe, expect, it } from 'vitest';
import { tinyConfig } from '../../test/reference/tiny-setup';
import { parameterSpecs } from '../model/params';
import { ensurePacked, segmentsOf } from './packing';
import { initTrainState } from './train-step';

const cfg = tinyConfig();

describe('packing', () => {
  it('segments cover every parameter exactly once, split by group and decay', () => {
    const segs = segmentsOf(cfg);
    const names = segs.flatMap((s) => s.specs.map((p) => p.name));
    expect(names.sort()).toEqual(parameterSpecs(cfg).map((p) => p.name).sort());
    for (const s of segs) {
      expect(s.specs.every((p) => p.decay === s.decay)).toBe(true);
      expect(s.length).toBe(s.specs.reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0));
    }
    expect(segs.find((s) => s.key === 'head.nodecay')!.specs.map((p) => p.name)).toEqual(['model.final_norm.weight', 'head.norm.weight', 'decoder.bias']);
  });

  it('packs values into views, re-homes swapped arrays, and rejects bad ones without writing', () => {
    const state = initTrainState(cfg, 3);
    const copy = new Map([...state.params].map(([k, v]) => [k, v.slice()]));
    const p = ensurePacked(cfg, state);
    for (const [k, v] of state.params) {
      expect(v).toBe(p.views.params.get(k));
      expect(Array.from(v)).toEqual(Array.from(copy.get(k)!));
    }
    const name = 'model.layers.2.mlp.Wo.weight';
    const view = state.params.get(name)!;
    expect(view.buffer).toBe(p.flat.params.get('layer2.decay')!.buffer);
    state.params.set(name, new Float32Array(view.length).fill(7));
    ensurePacked(cfg, state);
    expect(state.params.get(name)).toBe(view);
    expect(view[3]).toBe(7);
    state.params.set(name, new Float32Array(5));
    state.expAvg.set('decoder.bias', new Float32Array(cfg.vocab_size).fill(2));
    expect(() => ensurePacked(cfg, state)).toThrow(`TrainState.params["${name}"] has 5 values`);
    expect(p.views.expAvg.get('decoder.bias')![0]).toBe(0);                // nothing written
  });
});
