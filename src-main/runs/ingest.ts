// Turning the runner's NDJSON event stream into database rows and UI events. Step metrics are
// buffered and written in one transaction per flush (a step every few ms would otherwise cost a
// transaction each).
import fs from 'node:fs';
import path from 'node:path';
import { RunEventSchema, type RunEvent as RunnerEvent } from '../../native-runner/protocol';
import type { Db } from '../store/db';
import { addCheckpoint } from '../store/checkpoints';
import { insertMetrics, type MetricPoint } from '../store/metrics';
import { setRunProgress } from '../store/runs';
import { putActivations } from '../store/activations';
import { ensureProbeSet } from '../store/probe-sets';
import { readActivationDir } from '../../native-runner/activations/store-files';
import { modelDirHash } from '../analysis/activation-log';
import type { RunEventBus } from '../events';
import { isBusyError } from '../store/busy';

/** Metric names for the per-layer gradient norms: [embeddings, layer 0 .. L-1, head]. */
export function layerGradNormNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    i === 0 ? 'grad_norm/embeddings' : i === count - 1 ? 'grad_norm/head' : `grad_norm/layer_${String(i - 1).padStart(2, '0')}`,
  );
}

/** The checkpoints table's sha256: the same weights hash as directories registered for analysis. */
function weightsHash(modelDir: string): string {
  return fs.existsSync(path.join(modelDir, 'model.safetensors')) ? modelDirHash(modelDir) : '';
}

export interface IngestOutcome {
  finished: Extract<RunnerEvent, { type: 'finished' }> | null;
  lastError: string | null;
}

export class RunIngest {
  private buffer: MetricPoint[] = [];
  private lastStep = 0;
  readonly outcome: IngestOutcome = { finished: null, lastError: null };
  private totalSteps: number | null = null;
  // Events whose database write met a busy workspace, kept in arrival order and retried by
  // tryFlush(): an event is applied late, never dropped, never reordered.
  private pending: RunnerEvent[] = [];

  constructor(private db: Db, private events: RunEventBus, private runId: number) {}

