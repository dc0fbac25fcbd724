// Benchmark of issue 16's target: `npm run analyze -- similarity … --measures all` at the demo study's
// shape (n = 500 probe texts, 13 hidden states of a 12-layer, 128-wide model), every measure, a
// control pair and ≥ 200 permutations, in under 60 s. Times the real CLI as a child process (start-up,
// SQLite reads, validation, every measure, nulls, rogue checks, influence; nothing from the cache) on a
// scratch workspace holding synthetic float32 activations: low-rank structure plus noise, two
// high-variance "rogue" features, B = A changed more in the low layers than above, B′ = B plus seed-like
// noise. The demo study's own runs are not needed to measure the cost, which depends only on the shapes.
//   npm run bench:similarity [-- --permutations N] [--n N] [--json]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { Rng } from '../native-runner/util/rng';
import { openWorkspaceDb } from '../src-main/store/db';
import { addCheckpoint } from '../src-main/store/checkpoints';
import { putActivations } from '../src-main/store/activations';
import { ensureProbeSet } from '../src-main/store/probe-sets';

const argv = process.argv.slice(2);
const json = argv.includes('--json');
const opt = (name: string, dflt: number) => {
  const i = argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(argv[i + 1]) : dflt;
  if (!Number.isInteger(v) || v < 1) {
    console.error(`bench:similarity: --${name} needs a positive integer`);
    process.exit(2);
  }
  return v;
};
const N = opt('n', 500);
const PERMS = opt('permutations', 200);
const HIDDEN = 13;
const WIDTH = 128;
const RANK = 48;

const log = (m: string) => (json ? process.stderr : process.stdout).write(`${m}\n`);

/** [n, WIDTH] = Z W + noise, Z [n, RANK] shared by all models (the texts), W per model and layer. */
function layerOf(rng: Rng, z: Float64Array, w: Float64Array, noise: number): Float32Array {
  const out = new Float32Array(N * WIDTH);
  for (let i = 0; i < N; i++) {
    for (let t = 0; t < RANK; t++) {
      const a = z[i * RANK + t];
      for (let j = 0; j < WIDTH; j++) out[i * WIDTH + j] += a * w[t * WIDTH + j];
    }
    for (let j = 0; j < WIDTH; j++) out[i * WIDTH + j] = (out[i * WIDTH + j] + noise * rng.normal()) * (j < 2 ? 8 : 1); // two rogue features
  }
  return out;
}

function main(): void {
  const load0 = loadavg()[0];
  log(`bench:similarity on ${cpus().length} cores, 1-minute load ${load0.toFixed(2)} at start; n = ${N}, ${HIDDEN} hidden states × ${WIDTH}, ${PERMS} permutations`);
  const rng = Rng.seeded(16, 'bench-similarity');
  const z = Float64Array.from({ length: N * RANK }, () => rng.normal());
  const ws = fs.mkdtempSync(path.join(tmpdir(), 'bench-similarity-'));
  try {
    const db = openWorkspaceDb(ws);
    const ps = ensureProbeSet(db, { name: 'bench', sha256: 'bench-similarity-probe', nTexts: N });
    const names = ['a', 'b', 'b2'];
    const ids = names.map((name) => addCheckpoint(db, { runId: null, step: null, phase: null, path: path.join(ws, name), sha256: `bench-${name}` }));
    const layers: Float32Array[][] = [[], [], []];
    for (let l = 0; l < HIDDEN; l++) {
      const wb = Float64Array.from({ length: RANK * WIDTH }, () => rng.normal());
      const change = l <= 4 ? 0.8 : 0.15; // A differs from B mostly in the low layers
      const wa = wb.map((v) => v + change * rng.normal());
      const wb2 = wb.map((v) => v + 0.1 * rng.normal()); // another seed
      layers[0].push(layerOf(rng, z, wa, 0.5));
      layers[1].push(layerOf(rng, z, wb, 0.5));
      layers[2].push(layerOf(rng, z, wb2, 0.5));
    }
    ids.forEach((id, k) => putActivations(db, id, ps, layers[k].map((data, layer) => ({ layer, pooling: 'mean' as const, shape: [N, WIDTH] as [number, number], data }))));
    db.close();
    const args = ['tsx', 'src-main/analysis/cli.ts', 'similarity', '--workspace', ws, '--a', String(ids[0]), '--b', String(ids[1]), '--control-a', String(ids[2]), '--control-b', String(ids[1]), '--measures', 'all', '--permutations', String(PERMS), '--json'];
    // On a shared machine wall time depends on the neighbours: also take the child's CPU time
    // (user + system, all threads) from GNU time where it is installed.
    const gnuTime = fs.existsSync('/usr/bin/time');
    const t0 = performance.now();
    const r = gnuTime
      ? spawnSync('/usr/bin/time', ['-f', 'cpu %U %S', 'npx', ...args], { encoding: 'utf8', maxBuffer: 64 << 20 })
      : spawnSync('npx', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
    const seconds = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`analyze similarity failed (${r.status}): ${r.stderr.slice(-2000)}`);
    const cpu = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
    const cpuSeconds = cpu ? Number(cpu[1]) + Number(cpu[2]) : null;
    const result = JSON.parse(r.stdout) as { seconds: number; concentration?: { line: string } };
    const load1 = loadavg()[0];
    log(`analyze similarity, all 8 measures + control pair + ${PERMS} permutations + rogue checks + influence: ${seconds.toFixed(1)} s wall (process start included; analysis itself ${result.seconds.toFixed(1)} s)${cpuSeconds === null ? '' : `, ${cpuSeconds.toFixed(1)} s CPU (user + system, all threads)`}; target < 60 s wall`);
    if (result.concentration) log(result.concentration.line);
    log(`1-minute load at the end: ${load1.toFixed(2)}`);
    if (json) console.log(JSON.stringify({ bench: 'similarity', node: process.version, cores: cpus().length, loadavg1_start: load0, loadavg1_end: load1, n: N, hidden: HIDDEN, width: WIDTH, permutations: PERMS, wall_s: seconds, analysis_s: result.seconds, cpu_s: cpuSeconds }));
  } finally {
    fs.rmSync(ws, { recursive: true, force: true });
  }
}

try {
  main();
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
}
