import { describe, expect, it } from 'vitest';
import { Rng } from '../../native-runner/util/rng';
import { weightDrift } from './drift';
import type { StateDict } from './drift';

/** A tiny ModernBERT-shaped state dict with HF names (layer 0 has no attn_norm, as in HF). */
function stateDict(rng: Rng, layers: number, d: number): StateDict {
  const sd: StateDict = new Map();
  const put = (name: string, size: number) => sd.set(name, Float32Array.from({ length: size }, () => rng.normal()));
  put('model.embeddings.tok_embeddings.weight', 10 * d);
  put('model.embeddings.norm.weight', d);
  for (let i = 0; i < layers; i++) {
    if (i > 0) put(`model.layers.${i}.attn_norm.weight`, d);
    put(`model.layers.${i}.attn.Wqkv.weight`, 3 * d * d);
    put(`model.layers.${i}.attn.Wo.weight`, d * d);
    put(`model.layers.${i}.mlp_norm.weight`, d);
    put(`model.layers.${i}.mlp.Wi.weight`, 4 * d * d);
    put(`model.layers.${i}.mlp.Wo.weight`, 2 * d * d);
  }
  put('model.final_norm.weight', d);
  put('head.dense.weight', d * d);
  put('head.norm.weight', d);
  put('decoder.bias', 10);
  return sd;
}

function copy(sd: StateDict): StateDict {
  return new Map([...sd].map(([k, v]) => [k, Float32Array.from(v)]));
}

describe('weight drift', () => {
  it('is the relative Frobenius change over each layer’s tensors together', () => {
    const ref = stateDict(Rng.seeded(51), 3, 4);
    const cur = copy(ref);
    // Layer 1: scale every tensor by 1.5 → relative change exactly 0.5 over the layer as a whole.
    for (const [k, v] of cur) if (k.startsWith('model.layers.1.')) for (let i = 0; i < v.length; i++) v[i] = ref.get(k)![i] * 1.5;
    // Layer 2: move one tensor only; the layer's drift is its change over the whole layer's norm.
    const wo = cur.get('model.layers.2.attn.Wo.weight')!;
    wo[0] += 3;
    const rows = weightDrift(cur, ref);
    expect(rows.map((r) => r.group)).toEqual(['layer 0', 'layer 1', 'layer 2', 'embeddings', 'head', 'all']);
    expect(rows[0].relative).toBe(0);
    expect(rows[1].relative).toBeCloseTo(0.5, 6);
    let layer2Norm = 0;
    for (const [k, v] of ref) if (k.startsWith('model.layers.2.')) for (const x of v) layer2Norm += x * x;
    expect(rows[2].change).toBeCloseTo(3, 5);
    expect(rows[2].relative).toBeCloseTo(3 / Math.sqrt(layer2Norm), 6);
    expect(rows[2].params).toContain('model.layers.2.attn_norm.weight');
    expect(rows[0].params).not.toContain('model.layers.0.attn_norm.weight');
    expect(rows[4].params).toEqual(['model.final_norm.weight', 'head.dense.weight', 'head.norm.weight', 'decoder.bias']);
    expect(rows[5].change).toBeCloseTo(Math.hypot(rows[1].change, rows[2].change), 5);
  });

  it('orders layers numerically (layer 10 after layer 9)', () => {
    const ref = stateDict(Rng.seeded(52), 12, 2);
    const rows = weightDrift(copy(ref), ref);
    expect(rows.slice(0, 12).map((r) => r.layer)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('names the key on a mismatch between checkpoints', () => {
    const ref = stateDict(Rng.seeded(53), 2, 3);
    const missing = copy(ref);
    missing.delete('model.layers.1.mlp.Wi.weight');
    expect(() => weightDrift(missing, ref)).toThrow(/"model\.layers\.1\.mlp\.Wi\.weight" is in the reference checkpoint but not in the current one/);
    const resized = copy(ref);
    resized.set('head.dense.weight', new Float32Array(4));
    expect(() => weightDrift(resized, ref)).toThrow(/"head\.dense\.weight" has 4 values, the reference has 9/);
    const nan = copy(ref);
    nan.get('decoder.bias')![2] = Number.NaN;
    expect(() => weightDrift(nan, ref)).toThrow(/"decoder\.bias" has a non-finite value at index 2/);
  });
});
