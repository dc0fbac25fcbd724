import { describe, expect, it } from 'vitest';
import { MODEL_PRESETS } from '../../../native-runner/model/config';
import { expandSweep, recipePhases, sweepIssues, type SweepSpec } from '../../../src-main/common/sweep';
import { clientCheck, collectIssues, fieldErrorsOf } from './run-checks';
import { plainMessage } from './plain-messages';

function sweep(): SweepSpec {
  return {
    base: { model: 'tiny', data: { corpus: 'c.txt', tokenizer: 'tok' }, seq_len: 32, batch_size: 4 },
    recipes: [
      { name: 'mlm-baseline', phases: recipePhases('mlm-baseline', 2560, 128) },
      { name: 'clm-detour', phases: recipePhases('clm-detour', 2560, 128) },
    ],
    freezes: [{ name: 'none', phases: ['none', 'none'] }, { name: 'custom', phases: [{ embeddings: false, layers: [0, 7, 2, 9], head: false }] }],
    seeds: [1],
  };
}
const check = (spec: SweepSpec) => expandSweep(spec).map((r) => clientCheck(r, MODEL_PRESETS.tiny));

describe('the form\'s validation (runner schema, messages per field)', () => {
  it('a valid sweep has no issues and every run parsed with its steps', () => {
    const spec = sweep();
    spec.freezes[1].phases = ['low'];
    const runs = check(spec);
    expect(runs.map((c) => c.parsed?.phases.map((p) => p.steps))).toEqual([[20, 2], [20, 2], [20, 2], [20, 2]]);
    expect(collectIssues(spec, null, sweepIssues(spec), runs)).toEqual([]);
  });

  it('puts each runner message at the field that set it, once, with the runs it affects', () => {
    const spec = sweep();
    spec.recipes[1].phases[1].mask_rate = 1.5;   // clm-detour's decay
    spec.base.seq_len = 100;                      // tiny: max_position_embeddings 64
    const runs = check(spec);
    expect(runs.every((c) => c.parsed === null)).toBe(true);
    const issues = collectIssues(spec, 'a seed is listed twice', sweepIssues(spec), runs);
    expect(issues).toEqual([
      { key: 'seeds', message: 'a seed is listed twice', runs: [] },
      { key: 'seq_len', message: "100 is beyond the model's max_position_embeddings (64)", runs: [
        'mlm-baseline · freeze none · seed 1', 'mlm-baseline · freeze custom · seed 1', 'clm-detour · freeze none · seed 1', 'clm-detour · freeze custom · seed 1'] },
      // layers 7 and 9 do not exist in tiny's 4 layers: the condition set them, so the message sits
      // there, and it names both (the runner stops at the first)
      { key: 'freezes[1].phases[0]', message: 'layers 7 and 9 are out of range for a 4-layer model (0..3)', runs: [
        'mlm-baseline · freeze custom · seed 1', 'clm-detour · freeze custom · seed 1'] },
      { key: 'recipes[1].phases[1].mask_rate', message: 'must be in (0, 1)', runs: ['clm-detour · freeze none · seed 1', 'clm-detour · freeze custom · seed 1'] },
    ]);
    const fields = fieldErrorsOf(issues);
    expect(fields.get('recipes[1].phases[1].mask_rate')).toEqual(['must be in (0, 1)']);
    expect(fields.has('recipes[0].phases[1].mask_rate')).toBe(false);
  });

  it('reports schema type errors of emptied fields at their path', () => {
    const spec = sweep();
    delete spec.base.batch_size;
    spec.recipes[0].phases[0].lr!.peak = -1;
    const issues = collectIssues(spec, null, [], check(spec));
    expect(issues.map((i) => i.key)).toEqual(['batch_size', 'recipes[0].phases[0].lr.peak']);
    expect(issues[1].message).toBe('must be > 0');
  });

  it('sweep-level problems (nothing to expand) are issues too', () => {
    const spec = sweep();
    spec.recipes = [];
    const problems = sweepIssues(spec);
    expect(collectIssues(spec, null, problems, [])).toEqual([
      { key: 'recipes', message: 'add at least one recipe', runs: [] },
    ]);
  });

  it('says schema messages in plain language: an emptied Peak LR or corpus is "required", not a default', () => {
    const spec = sweep();
    (spec.base.data as Record<string, unknown>).corpus = '';
    // what the Peak LR box stores when emptied (num-input.ts setRequiredNumber): null, never a silent 2e-4
    (spec.recipes[0].phases[0].lr as unknown as Record<string, unknown>).peak = null;
    spec.base.device = 'gpu';
    const issues = collectIssues(spec, null, [], check(spec));
    expect(issues.map((i) => [i.key, i.message])).toEqual([
      ['data.corpus', 'required: this cannot be empty'],
      ['device', 'choose one of cpu, cuda, auto'],
      ['recipes[0].phases[0].lr.peak', 'required: enter a number'],
    ]);
  });
});

describe('plainMessage', () => {
  it('rewrites the schema library\'s wording and leaves the runner\'s own messages alone', () => {
    expect(plainMessage('Too small: expected string to have >=1 characters')).toBe('required: this cannot be empty');
    expect(plainMessage('Invalid input: expected number, received string')).toBe('expected a number, not a string');
    expect(plainMessage('Too big: expected number to be <=1')).toBe('must be at most 1');
    expect(plainMessage('Invalid input: expected int, received number')).toBe('must be a whole number');
    expect(plainMessage('must be in (0, 1)')).toBe('must be in (0, 1)');
  });
});
