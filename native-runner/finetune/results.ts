// A fine-tuning sweep of one (model, task, recipe) over N seeds, and its results file. The file keeps
// every seed's test predictions with the gold answers' order, so paired tests between two results
// files (compare.ts) recompute any metric on resampled test examples.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TextTokenizer } from '../data/tokenizer';
import { parseJsonText } from '../data/json-text';
import type { ModernBertConfig } from '../model/config';
import type { Scores } from './metrics';
import { FinetuneEngine, prepareTask, primaryMetric, type FinetuneEvent, type FinetuneSessions, type Predictions, type PreparedTask, type SeedResult } from './finetune';
import type { FinetuneRecipe } from './recipe';
import type { EncodedExample } from './encode';
import { meanSd } from './stats';
import type { Task } from './task';

export const RESULTS_FORMAT = 'encoder-workbench/finetune-results@1';
export const RESULTS_FILE = 'finetune-results.json';

export interface FinetuneResults {
  format: typeof RESULTS_FORMAT;
  model: string;                        // the checkpoint directory
  task: { name: string; kind: Task['kind']; source: string; labels: string[]; sizes: Record<'train' | 'dev' | 'test', number> };
  recipe: FinetuneRecipe;
  primary: keyof Scores;                // the metric early stopping and the summary lead with
  seeds: Omit<SeedResult, 'testPredictions'>[];
  /** test predictions per seed (same order as `seeds`); token tasks: tags per word */
  predictions: Predictions[];
  /** test gold answers in the same order: label indices (single), 0/1 rows (multi), tags per word (token) */
  gold: Predictions;
  summary: Partial<Record<keyof Scores, { mean: number; sd: number; n: number }>>;
  majority: { label: string; accuracy: number } | null;   // single-label: the train split's most frequent class on test
  wallMs: number;
}

export interface SweepOptions {
  modelDir: string;
  config: ModernBertConfig;
  params: ReadonlyMap<string, Float32Array>;
  tokenizer: TextTokenizer;
  task: Task;
  recipe: FinetuneRecipe;
  seeds: number[];
  threads?: number;
  onEvent?: (e: FinetuneEvent | { type: 'seed'; seed: number; index: number; of: number; test: Scores; bestEpoch: number; wallMs: number }) => void;
  shouldStop?: () => boolean;
  sessions?: FinetuneSessions;          // shared across sweeps of other checkpoints (the study)
  prepared?: PreparedTask;              // already encoded (the study encodes once for all conditions)
}

export function summarise(seeds: { test: Scores }[]): FinetuneResults['summary'] {
  const keys = [...new Set(seeds.flatMap((s) => Object.keys(s.test)))] as (keyof Scores)[];
  return Object.fromEntries(keys.map((k) => [k, meanSd(seeds.map((s) => s.test[k] as number))]));
}

export function majorityOnTest(task: Task): FinetuneResults['majority'] {
  if (task.kind !== 'single') return null;
  const counts = new Map<string, number>();
  for (const e of task.splits.train) counts.set(e.label!, (counts.get(e.label!) ?? 0) + 1);
  const label = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0][0];
  return { label, accuracy: task.splits.test.filter((e) => e.label === label).length / task.splits.test.length };
}

export function goldOf(test: EncodedExample[], kind: Task['kind']): Predictions {
  return (kind === 'single' ? test.map((e) => e.label!) : kind === 'multi' ? test.map((e) => e.targets!) : test.map((e) => e.gold!)) as Predictions;
}

export async function runSweep(o: SweepOptions): Promise<FinetuneResults> {
  const t0 = Date.now();
  if (o.seeds.length === 0) throw new Error('no seeds to run');
  const prepared = o.prepared ?? prepareTask(o.tokenizer, o.task, o.config, o.recipe.maxLength);
  const engine = new FinetuneEngine({ config: o.config, params: o.params, prepared, recipe: o.recipe, threads: o.threads, onEvent: o.onEvent, shouldStop: o.shouldStop, sessions: o.sessions });
  const results: SeedResult[] = [];
  try {
    for (const [i, seed] of o.seeds.entries()) {
      const r = await engine.runSeed(seed);
      results.push(r);
      o.onEvent?.({ type: 'seed', seed, index: i, of: o.seeds.length, test: r.test, bestEpoch: r.bestEpoch, wallMs: r.wallMs });
    }
  } finally {
    await engine.release();
  }
  const t = o.task;
  return {
    format: RESULTS_FORMAT,
    model: o.modelDir,
    task: { name: t.name, kind: t.kind, source: t.source, labels: t.labels, sizes: { train: t.splits.train.length, dev: t.splits.dev.length, test: t.splits.test.length } },
    recipe: o.recipe,
    primary: primaryMetric(t.kind),
    seeds: results.map(({ testPredictions: _p, ...rest }) => rest),
    predictions: results.map((r) => r.testPredictions),
    gold: goldOf(prepared.encoded.test, t.kind),
    summary: summarise(results),
    majority: majorityOnTest(t),
    wallMs: Date.now() - t0,
  };
}

/** JSON form: Uint8Array predictions (multilabel) become arrays of 0/1. */
export function resultsJson(r: FinetuneResults): string {
  return JSON.stringify(r, (_k, v) => (v instanceof Uint8Array ? Array.from(v) : v), 2) + '\n';
}

export function readResults(pathOrDir: string): FinetuneResults {
  const file = existsSync(join(pathOrDir, RESULTS_FILE)) ? join(pathOrDir, RESULTS_FILE) : pathOrDir;
  if (!existsSync(file)) throw new Error(`${file}: no such results file (a fine-tuning output folder holds ${RESULTS_FILE})`);
  const r = parseJsonText(readFileSync(file, 'utf8'), file) as FinetuneResults;
  if (!r || r.format !== RESULTS_FORMAT) throw new Error(`${file}: not a fine-tuning results file (format ${JSON.stringify(r?.format)}, expected ${RESULTS_FORMAT})`);
  if (r.task.kind === 'multi') {
    const rows = (p: unknown) => (p as number[][]).map((row) => Uint8Array.from(row));
    r.predictions = r.predictions.map(rows) as Predictions[];
    r.gold = rows(r.gold) as Predictions;
  }
  return r;
}
