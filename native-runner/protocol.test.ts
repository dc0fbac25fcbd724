import { describe, expect, it } from 'vitest';
import { canonicalJson, freezeSpec, parseRunConfig, RunConfigError, RunEventSchema, totalSteps } from './protocol';

const base = { model: 'tiny', data: 'corpus.txt', seq_len: 32, batch_size: 4 };
const phase = { name: 'p', objective: 'mlm', mask_rate: 0.3, steps: 10, lr: { peak: 1e-3 } };

function issues(raw: unknown, opts?: Parameters<typeof parseRunConfig>[1]): string[] {
  try { parseRunConfig(raw, opts); } catch (e) { expect(e).toBeInstanceOf(RunConfigError); return (e as RunConfigError).issues; }
  throw new Error('expected the config to be rejected');
}

describe('run config schema', () => {
  it('fills the paper defaults and normalises data and freeze', () => {
    const cfg = parseRunConfig({ ...base, phases: [phase] });
    expect(cfg.optimizer).toEqual({ betas: [0.9, 0.98], eps: 1e-6, weight_decay: 1e-5, clip_grad_norm: 1 });
    expect(cfg.data).toEqual({ corpus: ['corpus.txt'], held_out: [] });
    expect(cfg.phases[0]).toMatchObject({ steps: 10, tokens: null, mask_rate: 0.3, reset_scheduler: true,
      freeze: { embeddings: false, layers: [], head: false }, lr: { peak: 1e-3, warmup: 0, shape: 'constant' } });
    expect(cfg.device).toBe('cpu');
  });

  it('takes the corpus reading and held-out split options of the data pipeline', () => {
    const data = { corpus: 'general.txt', tokenizer: 'tok', txt_mode: 'line', held_out_fraction: 0.02, split_seed: 0 };
    expect(parseRunConfig({ ...base, data, phases: [phase] }).data).toMatchObject({ txt_mode: 'line', held_out_fraction: 0.02 });
    expect(issues({ ...base, data: { ...data, held_out_fraction: 1 }, phases: [phase] })).toEqual(['data.held_out_fraction: must be in [0, 1)']);
    expect(issues({ ...base, data: { ...data, txt_mode: 'words' }, phases: [phase] })[0]).toMatch(/^data\.txt_mode: /);
  });

  it('computes steps from tokens as ceil(tokens / (B*T))', () => {
    const cfg = parseRunConfig({ ...base, phases: [{ ...phase, steps: undefined, tokens: 1000 }] });
    expect(cfg.phases[0].steps).toBe(Math.ceil(1000 / 128));
    expect(totalSteps(cfg)).toBe(8);
  });

  it('names the field path of each problem', () => {
    const got = issues({ ...base, phases: [phase, { ...phase, name: 'q', mask_rate: 1 }, { ...phase, name: 'r', mask_rate: 0 }] });
    expect(got).toEqual(['phases[1].mask_rate: must be in (0, 1)', 'phases[2].mask_rate: must be in (0, 1)']);
    expect(issues({ ...base, phases: [{ ...phase, mask_rate: undefined }] })).toEqual(['phases[0].mask_rate: required for objective mlm']);
    expect(issues({ ...base, phases: [{ ...phase, lr: { peak: -1 } }] })).toEqual(['phases[0].lr.peak: must be > 0']);
    expect(issues({ ...base, phases: [{ ...phase, tokens: 5 }] })).toEqual(['phases[0]: give exactly one of tokens or steps']);
    expect(issues({ ...base, phases: [phase], extra: 1 })).toEqual(['extra: unknown field']);
    expect(issues({ ...base, seq_len: 2.5, phases: [phase] })).toEqual(['seq_len: must be an integer']);
  });

  it('rejects unknown presets and lists the known ones', () => {
    expect(issues({ ...base, model: 'huge', phases: [phase] })).toEqual(['model: unknown model preset "huge" (known: tiny, small, demo, base, large)']);
    expect(issues({ ...base, phases: [{ ...phase, freeze: 'top' }] })).toEqual(['phases[0].freeze: unknown freeze preset "top" (known: none, low, mid, deep)']);
    expect(issues({ ...base, recipe: { name: 'bert', tokens: 10 } })).toEqual(['recipe.name: unknown recipe "bert" (known: mlm-baseline, clm-detour)']);
  });

  it('checks freeze layers and seq_len against the model', () => {
    // tiny: 4 layers, 64 positions
    expect(issues({ ...base, phases: [{ ...phase, freeze: { layers: [1, 4] } }] }))
      .toEqual(['phases[0].freeze: layers[1]: layer 4 is out of range for a 4-layer model (0..3)']);
    expect(issues({ ...base, seq_len: 65, phases: [phase] })).toEqual(["seq_len: 65 is beyond the model's max_position_embeddings (64)"]);
    // an HF directory's depth is known only from its config.json: checked when supplied
    const hf = { ...base, model: { hf_dir: '/m' }, seq_len: 600, phases: [{ ...phase, freeze: { layers: [30] } }] };
    expect(parseRunConfig(hf).phases[0].freeze.layers).toEqual([30]);
    expect(issues(hf, { model: { num_hidden_layers: 22, max_position_embeddings: 512 } })).toHaveLength(2);
  });

  it('inherits lr when the scheduler continues, and refuses lr there', () => {
    const cont = { ...phase, name: 'q', lr: undefined, reset_scheduler: false, freeze: 'low' };
    const cfg = parseRunConfig({ ...base, phases: [phase, cont] });
    expect(cfg.phases[1].lr).toEqual(cfg.phases[0].lr);
    expect(issues({ ...base, phases: [phase, { ...cont, lr: { peak: 1 } }] }))
      .toEqual(['phases[1].lr: with reset_scheduler false the schedule continues; remove lr']);
    expect(issues({ ...base, phases: [phase, { ...phase }] })).toEqual(['phases[1].name: duplicate phase name "p"']);
    expect(issues({ ...base, phases: [{ ...phase, objective: 'clm' }] })).toEqual(['phases[0].mask_rate: only used by objective mlm; remove it for clm']);
  });

  it('expands the paper recipes: decay 0.1 n at 15%, 1-sqrt to 10%, scheduler reset', () => {
    const mlm = parseRunConfig({ ...base, recipe: { name: 'mlm-baseline', tokens: 128_000 } });
    expect(mlm.phases.map((p) => [p.name, p.objective, p.mask_rate, p.tokens, p.steps])).toEqual([
      ['mlm', 'mlm', 0.3, 128_000, 1000], ['decay', 'mlm', 0.15, 12_800, 100]]);
    expect(mlm.phases[0].lr).toEqual({ peak: 2e-4, warmup: 60, shape: 'constant', final_ratio: 1 });
    expect(mlm.phases[1].lr).toEqual({ peak: 2e-4, warmup: 0, shape: 'one_minus_sqrt', final_ratio: 0.1 });
    expect(mlm.phases[1].reset_scheduler).toBe(true);
    const clm = parseRunConfig({ ...base, model: 'demo', recipe: { name: 'clm-detour', tokens: 128_000, freeze: 'low', decay_freeze: 'mid' } });
    expect(clm.phases.map((p) => [p.objective, p.mask_rate])).toEqual([['clm', null], ['mlm', 0.15]]);
    expect(freezeSpec(clm.phases[0].freeze, 12).layers).toEqual([0, 1, 2, 3]);
    expect(freezeSpec(clm.phases[1].freeze, 12).layers).toEqual([4, 5, 6, 7]);
    expect(issues({ ...base, recipe: { name: 'clm-detour', tokens: 10 }, phases: [phase] })).toEqual(['recipe: give either phases or recipe, not both']);
  });

  it('freeze specs merge indices and groups, and refuse empty groups', () => {
    expect(freezeSpec({ embeddings: true, layers: [9, 'low', 3], head: false }, 22))
      .toEqual({ embeddings: true, layers: [0, 1, 2, 3, 4, 5, 6, 7, 9], head: false });
    expect(() => freezeSpec({ embeddings: false, layers: ['mid'], head: false }, 2)).toThrow('layer group "mid" is empty for a 2-layer model');
  });

  it('canonical JSON ignores key order', () => {
    expect(canonicalJson({ b: 1, a: [{ y: 2, x: 1 }] })).toBe(canonicalJson({ a: [{ x: 1, y: 2 }], b: 1 }));
  });

  it('validates events', () => {
    const ev = { t: 1, type: 'step', step: 3, phase: 'mlm', loss: 2.5, lr: 1e-4, grad_norm: 1, layer_grad_norms: [1, 2], tokens_per_s: 10, eta_s: 5 };
    expect(RunEventSchema.parse(ev)).toEqual(ev);
    expect(RunEventSchema.safeParse({ ...ev, type: 'nope' }).success).toBe(false);
  });
});
