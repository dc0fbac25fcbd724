// Layer transplant (the paper's test): a model whose layer group G comes from checkpoint A and whose
// every other parameter comes from checkpoint B, written as a normal model directory (atomically:
// config.json, model.safetensors, B's tokenizer files if it has them, and transplant.json recording
// where each part came from). Its activations and probes are then computed like any model's.
import fs from 'node:fs';
import path from 'node:path';
import { loadModelDir } from '../../native-runner/checkpoint/checkpoint';
import { writeDirAtomic, writeFileSynced } from '../../native-runner/checkpoint/atomic-dir';
import { modelConfigJson } from '../../native-runner/checkpoint/hf-config';
import { writeSafetensors } from '../../native-runner/checkpoint/safetensors';
import type { TensorToWrite } from '../../native-runner/checkpoint/safetensors';
import type { ModernBertConfig } from '../../native-runner/model/config';
import { parameterSpecs } from '../../native-runner/model/params';
import { LAYER_GROUP_NAMES, layerGroup } from '../../native-runner/train/recipes';
import type { LayerGroupName } from '../../native-runner/train/recipes';
import { modelDirHash } from './activation-log';
import type { TransplantInfo } from '../common/analysis-types';

export interface TransplantRequest {
  a: string; // donor directory: the transplanted parts come from here
  b: string; // recipient directory: everything else
  out: string; // new model directory (replaced atomically if it exists)
  group?: LayerGroupName; // low / mid / deep of the model's depth (recipes.ts)
  layers?: number[]; // explicit transformer layer indices (instead of, or added to, group)
  embeddings?: boolean; // also take model.embeddings.* from A
  head?: boolean; // also take final_norm, head.* and decoder.bias from A
}

// What a transplant wrote: the API's wire type (src-main/common/analysis-types.ts), defined once.
export type TransplantResult = TransplantInfo;

/** Config fields that change the computation: A and B must agree on all of them. */
const ARCHITECTURE_FIELDS = [
  'vocab_size', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads', 'max_position_embeddings',
  'global_attn_every_n_layers', 'local_attention', 'global_rope_theta', 'local_rope_theta', 'norm_eps', 'norm_bias',
  'attention_bias', 'mlp_bias', 'hidden_activation', 'classifier_activation', 'tie_word_embeddings', 'pad_token_id',
] as const;

const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'];

export function checkSameArchitecture(a: ModernBertConfig, b: ModernBertConfig, names: [string, string]): void {
  const rec = (c: ModernBertConfig) => c as unknown as Record<string, unknown>;
  const diff = ARCHITECTURE_FIELDS.filter((k) => JSON.stringify(rec(a)[k]) !== JSON.stringify(rec(b)[k]));
  if (diff.length) {
    throw new Error(`transplant: ${names[0]} and ${names[1]} differ in ${diff.map((k) => `${k} (${JSON.stringify(rec(a)[k])} vs ${JSON.stringify(rec(b)[k])})`).join(', ')}; layers can only move between models of the same architecture`);
  }
}

/** Transformer layers to transplant: the group's, plus any explicit ones, validated against the depth. */
export function transplantLayers(req: Pick<TransplantRequest, 'group' | 'layers'>, numLayers: number): number[] {
  if (req.group !== undefined && !(LAYER_GROUP_NAMES as readonly string[]).includes(req.group)) {
    throw new Error(`transplant: unknown layer group ${JSON.stringify(req.group)} (expected ${LAYER_GROUP_NAMES.join(', ')})`);
  }
  const set = new Set<number>(req.group ? layerGroup(req.group, numLayers) : []);
  for (const l of req.layers ?? []) {
    if (!Number.isInteger(l) || l < 0 || l >= numLayers) throw new Error(`transplant: layer ${l} outside the model's ${numLayers} layers (0..${numLayers - 1})`);
    set.add(l);
  }
  return [...set].sort((x, y) => x - y);
}

export function transplant(req: TransplantRequest): TransplantResult {
  const a = loadModelDir(req.a);
  const b = loadModelDir(req.b);
  checkSameArchitecture(a.config, b.config, [req.a, req.b]);
  const layers = transplantLayers(req, b.config.num_hidden_layers);
  const embeddings = req.embeddings ?? false;
  const head = req.head ?? false;
  if (layers.length === 0 && !embeddings && !head) {
    throw new Error('transplant: nothing to take from A (the layer group is empty for this depth and no layers, embeddings or head were asked for)');
  }
  const fromLayer = new Set(layers);
  const tensors = new Map<string, TensorToWrite>();
  let fromA = 0;
  for (const s of parameterSpecs(b.config)) {
    const takeA = s.group === 'layer' ? fromLayer.has(s.layer) : s.group === 'embeddings' ? embeddings : head;
    const src = takeA ? a.params : b.params;
    tensors.set(s.name, { shape: s.shape, data: src.get(s.name)! });
    if (takeA) fromA++;
  }
  const out = path.resolve(req.out);
  if (out === path.resolve(req.a) || out === path.resolve(req.b)) throw new Error(`transplant: --out ${req.out} would overwrite a source model`);
  const info = {
    a: { path: path.resolve(req.a), sha256: modelDirHash(req.a) },
    b: { path: path.resolve(req.b), sha256: modelDirHash(req.b) },
  };
  writeDirAtomic(out, (tmp) => {
    writeSafetensors(path.join(tmp, 'model.safetensors'), tensors);
    writeFileSynced(path.join(tmp, 'config.json'), modelConfigJson(b.config));
    for (const f of TOKENIZER_FILES) {
      const src = path.join(req.b, f);
      if (fs.existsSync(src)) writeFileSynced(path.join(tmp, f), fs.readFileSync(src));
    }
    writeFileSynced(path.join(tmp, 'transplant.json'), JSON.stringify({ ...info, layers_from_a: layers, embeddings_from_a: embeddings, head_from_a: head }, null, 2) + '\n');
  });
  return { out, sha256: modelDirHash(out), layers, embeddings, head, fromA, fromB: tensors.size - fromA, ...info };
}
