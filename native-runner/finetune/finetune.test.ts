// The fine-tuning loop end to end on real ORT sessions, with a tiny freshly initialised ModernBERT and
// the demo tokenizer: tasks a model can only solve by reading its input (a keyword decides the class /
// the labels / the tags) are learnt; a seed gives the same result twice; frozen tensors are never
// written; early stopping keeps the best dev epoch; a stop request ends a seed with FinetuneStopped.
import { describe, expect, it } from 'vitest';
import { loadTokenizer } from '../data/tokenizer';
import { presetConfig } from '../model/config';
import { initParameters } from '../model/init';
import { FinetuneEngine, FinetuneStopped, prepareTask } from './finetune';
import { recipe } from './recipe';
import type { Example, Task } from './task';

const tok = loadTokenizer('fixtures/demo-tokenizer');
const cfg = presetConfig('tiny', { vocab_size: tok.vocabSize, pad_token_id: tok.specialIds.pad, cls_token_id: tok.specialIds.cls, sep_token_id: tok.specialIds.sep });
const params = initParameters(cfg, 3);
const FILL = ['the', 'a', 'small', 'green', 'house', 'river', 'walks', 'near', 'old', 'stone', 'under', 'light'];

function rng(seed: number) { let s = seed; return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31); }
function words(r: () => number, n: number) { return Array.from({ length: n }, () => FILL[Math.floor(r() * FILL.length)]); }

function classTask(n: number): Task {
  const r = rng(1);
  const ex = (i: number): Example => {
    const key = i % 3 === 0 ? 'heart' : i % 3 === 1 ? 'liver' : 'bone';
    const w = words(r, 6);
    w.splice(Math.floor(r() * 6), 0, key);
    return { text: w.join(' '), label: key, where: `t:${i}` };
  };
  const all = Array.from({ length: n }, (_, i) => ex(i));
  return { name: 'kw', kind: 'single', labels: ['bone', 'heart', 'liver'], entityTypes: [], splits: { train: all.slice(0, n - 60), dev: all.slice(n - 60, n - 30), test: all.slice(n - 30) }, source: 'test' };
}

function tagTask(n: number): Task {
  const r = rng(2);
  const all: Example[] = Array.from({ length: n }, (_, i) => {
    const tokens = words(r, 7);
    const tags = tokens.map(() => 'O');
    const at = Math.floor(r() * 6);
    tokens[at] = 'heart'; tokens[at + 1] = 'muscle'; tags[at] = 'B-BODY'; tags[at + 1] = 'I-BODY';
    return { tokens, tags, where: `t:${i}` };
  });
  return { name: 'tag', kind: 'token', labels: ['O', 'B-BODY', 'I-BODY'], entityTypes: ['BODY'], splits: { train: all.slice(0, n - 40), dev: all.slice(n - 40, n - 20), test: all.slice(n - 20) }, source: 'test' };
}

function multiTask(n: number): Task {
  const r = rng(3);
  const all: Example[] = Array.from({ length: n }, (_, i) => {
    const w = words(r, 5);
    const labels: string[] = [];
    if (i % 2) { w.push('heart'); labels.push('cardio'); }
    if (i % 3 === 0) { w.unshift('liver'); labels.push('hepato'); }
    return { text: w.join(' '), labels, where: `t:${i}` };
  });
  return { name: 'ml', kind: 'multi', labels: ['cardio', 'hepato'], entityTypes: [], splits: { train: all.slice(0, n - 60), dev: all.slice(n - 60, n - 30), test: all.slice(n - 30) }, source: 'test' };
}

const fast = recipe('demo', { lr: 5e-3, epochs: 15, batchSize: 16, maxLength: 32, patience: 0, warmupRatio: 0.1 });

describe('fine-tuning loop (tiny model, real sessions)', () => {
  it('single-label: learns a keyword rule far above chance; the same seed gives the same result', async () => {
    const prepared = prepareTask(tok, classTask(300), cfg, fast.maxLength);
    const before = new Map([...params].map(([k, v]) => [k, Float32Array.from(v)]));
    const e = new FinetuneEngine({ config: cfg, params, prepared, recipe: fast, threads: 1 });
    const a = await e.runSeed(7);
    const b = await e.runSeed(7);
    await e.release();
    expect(a.test.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(a.lossCurve.at(-1)!.loss).toBeLessThan(a.lossCurve[0].loss);
    expect(b.test).toEqual(a.test);
    expect(b.lossCurve).toEqual(a.lossCurve);
    // the checkpoint handed in is never written (trainable tensors are copied per seed)
    for (const [k, v] of before) expect(Buffer.from(params.get(k)!.buffer).equals(Buffer.from(v.buffer))).toBe(true);
    // warmup then linear decay to ~0
    const lrs = a.lossCurve.map((p) => p.lr);
    const peak = lrs.indexOf(Math.max(...lrs));
    expect(peak).toBe(Math.ceil(0.1 * lrs.length) - 1);
    expect(lrs.at(-1)!).toBeLessThan(lrs[peak] / 10);
  });

  it('tagging: learns BIO spans (entity F1 ≥ 0.9); multilabel: micro F1 ≥ 0.9', async () => {
    for (const [task, key] of [[tagTask(240), 'entityF1'], [multiTask(300), 'microF1']] as const) {
      const prepared = prepareTask(tok, task, cfg, fast.maxLength);
      const e = new FinetuneEngine({ config: cfg, params, prepared, recipe: fast, threads: 1 });
      const r = await e.runSeed(1);
      await e.release();
      expect(r.test[key]!).toBeGreaterThanOrEqual(0.9);
    }
  });

  it('frozen embeddings and layers stay bit-identical inside a seed; early stopping keeps the best dev epoch', async () => {
    const frozen = recipe('demo', { lr: 3e-3, epochs: 5, batchSize: 16, maxLength: 32, patience: 1, freeze: { embeddings: true, layers: [0, 1, 2, 3], head: true } });
    const prepared = prepareTask(tok, classTask(200), cfg, frozen.maxLength);
    const before = new Map([...params].map(([k, v]) => [k, Float32Array.from(v)]));
    const e = new FinetuneEngine({ config: cfg, params, prepared, recipe: frozen, threads: 1 });
    expect(e.trainable.map((s) => s.name)).toEqual(['classifier.weight', 'classifier.bias']);
    const r = await e.runSeed(2);
    await e.release();
    const best = Math.max(...r.devCurve.map((d) => d.score));
    expect(r.devCurve[r.bestEpoch - 1].score).toBe(best);
    expect(r.devCurve.length - r.bestEpoch).toBeLessThanOrEqual(1);
    for (const [k, v] of before) expect(Buffer.from(params.get(k)!.buffer).equals(Buffer.from(v.buffer))).toBe(true);
  });

  it('a stop request ends the seed with FinetuneStopped', async () => {
    const prepared = prepareTask(tok, classTask(200), cfg, 32);
    let steps = 0;
    const e = new FinetuneEngine({ config: cfg, params, prepared, recipe: fast, threads: 1, onEvent: () => { steps++; }, shouldStop: () => steps >= 3 });
    await expect(e.runSeed(1)).rejects.toBeInstanceOf(FinetuneStopped);
    await e.release();
  });
});
