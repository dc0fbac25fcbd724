// A one-line progress bar for a terminal (stderr), and one-line descriptions of runner events for
// logs that are not a terminal.

import type { RunEvent } from '../protocol';

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = Math.floor(s % 60);
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

export class ProgressBar {
  constructor(private readonly total: number, private readonly stream: NodeJS.WriteStream = process.stderr) {}

  static describe(e: RunEvent): string {
    switch (e.type) {
      case 'started': return `started: ${e.total_steps} steps on ${e.device}${e.threads ? ` (${e.threads} thread${e.threads > 1 ? 's' : ''})` : ''}${e.resumed_from_step ? `, resuming after step ${e.resumed_from_step}` : ''} -> ${e.out_dir}`;
      case 'step': return `step ${e.step} [${e.phase}] loss ${e.loss.toFixed(4)} lr ${e.lr.toExponential(2)} |g| ${e.grad_norm.toFixed(3)} ${Math.round(e.tokens_per_s)} tok/s eta ${fmtTime(e.eta_s)}`;
      case 'checkpoint': return `checkpoint step ${e.step}: ${e.path}`;
      case 'phase_changed': return `phase ${e.index + 1}: ${e.to} (from step ${e.step})`;
      case 'activations': return `activations step ${e.step}: ${e.texts} probe texts x ${e.layers} layers (${e.poolings.join(', ')}) -> ${e.dir}`;
      case 'warning': return `warning: ${e.message}`;
      case 'error': return `error: ${e.message}`;
      case 'finished': return `finished: ${e.status} at step ${e.step}${e.message ? ` (${e.message})` : ''}`;
    }
  }

  update(e: RunEvent): void {
    if (e.type !== 'step') { this.stream.write(`\r\x1b[K${ProgressBar.describe(e)}\n`); return; }
    const width = 30, filled = Math.round((width * e.step) / this.total);
    this.stream.write(`\r\x1b[K[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${e.step}/${this.total} ${e.phase} loss ${e.loss.toFixed(4)} lr ${e.lr.toExponential(2)} ${Math.round(e.tokens_per_s)} tok/s eta ${fmtTime(e.eta_s)}`);
  }

  done(): void { this.stream.write('\n'); }
}
