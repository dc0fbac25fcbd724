// The fine-tuning CLI:
//   npm run finetune -- --model DIR --task FILE|DIR|demo:NAME --seeds N --out DIR [--json]
//        [--recipe demo|paper-en|paper-fr] [--lr X] [--epochs N] [--batch-size N] [--max-length N]
//        [--pooling cls|mean] [--max-train N] [--patience N] [--weight-decay X] [--pos-weight none|balanced]
//        [--freeze-layers LIST] [--freeze-embeddings] [--seed-base S] [--tokenizer PATH] [--threads N]
//   npm run finetune -- compare --a DIR --b DIR [--metric NAME] [--replicates R] [--json]
// Seeds are seed-base, seed-base+1, … (default 1): two sweeps with the same seeds pair up in compare.
// Exit codes: 0 done, 1 bad input or failure (one line "error: …"), 2 stopped by SIGINT/SIGTERM
// (nothing written). With --json every event is one JSON line on stdout, the last {"type":"done"}.
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadModelDir } from '../checkpoint/checkpoint';
import { writeFileAtomic } from '../data/atomic-file';
import { DataError } from '../data/errors';
import { loadTokenizer } from '../data/tokenizer';
import { plainErrorMessage } from '../util/output-error';
import { compareResults } from './compare';
import { taskFrom } from './cli-task';
import { FinetuneStopped } from './finetune';
import type { Scores } from './metrics';
import { recipe, RECIPE_NAMES, type FinetuneRecipe } from './recipe';
import { readResults, RESULTS_FILE, resultsJson, runSweep } from './results';
import { significanceMarker } from './stats';

const USAGE = `usage: finetune --model DIR --task FILE|DIR|demo:NAME --seeds N --out DIR [--json] [--recipe ${RECIPE_NAMES.join('|')}]
         [--lr X] [--epochs N] [--batch-size N] [--max-length N] [--pooling cls|mean] [--max-train N] [--patience N]
         [--weight-decay X] [--pos-weight none|balanced] [--freeze-layers 0-3,5] [--freeze-embeddings] [--seed-base S]
         [--tokenizer PATH] [--threads N]
       finetune compare --a DIR --b DIR [--metric accuracy|macroF1|microF1|entityF1] [--replicates R] [--json]`;

type Flags = Record<string, string | true>;
const VALUED = new Set(['model', 'task', 'seeds', 'out', 'recipe', 'lr', 'epochs', 'batch-size', 'max-length', 'pooling', 'max-train', 'patience', 'weight-decay', 'pos-weight', 'freeze-layers', 'seed-base', 'tokenizer', 'threads', 'a', 'b', 'metric', 'replicates']);
const BOOL = new Set(['json', 'freeze-embeddings']);

function parseFlags(argv: string[]): Flags {
  const f: Flags = {};
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (!k.startsWith('--')) throw new Error(`unexpected argument ${k}\n${USAGE}`);
    const name = k.slice(2);
    if (BOOL.has(name)) f[name] = true;
    else if (VALUED.has(name)) {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`--${name} needs a value\n${USAGE}`);
      f[name] = v;
    } else throw new Error(`unknown option ${k}\n${USAGE}`);
  }
  return f;
}

function num(f: Flags, name: string, int: boolean, min: number): number | undefined {
  const v = f[name];
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!Number.isFinite(x) || (int && !Number.isInteger(x)) || x < min) throw new Error(`--${name} needs ${int ? 'an integer' : 'a number'} >= ${min}, got ${String(v)}`);
  return x;
}

export function parseLayerList(s: string): number[] {
  const out: number[] = [];
  for (const part of s.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`--freeze-layers: "${part}" is not a layer or a range like 0-3`);
    const [a, b] = [Number(m[1]), Number(m[2] ?? m[1])];
    if (b < a) throw new Error(`--freeze-layers: range ${part} runs backwards`);
    for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}

function recipeFrom(f: Flags): FinetuneRecipe {
  const o: Partial<FinetuneRecipe> = {};
  const set = <K extends keyof FinetuneRecipe>(k: K, v: FinetuneRecipe[K] | undefined) => { if (v !== undefined) o[k] = v; };
  set('lr', num(f, 'lr', false, 0));
  set('epochs', num(f, 'epochs', true, 1));
  set('batchSize', num(f, 'batch-size', true, 1));
  set('maxLength', num(f, 'max-length', true, 4));
  set('maxTrainExamples', num(f, 'max-train', true, 1));
  set('patience', num(f, 'patience', true, 0));
  set('weightDecay', num(f, 'weight-decay', false, 0));
  if (f.pooling !== undefined) set('pooling', f.pooling as FinetuneRecipe['pooling']);
  if (f['pos-weight'] !== undefined) set('posWeight', f['pos-weight'] as FinetuneRecipe['posWeight']);
  if (f['freeze-layers'] !== undefined || f['freeze-embeddings']) {
    o.freeze = { embeddings: f['freeze-embeddings'] === true, layers: f['freeze-layers'] ? parseLayerList(String(f['freeze-layers'])) : [], head: false };
  }
  return recipe(typeof f.recipe === 'string' ? f.recipe : 'demo', o);
}

const pct = (x: number) => (100 * x).toFixed(1);

