// When a run is no longer training: a non-finite loss or gradient norm (checked before anything is
// emitted or saved), or a loss that blew up but stayed finite (lr 10 took a tiny model from 4.4 to
// 1000–2000 and the run still ended "finished"). The second rule: the loss stays above `factor`
// times the median of the last `window` losses of this phase for `patience` steps in a row.
// The window restarts at each phase: an objective change may move the loss level legitimately.

export interface DivergenceRule {
  factor: number;      // how far above the running median counts as "blown up"
  patience: number;    // consecutive steps above it before acting
  window: number;      // losses in the running median
  action: 'stop' | 'warn';
}

export const DIVERGENCE_DEFAULTS: DivergenceRule = { factor: 4, patience: 10, window: 50, action: 'stop' };

/** Losses in the window before the rule may fire: one is enough, since `patience` steps in a row at
 * `factor` times the reference is already a strong signal (lr 10 blew up at the second step). */
const MIN_HISTORY = 1;

export interface Verdict {
  kind: 'non-finite' | 'blow-up';
  message: string;     // the evidence: step, value, reference, and what to try
}

export interface StepFigures { step: number; phase: string; loss: number; gradNorm: number; peakLr: number; clipping: number | null }

function hint(f: StepFigures): string {
  const lr = `lower the learning rate (this phase's peak is ${f.peakLr})`;
  return f.clipping === null ? `${lr} or enable gradient clipping (optimizer.clip_grad_norm, e.g. 1.0)` : lr;
}

/** Non-finite loss or gradient norm: the update (or the next one) is garbage; never save it. */
export function nonFiniteVerdict(f: StepFigures): Verdict | null {
  const bad = !Number.isFinite(f.loss) ? `loss is ${f.loss}` : !Number.isFinite(f.gradNorm) ? `gradient norm is ${f.gradNorm} (loss ${f.loss})` : null;
  if (!bad) return null;
  return { kind: 'non-finite', message: `${bad} at step ${f.step} (phase ${f.phase}); the run diverged and no checkpoint of this step was written. Try: ${hint(f)}` };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export class LossBlowUpDetector {
  private history: number[] = [];
  private phase: string | null = null;
  private above = 0;
  private firstAbove = 0;
  private warned = false;

  constructor(readonly rule: DivergenceRule) {}

  /** Feed a finite loss; returns a verdict the step the rule fires (for 'warn', once per phase). */
  observe(f: StepFigures): Verdict | null {
    if (f.phase !== this.phase) {
      this.phase = f.phase;
      this.history = [];
      this.above = 0;
      this.warned = false;
    }
    let verdict: Verdict | null = null;
    if (this.history.length >= MIN_HISTORY) {
      const ref = median(this.history);
      if (f.loss > this.rule.factor * ref) {
        if (this.above === 0) this.firstAbove = f.step;
        this.above++;
        if (this.above >= this.rule.patience && !this.warned) {
          const evidence = `loss ${f.loss.toPrecision(5)} at step ${f.step} has stayed above ${this.rule.factor}× its running median (${ref.toPrecision(5)}) for ${this.above} steps, since step ${this.firstAbove} (phase ${f.phase})`;
          verdict = { kind: 'blow-up', message: this.rule.action === 'stop' ? `${evidence}; the run diverged. Try: ${hint(f)}` : `${evidence}: the run may be diverging (divergence.action is "warn", so it goes on). Consider: ${hint(f)}` };
          if (this.rule.action === 'warn') this.warned = true;
        }
        // A blown-up loss does not enter the reference: the median must keep describing "before".
        return verdict;
      }
      this.above = 0;
    }
    this.history.push(f.loss);
    if (this.history.length > this.rule.window) this.history.shift();
    return verdict;
  }
}
