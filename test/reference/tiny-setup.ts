// Shared tiny-model fixture for reference and gradient checks: presetConfig('tiny') with a 50-token
// vocabulary, seeded random float64 parameters (larger than init scale so every nonlinearity is
// exercised), and a B=2, T=8 batch whose second row ends in two padding tokens.
import { rng, randn } from '../gradcheck/gradcheck';
import { presetConfig, type ModernBertConfig } from '../../native-runner/model/config';
import { parameterSpecs } from '../../native-runner/model/params';

export function tinyConfig(): ModernBertConfig {
  return presetConfig('tiny', { vocab_size: 50, pad_token_id: 0, cls_token_id: 1, sep_token_id: 2, mask_token_id: 3 });
}

export function tinyParams(cfg: ModernBertConfig, seed = 99): Map<string, Float64Array> {
  const r = rng(seed);
  const out = new Map<string, Float64Array>();
  for (const s of parameterSpecs(cfg)) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const v = randn(r, n, s.name.endsWith('norm.weight') ? 0.2 : s.name === 'decoder.bias' ? 0.3 : 0.35);
    if (s.name.endsWith('norm.weight')) for (let i = 0; i < n; i++) v[i] += 1;
    out.set(s.name, v);
  }
  return out;
}

export const TINY_BATCH = {
  ids: [[1, 7, 12, 3, 33, 41, 9, 2], [1, 22, 3, 5, 48, 2, 0, 0]],
  mask: [[1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 0, 0]],
  mlmLabels: [[-100, 8, -100, 15, -100, -100, 30, -100], [-100, -100, 6, -100, -100, 11, -100, -100]],
  // CLM: label at t is the token at t+1 (shifted on the CPU), -100 at the last real position and padding
  clmLabels: [[7, 12, 3, 33, 41, 9, 2, -100], [22, 3, 5, 48, 2, -100, -100, -100]],
};

export const toI64 = (rows: number[][]) => BigInt64Array.from(rows.flat().map((x) => BigInt(x)));
