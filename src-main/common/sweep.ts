// A sweep: recipes × freeze conditions × seeds, expanded into run configs for the run queue.
// Pure (no DOM, no node): the run form builds and previews sweeps with it, and its file format is
// what "Save config" writes. Every run config it produces is checked by the runner's own schema
// (native-runner/protocol.ts) before it is queued; this module only assembles them.
//
// A sweep file (JSON):
//   { "format": "encoder-workbench/sweep", "version": 1,
//     "base":    { ...run-config fields shared by every run (model, data, seq_len, ...) },
//     "budget":  200000,                         // token budget n of the recipes built "from" a preset
//     "recipes": [ { "name": "clm-detour", "from": "clm-detour", "phases": [ ...run-config phases ] },
//                  { "name": "mlm-baseline", "phases": [ ... ], "seeds": [ 1, 2 ] } ],  // own seeds
//     "freezes": [ { "name": "low", "phases": [ "low", null ],    // null: keep the recipe's freeze
//                    "recipes": [ "clm-detour" ] } ],              // only these recipes (absent: all)
//     "seeds":   [ 1, 2 ] }
// Scoped conditions and per-recipe seeds are what the paper's design needs: its six runs are
// MLM × {none} × seeds {1, 2} plus CLM × {none, low@CLM, mid@CLM, low@decay} × seed 1, and a freeze
// "during CLM" must not also create an "MLM baseline with low layers frozen" run.
// A plain run config (what `npm run runner -- train --config` takes) loads too, as a sweep of one run.
import { z } from 'zod';
import { expandRecipe, PAPER_DEFAULTS, RECIPE_NAMES, type RecipeName } from '../../native-runner/train/recipes';

/** A phase's freeze as the run config spells it: a preset name or {embeddings, layers, head}. */
export type FreezeInput = string | { embeddings: boolean; layers: (number | string)[]; head: boolean };

/** One phase of the run config's `phases` (input form; the runner fills defaults). */
export interface PhaseInput {
  name: string;
  objective: 'mlm' | 'clm';
  mask_rate?: number;
  tokens?: number;
  steps?: number;
  lr?: { peak: number; warmup: number; shape: 'constant' | 'linear' | 'cosine' | 'one_minus_sqrt'; final_ratio: number };
  reset_scheduler?: boolean;
  freeze?: FreezeInput;
}

export interface SweepRecipe {
  name: string;
  phases: PhaseInput[];
  /** The paper recipe these phases were filled from at the sweep's budget n; they follow n while unedited. */
  from?: RecipeName;
  /** This recipe's seeds, instead of the sweep's (e.g. the MLM baseline's second seed for seed noise). */
  seeds?: number[];
}
/** Freeze per phase position; null keeps the recipe's own freeze for that phase. */
export interface FreezeCondition {
  name: string;
  phases: (FreezeInput | null)[];
  /** Names of the recipes this condition applies to; absent: every recipe. */
  recipes?: string[];
}

export interface SweepSpec {
  base: Record<string, unknown>;   // run-config fields shared by every run (never name/seed/phases/recipe)
  recipes: SweepRecipe[];
  freezes: FreezeCondition[];      // empty: one condition, each phase's own freeze
  seeds: number[];
  /** Token budget n: tokens of the first phase of every recipe filled from a paper preset. */
  budget?: number;
}

export interface SweepRun {
  name: string;
  recipe: number;                  // index into spec.recipes
  freeze: number | null;           // index into spec.freezes (null when there are none)
  seed: number;
  config: Record<string, unknown>; // a complete run config (input form)
}

export const SWEEP_FILE_FORMAT = 'encoder-workbench/sweep';
/** Run-config keys the sweep sets per run, so `base` must not hold them. */
const PER_RUN_KEYS = ['name', 'seed', 'phases', 'recipe'] as const;

