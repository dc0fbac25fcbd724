// The frozen-encoder baseline of a fine-tuning task: the study's probe (logistic regression on the last
// layer's attention-masked mean-pooled hidden states, logreg.ts, early stopping on dev) trained on the
// task's own train split and scored on its test split, so it and fine-tuning see the same examples.
// Single-label tasks only (the probe is a multinomial classifier).
import { extractActivations } from '../../native-runner/activations/extract';
import type { PreparedTask } from '../../native-runner/finetune/finetune';
import type { ModernBertConfig } from '../../native-runner/model/config';
import { toFloat64 } from './linalg';
import { probeOnSplit } from './probing';

export interface TaskProbeResult { accuracy: number; macroF1: number; layer: number }

export async function frozenProbe(cfg: ModernBertConfig, params: Map<string, Float32Array>, prepared: PreparedTask, threads = 2): Promise<TaskProbeResult> {
  const { task, encoded } = prepared;
  if (task.kind !== 'single') throw new Error(`frozen probe: single-label tasks only (this task is ${task.kind})`);
  const all = [...encoded.train, ...encoded.dev, ...encoded.test];
  const sets = await extractActivations(cfg, params, all.map((e) => e.ids), { poolings: ['mean'], maxLength: prepared.maxLength, intraOpThreads: threads });
  const layer = cfg.num_hidden_layers;
  const last = sets.find((s) => s.layer === layer && s.pooling === 'mean')!;
  const x = toFloat64({ rows: last.shape[0], cols: last.shape[1], data: last.data }, 'last layer');
  const y = Int32Array.from(all, (e) => e.label!);
  const nTr = encoded.train.length, nDev = encoded.dev.length;
  const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
  const split = { train: range(0, nTr), dev: range(nTr, nTr + nDev), test: range(nTr + nDev, all.length) };
  const m = await probeOnSplit(x, y, task.labels.length, split);
  return { accuracy: m.accuracy, macroF1: m.macroF1, layer };
}
