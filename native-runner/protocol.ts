// The run configuration and the runner's event stream: one source of truth for the runner (cli.ts),
// the run queue (src-main/runs) and the renderer's form. Imports nothing from node.
//
// parseRunConfig() validates a JSON value, expands recipe presets into phases, computes each phase's
// step count, and (when the model's depth and max positions are known) runs the cross-field checks.
// Every error names its field path, e.g. `phases[1].mask_rate: must be in (0, 1)`.

import { z } from 'zod';
import { MODEL_PRESETS, MODEL_PRESET_NAMES, type ModelPresetName } from './model/config';
import {
  expandRecipe, FREEZE_PRESET_NAMES, LAYER_GROUP_NAMES, layerGroup, PAPER_DEFAULTS, RECIPE_NAMES,
  type FreezePresetName, type LayerGroupName,
} from './train/recipes';
import type { FreezeSpec } from './train/step-api';

const int = (min: number, what: string) => z.number().int({ error: 'must be an integer' }).min(min, { error: `must be ${what}` });
const oneOf = <T extends readonly string[]>(names: T, kind: string) =>
  z.string().refine((s): s is T[number] => (names as readonly string[]).includes(s), {
    error: (iss) => `unknown ${kind} "${String(iss.input)}" (known: ${names.join(', ')})`,
  });

// ---- pieces ----------------------------------------------------------------------------------------

const LrSchema = z.strictObject({
  peak: z.number().gt(0, { error: 'must be > 0' }).default(PAPER_DEFAULTS.lr),        // peak learning rate
  warmup: int(0, '>= 0').default(0),                                                   // warmup steps (linear from peak/warmup)
  shape: z.enum(['constant', 'linear', 'cosine', 'one_minus_sqrt']).default('constant'), // after warmup
  final_ratio: z.number().min(0, { error: 'must be in [0, 1]' }).max(1, { error: 'must be in [0, 1]' }).default(0.1), // lr at the last step / peak
});

const LayerRef = z.union([z.number().int().min(0), oneOf(LAYER_GROUP_NAMES, 'layer group')], {
  error: `expected a layer index or a group name (${LAYER_GROUP_NAMES.join(', ')})`,
});
const FreezeObject = z.strictObject({
  embeddings: z.boolean().default(false),   // model.embeddings.* (and the tied decoder weight)
  layers: z.array(LayerRef).default([]),     // layer indices and/or group names
  head: z.boolean().default(false),          // final_norm, head.*, decoder.bias
});
const FreezeSchema = z
  .union([z.string(), FreezeObject], { error: `expected a freeze preset (${FREEZE_PRESET_NAMES.join(', ')}) or {embeddings, layers, head}` })
  .superRefine((v, ctx) => {
    if (typeof v === 'string' && !(FREEZE_PRESET_NAMES as readonly string[]).includes(v))
      ctx.addIssue({ code: 'custom', message: `unknown freeze preset "${v}" (known: ${FREEZE_PRESET_NAMES.join(', ')})` });
  })
  .transform((v): FreezeConfig => (typeof v === 'string' ? { embeddings: false, layers: v === 'none' ? [] : [v as LayerGroupName], head: false } : v))
  .prefault('none');

export interface FreezeConfig { embeddings: boolean; layers: (number | LayerGroupName)[]; head: boolean }

const PhaseSchema = z.strictObject({
  name: z.string().min(1, { error: 'must not be empty' }),
  objective: z.enum(['mlm', 'clm']),
  mask_rate: z.number().optional(),          // mlm only; fraction of positions selected for prediction
  tokens: int(1, '>= 1').optional(),         // phase length in tokens (B·T positions per step) ...
  steps: int(1, '>= 1').optional(),          // ... or in optimizer steps (exactly one of the two)
  lr: LrSchema.optional(),                   // required unless reset_scheduler is false (then inherited)
  reset_scheduler: z.boolean().default(true),// false: continue the previous phase's schedule
  freeze: FreezeSchema,
});

