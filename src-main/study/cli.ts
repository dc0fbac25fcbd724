// `npm run study -- --out DIR [--scale tiny|demo] [--base MODEL_DIR] [--json]`
// The CLM-detour study headless. OUT is its own workspace (OUT/workbench.db, OUT/runs/NNNNN) and
// holds the report (OUT/report). Invoking it again on the same OUT continues a killed study: finished
// runs are reused, interrupted ones resume from their last checkpoint, cached analyses are read back.
// Ctrl-C stops the training run after it wrote a checkpoint. --json prints one status object per line.
// Exit codes: 0 done, 1 failed, 2 bad arguments, 130 stopped.
import { parseArgs } from 'node:util';
import path from 'node:path';
import { STUDY_SCALES, type StudyScale } from './plan';
import type { StudyStatus } from '../common/study-types';

const USAGE = 'usage: npm run study -- --out DIR [--scale tiny|demo] [--base MODEL_DIR] [--json]';

function fmtTime(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}

export function statusLine(s: StudyStatus): string {
  const pct = s.stepsTotal ? ` ${((100 * s.stepsDone) / s.stepsTotal).toFixed(0)}% of steps (${s.stepsDone}/${s.stepsTotal})` : '';
  return `[${fmtTime(s.elapsedS)}] ${s.stage}${s.stage === 'training' ? pct : ''} · ETA ${fmtTime(s.etaS)} · ${s.message}`;
}

async function main(): Promise<number> {
  let values: { out?: string; scale?: string; base?: string; json?: boolean; help?: boolean };
  try {
    values = parseArgs({ options: { out: { type: 'string' }, scale: { type: 'string', default: 'demo' }, base: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true }).values;
  } catch (e) {
    process.stderr.write(`study: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) { process.stdout.write(`${USAGE}\n`); return 0; }
  if (!values.out) { process.stderr.write(`study: --out is required\n${USAGE}\n`); return 2; }
  if (!(STUDY_SCALES as readonly string[]).includes(values.scale!)) { process.stderr.write(`study: --scale: expected ${STUDY_SCALES.join(' or ')}, got ${JSON.stringify(values.scale)}\n`); return 2; }
  const out = path.resolve(values.out);
  const json = values.json ?? false;
  // heavy modules load only after the arguments passed
  const [{ openWorkspaceDb }, { RunEventBus }, { RunQueue }, { runStudy }, { disposeGemmSessions }] = await Promise.all([
    import('../store/db'), import('../events'), import('../runs/queue'), import('./orchestrate'), import('../analysis/linalg'),
  ]);
  // The study runs its own queue: it must be the only writer of this workspace (see workspace-lock.ts).
  const { acquireWorkspaceLock } = await import('../workspace-lock');
  let lock;
  try {
    lock = acquireWorkspaceLock(out, { purpose: 'npm run study' });
  } catch (e) {
    process.stderr.write(`study: ${(e as Error).message}\n`);
    return 2;
  }
  const db = openWorkspaceDb(out);
  const events = new RunEventBus();
  const queue = new RunQueue(db, events, { workspaceDir: out });
  const interrupted = queue.recover();
  let stopping = false;
  const onSignal = () => {
    if (stopping) process.exit(130);
    stopping = true;
    process.stderr.write('study: stopping: the training run writes a checkpoint first (Ctrl-C again to quit at once)\n');
    void queue.close();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  if (interrupted.length && !json) process.stderr.write(`study: runs ${interrupted.join(', ')} were interrupted; they resume from their last checkpoint\n`);
  let lastLine = 0;
  let lastStage = '';
  const onStatus = (s: StudyStatus) => {
    if (json) { process.stdout.write(`${JSON.stringify({ ...s, summary: s.summary ? { ...s.summary, figures: s.summary.figures.map((f) => f.name) } : null })}\n`); return; }
    const now = Date.now();
    if (s.stage !== lastStage || now - lastLine > 5000) {
      lastLine = now;
      lastStage = s.stage;
      process.stderr.write(`${statusLine(s)}\n`);
    }
  };
  try {
    const s = await runStudy({ db, queue, scale: values.scale as StudyScale, outDir: out, baseModel: values.base, onStatus, shouldStop: () => stopping });
    if (!json) {
      process.stdout.write(`\n${s.summary!.lowLayerEffect}\n\nreport: ${s.report!.html}\n        ${s.report!.pdf}\n`);
    }
    return 0;
  } catch (e) {
    process.stderr.write(`study: ${(e as Error).message}\n`);
    return stopping ? 130 : 1;
  } finally {
    await queue.close();
    db.close();
    lock.release();
    await disposeGemmSessions();
  }
}

main().then((code) => { process.exitCode = code; });
