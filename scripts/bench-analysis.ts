// Benchmark of the analysis math: npm run bench:analysis [-- --json] [--quick] [--only=a,b].
// Sections for --only: gemm, same, cross500, bootstrap, cross2000, probe.
// Medians over repeated runs, after one warm-up run that creates the ORT sessions. Synthetic data
// with the paper's shapes: 500 probe texts (also 2000), width 768, 23 hidden states (embedding
// output + 22 layers of ModernBERT-base), activations stored as float32.
import { cpus, loadavg } from 'node:os';
import { Rng } from '../native-runner/util/rng';
import { bootstrapSameLayer } from '../src-main/analysis/bootstrap';
import { linearCKA } from '../src-main/analysis/cka';
import { sameLayerCKA } from '../src-main/analysis/compare';
import { crossLayerCKA } from '../src-main/analysis/cross-layer';
import { disposeGemmSessions, gemm, gemmJS } from '../src-main/analysis/linalg';
import type { DenseMatrix, Matrix } from '../src-main/analysis/linalg';
import { probeLayers } from '../src-main/analysis/probing';
import { clusteredExamples } from '../src-main/analysis/synthetic';

const args = new Set(process.argv.slice(2));
const json = args.has('--json');
const quick = args.has('--quick'); // fewer repetitions, no plain-JS GEMM and no n = 2000 table
const onlyArg = [...args].find((a) => a.startsWith('--only='));
const only = onlyArg ? new Set(onlyArg.slice('--only='.length).split(',')) : null;
const run = (section: string): boolean => only === null || only.has(section);
const LAYERS = 23;
const WIDTH = 768;

function log(msg: string): void {
  if (!json) console.log(msg);
}

async function timeIt(reps: number, fn: () => Promise<unknown>): Promise<{ median: number; runs: number[] }> {
  await fn(); // warm-up: session creation and first-run planning are not what we measure
  const runs: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await fn();
    runs.push(performance.now() - t0);
  }
  const sorted = [...runs].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], runs };
}

/** Two models' float32 activations: B's layer l is A's layer l plus noise. */
function models(n: number, seed: number): { a: DenseMatrix[]; b: DenseMatrix[] } {
  const rng = Rng.seeded(seed, 'bench');
  const a: DenseMatrix[] = [];
  const b: DenseMatrix[] = [];
  for (let l = 0; l < LAYERS; l++) {
    const da = new Float32Array(n * WIDTH);
    const db = new Float32Array(n * WIDTH);
    for (let i = 0; i < da.length; i++) {
      da[i] = rng.normal() + 0.5; // offset so centring has work to do
      db[i] = da[i] + 0.5 * rng.normal();
    }
    a.push({ rows: n, cols: WIDTH, data: da });
    b.push({ rows: n, cols: WIDTH, data: db });
  }
  return { a, b };
}

function gaussian(rows: number, cols: number, seed: number): Matrix {
  const rng = Rng.seeded(seed, 'bench-gemm');
  return { rows, cols, data: Float64Array.from({ length: rows * cols }, () => rng.normal()) };
}

type Results = Record<string, number>;

async function benchGemm(reps: number, results: Results): Promise<void> {
  const x = gaussian(2000, WIDTH, 1);
  const ortGemm = await timeIt(reps, () => gemm(x, x, { transB: true, backend: 'ort' }));
  results.gemm_2000x768x2000_ort_ms = ortGemm.median;
  log(`GEMM 2000x768 · 768x2000 float64, ORT (2 threads): median ${ortGemm.median.toFixed(1)} ms`);
  if (quick) return;
  const t0 = performance.now();
  gemmJS(x, x, { transB: true });
  results.gemm_2000x768x2000_js_ms = performance.now() - t0;
  log(`GEMM 2000x768 · 768x2000 float64, plain JS: ${results.gemm_2000x768x2000_js_ms.toFixed(0)} ms (one run)`);
}

async function benchSameLayer(reps: number, m: { a: DenseMatrix[]; b: DenseMatrix[] }, results: Results): Promise<void> {
  const same = await timeIt(reps, () => sameLayerCKA(m.a, m.b));
  results.same_layer_23_n500_ms = same.median;
  log(`Same-layer linear CKA, 23 layers, n = 500, d = 768: median ${same.median.toFixed(0)} ms (${(same.median / LAYERS).toFixed(1)} ms per layer)`);
  const one = await timeIt(reps, () => linearCKA(m.a[0], m.b[0]));
  results.one_layer_n500_ms = one.median;
  log(`One linear CKA, n = 500, d = 768: median ${one.median.toFixed(1)} ms`);
}

async function benchCrossLayer(reps: number, n: number, m: { a: DenseMatrix[]; b: DenseMatrix[] }, results: Results): Promise<void> {
  const ab = await timeIt(reps, () => crossLayerCKA(m.a, m.b));
  results[`cross_layer_23x23_n${n}_ms`] = ab.median;
  log(`Cross-layer 23x23 linear CKA (A vs B), n = ${n}: median ${ab.median.toFixed(0)} ms`);
  const aa = await timeIt(reps, () => crossLayerCKA(m.a));
  results[`cross_layer_self_23x23_n${n}_ms`] = aa.median;
  log(`Cross-layer 23x23 linear CKA (A vs A), n = ${n}: median ${aa.median.toFixed(0)} ms`);
}

async function benchBootstrap(reps: number, m: { a: DenseMatrix[]; b: DenseMatrix[] }, results: Results): Promise<void> {
  const one = { a: m.a.slice(0, 1), b: m.b.slice(0, 1), bPrime: m.a.slice(0, 1) };
  const boot = await timeIt(reps, () => bootstrapSameLayer(one, { reps: 1000 }));
  results.bootstrap_1000_one_layer_with_control_n500_ms = boot.median;
  log(`Bootstrap, 1000 replicates, one layer with a control pair, n = 500: median ${boot.median.toFixed(0)} ms`);
}

/** Probes: 500 examples (125 word types × 4), 768 dims, 20 classes, task + control per layer. */
async function benchProbe(results: Results): Promise<void> {
  const data = clusteredExamples(Rng.seeded(4), { types: 125, perType: 4, classes: 20, dim: WIDTH, separation: 6, noise: 1 });
  const count = quick ? 4 : LAYERS;
  const layers = Array.from({ length: count }, () => data.x);
  const probes = await timeIt(1, () => probeLayers(layers, { labels: data.labels, groups: data.groups }, { seed: 1 }));
  results.probe_per_layer_n500_c20_ms = probes.median / count;
  log(`Probe (task + control), n = 500, d = 768, 20 classes: ${(probes.median / count).toFixed(0)} ms per layer (${count} layers)`);
}

async function main(): Promise<void> {
  const reps = quick ? 3 : 5;
  const results: Results = {};
  if (run('gemm')) await benchGemm(reps, results);
  const m500 = models(500, 2);
  if (run('same')) await benchSameLayer(reps, m500, results);
  if (run('cross500')) await benchCrossLayer(reps, 500, m500, results);
  if (run('bootstrap')) await benchBootstrap(quick ? 1 : 3, m500, results);
  if (!quick && run('cross2000')) await benchCrossLayer(3, 2000, models(2000, 3), results);
  if (run('probe')) await benchProbe(results);
  await disposeGemmSessions();
  const load = loadavg()[0];
  log(`(1-minute load average at the end: ${load.toFixed(2)} on ${cpus().length} cores)`);
  if (json) console.log(JSON.stringify({ bench: 'analysis', node: process.version, loadavg1: load, ...results }));
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