const RecipeSchema = z.strictObject({
  name: oneOf(RECIPE_NAMES, 'recipe'),
  tokens: int(1, '>= 1'),                                    // n: tokens of the first phase
  peak_lr: z.number().gt(0, { error: 'must be > 0' }).default(PAPER_DEFAULTS.lr),
  warmup: int(0, '>= 0').optional(),                         // default: 6% of the first phase's steps
  decay_ratio: z.number().gt(0, { error: 'must be > 0' }).default(PAPER_DEFAULTS.decay_ratio),
  freeze: oneOf(FREEZE_PRESET_NAMES, 'freeze preset').default('none'),       // first phase
  decay_freeze: oneOf(FREEZE_PRESET_NAMES, 'freeze preset').default('none'), // decay phase
});

const ModelSchema = z.union([
  z.string().refine((s) => (MODEL_PRESET_NAMES as string[]).includes(s), {
    error: (iss) => `unknown model preset "${String(iss.input)}" (known: ${MODEL_PRESET_NAMES.join(', ')})`,
  }),
  z.strictObject({ hf_dir: z.string().min(1) }),
], { error: `expected a model preset (${MODEL_PRESET_NAMES.join(', ')}) or {hf_dir: path}` });

const paths = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).transform((v) => (typeof v === 'string' ? [v] : v));
export interface DataConfig {
  corpus: string[];                 // training text: file(s) or directories
  tokenizer?: string;               // tokenizer.json; absent = interim character-level vocabulary
  held_out: string[];               // probe / evaluation texts, never trained on
  format?: string;                  // reserved for the data pipeline (txt | jsonl ...)
  cache_dir?: string;               // token shard cache (default OUT/data-cache)
  cache_dir_outside_workspace?: true; // the user's explicit choice of a cache_dir outside the workspace (checked by the queue)
  txt_mode?: 'paragraph' | 'line';  // how .txt files split into documents (default paragraph)
  json_field?: string;              // text field of .jsonl files (default "text")
  held_out_fraction?: number;       // fraction of documents (by text hash) never trained on (default 0)
  split_seed?: number;              // seed of the train / held-out split (default 0)
}
// A bare path is shorthand for {corpus: path}; the object form is validated field by field so a
// bad option is reported with its own path (a union would only say that neither form matched).
const DataSchema = z.preprocess(
  (v) => (typeof v === 'string' ? { corpus: v } : v),
  z.strictObject({
    corpus: paths,
    tokenizer: z.string().min(1).optional(),
    held_out: paths.optional().transform((v) => v ?? []),
    format: z.string().optional(),
    cache_dir: z.string().min(1).optional(),
    cache_dir_outside_workspace: z.literal(true).optional(),
    txt_mode: z.enum(['paragraph', 'line']).optional(),       // .txt documents: blank-line separated (default) or one per line
    json_field: z.string().min(1).optional(),                 // .jsonl text field (default "text")
    held_out_fraction: z.number().min(0, { error: 'must be in [0, 1)' }).lt(1, { error: 'must be in [0, 1)' }).optional(), // documents kept out of training
    split_seed: z.number().int().min(0).optional(),           // seed of that document split
  }, { error: 'expected a text file path or {corpus, tokenizer?, held_out?, cache_dir?, txt_mode?, held_out_fraction?}' }).transform((d): DataConfig => d),
);

const OptimizerSchema = z.strictObject({
  betas: z.tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)]).default(PAPER_DEFAULTS.betas),
  eps: z.number().gt(0, { error: 'must be > 0' }).default(PAPER_DEFAULTS.eps),
  weight_decay: z.number().min(0, { error: 'must be >= 0' }).default(PAPER_DEFAULTS.weight_decay),
  clip_grad_norm: z.number().gt(0, { error: 'must be > 0 (or null for no clipping)' }).nullable().default(PAPER_DEFAULTS.clip_grad_norm),
});

