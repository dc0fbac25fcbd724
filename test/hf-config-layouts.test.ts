// HF config layouts met in the wild, read into the same model (real ORT forward passes compare the
// hidden states): local_rope_theta null = the global theta; layer_types + rope_parameters (recent
// transformers) = the older fields; values we do not implement are refused by name.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openWorkspaceDb } from '../src-main/store/db';
import { logActivations } from '../src-main/analysis/activation-log';
import { getActivation } from '../src-main/store/activations';
import { DEMO_TOKENIZER, tinyConfig, writeProbeFile, writeTinyModel } from '../src-main/analysis/test-models';
import { readModelConfig } from '../native-runner/checkpoint/hf-config';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-hfcfg-'));
const db = openWorkspaceDb(path.join(tmp, 'ws'));
const probe = writeProbeFile(path.join(tmp, 'probe.jsonl'));
afterAll(() => {
  db.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A tiny model (fixed seed) whose config.json is `edit`ed after writing. */
function model(name: string, edit: (c: Record<string, unknown>) => void, base = tinyConfig({ num_hidden_layers: 4 })): string {
  const dir = writeTinyModel(path.join(tmp, name), 7, base);
  const file = path.join(dir, 'config.json');
  const c = JSON.parse(fs.readFileSync(file, 'utf8'));
  edit(c);
  fs.writeFileSync(file, JSON.stringify(c));
  return dir;
}

async function hidden(dir: string): Promise<Float32Array[]> {
  const r = await logActivations(db, { modelDir: dir, probeSet: probe, tokenizer: DEMO_TOKENIZER, poolings: ['mean'] });
  return Array.from({ length: r.layers }, (_, l) => getActivation(db, r.checkpointId, r.probeSetId, l, 'mean')!.data);
}

describe('HF config layouts (item 17)', () => {
  it('local_rope_theta null means the global theta, not NaN', async () => {
    const nulled = model('null-theta', (c) => { c.local_rope_theta = null; });
    expect(readModelConfig(nulled).local_rope_theta).toBe(160000);
    const explicit = model('explicit-theta', (c) => { c.local_rope_theta = 160000; });
    const [a, b] = [await hidden(nulled), await hidden(explicit)];
    expect(a.every((x) => x.every(Number.isFinite))).toBe(true);
    expect(a).toEqual(b);
  });

  it('layer_types + rope_parameters give the same model as the older fields', async () => {
    const newer = model('newer', (c) => {
      delete c.global_rope_theta; delete c.local_rope_theta; delete c.global_attn_every_n_layers;
      c.layer_types = ['full_attention', 'sliding_attention', 'full_attention', 'sliding_attention'];
      c.rope_parameters = { full_attention: { rope_type: 'default', rope_theta: 80000 }, sliding_attention: { rope_type: 'default', rope_theta: 5000 } };
    });
    const cfg = readModelConfig(newer);
    expect([cfg.global_attn_every_n_layers, cfg.global_rope_theta, cfg.local_rope_theta]).toEqual([2, 80000, 5000]);
    expect(cfg).not.toHaveProperty('layer_types');
    const older = model('older', (c) => { c.global_attn_every_n_layers = 2; c.global_rope_theta = 80000; c.local_rope_theta = 5000; });
    const defaults = model('defaults', () => undefined);
    const [n, o, d] = [await hidden(newer), await hidden(older), await hidden(defaults)];
    expect(n).toEqual(o);
    expect(n).not.toEqual(d); // the layout is honoured, not replaced by 160000/10000 every 3 layers
  });

  it.each([
    ['rope_parameters.full_attention.rope_type "yarn"', (c: Record<string, unknown>) => { c.rope_parameters = { full_attention: { rope_type: 'yarn', rope_theta: 1e4, factor: 4 } }; }, /rope_parameters\.full_attention\.rope_type "yarn" is not supported/],
    ['rope_scaling', (c: Record<string, unknown>) => { c.rope_scaling = { type: 'linear', factor: 2 }; }, /rope_scaling .* is not supported/],
    ['an irregular layer_types', (c: Record<string, unknown>) => { c.layer_types = ['full_attention', 'full_attention', 'sliding_attention', 'full_attention']; }, /layer_types .* is not supported/],
    ['layer_types of the wrong length', (c: Record<string, unknown>) => { c.layer_types = ['full_attention']; }, /layer_types has 1 entries but num_hidden_layers is 4/],
    ['sliding_window that contradicts local_attention', (c: Record<string, unknown>) => { c.sliding_window = 10; }, /sliding_window 10 does not match local_attention/],
    ['a negative theta', (c: Record<string, unknown>) => { c.global_rope_theta = -1; }, /global_rope_theta must be a positive number/],
  ])('refuses %s, naming the field', (_name, edit, message) => {
    const dir = model(`bad-${_name.replace(/\W+/g, '-')}`, edit);
    expect(() => readModelConfig(dir)).toThrow(message);
  });
});
