// Seeded HF-style init: deterministic per seed, truncated at ±cutoff·std, right stds, norms 1, bias 0.
import { describe, expect, it } from 'vitest';
import { presetConfig } from './config';
import { initParameters } from './init';
import { parameterSpecs } from './params';

const cfg = presetConfig('small', { vocab_size: 512, pad_token_id: 0, cls_token_id: 1, sep_token_id: 2 });

describe('initParameters', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = initParameters(cfg, 1);
    const b = initParameters(cfg, 1);
    const c = initParameters(cfg, 2);
    const k = 'model.layers.1.attn.Wqkv.weight';
    expect(a.get(k)).toEqual(b.get(k));
    expect(a.get(k)).not.toEqual(c.get(k));
  });

  it('follows ModernBertPreTrainedModel._init_weights', () => {
    const p = initParameters(cfg, 3);
    const outStd = cfg.initializer_range / Math.sqrt(2 * cfg.num_hidden_layers);
    for (const s of parameterSpecs(cfg)) {
      const t = p.get(s.name)!;
      expect(t.length).toBe(s.shape.reduce((x, y) => x * y, 1));
      if (s.name.endsWith('norm.weight')) { expect(t.every((x) => x === 1)).toBe(true); continue; }
      if (s.name === 'decoder.bias') { expect(t.every((x) => x === 0)).toBe(true); continue; }
      const want = /Wo\.weight|head\.dense/.test(s.name) ? outStd : cfg.initializer_range;
      expect(s.initStd).toBeCloseTo(want, 12);
      let sum = 0, sq = 0, max = 0;
      for (const x of t) { sum += x; sq += x * x; max = Math.max(max, Math.abs(x)); }
      const std = Math.sqrt(sq / t.length - (sum / t.length) ** 2);
      expect(max).toBeLessThanOrEqual(cfg.initializer_cutoff_factor * want * (1 + 1e-6));
      // std of N(0, σ²) truncated at ±2σ is 0.880σ
      expect(std / want).toBeGreaterThan(0.85);
      expect(std / want).toBeLessThan(0.91);
    }
  });
});
