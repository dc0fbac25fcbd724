import { describe, expect, it } from 'vitest';
import { MODEL_PRESETS } from '../../../native-runner/model/config';
import { expandSweep, recipePhases, sweepIssues, type SweepSpec } from '../../../src-main/common/sweep';
import { clientCheck, collectIssues, fieldErrorsOf } from './run-checks';

function sweep(): SweepSpec {
  return {
    base: { model: 'tiny', data: { corpus: 'c.txt', tokenizer: 'tok' }, seq_len: 32, batch_size: 4 },
    recipes: [
      { name: 'mlm-baseline', phases: recipePhases('mlm-baseline', 2560, 128) },
      { name: 'clm-detour', phases: recipePhases('clm-detour', 2560, 128) },
    ],
    freezes: [{ name: 'none', phases: ['none', 'none'] }, { name: 'custom', phases: [{ embeddings: false, layers: [0, 7], head: false }] }],
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
      // layer 7 does not exist in tiny's 4 layers: the condition set it, so the message sits there
      { key: 'freezes[1].phases[0]', message: 'layers[1]: layer 7 is out of range for a 4-layer model (0..3)', runs: [
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
      { key: 'freezes[0].phases[0]', message: 'no recipe has a phase 1', runs: [] },
      { key: 'freezes[0].phases[1]', message: 'no recipe has a phase 2', runs: [] },
      { key: 'freezes[1].phases[0]', message: 'no recipe has a phase 1', runs: [] },
    ]);
  });
});
