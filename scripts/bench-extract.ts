// Benchmark of probe-set activation logging (what a run does at its start and at every checkpoint):
// the demo base model (fixtures/demo-base) on the demo biomedical probe set (500 texts), max_length
// 64, batch 50, mean pooling, 2 ORT threads, as the demo-scale study logs them. Length-ordered
// batches padded to their own longest text (the default) against every batch padded to the set's
// longest text (padToLongest), interleaved run by run; medians.
//   npm run bench:extract [-- --reps N] [--json]
// Needs the demo probe set: npm run data -- prepare --demo
//   npm run bench:extract -- --shape base [--vs-torch]: ModernBERT-base size, random weights, against
//   PyTorch (scripts/bench-extract-base.ts)
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { extractActivations } from '../native-runner/activations/extract';
import { truncationLength } from '../native-runner/activations/extraction-settings';
import { readProbeSet } from '../native-runner/activations/probe-set';
import { loadModelDir } from '../native-runner/checkpoint/checkpoint';
import { loadTokenizer } from '../native-runner/data/tokenizer';
import { demoAssets } from '../src-main/demo-assets';
import { benchExtractShape } from './bench-extract-base';
import { median } from './median';
import { relaunchWithMallocTunables } from '../native-runner/util/malloc-tunables';

// the runner's malloc settings (native-runner/util/malloc-tunables.ts), so the figures are the runner's
const relaunched = relaunchWithMallocTunables();
if (relaunched) process.exit(await relaunched);                  // the relaunched copy did the work

const args = process.argv.slice(2);
if (args.includes('--shape')) {
  await benchExtractShape(args);
  process.exit(0);
}
const json = args.includes('--json');
const repsAt = args.indexOf('--reps');
const reps = repsAt >= 0 ? Number(args[repsAt + 1]) : 7;
const demo = demoAssets();
const probePath = demo.probeSets.find((p) => p.name.startsWith('biomedical'))?.path;
if (!demo.baseModel || !demo.tokenizer || !probePath || !existsSync(probePath)) {
  console.error(`bench:extract needs the demo base model, tokenizer and probe set; build the probe set with: ${demo.buildCommand}`);
  process.exit(1);
}
const { config, params } = loadModelDir(demo.baseModel);
const tok = loadTokenizer(demo.tokenizer);
const ids = readProbeSet(probePath).texts.map((t) => tok.encodeWithSpecials(t));
const maxLength = 64;
const B = 50;
const T = truncationLength(ids, maxLength, config.max_position_embeddings);
const lengths = ids.map((x) => Math.min(x.length, T));

/** Tokens the model runs (padding included) in each mode: the work the two modes differ by. */
function tokensRun(padToLongest: boolean): number {
  if (padToLongest) return Math.ceil(ids.length / B) * B * T;
  const sorted = [...lengths].sort((a, b) => a - b);
  let total = 0;
  for (let s = 0; s < sorted.length; s += B) total += B * Math.min(T, Math.ceil(sorted[Math.min(s + B, sorted.length) - 1] / 8) * 8);
  return total;
}

const times = { ordered: [] as number[], padded: [] as number[] };
for (let r = 0; r < reps + 1; r++) {
  for (const mode of ['ordered', 'padded'] as const) {
    const t0 = performance.now();
    await extractActivations(config, params, ids, { poolings: ['mean'], batchSize: B, maxLength, intraOpThreads: 2, padToLongest: mode === 'padded' });
    if (r > 0) times[mode].push(performance.now() - t0); // the first round warms up
  }
}
const row = {
  texts: ids.length, max_length: maxLength, batch: B, mean_tokens: Number((lengths.reduce((a, b) => a + b, 0) / ids.length).toFixed(1)),
  ordered_ms: Math.round(median(times.ordered)), padded_ms: Math.round(median(times.padded)),
  speedup: Number((median(times.padded) / median(times.ordered)).toFixed(2)),
  tokens_ordered: tokensRun(false), tokens_padded: tokensRun(true), reps, load_average: Number(loadavg()[0].toFixed(2)),
};
if (json) console.log(JSON.stringify(row));
else {
  console.log(`activation logging: demo base, ${row.texts} probe texts (mean ${row.mean_tokens} tokens, max_length ${maxLength}), batch ${B}, median of ${reps} (load ${row.load_average})`);
  console.log(`  length-ordered batches: ${row.ordered_ms} ms (${row.tokens_ordered} tokens run)`);
  console.log(`  padded to the longest:  ${row.padded_ms} ms (${row.tokens_padded} tokens run)`);
  console.log(`  speed-up ${row.speedup}×`);
}
