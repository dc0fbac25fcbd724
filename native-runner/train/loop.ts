// The step loop: phases in order, the learning rate from the schedule plan, one compiled train step
// per (objective, freeze pattern), checkpoints every N steps and at each phase end, divergence
// detection. It knows nothing about threads or files: worker.ts feeds it batches and persists
// checkpoints, so the same loop could run anywhere a TrainStepRunner exists.

import type { RunConfig, RunEventBody, RunStatus } from '../protocol';
import { freezeSpec } from '../protocol';
import { configHash, TRAINER_STATE_FORMAT, type TrainerState } from '../checkpoint/checkpoint';
import type { RngState } from '../util/rng';
import type { Batch, FreezeSpec, Objective, TrainState, TrainStepRunner } from './step-api';
import { lrForStep, phaseAt, type PhasePlan } from './schedule';
import { DIVERGENCE_DEFAULTS, LossBlowUpDetector, nonFiniteVerdict } from './divergence';

export interface PreparedBatch {
  batch: Batch;
  cursor: unknown;                // data cursor after this batch (what a resume seeks to)
}

export interface RunnerKey { objective: Objective; freeze: FreezeSpec }

export interface LoopOptions {
  config: RunConfig;
  numLayers: number;
  plan: PhasePlan[];
  state: TrainState;              // updated in place by the runners
  startStep: number;              // updates already done (0, or the resumed checkpoint's step)
  nextBatch(step: number): Promise<PreparedBatch>;
  createRunner(key: RunnerKey): Promise<TrainStepRunner>;
  /** Work to do on a fresh checkpoint after its event (activation logging of the probe set). */
  afterCheckpoint?: (path: string, step: number, phase: string) => Promise<void>;
  /** Persist a checkpoint after `step` updates; returns its path. */
  saveCheckpoint(step: number, cursor: unknown): string;
  emit(e: RunEventBody): void;
  shouldStop(): boolean;          // checked between steps (SIGINT/SIGTERM)
  now(): number;                  // ms clock, for throughput and ETA only
}

export interface LoopResult { status: RunStatus; step: number; message?: string }

/** Steps after which a checkpoint is due: every `every` steps, and at the last step of each phase. */
export function checkpointDue(plan: PhasePlan[], every: number, done: number): boolean {
  return (every > 0 && done % every === 0) || plan.some((p) => p.end === done);
}

/** Trainer state after `step` updates: the phase and schedule position of the next update. */
export function trainerStateAt(plan: PhasePlan[], cfg: RunConfig, step: number, cursor: PreparedBatch['cursor'], adamStep: number): TrainerState {
  const total = plan[plan.length - 1].end;
  const p = step < total ? phaseAt(plan, step) : plan[plan.length - 1];
  const c = cursor as { rng?: RngState };
  return {
    format: TRAINER_STATE_FORMAT, step, phase_index: step < total ? p.index : plan.length, phase: p.phase.name,
    phase_step: step < total ? step - p.start : p.end - p.start,
    scheduler: { segment_start: p.schedStart, position: step - p.schedStart, total: p.schedTotal },
    adam_step: adamStep, data_cursor: cursor, rng: c?.rng ? { mask: c.rng } : {}, config_hash: configHash(cfg),
    seed: cfg.seed, saved_at: new Date().toISOString(),
  };
}

/** Steps from `done` until the next due checkpoint (at least 1). */
export function stepsUntilCheckpoint(plan: PhasePlan[], every: number, done: number): number {
  const total = plan[plan.length - 1].end;
  for (let d = done + 1; d < total; d++) if (checkpointDue(plan, every, d)) return d - done;
  return Math.max(1, total - done);
}

