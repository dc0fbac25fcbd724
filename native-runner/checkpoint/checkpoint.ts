// Checkpoint directories. Layout (HF-loadable model + what an exact resume needs):
//   model.safetensors      parameters, HF names, float32; decoder.weight omitted (tied to the embeddings)
//   config.json            ModernBertConfig with model_type "modernbert", architectures ["ModernBertForMaskedLM"]
//   optimizer.safetensors  AdamW moments "exp_avg.<name>", "exp_avg_sq.<name>"; metadata adam_step
//   trainer_state.json     step, phase, scheduler position, data cursor, RNG states, run config hash
// Written atomically (atomic-dir.ts). Checkpoints of a run live in OUT/checkpoints/step-<8 digits>.

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModernBertConfig } from '../model/config';
import { canonicalJson } from '../protocol';
import type { TrainState } from '../train/step-api';
import { fillPacked, newPackedState } from '../train/packing';
import type { RngState } from '../util/rng';
import { parseJsonText } from '../data/json-text';
import { assertFiniteTensors } from './finite';
import { TEMP_PREFIX, writeDirAtomic, writeFileSynced } from './atomic-dir';
import { modelConfigJson, readModelConfig } from './hf-config';
import { checkParams, DECODER_WEIGHT, expectedParamShapes } from './hf-params';
import { readSafetensors, readSafetensorsInto, writeSafetensors, type LoadedTensor, type TensorToWrite } from './safetensors';

export const TRAINER_STATE_FORMAT = 'encoder-workbench/trainer-state@1';

export interface TrainerState {
  format: typeof TRAINER_STATE_FORMAT;
  step: number;                 // optimizer updates done in the whole run
  phase_index: number;          // phase the next update belongs to (== phases.length when finished)
  phase: string;
  phase_step: number;           // updates done inside that phase
  scheduler: { segment_start: number; position: number; total: number }; // lr schedule segment and position in it
  adam_step: number;            // AdamW bias-correction count (carried across phases)
  data_cursor: unknown;         // BatchSource cursor after the last consumed batch
  rng: Record<string, RngState>;// named RNG streams (masking ...)
  config_hash: string;          // sha256 of the canonical run config: resume refuses a changed config
  seed: number;
  saved_at: string;             // ISO time, informational
}

export function configHash(runConfig: unknown): string {
  return createHash('sha256').update(canonicalJson(runConfig)).digest('hex');
}

export function checkpointDirName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

export function writeCheckpoint(dir: string, c: { modelConfig: ModernBertConfig; state: TrainState; trainer: TrainerState; runConfig?: unknown }): void {
  const shapes = expectedParamShapes(c.modelConfig);
  const model = new Map<string, TensorToWrite>(), moments = new Map<string, TensorToWrite>();
  for (const [name, shape] of shapes) {
    const p = c.state.params.get(name);
    if (!p) throw new Error(`writeCheckpoint: the train state has no parameter "${name}"`);
    model.set(name, { shape, data: p });
    const m = c.state.expAvg.get(name), v = c.state.expAvgSq.get(name);
    if (m) moments.set(`exp_avg.${name}`, { shape, data: m });
    if (v) moments.set(`exp_avg_sq.${name}`, { shape, data: v });
  }
  // Never write a checkpoint that cannot be resumed from or analysed (issue 12: NaN weights and moments
  // were saved and registered one step before the run was marked diverged).
  assertFiniteTensors(`checkpoint ${dir} not written`, [...[...model].map(([k, t]) => [k, t.data] as [string, Float32Array]), ...[...moments].map(([k, t]) => [k, t.data] as [string, Float32Array])]);
  writeDirAtomic(dir, (tmp) => {
    writeSafetensors(join(tmp, 'model.safetensors'), model);
    writeSafetensors(join(tmp, 'optimizer.safetensors'), moments, { adam_step: String(c.state.adamStep) });
    writeFileSynced(join(tmp, 'config.json'), modelConfigJson(c.modelConfig));
    writeFileSynced(join(tmp, 'trainer_state.json'), JSON.stringify({ ...c.trainer, adam_step: c.state.adamStep }, null, 2) + '\n');
    if (c.runConfig !== undefined) writeFileSynced(join(tmp, 'run_config.json'), JSON.stringify(c.runConfig, null, 2) + '\n');
  });
}

