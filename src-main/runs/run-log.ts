// The event log of a run for the UI: runner.log (NDJSON events and stderr) as readable lines.
// Step events are thinned (every `stepEvery`-th and the last) so a long run's log stays readable.
import fs from 'node:fs';
import path from 'node:path';
import { RunEventSchema } from '../../native-runner/protocol';
import { ProgressBar } from '../../native-runner/util/progress';
import type { LogLine } from '../common/types';

export function readRunLog(outDir: string, o: { tail?: number; stepEvery?: number } = {}): LogLine[] {
  const file = path.join(outDir, 'runner.log');
  if (!fs.existsSync(file)) return [];
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const out: LogLine[] = [];
  let lastStep: LogLine | null = null;
  const every = o.stepEvery ?? 50;
  for (const l of lines) {
    let parsed = null;
    if (l.startsWith('{')) {
      try {
        const r = RunEventSchema.safeParse(JSON.parse(l));
        if (r.success) parsed = r.data;
      } catch {
        /* not JSON: a stderr line */
      }
    }
    if (!parsed) {
      out.push({ t: null, level: 'error', text: l });
      continue;
    }
    const line: LogLine = {
      t: new Date(parsed.t).toISOString(),
      level: parsed.type === 'error' || (parsed.type === 'finished' && parsed.status !== 'completed') ? 'error' : parsed.type === 'warning' ? 'warning' : 'info',
      text: ProgressBar.describe(parsed),
    };
    if (parsed.type === 'step') {
      lastStep = line;
      if (parsed.step % every !== 0 && parsed.step !== 1) continue;
      lastStep = null;
    } else if (lastStep) {
      out.push(lastStep);
      lastStep = null;
    }
    out.push(line);
  }
  if (lastStep) out.push(lastStep);
  return out.slice(-(o.tail ?? 500));
}
