import { describe, expect, it } from 'vitest';
import { freezeSpec, parseRunConfig, RunConfigError } from '../../native-runner/protocol';
import {
  expandSweep, followsBudget, issueField, paperFreezeStudy, parseSeeds, recipePhases, refollowBudget, renameRecipe,
  SweepError, sweepFromFile, sweepIssues, sweepToFile, type SweepSpec,
} from './sweep';

const base = { model: 'tiny', data: { corpus: 'corpus.txt', tokenizer: 'tok' }, seq_len: 32, batch_size: 4, device: 'cpu' };
// tiny: 4 layers -> low 0-0? layerGroupBounds(4): a = round(32/22) = 1, b = round(60/22) = 3: low [0], mid [1, 2], deep [3]
function paperSweep(seeds = [1]): SweepSpec {
  return {
    base,
    recipes: [
      { name: 'mlm-baseline', phases: recipePhases('mlm-baseline', 2560, 128) },
      { name: 'clm-detour', phases: recipePhases('clm-detour', 2560, 128) },
    ],
    freezes: [{ name: 'none', phases: ['none', 'none'] }, { name: 'low', phases: ['low', null] }],
    seeds,
  };
}

describe('expandSweep', () => {
  it('expands recipes × freeze conditions × seeds, recipes outermost, with readable unique names', () => {
    const runs = expandSweep(paperSweep([1, 2]));
    expect(runs).toHaveLength(8);
    expect(runs.map((r) => r.name)).toEqual([
      'mlm-baseline · freeze none · seed 1', 'mlm-baseline · freeze none · seed 2',
      'mlm-baseline · freeze low · seed 1', 'mlm-baseline · freeze low · seed 2',
      'clm-detour · freeze none · seed 1', 'clm-detour · freeze none · seed 2',
      'clm-detour · freeze low · seed 1', 'clm-detour · freeze low · seed 2',
    ]);
    expect(runs.map((r) => [r.recipe, r.freeze, r.seed])).toEqual([
      [0, 0, 1], [0, 0, 2], [0, 1, 1], [0, 1, 2], [1, 0, 1], [1, 0, 2], [1, 1, 1], [1, 1, 2],
    ]);
    expect(new Set(runs.map((r) => r.name)).size).toBe(8);
  });

  it('without freeze conditions, one run per recipe and seed, each phase keeping its own freeze', () => {
    const spec = paperSweep([3]);
    spec.freezes = [];
    spec.recipes[1].phases[1].freeze = 'deep';
    const runs = expandSweep(spec);
    expect(runs.map((r) => r.name)).toEqual(['mlm-baseline · seed 3', 'clm-detour · seed 3']);
    const cfg = parseRunConfig(runs[1].config);
    expect(cfg.seed).toBe(3);
    expect(cfg.phases.map((p) => freezeSpec(p.freeze, 4).layers)).toEqual([[], [3]]);
  });

  it('applies each condition per phase (null keeps the recipe phase), and the runner accepts every config', () => {
    const spec = paperSweep();
    spec.recipes[0].phases[1].freeze = { embeddings: true, layers: [2], head: false };
    const runs = expandSweep(spec);
    const frozen = runs.map((r) => parseRunConfig(r.config).phases.map((p) => freezeSpec(p.freeze, 4)));
    // mlm-baseline · none: both phases overridden by 'none'
    expect(frozen[0].map((f) => [f.embeddings, f.layers])).toEqual([[false, []], [false, []]]);
    // mlm-baseline · low: phase 1 low (layer 0 of 4), the decay keeps the recipe's custom mask
    expect(frozen[1].map((f) => [f.embeddings, f.layers])).toEqual([[false, [0]], [true, [2]]]);
    // clm-detour · low
    expect(frozen[3].map((f) => f.layers)).toEqual([[0], []]);
    const clm = parseRunConfig(runs[3].config);
    expect(clm.phases.map((p) => [p.objective, p.tokens, p.steps])).toEqual([['clm', 2560, 20], ['mlm', 256, 2]]);
    expect(clm.phases[0].lr.warmup).toBe(1); // 6% of 20 steps
    expect(runs[3].config.name).toBe('clm-detour · freeze low · seed 1');
  });

  it('does not share objects between runs or with the spec', () => {
    const spec = paperSweep();
    const runs = expandSweep(spec);
    (runs[0].config.phases as { name: string }[])[0].name = 'changed';
    (runs[0].config.data as { corpus: string }).corpus = 'other';
    expect(spec.recipes[0].phases[0].name).toBe('mlm');
    expect((runs[1].config.data as { corpus: string }).corpus).toBe('corpus.txt');
    expect(base.data.corpus).toBe('corpus.txt');
  });

  it('refuses sweeps it cannot expand, naming the field', () => {
    const spec = paperSweep();
    spec.seeds = [];
    spec.freezes[1].phases = ['low', null, 'mid'];
    spec.base = { ...base, seed: 4 };
    spec.recipes[1].name = 'mlm-baseline';
    expect(sweepIssues(spec)).toEqual([
      'base.seed: set per run by the sweep; remove it from base',
      'seeds: give at least one seed',
      'freezes[1].phases[2]: no recipe it applies to has a phase 3',
      'recipes[1].name: "mlm-baseline" is used twice',
    ]);
    expect(() => expandSweep(spec)).toThrow(SweepError);
  });
});

