// Measures what docs/study.md states: fine-tuning a checkpoint on a demo task against the majority
// baseline and the frozen-encoder probe (src-main/analysis/task-probe.ts) of the same checkpoint on
// the same splits. Reads a finished `npm run finetune` output folder (its task, recipe, checkpoint).
//   npx tsx scripts/finetune-vs-probe.ts --results DIR [--tokenizer PATH] [--json]
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadModelDir } from '../native-runner/checkpoint/checkpoint';
import { loadTokenizer } from '../native-runner/data/tokenizer';
import { prepareTask } from '../native-runner/finetune/finetune';
import { readResults } from '../native-runner/finetune/results';
import { taskFrom } from '../native-runner/finetune/cli-task';
import { frozenProbe } from '../src-main/analysis/task-probe';

const args = process.argv.slice(2);
const get = (k: string) => { const i = args.indexOf(k); return i >= 0 ? args[i + 1] : undefined; };
const dir = get('--results');
if (!dir) { console.error('usage: finetune-vs-probe --results DIR [--tokenizer PATH] [--json]'); process.exit(1); }
const res = readResults(dir);
const { config, params } = loadModelDir(res.model);
const tok = loadTokenizer(get('--tokenizer') ?? (existsSync(join(res.model, 'tokenizer.json')) ? res.model : 'fixtures/demo-tokenizer'));
const task = taskFrom(res.task.name.startsWith('demo:') ? res.task.name : res.task.source);
const prepared = prepareTask(tok, task, config, res.recipe.maxLength);
const t0 = Date.now();
const probe = await frozenProbe(config, params, prepared);
const ft = res.summary.accuracy!;
const out = {
  task: res.task.name, model: res.model, seeds: res.seeds.length,
  finetune: { mean: ft.mean, sd: ft.sd, perSeed: res.seeds.map((s) => s.test.accuracy), macroF1: res.summary.macroF1 },
  majority: res.majority, frozenProbe: probe, probeMs: Date.now() - t0,
  marginOverMajority: ft.mean - (res.majority?.accuracy ?? NaN), marginOverProbe: ft.mean - probe.accuracy,
  minSeedMarginOverProbe: Math.min(...res.seeds.map((s) => s.test.accuracy)) - probe.accuracy,
};
if (args.includes('--json')) console.log(JSON.stringify(out));
else {
  const p = (x: number) => (100 * x).toFixed(1);
  console.log(`${out.task} on ${out.model} (test ${res.task.sizes.test} examples)`);
  console.log(`  fine-tuned (${out.seeds} seeds): ${p(ft.mean)} ± ${p(ft.sd)} accuracy (${out.finetune.perSeed.map(p).join(' / ')}), macro F1 ${p(res.summary.macroF1!.mean)}`);
  console.log(`  majority baseline (${res.majority?.label}): ${p(res.majority!.accuracy)}`);
  console.log(`  frozen probe (logistic regression, layer ${probe.layer} mean-pooled): ${p(probe.accuracy)} accuracy, macro F1 ${p(probe.macroF1)}`);
  console.log(`  margin: +${p(out.marginOverMajority)} pp over majority, +${p(out.marginOverProbe)} pp over the probe (worst seed +${p(out.minSeedMarginOverProbe)})`);
}