/** Load model weights from a ModernBERT directory (ours or Hugging Face's): F32/F16/BF16, tied decoder. */
export function loadModelDir(dir: string, expect?: ModernBertConfig): { config: ModernBertConfig; params: Map<string, Float32Array> } {
  const config = readModelConfig(dir);
  if (expect) {
    const diff = (['vocab_size', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads'] as const).filter((k) => config[k] !== expect[k]);
    if (diff.length) throw new Error(`${join(dir, 'config.json')}: ${diff.map((k) => `${k} ${config[k]} != ${expect[k]}`).join(', ')} (the run's model)`);
  }
  const tensors = readModelTensors(dir);
  const params = checkParams(dir, config, tensors);
  // NaN / Infinity weights load "fine" and then give NaN activations and CKA errors naming nothing:
  // refuse them here, where the directory and the tensor can still be named (import, init_from, analyze).
  assertFiniteTensors(`${dir}: weights are not usable`, params);
  return { config, params };
}

function readModelTensors(dir: string): Map<string, LoadedTensor> {
  const single = join(dir, 'model.safetensors'), index = join(dir, 'model.safetensors.index.json');
  if (existsSync(single)) return readSafetensors(single).tensors;
  if (existsSync(index)) {
    // sharded HF checkpoint: {"weight_map": {name: shard file}}
    const map = (parseJsonText(readFileSync(index, 'utf8'), index) as { weight_map?: Record<string, string> } | null)?.weight_map;
    if (!map || typeof map !== 'object') throw new Error(`${index}: no weight_map`);
    const out = new Map<string, LoadedTensor>();
    for (const shard of new Set(Object.values(map))) for (const [k, v] of readSafetensors(join(dir, shard)).tensors) out.set(k, v);
    return out;
  }
  const bin = existsSync(join(dir, 'pytorch_model.bin')) ? ' (pytorch_model.bin is not supported: save the model with safe_serialization=True)' : '';
  throw new Error(`${dir}: no model.safetensors${bin}`);
}

/** Read a full checkpoint for resuming: weights, moments and trainer state. */
export function readCheckpoint(dir: string, expect?: ModernBertConfig): { config: ModernBertConfig; state: TrainState; trainer: TrainerState } {
  const { config, params } = loadModelDir(dir, expect);
  const tsFile = join(dir, 'trainer_state.json');
  let text: string;
  try { text = readFileSync(tsFile, 'utf8'); } catch (e) { throw new Error(`${tsFile}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`); }
  const trainer = parseJsonText(text, tsFile) as TrainerState;
  if (trainer.format !== TRAINER_STATE_FORMAT) throw new Error(`${tsFile}: format ${JSON.stringify(trainer.format)}, expected ${TRAINER_STATE_FORMAT}`);
  params.delete(DECODER_WEIGHT);
  // straight into packed buffers (train/packing.ts): the weights from the loaded model file, dropping
  // its tensors as they are copied; the moments read from the file directly into the state's views
  // (readSafetensorsInto), so the 1.2 GB optimizer file of a ModernBERT-base run is never held whole
  const state = newPackedState(config);
  fillPacked(state, 'params', params);
  const optFile = join(dir, 'optimizer.safetensors');
  const shapes = expectedParamShapes(config);
  const kinds = [['exp_avg.', 'expAvg'], ['exp_avg_sq.', 'expAvgSq']] as const;
  const { metadata } = readSafetensorsInto(optFile, (e) => {
    for (const [prefix, kind] of kinds) if (e.name.startsWith(prefix)) return state[kind].get(e.name.slice(prefix.length));
    return undefined;
  }, (entries) => {
    // every moment present with its parameter's shape, checked before anything is read
    const byName = new Map(entries.map((e) => [e.name, e]));
    const expected = new Map(shapes);
    for (const [prefix, kind] of kinds) {
      for (const [name, view] of state[kind]) {
        const t = byName.get(prefix + name);
        const shape = expected.get(name) ?? [view.length];
        if (!t) throw new Error(`${optFile}: missing tensor "${prefix}${name}"`);
        if (t.shape.join(',') !== shape.join(',') || t.count !== view.length) throw new Error(`${optFile}: tensor "${prefix}${name}" has shape [${t.shape}], expected [${shape}]`);
      }
    }
  });
  const adamStep = Number(metadata.adam_step);
  if (!Number.isInteger(adamStep) || adamStep < 0) throw new Error(`${optFile}: metadata adam_step missing or invalid`);
  state.adamStep = adamStep;
  return { config, state, trainer };
}

/** Complete checkpoints under OUT/checkpoints, oldest first (temp dirs of unfinished writes are skipped). */
export function listCheckpoints(checkpointsDir: string): { dir: string; step: number }[] {
  if (!existsSync(checkpointsDir)) return [];
  return readdirSync(checkpointsDir)
    .filter((n) => !n.startsWith(TEMP_PREFIX) && /^step-\d+$/.test(n))
    .map((n) => ({ dir: join(checkpointsDir, n), step: Number(n.slice(5)) }))
    .sort((a, b) => a.step - b.step);
}
