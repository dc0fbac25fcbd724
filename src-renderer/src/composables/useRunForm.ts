// State of the New run form: one sweep spec (src-main/common/sweep.ts) that every field edits in
// place, the demo defaults, and save / load / launch. The spec is also what "Save config" writes,
// so a saved file loads back into exactly the same form.
import { computed, ref, watch } from 'vue';
import { api } from '../api';
import type { DemoAssets } from '../../../src-main/common/types';
import {
  formatSeeds, parseSeeds, recipePhases, refollowBudget, sweepFromFile, sweepToFile, SweepError, type SweepSpec,
} from '../../../src-main/common/sweep';
import { MODEL_PRESETS, type ModelPresetName } from '../../../native-runner/model/config';
import type { ModelFacts } from '../../../native-runner/protocol';

/** Tokens of the first phase when a recipe preset fills the phase list (the paper's n, scaled down for CPU). */
export const DEFAULT_BUDGET = 200_000;

export type ModelKind = 'demo' | 'hf' | 'preset';

export function defaultSpec(demo: DemoAssets | null): SweepSpec {
  const base: Record<string, unknown> = {};
  if (demo?.baseModel) {
    base.model = { hf_dir: demo.baseModel };
    base.init_from = demo.baseModel;
  } else base.model = 'demo';
  base.data = { corpus: demo?.corpora.biomedical ?? '', ...(demo?.tokenizer ? { tokenizer: demo.tokenizer } : {}) };
  const probe = demo?.probeSets.find((p) => p.path.includes('biomedical')) ?? demo?.probeSets[0];
  if (probe) base.probe_set = { path: probe.path };
  Object.assign(base, { seq_len: 128, batch_size: 16, device: 'cpu', threads: 2, checkpoint_every: 0 });
  const perStep = 128 * 16;
  return { base, budget: DEFAULT_BUDGET, recipes: [{ name: 'mlm-baseline', from: 'mlm-baseline', phases: recipePhases('mlm-baseline', DEFAULT_BUDGET, perStep) }], freezes: [], seeds: [1] };
}

export function useRunForm() {
  const demo = ref<DemoAssets | null>(null);
  const demoError = ref<string | null>(null);
  const spec = ref<SweepSpec>(defaultSpec(null));
  const seedsText = ref(formatSeeds(spec.value.seeds));
  const hfDepth = ref<number | null>(null);   // layers of an arbitrary HF directory, typed by the user
  const loadError = ref<string | null>(null);
  let touched = false;
  watch(spec, () => { touched = true; }, { deep: true, flush: 'sync' });

  void api.demoAssets({}).then(
    (d) => {
      demo.value = d;
      if (!touched) { spec.value = defaultSpec(d); touched = false; }
    },
    (e: Error) => { demoError.value = e.message; },
  );

  const seedParse = computed(() => parseSeeds(seedsText.value));
  watch(seedParse, (p) => { if (!p.error) spec.value.seeds = p.seeds; });
  const seedError = computed(() => seedParse.value.error);

  const modelKind = computed<ModelKind>(() => {
    const m = spec.value.base.model;
    if (typeof m === 'string') return 'preset';
    const dir = (m as { hf_dir?: string } | undefined)?.hf_dir;
    return dir && dir === demo.value?.baseModel ? 'demo' : 'hf';
  });
  /** Depth and positions the client can know: presets, and the demo base (the `demo` preset's shape). */
  const facts = computed<ModelFacts | null>(() => {
    const m = spec.value.base.model;
    if (typeof m === 'string') return (MODEL_PRESETS as Record<string, ModelFacts>)[m] ?? null;
    return modelKind.value === 'demo' ? MODEL_PRESETS.demo : null;
  });
  const depth = computed<number | null>(() => facts.value?.num_hidden_layers ?? hfDepth.value);
  const tokensPerStep = computed(() => {
    const b = Number(spec.value.base.batch_size);
    const t = Number(spec.value.base.seq_len);
    return Number.isFinite(b * t) && b * t > 0 ? b * t : 1;
  });

  // Recipes filled from n follow n (and B·T, which sets their warmup) until their phases are edited.
  // `followed` is the last valid (n, B·T): an n cleared while typing does not break the link.
  let followed: { spec: SweepSpec; budget: number; tokensPerStep: number } | null = null;
  watch(() => [spec.value, spec.value.budget, tokensPerStep.value] as const, ([s, n, t]) => {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) return;
    // A new spec (loaded, or the demo defaults) brings its own n: nothing to follow then.
    if (followed && followed.spec === s) refollowBudget(s, followed, { budget: n, tokensPerStep: t });
    followed = { spec: s, budget: n, tokensPerStep: t };
  }, { flush: 'sync', immediate: true });

  function setModel(kind: ModelKind, value?: string): void {
    const base = spec.value.base;
    if (kind === 'preset') {
      base.model = (value as ModelPresetName) ?? 'tiny';
      delete base.init_from;
      // A preset picked must be launchable as it stands: "tiny" holds 64 positions, the form's default
      // sequence length is 128, so shorten T to what the model can hold (the recipes follow B·T).
      const maxPos = MODEL_PRESETS[base.model as ModelPresetName]?.max_position_embeddings;
      if (maxPos && Number(base.seq_len) > maxPos) base.seq_len = maxPos;
    } else {
      const dir = kind === 'demo' ? demo.value?.baseModel ?? '' : value ?? '';
      base.model = { hf_dir: dir };
      base.init_from = dir;
    }
  }

  function saveText(): string {
    return sweepToFile(spec.value);
  }

  /** Fill the form from a run's config (Clone into form / edit & relaunch): a sweep of that one run. */
  function loadConfig(config: unknown, source: string): void {
    try {
      const s = sweepFromFile(JSON.stringify(config), source);
      // A sweep's run is named "recipe · … · seed S": the seed is added again at expansion.
      s.recipes[0].name = s.recipes[0].name.replace(new RegExp(` · seed ${s.seeds[0]}$`), '');
      spec.value = s;
      seedsText.value = formatSeeds(s.seeds);
      loadError.value = null;
    } catch (e) {
      loadError.value = e instanceof SweepError ? e.issues.join('\n') : `${source}: ${(e as Error).message}`;
    }
  }

  async function load(file: File): Promise<void> {
    try {
      const s = sweepFromFile(await file.text(), file.name);
      spec.value = s;
      seedsText.value = formatSeeds(s.seeds);
      loadError.value = null;
    } catch (e) {
      loadError.value = e instanceof SweepError ? e.issues.join('\n') : `${file.name}: ${(e as Error).message}`;
    }
  }

  return { demo, demoError, spec, seedsText, seedError, hfDepth, modelKind, facts, depth, tokensPerStep, setModel, saveText, load, loadConfig, loadError };
}
