// The study's downstream score as the paper measures it: each freeze condition's final checkpoint is
// fine-tuned (native-runner/finetune) on the demo supersense task with several seeds, and every
// condition is compared with the MLM baseline by the paired bootstrap across seeds and test examples.
// Seeds pair across conditions (seed s: the same classifier init and data order for every checkpoint).
// Each condition's results file is kept in WORK/finetune/ under a name that carries the checkpoint's
// weight hash and the recipe's, so an interrupted or repeated study reuses what it finished.
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { loadModelDir } from '../../native-runner/checkpoint/checkpoint';
import { writeFileAtomic } from '../../native-runner/data/atomic-file';
import { loadTokenizer } from '../../native-runner/data/tokenizer';
import { compareResults } from '../../native-runner/finetune/compare';
import { demoTask } from '../../native-runner/finetune/demo-tasks';
import { FinetuneSessions, prepareTask } from '../../native-runner/finetune/finetune';
import { recipe, type FinetuneRecipe } from '../../native-runner/finetune/recipe';
import { readResults, resultsJson, runSweep, type FinetuneResults } from '../../native-runner/finetune/results';
import { significanceMarker } from '../../native-runner/finetune/stats';
import { subsampleTask } from '../../native-runner/finetune/task';
import { modelDirHash } from '../analysis/activation-log';
import type { StudyFinetune, StudyFinetuneRow } from '../common/study-types';
import type { FinalCheckpoint } from './analyses';
import { STUDY_RUNS, type ScalePreset, type StudyRunKey } from './plan';

/** The paper's five freeze-table conditions (the MLM seed-2 control is a pretraining-noise check, not a condition). */
export const FINETUNE_CONDITIONS: StudyRunKey[] = ['mlm-s1', 'clm', 'clm-freeze-low', 'clm-freeze-mid', 'clm-decay-freeze-low'];
export const FINETUNE_TASK = 'supersense';

export interface FinetuneStageOptions {
  preset: ScalePreset;
  finals: FinalCheckpoint[];
  tokenizer: string;
  workDir: string;
  onProgress?: (message: string) => void;
  threads?: number;
}

export function studyFinetuneRecipe(p: ScalePreset): FinetuneRecipe {
  const f = p.finetune;
  return recipe('demo', { epochs: f.epochs, lr: f.lr, maxLength: f.maxLength, patience: 0, batchSize: 16 });
}

const hash8 = (x: unknown) => createHash('sha256').update(JSON.stringify(x)).digest('hex').slice(0, 8);

/**
 * The paper's freeze pattern, by fine-tuning: the CLM detour beats MLM (paired bootstrap, p < 0.05),
 * low frozen during CLM does not (p ≥ 0.05: the gain is gone), mid frozen during CLM still does
 * (p < 0.05). "appears" when all three hold, "partly" when the CLM gain is significant but one of the
 * freeze results differs, "does not appear" when the CLM detour does not significantly beat MLM.
 */
export function freezePatternSentence(f: Pick<StudyFinetune, 'rows' | 'seeds' | 'metric' | 'task' | 'examples'>): string {
  const row = (k: string) => f.rows.find((r) => r.key === k);
  const sig = (k: string) => (row(k)?.test?.pOneSided ?? 1) < 0.05;
  const d = (k: string) => {
    const r = row(k);
    if (!r || !r.test) return 'n/a';
    return `${r.test.delta >= 0 ? '+' : ''}${(100 * r.test.delta).toFixed(1)} pp (p = ${r.test.pOneSided.toPrecision(2)})`;
  };
  const verdict = !sig('clm') ? 'does NOT appear (no significant CLM gain to remove)'
    : !sig('clm-freeze-low') && sig('clm-freeze-mid') ? 'APPEARS'
      : `appears only PARTLY (${sig('clm-freeze-low') ? 'freezing the low layers during CLM keeps a significant gain, unlike the paper' : 'the low-freeze loses the gain as in the paper'}; ${sig('clm-freeze-mid') ? 'the mid-freeze keeps it as in the paper' : 'the mid-freeze loses it too, unlike the paper'})`;
  return `By fine-tuning (${f.task}, ${f.metric}, ${f.seeds} seeds per condition, ${f.examples} test examples; one-sided paired bootstrap across seeds and test examples against MLM), the CLM detour is ${d('clm')}, low frozen during CLM ${d('clm-freeze-low')}, mid frozen during CLM ${d('clm-freeze-mid')}, low frozen during the decay ${d('clm-decay-freeze-low')}: the paper's freeze pattern (CLM > MLM, the gain gone when the low layers are frozen during CLM, kept when the mid layers are) ${verdict}.`;
}

