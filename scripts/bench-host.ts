// Benchmark of what the analysis host buys the main process: while a cross-layer compare of two
// synthetic models runs (n = 2000 texts, width 768, 6 hidden states: a 6×6 CKA table), a 2 ms timer
// on the main thread records how late each tick fires. In-process, ORT's session.run blocks the
// thread; through the host (a child process) the main thread only waits on IPC. Interleaved, medians.
//   npm run bench:host [-- --reps N] [--json]
import fs from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { Rng } from '../native-runner/util/rng';
import { openWorkspaceDb } from '../src-main/store/db';
import { addCheckpoint } from '../src-main/store/checkpoints';
import { ensureProbeSet } from '../src-main/store/probe-sets';
import { putActivations } from '../src-main/store/activations';
import { gaussianMatrix } from '../src-main/analysis/synthetic';
import { runAnalysis, type AnalysisInputs } from '../src-main/analysis/host-methods';
import { AnalysisHost } from '../src-main/analysis/host';
import { median } from './median';

const args = process.argv.slice(2);
const json = args.includes('--json');
const repsAt = args.indexOf('--reps');
const reps = repsAt >= 0 ? Number(args[repsAt + 1]) : 3;
const [N, D, LAYERS] = [2000, 768, 6];

const tmp = fs.mkdtempSync(path.join(tmpdir(), 'bench-host-'));
const ws = path.join(tmp, 'ws');
const db = openWorkspaceDb(ws);
const host = new AnalysisHost(ws);
try {
  const rng = Rng.seeded(1, 'bench-host');
  const set = ensureProbeSet(db, { name: 'synthetic', sha256: 'synthetic-2000', nTexts: N });
  const base = Array.from({ length: LAYERS }, () => gaussianMatrix(rng, N, D));
  const ids = [0, 1].map((shift) => {
    const id = addCheckpoint(db, { runId: null, step: null, phase: null, path: path.join(tmp, `m${shift}`), sha256: `sha-${shift}` });
    putActivations(db, id, set, base.map((x, layer) => ({ layer, pooling: 'mean' as const, shape: [N, D] as [number, number], data: Float32Array.from(x.data, (v, i) => v + shift * Math.sin(i + layer)) })));
    return id;
  });
  // force: recompute every time (no cache), so both paths do the same work
  const req: AnalysisInputs['compare'] = { a: { checkpointId: ids[0], probeSetId: set }, b: { checkpointId: ids[1], probeSetId: set }, cross: true, force: true };

  /** Runs f while a 2 ms timer ticks; returns the wall time and the longest gap between ticks. */
  async function watch(f: () => Promise<unknown>): Promise<{ ms: number; worstGapMs: number; ticks: number }> {
    let last = performance.now();
    let worst = 0;
    let ticks = 0;
    const timer = setInterval(() => { const now = performance.now(); worst = Math.max(worst, now - last); last = now; ticks++; }, 2);
    const t0 = performance.now();
    await f();
    const ms = performance.now() - t0;
    clearInterval(timer);
    worst = Math.max(worst, performance.now() - last);
    return { ms, worstGapMs: worst, ticks };
  }

  await host.call('compare', req); // starts the child and its ORT sessions
  await runAnalysis({ db, workspaceDir: ws }, 'compare', req);
  const runs = { inProcess: [] as Awaited<ReturnType<typeof watch>>[], host: [] as Awaited<ReturnType<typeof watch>>[] };
  for (let r = 0; r < reps; r++) {
    runs.inProcess.push(await watch(() => runAnalysis({ db, workspaceDir: ws }, 'compare', req)));
    runs.host.push(await watch(() => host.call('compare', req)));
  }
  const summary = (k: keyof typeof runs) => ({ ms: Math.round(median(runs[k].map((x) => x.ms))), worst_gap_ms: Math.round(median(runs[k].map((x) => x.worstGapMs))), ticks: Math.round(median(runs[k].map((x) => x.ticks))) });
  const row = { texts: N, width: D, hidden_states: LAYERS, reps, in_process: summary('inProcess'), host: summary('host'), load_average: Number(loadavg()[0].toFixed(2)) };
  if (json) console.log(JSON.stringify(row));
  else {
    console.log(`cross-layer compare, ${N} texts × ${D}, ${LAYERS}×${LAYERS} table, median of ${reps} (load ${row.load_average}); a 2 ms timer on the main thread:`);
    console.log(`  in-process:  ${row.in_process.ms} ms, longest gap between ticks ${row.in_process.worst_gap_ms} ms, ${row.in_process.ticks} ticks`);
    console.log(`  via host:    ${row.host.ms} ms, longest gap between ticks ${row.host.worst_gap_ms} ms, ${row.host.ticks} ticks`);
  }
} finally {
  await host.close();
  db.close();
  fs.rmSync(tmp, { recursive: true, force: true });
}