describe('freeze conditions scoped to recipes and phases (the paper design)', () => {
  it('the paper freeze study expands to exactly its six runs, each with the right freeze per phase', () => {
    const runs = expandSweep(paperFreezeStudy(base, 2560, 128));
    expect(runs.map((r) => r.name)).toEqual([
      'mlm-baseline · freeze none · seed 1', 'mlm-baseline · freeze none · seed 2',
      'clm-detour · freeze none · seed 1', 'clm-detour · freeze low during CLM · seed 1',
      'clm-detour · freeze mid during CLM · seed 1', 'clm-detour · freeze low during decay · seed 1',
    ]);
    // tiny (4 layers): low = [0], mid = [1, 2]
    const frozen = runs.map((r) => parseRunConfig(r.config).phases.map((p) => [p.objective, freezeSpec(p.freeze, 4).layers]));
    expect(frozen).toEqual([
      [['mlm', []], ['mlm', []]], [['mlm', []], ['mlm', []]],
      [['clm', []], ['mlm', []]], [['clm', [0]], ['mlm', []]], [['clm', [1, 2]], ['mlm', []]], [['clm', []], ['mlm', [0]]],
    ]);
    // twin runs see the same tokens
    const tokens = runs.map((r) => parseRunConfig(r.config).phases.map((p) => p.steps));
    expect(new Set(tokens.map((t) => t.join()))).toEqual(new Set(['20,2']));
  });

  it('a condition scoped to one recipe leaves the other recipe its plain runs and never freezes it', () => {
    const spec = paperSweep();
    spec.freezes = [{ name: 'low', phases: ['low', null], recipes: ['clm-detour'] }];
    expect(expandSweep(spec).map((r) => r.name)).toEqual(['mlm-baseline · seed 1', 'clm-detour · freeze low · seed 1']);
    expect(freezeSpec(parseRunConfig(expandSweep(spec)[0].config).phases[0].freeze, 4).layers).toEqual([]);
  });

  it('names conditions that point at missing recipes or none, and phases their recipes lack', () => {
    const spec = paperSweep();
    spec.recipes[0].phases = spec.recipes[0].phases.slice(0, 1);
    spec.freezes = [
      { name: 'a', phases: [null, 'low'], recipes: ['mlm-baseline'] },
      { name: 'b', phases: [], recipes: ['nope'] },
      { name: 'c', phases: [], recipes: [] },
    ];
    expect(sweepIssues(spec)).toEqual([
      'freezes[0].phases[1]: no recipe it applies to has a phase 2',
      'freezes[1].recipes[0]: no recipe is named "nope"',
      'freezes[2].recipes: applies to no recipe; tick at least one',
    ]);
  });

  it('renaming a recipe keeps the conditions pointing at it', () => {
    const spec = paperFreezeStudy(base, 2560, 128);
    renameRecipe(spec, spec.recipes[1], 'detour');
    expect(spec.freezes.map((f) => f.recipes)).toEqual([undefined, ['detour'], ['detour'], ['detour']]);
    expect(expandSweep(spec)).toHaveLength(6);
  });
});

describe('token budget n', () => {
  it('recipes filled from n follow a new n or B·T; an edited recipe is left alone', () => {
    const spec = paperFreezeStudy(base, 2560, 128);
    spec.recipes.push({ name: 'edited', from: 'clm-detour', phases: recipePhases('clm-detour', 2560, 128) });
    spec.recipes[2].phases[0].mask_rate = undefined;
    spec.recipes[2].phases[0].tokens = 999;
    expect(spec.recipes.map((r) => followsBudget(r, 2560, 128))).toEqual([true, true, false]);
    const refilled = refollowBudget(spec, { budget: 2560, tokensPerStep: 128 }, { budget: 5120, tokensPerStep: 128 });
    expect(refilled).toEqual(['mlm-baseline', 'clm-detour']);
    expect(spec.recipes[2].phases[0].tokens).toBe(999);
    spec.budget = 5120;
    const steps = expandSweep(spec).filter((r) => r.recipe < 2).map((r) => parseRunConfig(r.config).phases.map((p) => [p.tokens, p.steps]));
    for (const s of steps) expect(s).toEqual([[5120, 40], [512, 4]]);
    // B·T doubled: the warmup (6% of the first phase's steps) follows too
    refollowBudget(spec, { budget: 5120, tokensPerStep: 128 }, { budget: 5120, tokensPerStep: 256 });
    expect(spec.recipes.slice(0, 2).map((r) => r.phases[0].lr?.warmup)).toEqual([1, 1]);
    expect(spec.recipes.slice(0, 2).map((r) => followsBudget(r, 5120, 256))).toEqual([true, true]);
  });

  it('the budget, per-recipe seeds, sources and scopes survive a save and load, byte for byte', () => {
    const spec = paperFreezeStudy(base, 2560, 128);
    const back = sweepFromFile(sweepToFile(spec));
    expect(back).toEqual(spec);
    expect(expandSweep(back)).toHaveLength(6);
    // a recipe filled in the form gets `from` after its phases: the file's key order does not change
    const filled = { ...spec, recipes: spec.recipes.map(({ from, ...r }) => ({ ...r, from })) };
    expect(sweepToFile(filled)).toBe(sweepToFile(back));
  });
});

