// Worker-thread side of a training run. onnxruntime-node's session.run() executes synchronously on
// the calling thread (its promise only defers the call with setImmediate), so the step loop lives
// here while the runner's main thread prepares the next batches (masking included), prints events,
// draws the progress bar and reacts to signals. Messages:
//   main → worker  {type: 'batch', step, inputIds, attentionMask, labels (ArrayBuffers, transferred), cursor}
//   worker → main  {type: 'took', step}      a batch was consumed: main sends one more (keeps 2 ahead)
//                  {type: 'event', event}    a RunEventBody
//                  {type: 'done', result}    the loop ended (LoopResult)
// Stop requests arrive through a shared Int32 flag, because a blocked thread reads no messages.

import { parentPort, workerData } from 'node:worker_threads';
import { join } from 'node:path';
import type { ModernBertConfig } from '../model/config';
import type { RunConfig, RunEventBody } from '../protocol';
import { checkpointDirName, loadModelDir, readCheckpoint, writeCheckpoint } from '../checkpoint/checkpoint';
import type { RngState } from '../util/rng';
import { runLoop, trainerStateAt, type PreparedBatch, type RunnerKey } from './loop';
import { phaseAt, planPhases, type PhasePlan } from './schedule';

/** The phase a checkpoint after `step` updates belongs to (the one of its last update). */
const planPhaseName = (plan: PhasePlan[], step: number) => phaseAt(plan, Math.max(0, step - 1)).phase.name;
import type { TrainState, TrainStepRunner } from './step-api';
import { createTrainStep, initTrainState, mlmLossRows } from './train-step';
import { fillPacked, newPackedState } from './packing';
import { freezeKey } from './freeze';
import { freezeSpec } from '../protocol';
import { prepareProbeLogging } from '../activations/probe-logging';

export interface WorkerInput {
  config: RunConfig;
  modelConfig: ModernBertConfig;
  outDir: string;
  resumeDir: string | null;       // checkpoint to continue from
  initFrom: string | null;        // HF/checkpoint directory whose weights start a fresh run
  stopFlag: SharedArrayBuffer;    // Int32[0] != 0: stop after the current step
  threads: number;                // ORT intra-op threads: config.threads, capped by the runner's --max-threads
}

export interface BatchMessage {
  type: 'batch'; step: number; batchSize: number; seqLen: number;
  inputIds: ArrayBuffer; attentionMask: ArrayBuffer; labels: ArrayBuffer;
  cursor: { source: unknown; rng: RngState };
}

function initialState(w: WorkerInput): { state: TrainState; startStep: number } {
  if (w.resumeDir) {
    const { state, trainer } = readCheckpoint(w.resumeDir, w.modelConfig);
    return { state, startStep: trainer.step };
  }
  if (!w.initFrom) return { state: initTrainState(w.modelConfig, w.config.seed), startStep: 0 };
  const state = newPackedState(w.modelConfig);
  const loaded = loadModelDir(w.initFrom, w.modelConfig).params;
  loaded.delete('decoder.weight'); // tied to the embeddings
  fillPacked(state, 'params', loaded);
  return { state, startStep: 0 };
}

