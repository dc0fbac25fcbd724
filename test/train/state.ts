// TrainState helpers for train-step tests: an independent deep copy, and bit-for-bit comparison.
import type { TrainState } from '../../native-runner/train/step-api';

export const cloneState = (s: TrainState): TrainState => ({
  params: new Map([...s.params].map(([k, v]) => [k, v.slice()])),
  expAvg: new Map([...s.expAvg].map(([k, v]) => [k, v.slice()])),
  expAvgSq: new Map([...s.expAvgSq].map(([k, v]) => [k, v.slice()])),
  adamStep: s.adamStep,
});

export const sameBits = (a: Float32Array, b: Float32Array): boolean =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
