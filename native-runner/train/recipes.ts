// The paper's recipes and layer-group presets, as plain data. Pure module (no node imports): the run
// config schema (protocol.ts) expands these, and the renderer's form lists them.

/** Optimizer and learning-rate defaults from the paper (AdamW, linear warmup then constant). */
export const PAPER_DEFAULTS = {
  lr: 2e-4,
  betas: [0.9, 0.98] as [number, number],
  eps: 1e-6,
  weight_decay: 1e-5,
  /** Not stated in the paper; 1.0 is the Hugging Face Trainer default (max_grad_norm). */
  clip_grad_norm: 1.0,
  /** Phase-1 mask rate of the MLM baseline and the decay's mask rate. */
  mlm_mask_rate: 0.3,
  decay_mask_rate: 0.15,
  /** The decay phase lasts 0.1·n tokens and decays 1−√ to 10% of the peak. */
  decay_ratio: 0.1,
  decay_final_ratio: 0.1,
  /** Warmup of the first phase, as a fraction of its steps (not stated in the paper; chosen here). */
  warmup_fraction: 0.06,
};

// ---------------------------------------------------------------------------------------------------
// Layer groups. The paper's 22-layer model splits into low 0–7, mid 8–14, deep 15–21. For a model of
// depth L we keep the same fractions with the two boundaries
//     a = round(L · 8 / 22),   b = round(L · 15 / 22)
// so low = [0, a), mid = [a, b), deep = [b, L). L = 22 gives exactly 8 and 15; L = 12 gives 4 and 8
// (low 0–3, mid 4–7, deep 8–11); L = 28 gives 10 and 19. `round` is Math.round (halves round up).
// For very shallow models a group can be empty (L = 2: mid is empty); asking to freeze an empty group
// is an error rather than a silent no-op.

export const LAYER_GROUP_NAMES = ['low', 'mid', 'deep'] as const;
export type LayerGroupName = (typeof LAYER_GROUP_NAMES)[number];

export function layerGroupBounds(numLayers: number): { low: [number, number]; mid: [number, number]; deep: [number, number] } {
  const a = Math.round((numLayers * 8) / 22);
  const b = Math.round((numLayers * 15) / 22);
  return { low: [0, a], mid: [a, b], deep: [b, numLayers] };
}

/** Layer indices of a group for a model of the given depth (ascending). */
export function layerGroup(name: LayerGroupName, numLayers: number): number[] {
  const [lo, hi] = layerGroupBounds(numLayers)[name];
  const out: number[] = [];
  for (let i = lo; i < hi; i++) out.push(i);
  return out;
}

/**
 * Freeze presets: `none` (train everything) and the three layer groups. A preset freezes only
 * transformer layers; embeddings and the head stay trainable, as in the paper's conditions.
 */
export const FREEZE_PRESET_NAMES = ['none', ...LAYER_GROUP_NAMES] as const;
export type FreezePresetName = (typeof FREEZE_PRESET_NAMES)[number];

// ---------------------------------------------------------------------------------------------------
// Recipes. A recipe expands to the phase list of the run config (protocol.ts `PhaseInput`).

export const RECIPE_NAMES = ['mlm-baseline', 'clm-detour'] as const;
export type RecipeName = (typeof RECIPE_NAMES)[number];

export interface RecipeOptions {
  name: RecipeName;
  tokens: number;               // n: tokens of the first phase; the decay runs decay_ratio·n
  peak_lr: number;              // peak learning rate of both phases
  warmup: number;               // warmup steps of the first phase
  decay_ratio: number;          // 0.1 in the paper
  freeze: FreezePresetName;     // freeze pattern of the first phase (the paper's CLM conditions)
  decay_freeze: FreezePresetName; // freeze pattern of the decay phase
}

/** Phase description produced by a recipe; same shape as the run config's phase input. */
export interface RecipePhase {
  name: string;
  objective: 'mlm' | 'clm';
  mask_rate?: number;
  tokens: number;
  lr: { peak: number; warmup: number; shape: 'constant' | 'one_minus_sqrt'; final_ratio: number };
  reset_scheduler: boolean;
  freeze: FreezePresetName;
}

/**
 * `mlm-baseline`: MLM at 30% for n tokens, then MLM at 15% for 0.1·n (1−√ to 10% of peak).
 * `clm-detour`:   CLM for n tokens, then the same MLM decay.
 * The decay resets the scheduler; AdamW state carries over (the loop never resets moments).
 */
export function expandRecipe(r: RecipeOptions): RecipePhase[] {
  const first: RecipePhase =
    r.name === 'mlm-baseline'
      ? { name: 'mlm', objective: 'mlm', mask_rate: PAPER_DEFAULTS.mlm_mask_rate, tokens: r.tokens,
          lr: { peak: r.peak_lr, warmup: r.warmup, shape: 'constant', final_ratio: 1 }, reset_scheduler: true, freeze: r.freeze }
      : { name: 'clm', objective: 'clm', tokens: r.tokens,
          lr: { peak: r.peak_lr, warmup: r.warmup, shape: 'constant', final_ratio: 1 }, reset_scheduler: true, freeze: r.freeze };
  const decay: RecipePhase = {
    name: 'decay', objective: 'mlm', mask_rate: PAPER_DEFAULTS.decay_mask_rate,
    tokens: Math.max(1, Math.round(r.tokens * r.decay_ratio)),
    lr: { peak: r.peak_lr, warmup: 0, shape: 'one_minus_sqrt', final_ratio: PAPER_DEFAULTS.decay_final_ratio },
    reset_scheduler: true, freeze: r.decay_freeze,
  };
  return [first, decay];
}