async function main(): Promise<void> {
  const w = workerData as WorkerInput;
  const port = parentPort!;
  const stop = new Int32Array(w.stopFlag);
  const emit = (event: RunEventBody) => port.postMessage({ type: 'event', event });
  const plan = planPhases(w.config.phases);
  const { state, startStep } = initialState(w);

  // batches arrive ahead of need; a step waits only if main has not produced its batch yet
  const ready = new Map<number, PreparedBatch>();
  const waiting = new Map<number, (b: PreparedBatch) => void>();
  port.on('message', (m: BatchMessage) => {
    if (m.type !== 'batch') return;
    const batch = {
      batchSize: m.batchSize, seqLen: m.seqLen, inputIds: new BigInt64Array(m.inputIds),
      attentionMask: new BigInt64Array(m.attentionMask), labels: new BigInt64Array(m.labels),
    };
    const waiter = waiting.get(m.step);
    if (waiter) { waiting.delete(m.step); waiter({ batch, cursor: m.cursor }); } else ready.set(m.step, { batch, cursor: m.cursor });
  });
  const nextBatch = (step: number) => new Promise<PreparedBatch>((resolve) => {
    const got = ready.get(step);
    const take = (b: PreparedBatch) => { port.postMessage({ type: 'took', step }); resolve(b); };
    if (got) { ready.delete(step); take(got); } else waiting.set(step, take);
  });

  const maxMaskRate = (key: RunnerKey) =>
    Math.max(
      ...w.config.phases
        .filter((p) => p.objective === 'mlm' && freezeKey(freezeSpec(p.freeze, w.modelConfig.num_hidden_layers)) === freezeKey(key.freeze))
        .map((p) => p.mask_rate ?? 0.3),
      0.01,
    );
  let device = w.config.device;
  const createRunner = async (key: RunnerKey): Promise<TrainStepRunner> => {
    const make = (dev: 'cpu' | 'cuda') => createTrainStep(w.modelConfig, state, {
      objective: key.objective, freeze: key.freeze, batchSize: w.config.batch_size, seqLen: w.config.seq_len,
      hyper: { beta1: w.config.optimizer.betas[0], beta2: w.config.optimizer.betas[1], eps: w.config.optimizer.eps,
        weightDecay: w.config.optimizer.weight_decay, clipGradNorm: w.config.optimizer.clip_grad_norm },
      device: dev, intraOpThreads: w.threads, stepsPerCall: w.config.steps_per_call,
      // Sparse MLM head: capacity for the highest mask rate among the MLM phases that share this
      // runner, so a 15% decay does not pay for a 30% phase's rows (and never needs a regrow).
      lossRows: key.objective === 'mlm' ? mlmLossRows(w.config.batch_size, w.config.seq_len, maxMaskRate(key)) : undefined,
    });
    if (device !== 'auto') return make(device);
    try { const r = await make('cuda'); device = 'cuda'; return r; } catch (e) {
      emit({ type: 'warning', message: `device auto: CUDA unavailable (${(e as Error).message.split('\n')[0]}); training on CPU` });
      device = 'cpu';
      return make('cpu');
    }
  };

  // Probe-set activations: of the starting model (OUT/start) and after every checkpoint.
  const probe = w.config.probe_set ? prepareProbeLogging(w.config, w.modelConfig, w.threads) : null;
  if (probe && startStep === 0) {
    const startDir = join(w.outDir, 'start');
    probe.writeStartModel(startDir, state);
    await probe.log(startDir, state, 0, 'start', emit);
  }
  // A runner stopped between writing a checkpoint and logging its activations (a second SIGTERM ends
  // it at once) leaves that checkpoint without them, and the run resumes from exactly that one: log
  // them now, or every analysis of the run would miss a point.
  if (probe && w.resumeDir && !probe.has(w.resumeDir)) {
    await probe.log(w.resumeDir, state, startStep, planPhaseName(plan, startStep), emit);
  }

  const result = await runLoop({
    config: w.config, numLayers: w.modelConfig.num_hidden_layers, plan, state, startStep, nextBatch, createRunner, emit,
    saveCheckpoint: (step, cursor) => {
      const dir = join(w.outDir, 'checkpoints', checkpointDirName(step));
      writeCheckpoint(dir, { modelConfig: w.modelConfig, state, trainer: trainerStateAt(plan, w.config, step, cursor, state.adamStep), runConfig: w.config });
      return dir;
    },
    afterCheckpoint: probe ? (dir, step, phase) => probe.log(dir, state, step, phase, emit) : undefined,
    shouldStop: () => Atomics.load(stop, 0) !== 0,
    now: () => performance.now(),
  });
  port.postMessage({ type: 'done', result });
}

main().catch((e: Error) => {
  parentPort!.postMessage({ type: 'done', result: { status: 'failed', step: -1, message: e.stack ?? String(e) } });
});