export class SweepError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid sweep:\n  ${issues.join('\n  ')}`);
    this.name = 'SweepError';
  }
}

/** Problems that make a sweep impossible to expand, each as "field.path: message". */
export function sweepIssues(spec: SweepSpec): string[] {
  const issues: string[] = [];
  for (const k of PER_RUN_KEYS) if (k in spec.base) issues.push(`base.${k}: set per run by the sweep; remove it from base`);
  if (spec.recipes.length === 0) issues.push('recipes: add at least one recipe');
  if (spec.seeds.length === 0) issues.push('seeds: give at least one seed');
  if (new Set(spec.seeds).size !== spec.seeds.length) issues.push('seeds: a seed is listed twice');
  spec.seeds.forEach((s, i) => { if (!Number.isInteger(s) || s < 0) issues.push(`seeds[${i}]: must be a whole number >= 0`); });
  spec.recipes.forEach((r, i) => {
    if (!r.name.trim()) issues.push(`recipes[${i}].name: must not be empty`);
    if (r.phases.length === 0) issues.push(`recipes[${i}].phases: needs at least one phase`);
    if (r.seeds) {
      if (r.seeds.length === 0) issues.push(`recipes[${i}].seeds: give at least one seed, or use the sweep's seeds`);
      if (new Set(r.seeds).size !== r.seeds.length) issues.push(`recipes[${i}].seeds: a seed is listed twice`);
      r.seeds.forEach((s, k) => { if (!Number.isInteger(s) || s < 0) issues.push(`recipes[${i}].seeds[${k}]: must be a whole number >= 0`); });
    }
  });
  if (spec.budget !== undefined && !(Number.isInteger(spec.budget) && spec.budget >= 1)) issues.push('budget: the token budget n must be a whole number >= 1');
  const recipeNames = spec.recipes.map((r) => r.name.trim());
  spec.freezes.forEach((f, i) => {
    if (!f.name.trim()) issues.push(`freezes[${i}].name: must not be empty`);
    f.recipes?.forEach((n, k) => { if (!recipeNames.includes(n.trim())) issues.push(`freezes[${i}].recipes[${k}]: no recipe is named "${n}"`); });
    if (f.recipes && f.recipes.length === 0) issues.push(`freezes[${i}].recipes: applies to no recipe; tick at least one`);
    const targets = conditionRecipes(spec, f);
    const most = Math.max(0, ...targets.map((r) => r.phases.length));
    f.phases.forEach((p, k) => {
      if (p !== null && k >= most && targets.length) issues.push(`freezes[${i}].phases[${k}]: no recipe it applies to has a phase ${k + 1}`);
    });
  });
  const names = (xs: { name: string }[], at: string) => {
    const seen = new Set<string>();
    xs.forEach((x, i) => { if (seen.has(x.name.trim())) issues.push(`${at}[${i}].name: "${x.name}" is used twice`); seen.add(x.name.trim()); });
  };
  names(spec.recipes, 'recipes');
  names(spec.freezes, 'freezes');
  return issues;
}

/** The recipes a freeze condition applies to (all of them when it names none). */
export function conditionRecipes(spec: SweepSpec, cond: FreezeCondition): SweepRecipe[] {
  if (!cond.recipes) return spec.recipes;
  const names = new Set(cond.recipes.map((n) => n.trim()));
  return spec.recipes.filter((r) => names.has(r.name.trim()));
}

/**
 * Recipes × (the freeze conditions that apply to each) × (the recipe's seeds, else the sweep's), in
 * that nesting order (recipes outermost). A recipe no condition applies to still runs once per seed
 * with its own freezes, so scoping a condition to one recipe never drops the other's plain runs.
 */
export function expandSweep(spec: SweepSpec): SweepRun[] {
  const issues = sweepIssues(spec);
  if (issues.length) throw new SweepError(issues);
  const runs: SweepRun[] = [];
  spec.recipes.forEach((recipe, r) => {
    const applying = spec.freezes.flatMap((f, i) => (conditionRecipes(spec, f).includes(recipe) ? [i] : []));
    const conditions: (number | null)[] = applying.length ? applying : [null];
    for (const c of conditions) {
      for (const seed of recipe.seeds ?? spec.seeds) {
        const cond = c === null ? null : spec.freezes[c];
        const phases = recipe.phases.map((ph, k) => {
          const f = cond?.phases[k];
          return clone(f === undefined || f === null ? ph : { ...ph, freeze: f });
        });
        const name = [recipe.name.trim(), cond ? `freeze ${cond.name.trim()}` : null, `seed ${seed}`].filter(Boolean).join(' · ');
        runs.push({ name, recipe: r, freeze: c, seed, config: { ...clone(spec.base), name, seed, phases } });
      }
    }
  });
  return runs;
}

/** Where the form shows a runner issue of one sweep run: the field key in sweep coordinates. */
export function issueField(spec: SweepSpec, run: Pick<SweepRun, 'recipe' | 'freeze'>, issue: string): { key: string; message: string } {
  const cut = issue.indexOf(': ');
  const path = cut < 0 ? '(root)' : issue.slice(0, cut);
  const message = cut < 0 ? issue : issue.slice(cut + 2);
  const m = /^phases\[(\d+)\](.*)$/.exec(path);
  if (!m) return { key: path, message };
  const k = Number(m[1]);
  const overridden = run.freeze !== null && (spec.freezes[run.freeze]?.phases[k] ?? null) !== null;
  if (overridden && m[2].startsWith('.freeze')) return { key: `freezes[${run.freeze}].phases[${k}]${m[2].slice('.freeze'.length)}`, message };
  return { key: `recipes[${run.recipe}].phases[${k}]${m[2]}`, message };
}