/** A held-out probe set run through the starting model and every checkpoint (activation logging). */
const ProbeSetSchema = z.strictObject({
  path: z.string().min(1),                   // JSONL ({"text": …, labels…}) or .txt (one text per line)
  tokenizer: z.string().min(1).optional(),   // default: data.tokenizer
  poolings: z.array(z.enum(['mean', 'cls', 'tokens'])).min(1).default(['mean', 'cls', 'tokens']),
  max_length: int(2, '>= 2').optional(),     // truncate texts (tokens incl. [CLS]/[SEP]); default seq_len
  batch_size: int(1, '>= 1').default(16),
  tokens_per_text: int(1, '>= 1').default(4), // sampled positions per text for 'tokens' pooling
});
export type ProbeSetConfig = z.output<typeof ProbeSetSchema>;

export const RunConfigSchema = z.strictObject({
  name: z.string().optional(),               // display name of the run
  model: ModelSchema,                        // architecture: preset name or an HF ModernBERT directory
  init_from: z.string().min(1).optional(),   // checkpoint / HF directory whose weights start the run
  data: DataSchema,
  seq_len: int(2, '>= 2'),                   // T
  batch_size: int(1, '>= 1'),                // B
  seed: int(0, '>= 0').default(0),           // init, data order and masking
  device: z.enum(['cpu', 'cuda', 'auto']).default('cpu'), // auto = cuda if available, else cpu + warning
  threads: int(1, '>= 1').default(2),        // ORT intra-op threads
  checkpoint_every: int(0, '>= 0').default(0), // steps; 0 = only at phase ends
  // optimizer steps per ORT run (K-step Scan graph, state kept on the device for K steps); absent:
  // 1 on the CPU, 8 on CUDA. Results do not depend on it beyond float rounding.
  steps_per_call: int(1, '>= 1').max(64, { error: 'must be <= 64' }).optional(),
  phases: z.array(PhaseSchema).min(1, { error: 'needs at least one phase' }).optional(),
  recipe: RecipeSchema.optional(),           // alternative to phases: a paper recipe preset
  optimizer: OptimizerSchema.default(OptimizerSchema.parse({})),
  probe_set: ProbeSetSchema.optional(),      // log pooled activations of these texts at every checkpoint
  // Stop (or warn) when the loss blows up while staying finite (train/divergence.ts). Optional with no
  // default in the parsed config, so configs written before it keep their config_hash (exact resume);
  // absent = on, with the defaults below; false = off.
  divergence: z.union([z.literal(false), z.strictObject({
    factor: z.number().gt(1, { error: 'must be > 1' }).default(4),          // loss above factor x running median …
    patience: int(1, '>= 1').default(10),                                  // … for this many steps in a row
    window: int(5, '>= 5').default(50),                                    // losses in the running median
    action: z.enum(['stop', 'warn']).default('stop'),                      // end the run as diverged, or only warn
  })]).optional(),
});

export type RunConfigInput = z.input<typeof RunConfigSchema>;
type Parsed = z.output<typeof RunConfigSchema>;

export interface LrConfig { peak: number; warmup: number; shape: 'constant' | 'linear' | 'cosine' | 'one_minus_sqrt'; final_ratio: number }
export interface PhaseConfig {
  name: string;
  objective: 'mlm' | 'clm';
  mask_rate: number | null;       // null for clm
  tokens: number | null;          // as given (null when given in steps)
  steps: number;                  // optimizer steps of this phase
  lr: LrConfig;                   // own or inherited (reset_scheduler false)
  reset_scheduler: boolean;
  freeze: FreezeConfig;
}
/** A validated run config: recipes expanded, every phase with its steps and lr. */
export type RunConfig = Omit<Parsed, 'phases'> & { phases: PhaseConfig[] };

/** What the cross-field checks need to know about the model; from a preset or an HF config.json. */
export interface ModelFacts { num_hidden_layers: number; max_position_embeddings: number }

export class RunConfigError extends Error {
  constructor(readonly issues: string[], source?: string) {
    super(`invalid run config${source ? ` ${source}` : ''}:\n  ${issues.join('\n  ')}`);
    this.name = 'RunConfigError';
  }
}