export function summaryLines(r: ReturnType<typeof readResults>): string[] {
  const lines = [`${r.task.name} (${r.task.kind}, ${r.task.labels.length} labels; train ${r.task.sizes.train} / dev ${r.task.sizes.dev} / test ${r.task.sizes.test}), ${r.seeds.length} seed(s):`];
  for (const [k, v] of Object.entries(r.summary)) if (v) lines.push(`  ${k.padEnd(9)} ${pct(v.mean)} ± ${pct(v.sd)}  (${r.seeds.map((s) => pct(s.test[k as keyof Scores] as number)).join(' / ')})`);
  if (r.majority) lines.push(`  majority baseline (${r.majority.label}): ${pct(r.majority.accuracy)}`);
  return lines;
}

async function finetune(f: Flags): Promise<number> {
  for (const k of ['model', 'task', 'seeds', 'out']) if (f[k] === undefined) throw new Error(`--${k} is required\n${USAGE}`);
  const json = f.json === true;
  const modelDir = resolve(String(f.model));
  const nSeeds = num(f, 'seeds', true, 1)!;
  const seedBase = num(f, 'seed-base', true, 0) ?? 1;
  const rec = recipeFrom(f);
  const task = taskFrom(String(f.task));
  const { config, params } = loadModelDir(modelDir);
  const tokPath = typeof f.tokenizer === 'string' ? f.tokenizer : existsSync(join(modelDir, 'tokenizer.json')) ? modelDir : null;
  if (!tokPath) throw new Error(`${modelDir} has no tokenizer.json: pass --tokenizer (the demo runs use fixtures/demo-tokenizer)`);
  const tokenizer = loadTokenizer(tokPath);
  const out = resolve(String(f.out));
  mkdirSync(out, { recursive: true });
  let stop = false;
  const onSignal = () => { stop = true; };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let lastLog = 0;
  const seeds = Array.from({ length: nSeeds }, (_, i) => seedBase + i);
  try {
    const res = await runSweep({
      modelDir, config, params, tokenizer, task, recipe: rec, seeds, threads: num(f, 'threads', true, 1),
      shouldStop: () => stop,
      onEvent: (e) => {
        if (json) { process.stdout.write(JSON.stringify(e) + '\n'); return; }
        if (e.type === 'step' && Date.now() - lastLog > 5000) { lastLog = Date.now(); process.stderr.write(`seed ${e.seed}: step ${e.step}/${e.totalSteps} loss ${e.loss.toFixed(4)}\n`); }
        if (e.type === 'epoch') process.stderr.write(`seed ${e.seed}: epoch ${e.epoch} train loss ${e.trainLoss.toFixed(4)}, dev ${pct(e.devScore)}${e.best ? ' (best)' : ''}\n`);
        if (e.type === 'seed') process.stderr.write(`seed ${e.seed} done (${e.index + 1}/${e.of}): test ${Object.entries(e.test).map(([k, v]) => `${k} ${pct(v as number)}`).join(', ')} [best epoch ${e.bestEpoch}, ${(e.wallMs / 1000).toFixed(0)} s]\n`);
      },
    });
    writeFileAtomic(join(out, RESULTS_FILE), resultsJson(res));
    if (json) process.stdout.write(JSON.stringify({ type: 'done', out: join(out, RESULTS_FILE), summary: res.summary, majority: res.majority, wallMs: res.wallMs }) + '\n');
    else process.stdout.write([...summaryLines(res), `written: ${join(out, RESULTS_FILE)} (${(res.wallMs / 1000).toFixed(0)} s)`].join('\n') + '\n');
    return 0;
  } catch (e) {
    if (e instanceof FinetuneStopped) {
      if (json) process.stdout.write(JSON.stringify({ type: 'stopped', message: e.message }) + '\n');
      else process.stderr.write(`stopped: ${e.message} (nothing written)\n`);
      return 2;
    }
    throw e;
  }
}

function compare(f: Flags): number {
  for (const k of ['a', 'b']) if (f[k] === undefined) throw new Error(`--${k} is required\n${USAGE}`);
  const a = readResults(String(f.a)), b = readResults(String(f.b));
  const metric = (typeof f.metric === 'string' ? f.metric : a.primary) as keyof Scores;
  const t = compareResults(a, b, metric, { replicates: num(f, 'replicates', true, 100) ?? 2000 });
  if (f.json === true) process.stdout.write(JSON.stringify({ type: 'compare', a: String(f.a), b: String(f.b), ...t }) + '\n');
  else {
    const s = (x: number) => (x >= 0 ? '+' : '') + pct(x);
    process.stdout.write([
      `${metric}: A ${pct(a.summary[metric]!.mean)} ± ${pct(a.summary[metric]!.sd)}, B ${pct(b.summary[metric]!.mean)} ± ${pct(b.summary[metric]!.sd)} (${t.seeds} paired seeds, ${t.examples} test examples)`,
      `A − B = ${s(t.delta)} pp, ${Math.round(t.level * 100)}% CI [${s(t.ci[0])}, ${s(t.ci[1])}], p = ${t.pTwoSided.toPrecision(2)} two-sided (p = ${t.pOneSided.toPrecision(2)} for A > B)${significanceMarker(t.pTwoSided) ? ' ' + significanceMarker(t.pTwoSided) : ''}; paired bootstrap over seeds and test examples, ${t.replicates} replicates`,
    ].join('\n') + '\n');
  }
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  try {
    if (argv[0] === 'compare') return compare(parseFlags(argv.slice(1)));
    return await finetune(parseFlags(argv));
  } catch (e) {
    const msg = e instanceof DataError || e instanceof Error ? plainErrorMessage(e) : String(e);
    if (json) process.stdout.write(JSON.stringify({ type: 'error', error: msg, ...(e instanceof DataError ? { file: e.file, line: e.line } : {}) }) + '\n');
    process.stderr.write(`error: ${msg}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
