// Deterministic random batches for the train-step benchmarks (bench-train.ts, bench-resume.ts): token ids
// uniform in [4, V), CLM labels the next token within each sequence, MLM 30% of positions masked with
// id 3 and labelled; the same seed every call, so both sides of a comparison see the same batches.
import type { Batch, Objective } from '../native-runner/train/step-api';

export function randomBatches(V: number, B: number, T: number, objective: Objective, count: number): Batch[] {
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
  return Array.from({ length: count }, () => {
    const n = B * T;
    const ids = new BigInt64Array(n);
    const labels = new BigInt64Array(n).fill(-100n);
    for (let i = 0; i < n; i++) ids[i] = BigInt(4 + Math.floor(rand() * (V - 4)));
    for (let i = 0; i < n; i++) {
      if (objective === 'clm') { if ((i + 1) % T !== 0) labels[i] = ids[i + 1]; }
      else if (rand() < 0.3) { labels[i] = ids[i]; ids[i] = 3n; }
    }
    return { batchSize: B, seqLen: T, inputIds: ids, attentionMask: new BigInt64Array(n).fill(1n), labels };
  });
}