/** `phases[1].lr.peak` from a zod path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${String(p)}` : String(p);
  return s || '(root)';
}

function describeIssue(i: z.core.$ZodIssue): string[] {
  if (i.code === 'unrecognized_keys') return i.keys.map((k) => `${formatPath([...i.path, k])}: unknown field`);
  return [`${formatPath(i.path)}: ${i.message}`];
}

/** Model facts of a preset; null for an HF directory (known only once its config.json is read). */
export function presetFacts(model: RunConfig['model']): ModelFacts | null {
  if (typeof model !== 'string') return null;
  return MODEL_PRESETS[model as ModelPresetName];
}

/** Validate + normalise. Throws RunConfigError listing every problem with its field path. */
export function parseRunConfig(raw: unknown, opts: { model?: ModelFacts; source?: string } = {}): RunConfig {
  const r = RunConfigSchema.safeParse(raw);
  if (!r.success) throw new RunConfigError(r.error.issues.flatMap(describeIssue), opts.source);
  const issues: string[] = [];
  const cfg = resolvePhases(r.data, issues);
  const facts = opts.model ?? presetFacts(r.data.model);
  if (facts && cfg) checkAgainstModel(cfg, facts, issues);
  if (cfg?.probe_set && !cfg.probe_set.tokenizer && !cfg.data.tokenizer)
    issues.push('probe_set.tokenizer: required when data has no tokenizer (the interim character vocabulary cannot encode probe texts)');
  if (issues.length || !cfg) throw new RunConfigError(issues, opts.source);
  return cfg;
}

function resolvePhases(p: Parsed, issues: string[]): RunConfig | null {
  const perStep = p.batch_size * p.seq_len;
  const stepsOf = (tokens: number) => Math.ceil(tokens / perStep);
  let raw = p.phases;
  if (p.recipe && p.phases) { issues.push('recipe: give either phases or recipe, not both'); return null; }
  if (!p.recipe && !p.phases) { issues.push('phases: required (or give a recipe)'); return null; }
  if (p.recipe) {
    const rc = p.recipe;
    const warmup = rc.warmup ?? Math.round(PAPER_DEFAULTS.warmup_fraction * stepsOf(rc.tokens));
    raw = expandRecipe({ ...rc, name: rc.name, freeze: rc.freeze as FreezePresetName, decay_freeze: rc.decay_freeze as FreezePresetName, warmup })
      .map((ph) => PhaseSchema.parse(ph));
  }
  const phases: PhaseConfig[] = [];
  const names = new Set<string>();
  raw!.forEach((ph, i) => {
    const at = p.recipe ? `recipe (phase ${ph.name})` : `phases[${i}]`;
    if (names.has(ph.name)) issues.push(`${at}.name: duplicate phase name "${ph.name}"`);
    names.add(ph.name);
    if (ph.objective === 'mlm') {
      if (ph.mask_rate === undefined) issues.push(`${at}.mask_rate: required for objective mlm`);
      else if (!(ph.mask_rate > 0 && ph.mask_rate < 1)) issues.push(`${at}.mask_rate: must be in (0, 1)`);
    } else if (ph.mask_rate !== undefined) issues.push(`${at}.mask_rate: only used by objective mlm; remove it for clm`);
    if ((ph.tokens === undefined) === (ph.steps === undefined)) issues.push(`${at}: give exactly one of tokens or steps`);
    let lr = ph.lr;
    if (ph.reset_scheduler || i === 0) {
      if (!lr) issues.push(`${at}.lr: required`);
    } else if (lr) issues.push(`${at}.lr: with reset_scheduler false the schedule continues; remove lr`);
    else lr = phases[i - 1]?.lr;
    const steps = ph.steps ?? (ph.tokens !== undefined ? stepsOf(ph.tokens) : 0);
    if (lr && (ph.reset_scheduler || i === 0) && lr.warmup > steps && steps > 0) issues.push(`${at}.lr.warmup: ${lr.warmup} steps exceeds the phase's ${steps} steps`);
    phases.push({
      name: ph.name, objective: ph.objective, mask_rate: ph.objective === 'mlm' ? ph.mask_rate ?? null : null,
      tokens: ph.tokens ?? null, steps, lr: lr as LrConfig, reset_scheduler: i === 0 ? true : ph.reset_scheduler, freeze: ph.freeze,
    });
  });
  const { phases: _ignored, ...rest } = p;
  return { ...rest, phases };
}