  /** Feed one line of the runner's stdout. Lines that are not events are ignored (logged by the caller). */
  line(text: string): RunnerEvent | null {
    if (!text.startsWith('{')) return null;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return null;
    }
    const parsed = RunEventSchema.safeParse(raw);
    if (!parsed.success) {
      // Never silently: the run log (and the UI) says which event could not be read and why.
      const issue = parsed.error.issues[0];
      const type = (raw as { type?: unknown } | null)?.type;
      this.events.emit({ type: 'run-log', runId: this.runId, level: 'error', message: `runner event ${JSON.stringify(type ?? null)} does not match the event schema (${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'unknown'}); it was not recorded` });
      return null;
    }
    this.apply(parsed.data);
    return parsed.data;
  }

  /** Events waiting for a busy database. */
  get pendingCount(): number {
    return this.pending.length;
  }

  private apply(e: RunnerEvent): void {
    if (this.pending.length) {
      this.pending.push(e);
      return;
    }
    try {
      this.handle(e);
    } catch (err) {
      if (!isBusyError(err)) throw err;
      this.pending.push(e);
    }
  }

  private handle(e: RunnerEvent): void {
    const runId = this.runId;
    switch (e.type) {
      case 'started':
        this.totalSteps = e.total_steps;
        this.db.prepare('UPDATE runs SET total_steps = ? WHERE id = ?').run(e.total_steps, runId);
        this.events.emit({ type: 'run-log', runId, level: 'info', message: `started on ${e.device}${e.threads ? ` (${e.threads} thread${e.threads > 1 ? 's' : ''})` : ''}${e.resumed_from_step ? `, resumed from step ${e.resumed_from_step}` : ''}` });
        break;
      case 'step': {
        this.lastStep = e.step;
        this.buffer.push(
          { step: e.step, name: 'loss', value: e.loss },
          { step: e.step, name: 'lr', value: e.lr },
          { step: e.step, name: 'grad_norm', value: e.grad_norm },
          { step: e.step, name: 'tokens_per_s', value: e.tokens_per_s },
        );
        layerGradNormNames(e.layer_grad_norms.length).forEach((name, i) => this.buffer.push({ step: e.step, name, value: e.layer_grad_norms[i] }));
        if (this.buffer.length >= 2000) this.tryFlush();
        this.events.emit({ type: 'run-progress', runId, step: e.step, totalSteps: this.totalSteps, phase: e.phase, loss: e.loss, lr: e.lr, gradNorm: e.grad_norm, tokensPerS: e.tokens_per_s, etaS: e.eta_s });
        break;
      }
      case 'checkpoint': {
        this.flush();
        const sha = weightsHash(e.path);
        const abs = path.resolve(e.path);
        const exists = this.db.prepare('SELECT id FROM checkpoints WHERE path = ?').pluck().get(abs);
        if (exists === undefined) addCheckpoint(this.db, { runId, step: e.step, phase: e.phase, path: abs, sha256: sha });
        this.events.emit({ type: 'run-checkpoint', runId, step: e.step, path: abs });
        break;
      }
      case 'activations':
        this.ingestActivations(e);
        break;
      case 'phase_changed':
        this.events.emit({ type: 'run-log', runId, level: 'info', message: `phase ${e.to} from step ${e.step}` });
        break;
      case 'warning':
        this.events.emit({ type: 'run-log', runId, level: 'warning', message: e.message });
        break;
      case 'error':
        this.outcome.lastError = e.message;
        this.events.emit({ type: 'run-log', runId, level: 'error', message: e.message });
        break;
      case 'finished':
        this.flush();
        this.outcome.finished = e;
        break;
    }
  }

  /** Store a checkpoint's probe-set activations (all layers and poolings in one transaction). */
  private ingestActivations(e: Extract<RunnerEvent, { type: 'activations' }>): void {
    const { meta, sets } = readActivationDir(e.dir);
    const modelDir = path.resolve(e.checkpoint);
    let ckpt = this.db.prepare('SELECT id FROM checkpoints WHERE path = ?').pluck().get(modelDir) as number | undefined;
    if (ckpt === undefined) {
      // The starting model has no checkpoint event of its own.
      ckpt = addCheckpoint(this.db, { runId: this.runId, step: e.step, phase: e.phase, path: modelDir, sha256: weightsHash(modelDir) });
    }
    const probeSetId = ensureProbeSet(this.db, { name: path.basename(meta.probe_path).replace(/\.[^.]+$/, ''), sha256: meta.probe_sha256, nTexts: meta.texts, path: meta.probe_path });
    // Every block keeps the settings it was extracted under (null: a directory written before they were recorded).
    putActivations(this.db, ckpt, probeSetId, sets.map((s) => ({ ...s, extraction: meta.extraction ?? null })));
    this.events.emit({ type: 'run-log', runId: this.runId, level: 'info', message: `activations of step ${e.step} logged (${meta.texts} texts x ${meta.layers} layers)` });
  }

  /**
   * Apply events held back by a busy database, then write buffered metrics. Returns false (keeping
   * everything for the next try) while the workspace is busy; throws only other errors.
   */
  tryFlush(): boolean {
    try {
      while (this.pending.length) {
        this.handle(this.pending[0]);
        this.pending.shift();
      }
      this.flush();
      return true;
    } catch (err) {
      if (isBusyError(err)) return false;
      // A broken event (not a busy database) must not block the ones behind it.
      if (this.pending.length) this.pending.shift();
      throw err;
    }
  }

  /** Write buffered metrics (one transaction; kept on failure) and the run's progress. */
  flush(): void {
    if (this.buffer.length) {
      insertMetrics(this.db, this.runId, this.buffer);
      this.buffer = [];
    }
    if (this.lastStep) setRunProgress(this.db, this.runId, this.lastStep);
  }
}