/** "1, 2" / "1 2" / "1-3" → seeds; an error names the bad part. */
export function parseSeeds(text: string): { seeds: number[]; error: string | null } {
  const seeds: number[] = [];
  for (const part of text.split(/[\s,;]+/).filter(Boolean)) {
    const range = /^(\d+)-(\d+)$/.exec(part);
    if (range) {
      const [a, b] = [Number(range[1]), Number(range[2])];
      if (b < a || b - a > 999) return { seeds, error: `"${part}" is not a range from low to high (at most 1000 seeds)` };
      for (let s = a; s <= b; s++) seeds.push(s);
    } else if (/^\d+$/.test(part)) seeds.push(Number(part));
    else return { seeds, error: `"${part}" is not a whole number >= 0 (use e.g. "1, 2" or "1-3")` };
  }
  if (seeds.length === 0) return { seeds, error: 'give at least one seed, e.g. "1, 2"' };
  if (new Set(seeds).size !== seeds.length) return { seeds, error: 'a seed is listed twice' };
  return { seeds, error: null };
}

/** The seeds as the form shows them. */
export function formatSeeds(seeds: number[]): string {
  return seeds.join(', ');
}

/**
 * A paper recipe's phases at a token budget n (native-runner/train/recipes.ts), with the warmup the
 * runner would pick: 6% of the first phase's steps at `tokensPerStep` = batch_size · seq_len.
 */
export function recipePhases(name: RecipeName, tokens: number, tokensPerStep: number, peakLr = PAPER_DEFAULTS.lr): PhaseInput[] {
  const steps = Math.ceil(tokens / Math.max(1, tokensPerStep));
  const warmup = Math.round(PAPER_DEFAULTS.warmup_fraction * steps);
  return expandRecipe({ name, tokens, peak_lr: peakLr, warmup, decay_ratio: PAPER_DEFAULTS.decay_ratio, freeze: 'none', decay_freeze: 'none' })
    .map((p) => clone(p) as PhaseInput);
}

/** True when a recipe's phases are exactly what its preset gives at budget n (nothing edited since). */
export function followsBudget(recipe: SweepRecipe, budget: number, tokensPerStep: number): boolean {
  if (!recipe.from) return false;
  return JSON.stringify(recipe.phases) === JSON.stringify(recipePhases(recipe.from, budget, tokensPerStep));
}

/**
 * After n or B·T changed from `before` to `after`: refill every recipe that still followed the old
 * values, so twin runs (baseline and detour) keep seeing the same tokens. Edited recipes are left
 * alone (the form says they no longer follow n). Returns the names of the recipes refilled.
 */
export function refollowBudget(spec: SweepSpec, before: { budget: number; tokensPerStep: number }, after: { budget: number; tokensPerStep: number }): string[] {
  const done: string[] = [];
  if (!(after.budget >= 1)) return done;
  for (const r of spec.recipes) {
    if (r.from && followsBudget(r, before.budget, before.tokensPerStep)) {
      r.phases = recipePhases(r.from, after.budget, after.tokensPerStep);
      done.push(r.name);
    }
  }
  return done;
}

/** Rename a recipe and every freeze condition's reference to it. */
export function renameRecipe(spec: SweepSpec, recipe: SweepRecipe, name: string): void {
  const old = recipe.name;
  recipe.name = name;
  for (const f of spec.freezes) if (f.recipes) f.recipes = f.recipes.map((n) => (n === old ? name : n));
}

/**
 * The paper's freeze study as a sweep at budget n: MLM baseline (seeds 1 and 2: the seed-noise
 * control) and CLM detour (seed 1) unfrozen, plus three conditions scoped to the detour: low layers
 * frozen during CLM, mid layers frozen during CLM, low layers frozen during the decay. Six runs.
 */
export function paperFreezeStudy(base: Record<string, unknown>, budget: number, tokensPerStep: number): SweepSpec {
  const clm = 'clm-detour';
  return {
    base,
    budget,
    recipes: [
      { name: 'mlm-baseline', from: 'mlm-baseline', phases: recipePhases('mlm-baseline', budget, tokensPerStep), seeds: [1, 2] },
      { name: clm, from: 'clm-detour', phases: recipePhases('clm-detour', budget, tokensPerStep), seeds: [1] },
    ],
    freezes: [
      { name: 'none', phases: [] },
      { name: 'low during CLM', phases: ['low', null], recipes: [clm] },
      { name: 'mid during CLM', phases: ['mid', null], recipes: [clm] },
      { name: 'low during decay', phases: [null, 'low'], recipes: [clm] },
    ],
    seeds: [1],
  };
}