describe('issueField', () => {
  it('maps runner issues to the recipe phase or the freeze condition that set the field', () => {
    const spec = paperSweep();
    spec.recipes[1].phases[1].mask_rate = 1.5;
    const runs = expandSweep(spec);
    let issues: string[] = [];
    try { parseRunConfig(runs[2].config); } catch (e) { issues = (e as RunConfigError).issues; }
    expect(issues).toEqual(['phases[1].mask_rate: must be in (0, 1)']);
    expect(issueField(spec, runs[2], issues[0])).toEqual({ key: 'recipes[1].phases[1].mask_rate', message: 'must be in (0, 1)' });
    // phase 0's freeze comes from condition 1 ('low'), phase 1's from the recipe (null in the condition)
    expect(issueField(spec, runs[1], 'phases[0].freeze: layer 9 is out of range').key).toBe('freezes[1].phases[0]');
    expect(issueField(spec, runs[1], 'phases[1].freeze.layers[0]: bad').key).toBe('recipes[0].phases[1].freeze.layers[0]');
    expect(issueField(spec, runs[0], 'seq_len: must be >= 2')).toEqual({ key: 'seq_len', message: 'must be >= 2' });
    expect(issueField(spec, runs[0], 'phases[0]: give exactly one of tokens or steps').key).toBe('recipes[0].phases[0]');
  });
});

describe('parseSeeds', () => {
  it('reads lists and ranges, and names what it cannot read', () => {
    expect(parseSeeds('1, 2')).toEqual({ seeds: [1, 2], error: null });
    expect(parseSeeds(' 0 4;7 ')).toEqual({ seeds: [0, 4, 7], error: null });
    expect(parseSeeds('1-3, 9')).toEqual({ seeds: [1, 2, 3, 9], error: null });
    expect(parseSeeds('1, x').error).toBe('"x" is not a whole number >= 0 (use e.g. "1, 2" or "1-3")');
    expect(parseSeeds('-1').error).toContain('"-1"');
    expect(parseSeeds('2, 2').error).toBe('a seed is listed twice');
    expect(parseSeeds('  ').error).toBe('give at least one seed, e.g. "1, 2"');
  });
});

describe('sweep files', () => {
  it('round-trips exactly: save, load, save gives the same text and the same runs', () => {
    const spec = paperSweep([1, 2]);
    spec.recipes[0].phases[1].freeze = { embeddings: false, layers: [1, 'deep'], head: true };
    const text = sweepToFile(spec);
    const back = sweepFromFile(text);
    expect(back).toEqual(spec);
    expect(sweepToFile(back)).toBe(text);
    expect(expandSweep(back)).toEqual(expandSweep(spec));
  });

  it('loads a plain run config (phases) as a sweep of one that expands back to the same config', () => {
    const cfg = { name: 'mine', ...base, seed: 7, phases: recipePhases('clm-detour', 1000, 128), probe_set: { path: 'p.jsonl', poolings: ['mean'] } };
    const spec = sweepFromFile(JSON.stringify(cfg));
    expect(spec.seeds).toEqual([7]);
    expect(spec.freezes).toEqual([]);
    const [run] = expandSweep(spec);
    expect({ ...run.config, name: 'mine' }).toEqual(cfg);
  });

  it('loads a run config with a recipe as the phases the runner would expand', () => {
    const cfg = { ...base, recipe: { name: 'clm-detour', tokens: 2560, freeze: 'mid' } };
    const spec = sweepFromFile(JSON.stringify(cfg));
    const mine = parseRunConfig(expandSweep(spec)[0].config).phases;
    const runner = parseRunConfig(cfg).phases;
    expect(mine).toEqual(runner);
  });

  it('names the file and the field when a file is wrong', () => {
    expect(() => sweepFromFile('{"format": "encoder-workbench/sweep", "version": 1, "base": {}, "recipes": [], "freezes": [], "seeds": ["a"]}', 'a.json'))
      .toThrow(/a\.json: seeds\.0: /);
    expect(() => sweepFromFile('{ nope', 'b.json')).toThrow(/b\.json: not valid JSON/);
    expect(() => sweepFromFile('[1]', 'c.json')).toThrow(/c\.json: expected a JSON object/);
    expect(() => sweepFromFile('{"model": "tiny"}', 'd.json')).toThrow(/d\.json: phases: a run config needs phases or a recipe/);
  });
});
