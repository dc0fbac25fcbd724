// Small deterministic batches for train-step tests: sequences follow x_{t+1} = (7 x_t + 3) mod 45 + 5,
// so both MLM (from neighbours) and CLM (from the previous token) can learn them; one row is padded.
import type { Batch } from '../../native-runner/train/step-api';
import { rng } from '../gradcheck/gradcheck';

export const MASK_ID = 3;

function sequence(start: number, T: number): number[] {
  const s = [start];
  while (s.length < T) s.push(((7 * s[s.length - 1] + 3) % 45) + 5);
  return s;
}

export function makeBatches(objective: 'mlm' | 'clm', count: number, B: number, T: number, seed = 5): Batch[] {
  const r = rng(seed);
  const out: Batch[] = [];
  for (let k = 0; k < count; k++) {
    const ids = new BigInt64Array(B * T);
    const mask = new BigInt64Array(B * T);
    const labels = new BigInt64Array(B * T).fill(-100n);
    for (let b = 0; b < B; b++) {
      const len = b === B - 1 ? T - 3 : T;               // last row padded by 3
      const seq = sequence(5 + Math.floor(r() * 45), T);
      for (let t = 0; t < T; t++) {
        const i = b * T + t;
        if (t >= len) continue;                           // padding: id 0, mask 0, label -100
        ids[i] = BigInt(seq[t]);
        mask[i] = 1n;
        if (objective === 'clm') {
          if (t + 1 < len) labels[i] = BigInt(seq[t + 1]);
        } else if (r() < 0.3) {
          labels[i] = BigInt(seq[t]);
          ids[i] = BigInt(MASK_ID);
        }
      }
    }
    out.push({ batchSize: B, seqLen: T, inputIds: ids, attentionMask: mask, labels });
  }
  return out;
}