// ---- the file format ---------------------------------------------------------------------------

const freezeInput = z.union([z.string(), z.strictObject({ embeddings: z.boolean(), layers: z.array(z.union([z.number(), z.string()])), head: z.boolean() })]);
const SweepFileSchema = z.strictObject({
  format: z.literal(SWEEP_FILE_FORMAT),
  version: z.literal(1),
  base: z.record(z.string(), z.unknown()),
  budget: z.number().optional(),
  recipes: z.array(z.strictObject({
    name: z.string(), phases: z.array(z.record(z.string(), z.unknown())), from: z.enum(RECIPE_NAMES).optional(), seeds: z.array(z.number()).optional(),
  })),
  freezes: z.array(z.strictObject({ name: z.string(), phases: z.array(freezeInput.nullable()), recipes: z.array(z.string()).optional() })),
  seeds: z.array(z.number()),
});

/** The text "Save config" writes: stable key order, so saving a loaded file reproduces it. */
export function sweepToFile(spec: SweepSpec): string {
  // Keys in one order whatever order the form created them in (a filled recipe gets `from` after its
  // phases, a loaded one in the schema's order), so save → load → save gives the same bytes.
  const recipes = spec.recipes.map((r) => ({ name: r.name, ...(r.from ? { from: r.from } : {}), ...(r.seeds ? { seeds: r.seeds } : {}), phases: r.phases }));
  const freezes = spec.freezes.map((f) => ({ name: f.name, ...(f.recipes ? { recipes: f.recipes } : {}), phases: f.phases }));
  const doc = { format: SWEEP_FILE_FORMAT, version: 1, base: spec.base, ...(spec.budget !== undefined ? { budget: spec.budget } : {}), recipes, freezes, seeds: spec.seeds };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** Read a sweep file or a plain run config. Throws SweepError naming the file and field. */
export function sweepFromFile(text: string, source = 'the file'): SweepSpec {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new SweepError([`${source}: not valid JSON (${(e as Error).message})`]);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new SweepError([`${source}: expected a JSON object (a sweep file or a run config)`]);
  const obj = raw as Record<string, unknown>;
  if ('format' in obj) {
    const r = SweepFileSchema.safeParse(obj);
    if (!r.success) throw new SweepError(r.error.issues.map((i) => `${source}: ${i.path.join('.') || '(root)'}: ${i.message}`));
    const { base, recipes, freezes, seeds, budget } = r.data;
    const spec: SweepSpec = { base, recipes: recipes as unknown as SweepRecipe[], freezes, seeds, ...(budget !== undefined ? { budget } : {}) };
    const issues = sweepIssues(spec);
    if (issues.length) throw new SweepError(issues.map((i) => `${source}: ${i}`));
    return spec;
  }
  return fromRunConfig(obj, source);
}

/** A run config as a sweep of one: its phases (or its recipe, expanded) and its seed. */
function fromRunConfig(cfg: Record<string, unknown>, source: string): SweepSpec {
  const { name, seed, phases, recipe, ...base } = cfg;
  let list: PhaseInput[];
  let recipeName = typeof name === 'string' && name.trim() ? name : 'run';
  if (Array.isArray(phases)) list = clone(phases) as PhaseInput[];
  else if (recipe && typeof recipe === 'object') {
    const rc = recipe as Record<string, unknown>;
    if (rc.name !== 'mlm-baseline' && rc.name !== 'clm-detour') throw new SweepError([`${source}: recipe.name: unknown recipe "${String(rc.name)}"`]);
    if (typeof rc.tokens !== 'number') throw new SweepError([`${source}: recipe.tokens: expected a number`]);
    const perStep = Number(cfg.batch_size) * Number(cfg.seq_len);
    list = recipePhases(rc.name, rc.tokens, Number.isFinite(perStep) ? perStep : 1, typeof rc.peak_lr === 'number' ? rc.peak_lr : undefined);
    const [first, decay] = list;
    if (typeof rc.warmup === 'number' && first.lr) first.lr.warmup = rc.warmup;
    if (typeof rc.decay_ratio === 'number') decay.tokens = Math.max(1, Math.round(rc.tokens * rc.decay_ratio));
    if (typeof rc.freeze === 'string') first.freeze = rc.freeze;
    if (typeof rc.decay_freeze === 'string') decay.freeze = rc.decay_freeze;
    if (recipeName === 'run') recipeName = rc.name;
  } else throw new SweepError([`${source}: phases: a run config needs phases or a recipe`]);
  const s = seed === undefined ? 0 : seed;
  if (typeof s !== 'number') throw new SweepError([`${source}: seed: expected a number`]);
  return { base, recipes: [{ name: recipeName, phases: list }], freezes: [], seeds: [s] };
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