export async function runFinetuneStage(o: FinetuneStageOptions): Promise<StudyFinetune> {
  const say = o.onProgress ?? (() => {});
  const f = o.preset.finetune;
  const r = studyFinetuneRecipe(o.preset);
  const full = demoTask(FINETUNE_TASK);
  const task = subsampleTask(full, { train: f.maxTrain, dev: f.maxDev, test: f.maxTest });
  const tok = loadTokenizer(o.tokenizer);
  const seeds = Array.from({ length: f.seeds }, (_, i) => i + 1);
  const dir = path.join(o.workDir, 'finetune');
  fs.mkdirSync(dir, { recursive: true });
  const sessions = new FinetuneSessions();
  const results = new Map<StudyRunKey, FinetuneResults>();
  const recipeTag = hash8({ r, seeds, sizes: [task.splits.train.length, task.splits.dev.length, task.splits.test.length], task: task.name });
  let prepared: ReturnType<typeof prepareTask> | undefined;
  try {
    for (const [i, key] of FINETUNE_CONDITIONS.entries()) {
      const fin = o.finals.find((x) => x.key === key);
      if (!fin) throw new Error(`fine-tuning: no final checkpoint of ${key}`);
      const file = path.join(dir, `${key}-${modelDirHash(fin.path).slice(0, 8)}-${recipeTag}.json`);
      if (fs.existsSync(file)) { results.set(key, readResults(file)); continue; }
      const { config, params } = loadModelDir(fin.path);
      prepared ??= prepareTask(tok, task, config, r.maxLength);
      let done = 0;
      const total = seeds.length;
      const res = await runSweep({
        modelDir: fin.path, config, params, tokenizer: tok, task, recipe: r, seeds, threads: o.threads, sessions, prepared,
        onEvent: (e) => {
          if (e.type === 'seed') done++;
          if (e.type === 'step' && e.step % 10 === 0) say(`fine-tuning ${i + 1}/${FINETUNE_CONDITIONS.length} (${key}), seed ${done + 1}/${total}, step ${e.step}/${e.totalSteps}`);
        },
      });
      writeFileAtomic(file, resultsJson(res));
      results.set(key, res);
    }
  } finally {
    await sessions.release();
  }
  const mlm = results.get('mlm-s1')!;
  const metric = mlm.primary;
  const rows: StudyFinetuneRow[] = FINETUNE_CONDITIONS.map((key) => {
    const res = results.get(key)!;
    const s = res.summary[metric]!;
    const test = key === 'mlm-s1' ? null : compareResults(res, mlm, metric, { replicates: f.replicates, seed: 0 });
    return {
      key, label: STUDY_RUNS.find((x) => x.key === key)!.label, perSeed: res.seeds.map((x) => x.test[metric] as number), mean: s.mean, sd: s.sd,
      macroF1: res.summary.macroF1?.mean ?? null,
      deltaVsMlm: s.mean - mlm.summary[metric]!.mean,
      test: test && { delta: test.delta, ci: test.ci, pOneSided: test.pOneSided, pTwoSided: test.pTwoSided, replicates: test.replicates },
      marker: test ? significanceMarker(test.pOneSided) : '',
    };
  });
  const out: StudyFinetune = {
    task: `demo:${FINETUNE_TASK}`, metric, seeds: seeds.length, examples: task.splits.test.length,
    sizes: { train: task.splits.train.length, dev: task.splits.dev.length, test: task.splits.test.length },
    recipe: { lr: r.lr, epochs: r.epochs, batchSize: r.batchSize, maxLength: r.maxLength, warmupRatio: r.warmupRatio, weightDecay: r.weightDecay, pooling: r.pooling },
    majority: mlm.majority, rows, sentence: '',
  };
  out.sentence = freezePatternSentence(out);
  return out;
}
