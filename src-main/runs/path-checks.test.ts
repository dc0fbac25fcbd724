import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRunConfig } from './config-check';

let dir: string;
const phases = [{ name: 'p', objective: 'clm', steps: 3, lr: { peak: 1e-3 } }];
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-paths-'));
  fs.writeFileSync(path.join(dir, 'corpus.txt'), 'some text\n');
  fs.mkdirSync(path.join(dir, 'tok-empty'));
  fs.writeFileSync(path.join(dir, 'probe.jsonl'), '{"id":"1","text":"x"}\n');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('checkRunConfig: the paths a config names', () => {
  it('passes a config whose files exist (relative to the workspace)', () => {
    expect(checkRunConfig({ model: 'tiny', data: { corpus: 'corpus.txt', tokenizer: path.resolve('fixtures/demo-tokenizer') }, seq_len: 16, batch_size: 2, phases, probe_set: { path: 'probe.jsonl' } }, dir))
      .toEqual({ ok: true, errors: [], totalSteps: 3 });
  });

  it('names every missing corpus, tokenizer, probe set and start model, each at its field', () => {
    const r = checkRunConfig({
      model: 'tiny', seq_len: 16, batch_size: 2, phases, init_from: 'no-model',
      data: { corpus: ['corpus.txt', 'gone.txt'], tokenizer: 'tok-empty' }, probe_set: { path: '/nowhere/probe.jsonl' },
    }, dir);
    expect(r.ok).toBe(false);
    expect(r.errors).toEqual([
      `init_from: ${path.join(dir, 'no-model')} does not exist`,
      `data.corpus[1]: ${path.join(dir, 'gone.txt')} does not exist`,
      `data.tokenizer: ${path.join(dir, 'tok-empty')} has no tokenizer.json`,
      'probe_set.path: /nowhere/probe.jsonl does not exist',
    ]);
  });
});
