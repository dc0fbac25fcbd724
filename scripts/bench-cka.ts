// Benchmark of issue 5's CKA targets: npm run bench:cka [-- --json] [--reps N] [--skip-2000]
//   1. the full 23×23 linear CKA matrix in float64, n = 2000, d = 768 (target < 5 s), A vs B and A vs A;
//   2. n = 500 on a 22-layer, 768-wide model (23 hidden states): the 23×23 matrix, the same-layer
//      divergence, and the whole service path from SQLite (read + validate + digest 2×23 blobs, then
//      same-layer + cross-layer, nothing served from the cache).
// Synthetic float32 activations (B = A + noise), medians after one warm-up run that creates the ORT
// sessions. --json prints one JSON line.
import fs from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { Rng } from '../native-runner/util/rng';
import { compareStored } from '../src-main/analysis/comparisons';
import { sameLayerDivergence } from '../src-main/analysis/compare';
import { crossLayerCKA } from '../src-main/analysis/cross-layer';
import { disposeGemmSessions } from '../src-main/analysis/linalg';
import type { DenseMatrix } from '../src-main/analysis/linalg';
import { openWorkspaceDb } from '../src-main/store/db';
import { addCheckpoint } from '../src-main/store/checkpoints';
import { putActivations } from '../src-main/store/activations';
import { ensureProbeSet } from '../src-main/store/probe-sets';

const argv = process.argv.slice(2);
const json = argv.includes('--json');
const repsArg = argv.indexOf('--reps');
const REPS = repsArg >= 0 ? Number(argv[repsArg + 1]) : 3;
if (!Number.isInteger(REPS) || REPS < 1) {
  console.error(`bench:cka: --reps needs a positive integer, got ${argv[repsArg + 1]}`);
  process.exit(2);
}
const HIDDEN_STATES = 23; // embedding output + 22 layers (ModernBERT-base)
const WIDTH = 768;

function log(msg: string): void {
  if (!json) console.log(msg);
  else process.stderr.write(`${msg}\n`);
}

async function median(reps: number, fn: () => Promise<unknown>): Promise<{ median: number; runs: number[] }> {
  await fn(); // warm-up: ORT session creation is not what we measure
  const runs: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await fn();
    runs.push(Math.round(performance.now() - t0));
  }
  const sorted = [...runs].sort((x, y) => x - y);
  return { median: sorted[Math.floor(sorted.length / 2)], runs };
}

function models(n: number, seed: number): { a: DenseMatrix[]; b: DenseMatrix[] } {
  const rng = Rng.seeded(seed, 'bench-cka');
  const a: DenseMatrix[] = [];
  const b: DenseMatrix[] = [];
  for (let l = 0; l < HIDDEN_STATES; l++) {
    const da = new Float32Array(n * WIDTH);
    const db = new Float32Array(n * WIDTH);
    for (let i = 0; i < da.length; i++) {
      da[i] = rng.normal() + 0.5;
      db[i] = da[i] + 0.5 * rng.normal();
    }
    a.push({ rows: n, cols: WIDTH, data: da });
    b.push({ rows: n, cols: WIDTH, data: db });
  }
  return { a, b };
}

async function main(): Promise<void> {
  const out: Record<string, number | number[] | string> = {};
  const load0 = loadavg()[0];
  log(`bench:cka on ${cpus().length} cores, 1-minute load ${load0.toFixed(2)} at start; medians of ${REPS} runs after a warm-up`);
  if (!argv.includes('--skip-2000')) {
    const m = models(2000, 1);
    const ab = await median(REPS, () => crossLayerCKA(m.a, m.b));
    out.cross_23x23_n2000_ab_ms = ab.median;
    out.cross_23x23_n2000_ab_runs = ab.runs;
    log(`23×23 linear CKA, float64, n = 2000, d = 768, A vs B: median ${ab.median} ms (runs ${ab.runs.join(', ')}; target < 5000)`);
    const aa = await median(REPS, () => crossLayerCKA(m.a));
    out.cross_23x23_n2000_aa_ms = aa.median;
    log(`23×23 linear CKA, float64, n = 2000, d = 768, A vs A: median ${aa.median} ms (runs ${aa.runs.join(', ')})`);
  }
  const m = models(500, 2);
  const reps500 = Math.max(REPS, 5);
  const ab = await median(reps500, () => crossLayerCKA(m.a, m.b));
  out.cross_23x23_n500_ab_ms = ab.median;
  log(`22-layer 768-wide model, n = 500: 23×23 linear CKA A vs B: median ${ab.median} ms`);
  const same = await median(reps500, () => sameLayerDivergence(m.a, m.b));
  out.same_layer_23_n500_ms = same.median;
  log(`22-layer 768-wide model, n = 500: same-layer divergence, 23 hidden states: median ${same.median} ms`);

  // The service path: activations stored in a real workspace, read back, validated and digested.
  const ws = fs.mkdtempSync(path.join(tmpdir(), 'bench-cka-'));
  const db = openWorkspaceDb(ws);
  try {
    const ps = ensureProbeSet(db, { name: 'bench', sha256: 'bench-probe', nTexts: 500 });
    const ids = ['a', 'b'].map((name) => addCheckpoint(db, { runId: null, step: null, phase: null, path: path.join(ws, name), sha256: `bench-${name}` }));
    ids.forEach((id, k) => putActivations(db, id, ps, (k ? m.b : m.a).map((x, layer) => ({ layer, pooling: 'mean' as const, shape: [x.rows, x.cols] as [number, number], data: x.data as Float32Array }))));
    const svc = await median(reps500, () => compareStored(db, { a: { checkpointId: ids[0], probeSetId: ps }, b: { checkpointId: ids[1], probeSetId: ps }, cross: true, force: true }));
    out.service_same_and_cross_n500_ms = svc.median;
    log(`service path from SQLite, n = 500: same-layer + 23×23 cross-layer, recomputed: median ${svc.median} ms`);
    const hit = await median(reps500, () => compareStored(db, { a: { checkpointId: ids[0], probeSetId: ps }, b: { checkpointId: ids[1], probeSetId: ps }, cross: true }));
    out.service_cached_n500_ms = hit.median;
    log(`service path from SQLite, n = 500, served from the cache (blobs still read and digested): median ${hit.median} ms`);
  } finally {
    db.close();
    fs.rmSync(ws, { recursive: true, force: true });
  }
  await disposeGemmSessions();
  const load1 = loadavg()[0];
  log(`1-minute load at the end: ${load1.toFixed(2)}`);
  if (json) console.log(JSON.stringify({ bench: 'cka', node: process.version, cores: cpus().length, loadavg1_start: load0, loadavg1_end: load1, reps: REPS, ...out }));
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
