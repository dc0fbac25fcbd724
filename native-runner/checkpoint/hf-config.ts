// config.json of a ModernBERT directory: read (with HF defaults for absent fields) and write in the
// form `ModernBertForMaskedLM.from_pretrained` loads.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseJsonText } from '../data/json-text';
import { normalizeConfigLayout } from './hf-config-layouts';
import { HF_DEFAULTS, type ModernBertConfig } from '../model/config';

const REQUIRED_INTS = ['vocab_size', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads', 'max_position_embeddings'] as const;

export function readModelConfig(dir: string): ModernBertConfig {
  const file = join(dir, 'config.json');
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) { throw new Error(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); a model directory needs config.json`); }
  let raw: Record<string, unknown>;
  raw = parseJsonText(text, file) as Record<string, unknown>;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${file}: expected a JSON object`);
  if (raw.model_type !== 'modernbert') {
    const arch = Array.isArray(raw.architectures) ? ` (architectures: ${raw.architectures.join(', ')})` : '';
    throw new Error(`${file}: model_type is ${JSON.stringify(raw.model_type)}${arch}; only ModernBERT ("modernbert") is supported`);
  }
  // Both config layouts (older fields, newer layer_types + rope_parameters), nulls meaning "same as
  // global", and refusals of what we do not implement: see hf-config-layouts.ts.
  const cfg = { ...HF_DEFAULTS, ...stripUndefined(normalizeConfigLayout(raw, file)) } as ModernBertConfig;
  for (const k of REQUIRED_INTS) {
    const v = cfg[k];
    if (!Number.isInteger(v) || v <= 0) throw new Error(`${file}: ${k} must be a positive integer, got ${JSON.stringify(v)}`);
  }
  if (cfg.hidden_size % cfg.num_attention_heads !== 0)
    throw new Error(`${file}: hidden_size ${cfg.hidden_size} is not divisible by num_attention_heads ${cfg.num_attention_heads}`);
  if (cfg.hidden_activation !== 'gelu') throw new Error(`${file}: hidden_activation ${JSON.stringify(cfg.hidden_activation)} is not supported (gelu is)`);
  return cfg;
}

function stripUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** The config.json text we write: the config with our architecture and dtype. */
export function modelConfigJson(cfg: ModernBertConfig): string {
  return JSON.stringify({ ...cfg, model_type: 'modernbert', architectures: ['ModernBertForMaskedLM'], torch_dtype: 'float32' }, null, 2) + '\n';
}
