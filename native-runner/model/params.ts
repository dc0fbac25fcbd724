// ModernBERT parameter list with HF state-dict names, shapes, freeze groups and weight-decay flags.
import type { ModernBertConfig } from './config';

export type ParamGroup = 'embeddings' | 'layer' | 'head';

export interface ParamSpec {
  name: string;                 // HF state-dict key, verbatim
  shape: number[];
  group: ParamGroup;
  layer: number;                // layer index for group 'layer', -1 otherwise
  decay: boolean;               // AdamW weight decay applies (not on norms and biases)
  initStd: number;              // truncated-normal std (0 = constant init: ones for norms, zeros for biases)
}

/** Reject configs whose math our graphs do not implement, naming the field. */
export function assertSupported(cfg: ModernBertConfig): void {
  const bad: string[] = [];
  if (cfg.norm_bias) bad.push('norm_bias=true');
  if (cfg.attention_bias) bad.push('attention_bias=true');
  if (cfg.mlp_bias) bad.push('mlp_bias=true');
  if (cfg.classifier_bias) bad.push('classifier_bias=true');
  if (!cfg.tie_word_embeddings) bad.push('tie_word_embeddings=false');
  if (cfg.hidden_activation !== 'gelu' || cfg.classifier_activation !== 'gelu') bad.push('activation other than gelu');
  if (cfg.hidden_size % cfg.num_attention_heads !== 0) bad.push(`hidden_size ${cfg.hidden_size} not divisible by num_attention_heads ${cfg.num_attention_heads}`);
  if ((cfg.hidden_size / cfg.num_attention_heads) % 2 !== 0) bad.push('odd head_dim (RoPE needs an even head_dim)');
  if (bad.length) throw new Error(`unsupported ModernBERT config: ${bad.join(', ')}`);
}

/** All parameters in HF state-dict order. Init stds follow ModernBertPreTrainedModel._init_weights. */
export function parameterSpecs(cfg: ModernBertConfig): ParamSpec[] {
  assertSupported(cfg);
  const D = cfg.hidden_size;
  const F = cfg.intermediate_size;
  const V = cfg.vocab_size;
  const stdIn = cfg.initializer_range;
  const stdOut = cfg.initializer_range / Math.sqrt(2 * cfg.num_hidden_layers);
  const specs: ParamSpec[] = [
    { name: 'model.embeddings.tok_embeddings.weight', shape: [V, D], group: 'embeddings', layer: -1, decay: true, initStd: stdIn },
    { name: 'model.embeddings.norm.weight', shape: [D], group: 'embeddings', layer: -1, decay: false, initStd: 0 },
  ];
  for (let i = 0; i < cfg.num_hidden_layers; i++) {
    const p = `model.layers.${i}.`;
    const L = (name: string, shape: number[], decay: boolean, initStd: number): ParamSpec => ({ name: p + name, shape, group: 'layer', layer: i, decay, initStd });
    if (i > 0) specs.push(L('attn_norm.weight', [D], false, 0));   // layer 0's attn_norm is nn.Identity
    specs.push(
      L('attn.Wqkv.weight', [3 * D, D], true, stdIn),
      L('attn.Wo.weight', [D, D], true, stdOut),
      L('mlp_norm.weight', [D], false, 0),
      L('mlp.Wi.weight', [2 * F, D], true, stdIn),
      L('mlp.Wo.weight', [D, F], true, stdOut),
    );
  }
  specs.push(
    { name: 'model.final_norm.weight', shape: [D], group: 'head', layer: -1, decay: false, initStd: 0 },
    { name: 'head.dense.weight', shape: [D, D], group: 'head', layer: -1, decay: true, initStd: stdOut },
    { name: 'head.norm.weight', shape: [D], group: 'head', layer: -1, decay: false, initStd: 0 },
    { name: 'decoder.bias', shape: [V], group: 'head', layer: -1, decay: false, initStd: 0 },
  );
  return specs;
}

/** Index of a parameter's slot in per-layer gradient norms: [embeddings, layer 0..L-1, head]. */
export function normSlot(spec: ParamSpec, numLayers: number): number {
  return spec.group === 'embeddings' ? 0 : spec.group === 'layer' ? spec.layer + 1 : numLayers + 1;
}