export async function runLoop(o: LoopOptions): Promise<LoopResult> {
  const total = o.plan[o.plan.length - 1].end;
  const B = o.config.batch_size, T = o.config.seq_len;
  const runners = new Map<string, TrainStepRunner>();
  const runnerFor = async (p: PhasePlan): Promise<TrainStepRunner> => {
    const key: RunnerKey = { objective: p.phase.objective, freeze: freezeSpec(p.phase.freeze, o.numLayers) };
    const id = JSON.stringify(key);
    let r = runners.get(id);
    if (!r) { r = await o.createRunner(key); runners.set(id, r); }
    return r;
  };
  let phase: PhasePlan | null = null;
  let lastCursor: unknown = undefined;
  let lastSaved = o.startStep;
  let emaMs = 0; // exponential moving average of the step time (ms)
  const blowUp = o.config.divergence === false ? null : new LossBlowUpDetector({ ...DIVERGENCE_DEFAULTS, ...o.config.divergence });
  try {
    for (let s = o.startStep; s < total;) {
      const p = phaseAt(o.plan, s);
      if (p !== phase) {
        // on resume mid-phase the "change" reports the phase the run continues in (from: the one before it)
        const from = phase ?? (p.index > 0 && s === p.start ? o.plan[p.index - 1] : null);
        o.emit({ type: 'phase_changed', step: s, from: from?.phase.name ?? null, to: p.phase.name, index: p.index });
        phase = p;
      }
      const runner = await runnerFor(p);
      // A K-step runner takes up to K steps per call, never across a phase end or a due checkpoint,
      // so checkpoints, events and resume points are the same whatever K is.
      const n = Math.min(runner.stepsPerCall, stepsUntilCheckpoint(o.plan, o.config.checkpoint_every, s), p.end - s);
      const prepared: PreparedBatch[] = [];
      for (let i = 0; i < n; i++) prepared.push(await o.nextBatch(s + i));
      const lrs = prepared.map((_, i) => lrForStep(o.plan, s + i));
      const t0 = o.now();
      const results = n === 1 ? [await runner.step(prepared[0].batch, lrs[0])] : await runner.stepMany(prepared.map((b) => b.batch), lrs);
      const ms = (o.now() - t0) / n;
      for (let i = 0; i < n; i++) {
        const res = results[i];
        const done = s + i + 1;
        // Checked before the step is reported or saved: a NaN gradient norm with a finite loss means
        // the weights just became NaN, and a checkpoint of them must never be written.
        const figures = { step: done, phase: p.phase.name, loss: res.loss, gradNorm: res.gradNorm, peakLr: p.phase.lr.peak, clipping: o.config.optimizer.clip_grad_norm };
        const nonFinite = nonFiniteVerdict(figures);
        if (nonFinite) {
          o.emit({ type: 'error', message: nonFinite.message });
          return { status: 'diverged', step: done, message: nonFinite.message };
        }
        emaMs = emaMs === 0 ? ms : 0.9 * emaMs + 0.1 * ms;
        o.emit({
          type: 'step', step: done, phase: p.phase.name, loss: res.loss, lr: lrs[i], grad_norm: res.gradNorm,
          layer_grad_norms: res.layerGradNorms, tokens_per_s: emaMs > 0 ? (B * T * 1000) / emaMs : 0, eta_s: ((total - done) * emaMs) / 1000,
        });
        // A finite blow-up: the step is reported (its metrics are the evidence), then the run stops before saving.
        const blewUp = blowUp?.observe(figures) ?? null;
        if (blewUp && blowUp!.rule.action === 'stop') {
          o.emit({ type: 'error', message: blewUp.message });
          return { status: 'diverged', step: done, message: blewUp.message };
        }
        if (blewUp) o.emit({ type: 'warning', message: blewUp.message });
      }
      s += n;
      const done = s;
      const cursor = prepared[n - 1].cursor;
      lastCursor = cursor;
      if (checkpointDue(o.plan, o.config.checkpoint_every, done)) {
        const path = o.saveCheckpoint(done, cursor);
        o.emit({ type: 'checkpoint', path, step: done, phase: p.phase.name });
        lastSaved = done;
        await o.afterCheckpoint?.(path, done, p.phase.name);
      }
      if (o.shouldStop() && done < total) {
        if (lastSaved !== done) {
          const path = o.saveCheckpoint(done, lastCursor);
          o.emit({ type: 'checkpoint', path, step: done, phase: p.phase.name });
          await o.afterCheckpoint?.(path, done, p.phase.name);
        }
        return { status: 'stopped', step: done, message: 'stopped on request; resume with --resume' };
      }
    }
    return { status: 'completed', step: total };
  } finally {
    for (const r of runners.values()) await r.release();
  }
}
