// A fine-tuning sweep (checkpoints × tasks, N seeds each), run where the analyses run (the analysis
// host's child in the app and serve mode): one native-runner/finetune sweep per job, its results file
// in OUT/<job>-<task>.json, progress as FinetuneSweepProgress patches.
import fs from 'node:fs';
import path from 'node:path';
import { loadModelDir } from '../../native-runner/checkpoint/checkpoint';
import { writeFileAtomic } from '../../native-runner/data/atomic-file';
import { loadTokenizer } from '../../native-runner/data/tokenizer';
import { taskFrom } from '../../native-runner/finetune/cli-task';
import { recipe } from '../../native-runner/finetune/recipe';
import { resultsJson, runSweep } from '../../native-runner/finetune/results';
import type { FinetuneSweepProgress, FinetuneSweepRequest } from '../common/finetune-types';

export interface FinetuneSweepInput extends FinetuneSweepRequest { outDir: string; demoTokenizer: string }
export interface FinetuneSweepResult { jobs: { index: number; resultsFile: string; perSeed: number[]; mean: number; sd: number; metric: string }[] }

/** `shouldStop` (in-process runs only; the host's child is stopped by ending it) is checked between
 *  steps: a stopped sweep throws, keeping the results files of the jobs that finished. */
export async function runFinetuneSweep(input: FinetuneSweepInput, progress: (p: FinetuneSweepProgress) => void = () => {}, shouldStop?: () => boolean): Promise<FinetuneSweepResult> {
  fs.mkdirSync(input.outDir, { recursive: true });
  const tasks = new Map(input.tasks.map((t) => [t, taskFrom(t)]));
  const out: FinetuneSweepResult['jobs'] = [];
  let index = 0;
  for (const ck of input.checkpoints) {
    const { config, params } = loadModelDir(ck.modelDir);
    const tok = loadTokenizer(fs.existsSync(path.join(ck.modelDir, 'tokenizer.json')) ? ck.modelDir : input.demoTokenizer);
    for (const taskName of input.tasks) {
      const i = index++;
      const r = recipe('demo', { epochs: input.epochs, maxTrainExamples: input.maxTrain, maxLength: input.maxLength, patience: 0 });
      const seeds = Array.from({ length: input.seeds }, (_, k) => k + 1);
      const metric = tasks.get(taskName)!.kind === 'token' ? 'entityF1' : tasks.get(taskName)!.kind === 'multi' ? 'microF1' : 'accuracy';
      progress({ type: 'job', index: i, status: 'running', perSeed: [], mean: null, sd: null, metric, resultsFile: null });
      const perSeed: number[] = [];
      const res = await runSweep({
        modelDir: ck.modelDir, config, params, tokenizer: tok, task: tasks.get(taskName)!, recipe: r, seeds, shouldStop,
        onEvent: (e) => {
          if (e.type === 'step') progress({ type: 'step', index: i, seed: e.seed, step: e.step, totalSteps: e.totalSteps, loss: e.loss });
          else if (e.type === 'epoch') progress({ type: 'epoch', index: i, seed: e.seed, epoch: e.epoch, score: e.devScore });
          else if (e.type === 'seed') { perSeed.push(e.test[metric as 'accuracy'] as number); progress({ type: 'seed', index: i, seed: e.seed, score: perSeed.at(-1)! }); }
        },
      });
      const taskTag = taskName.startsWith('demo:') ? taskName : path.basename(taskName);   // a user's task: its file name
      const file = path.join(input.outDir, `${String(i).padStart(2, '0')}-${ck.label.replace(/[^A-Za-z0-9._-]+/g, '_')}-${taskTag.replace(/[^A-Za-z0-9._-]+/g, '_')}.json`);
      writeFileAtomic(file, resultsJson(res));
      const s = res.summary[res.primary]!;
      progress({ type: 'job', index: i, status: 'done', perSeed, mean: s.mean, sd: s.sd, metric: res.primary, resultsFile: file });
      out.push({ index: i, resultsFile: file, perSeed, mean: s.mean, sd: s.sd, metric: res.primary });
    }
  }
  return { jobs: out };
}
