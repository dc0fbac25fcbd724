// Bad run configs are refused with an error naming the field, and nothing is written.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CORPUS, startRunner, writeConfig } from './run-cli';

const dir = mkdtempSync(join(tmpdir(), 'runner-bad-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function bertDir(): string {
  const d = join(dir, 'bert');
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'config.json'), JSON.stringify({ model_type: 'bert', architectures: ['BertForMaskedLM'], hidden_size: 16 }));
  return d;
}
const base = { model: 'tiny', data: CORPUS, seq_len: 32, batch_size: 4, phases: [{ name: 'a', objective: 'mlm', mask_rate: 0.3, steps: 2, lr: { peak: 1e-3 } }] };

const cases: [string, unknown, string][] = [
  ['unknown preset', { ...base, model: 'gigantic' }, 'model: unknown model preset "gigantic" (known: tiny, small, demo, base, large)'],
  ['freeze layer out of range', { ...base, phases: [{ ...base.phases[0], freeze: { layers: [0, 9] } }] }, 'phases[0].freeze: layers[1]: layer 9 is out of range for a 4-layer model (0..3)'],
  ['mask rate outside (0, 1)', { ...base, phases: [{ ...base.phases[0], mask_rate: 1.5 }] }, 'phases[0].mask_rate: must be in (0, 1)'],
  ['seq len beyond max positions', { ...base, seq_len: 100 }, "seq_len: 100 is beyond the model's max_position_embeddings (64)"],
  ['unknown recipe', { ...base, phases: undefined, recipe: { name: 'bert-style', tokens: 100 } }, 'recipe.name: unknown recipe "bert-style" (known: mlm-baseline, clm-detour)'],
  ['missing corpus', { ...base, data: join(dir, 'nope.txt') }, `cannot read corpus ${join(dir, 'nope.txt')}`],
  ['missing tokenizer (pipeline data)', { ...base, data: { corpus: CORPUS, tokenizer: join(dir, 'no-tokenizer') } }, `${join(dir, 'no-tokenizer')}: no such tokenizer file or directory`],
  ['init_from of another shape', { ...base, init_from: join(dir, 'bert') }, 'model_type is "bert"'],
  ['HF dir of another architecture', { ...base, model: { hf_dir: bertDir() } }, 'model_type is "bert" (architectures: BertForMaskedLM); only ModernBERT ("modernbert") is supported'],
  ['HF dir without config.json', { ...base, model: { hf_dir: join(dir, 'nowhere') } }, `${join(dir, 'nowhere', 'config.json')}: cannot read (ENOENT)`],
];

describe('runner train refuses bad input and writes nothing', () => {
  for (const [name, cfg, message] of cases) {
    it(name, async () => {
      const out = join(dir, `out-${name.replace(/\W+/g, '-')}`);
      const run = await startRunner(['train', '--config', writeConfig(dir, 'run.json', cfg), '--out', out, '--json']);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(message);
      const last = run.events[run.events.length - 1];
      expect(last).toMatchObject({ type: 'finished', status: 'failed' });
      expect(run.events.find((e) => e.type === 'error')).toMatchObject({ message: expect.stringContaining(message) });
      expect(existsSync(out)).toBe(false);
    });
  }
});

describe('runner train refuses bad arguments and writes nothing', () => {
  it('--max-threads 0', async () => {
    const out = join(dir, 'out-max-threads');
    const run = await startRunner(['train', '--config', writeConfig(dir, 'run.json', base), '--out', out, '--json', '--max-threads', '0']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--max-threads needs an integer >= 1, got 0');
    expect(existsSync(out)).toBe(false);
  });
});