function checkAgainstModel(cfg: RunConfig, m: ModelFacts, issues: string[]): void {
  if (cfg.seq_len > m.max_position_embeddings)
    issues.push(`seq_len: ${cfg.seq_len} is beyond the model's max_position_embeddings (${m.max_position_embeddings})`);
  cfg.phases.forEach((ph, i) => {
    const at = cfg.recipe ? `recipe (phase ${ph.name}).freeze` : `phases[${i}].freeze`;
    try { freezeSpec(ph.freeze, m.num_hidden_layers); } catch (e) { issues.push(`${at}: ${(e as Error).message}`); }
  });
}

/** Resolve a phase's freeze config for a model of `numLayers` layers (throws on out-of-range layers). */
export function freezeSpec(f: FreezeConfig, numLayers: number): FreezeSpec {
  const layers = new Set<number>();
  f.layers.forEach((ref, k) => {
    if (typeof ref === 'number') {
      if (ref >= numLayers) throw new Error(`layers[${k}]: layer ${ref} is out of range for a ${numLayers}-layer model (0..${numLayers - 1})`);
      layers.add(ref);
    } else {
      const g = layerGroup(ref, numLayers);
      if (g.length === 0) throw new Error(`layer group "${ref}" is empty for a ${numLayers}-layer model`);
      g.forEach((l) => layers.add(l));
    }
  });
  return { embeddings: f.embeddings, layers: [...layers].sort((a, b) => a - b), head: f.head };
}

/** JSON with sorted object keys: a stable text of a config, for hashing (run config hash in checkpoints). */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

/** Total optimizer steps of a run. */
export function totalSteps(cfg: RunConfig): number {
  return cfg.phases.reduce((s, p) => s + p.steps, 0);
}


// ---- events (newline-delimited JSON on the runner's stdout) ------------------------------------------

const base = { t: z.number() };               // wall-clock ms since the epoch when emitted
export const RunEventSchema = z.discriminatedUnion('type', [
  z.object({ ...base, type: z.literal('started'), total_steps: z.number(), resumed_from_step: z.number(), device: z.string(), out_dir: z.string(), threads: z.number().optional() }),
  z.object({
    ...base, type: z.literal('step'),
    step: z.number(),                         // 1-based count of optimizer steps done in the run
    phase: z.string(), loss: z.number(), lr: z.number(), grad_norm: z.number(),
    layer_grad_norms: z.array(z.number()),    // [embeddings, layer 0 .. L-1, head]
    tokens_per_s: z.number(),                 // input positions (B·T) per second, recent average
    eta_s: z.number(),                        // seconds left at the recent rate
  }),
  z.object({ ...base, type: z.literal('checkpoint'), path: z.string(), step: z.number(), phase: z.string() }),
  z.object({
    ...base, type: z.literal('activations'),
    step: z.number(), phase: z.string(),      // phase 'start': the model before any update
    checkpoint: z.string(),                   // model directory the activations belong to
    dir: z.string(),                          // where the .npy files are (see native-runner/activations/store-files.ts)
    probe_sha256: z.string(), texts: z.number(), layers: z.number(), poolings: z.array(z.string()),
  }),
  z.object({ ...base, type: z.literal('phase_changed'), step: z.number(), from: z.string().nullable(), to: z.string(), index: z.number() }),
  z.object({ ...base, type: z.literal('warning'), message: z.string() }),
  z.object({ ...base, type: z.literal('error'), message: z.string() }),
  z.object({
    ...base, type: z.literal('finished'),
    status: z.enum(['completed', 'diverged', 'stopped', 'failed']),
    step: z.number(),                         // last completed step (diverged: the step whose loss was not finite)
    message: z.string().optional(),
  }),
]);
export type RunEvent = z.infer<typeof RunEventSchema>;
export type RunEventType = RunEvent['type'];
/** An event without its timestamp, as the loop builds it. */
export type RunEventBody = RunEvent extends infer E ? (E extends { t: number } ? Omit<E, 't'> : never) : never;
export type RunStatus = Extract<RunEvent, { type: 'finished' }>['status'];
