// ModernBERT configuration with Hugging Face's field names (configuration_modernbert.py), so that a
// config.json written by us loads in `ModernBertForMaskedLM.from_pretrained` and an HF config.json
// loads here. Only fields that change the math are used by our graphs; the rest are carried verbatim.
// This module imports nothing from node: the renderer's form uses the presets too.

export interface ModernBertConfig {
  model_type: 'modernbert';
  architectures: string[];            // ["ModernBertForMaskedLM"]
  vocab_size: number;                 // 50368 for the English tokenizer
  hidden_size: number;                // d_model (768 base)
  intermediate_size: number;          // GeGLU half-width; Wi is [2*intermediate_size, hidden_size]
  num_hidden_layers: number;          // 22 base
  num_attention_heads: number;        // head_dim = hidden_size / num_attention_heads
  hidden_activation: 'gelu';          // exact erf GELU in the MLP
  max_position_embeddings: number;    // longest sequence RoPE is meant for (8192)
  initializer_range: number;          // std of truncated-normal init (0.02)
  initializer_cutoff_factor: number;  // truncation at cutoff_factor * std (2.0)
  norm_eps: number;                   // LayerNorm epsilon (1e-5)
  norm_bias: boolean;                 // false: LayerNorms have no bias
  pad_token_id: number;
  eos_token_id: number;
  bos_token_id: number;
  cls_token_id: number;
  sep_token_id: number;
  global_rope_theta: number;          // RoPE base on global layers (160000)
  attention_bias: boolean;            // false
  attention_dropout: number;          // 0
  global_attn_every_n_layers: number; // layer i is global when i % n == 0 (3)
  local_attention: number;            // window width; local layers see |i-j| <= local_attention/2
  local_rope_theta: number;           // RoPE base on local layers (10000)
  embedding_dropout: number;          // 0
  mlp_bias: boolean;                  // false
  mlp_dropout: number;                // 0
  decoder_bias: boolean;              // true: decoder.bias exists
  classifier_pooling: 'cls' | 'mean';
  classifier_dropout: number;
  classifier_bias: boolean;
  classifier_activation: 'gelu';      // activation of head.dense
  deterministic_flash_attn: boolean;
  sparse_prediction: boolean;
  sparse_pred_ignore_index: number;
  reference_compile: boolean | null;
  tie_word_embeddings: boolean;       // true: decoder.weight is tok_embeddings.weight
  torch_dtype?: string;
  transformers_version?: string;
  [extra: string]: unknown;           // unknown HF fields are preserved on round trip
}

/** HF defaults (ModernBertConfig.__init__), with the English special-token ids of ModernBERT-base. */
export const HF_DEFAULTS: ModernBertConfig = {
  model_type: 'modernbert',
  architectures: ['ModernBertForMaskedLM'],
  vocab_size: 50368,
  hidden_size: 768,
  intermediate_size: 1152,
  num_hidden_layers: 22,
  num_attention_heads: 12,
  hidden_activation: 'gelu',
  max_position_embeddings: 8192,
  initializer_range: 0.02,
  initializer_cutoff_factor: 2.0,
  norm_eps: 1e-5,
  norm_bias: false,
  pad_token_id: 50283,
  eos_token_id: 50282,
  bos_token_id: 50281,
  cls_token_id: 50281,
  sep_token_id: 50282,
  global_rope_theta: 160000.0,
  attention_bias: false,
  attention_dropout: 0.0,
  global_attn_every_n_layers: 3,
  local_attention: 128,
  local_rope_theta: 10000.0,
  embedding_dropout: 0.0,
  mlp_bias: false,
  mlp_dropout: 0.0,
  decoder_bias: true,
  classifier_pooling: 'mean',
  classifier_dropout: 0.0,
  classifier_bias: false,
  classifier_activation: 'gelu',
  deterministic_flash_attn: false,
  sparse_prediction: false,
  sparse_pred_ignore_index: -100,
  reference_compile: null,
  tie_word_embeddings: true,
};

/** Architecture presets. Vocabulary size and special-token ids come from the tokenizer in use. */
export const MODEL_PRESETS = {
  /** Unit tests and gradient checks: 4 layers so both global (0, 3) and local (1, 2) layers occur. */
  tiny: { hidden_size: 16, num_hidden_layers: 4, num_attention_heads: 2, intermediate_size: 24, local_attention: 4, max_position_embeddings: 64 },
  /** The benchmark's "small" shape: D128 L2 H4 F512. */
  small: { hidden_size: 128, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 512, local_attention: 64, max_position_embeddings: 512 },
  /** CPU-sized but deep enough for low/mid/deep layer groups (12 layers -> low 0-3, mid 4-7, deep 8-11). */
  demo: { hidden_size: 128, num_hidden_layers: 12, num_attention_heads: 4, intermediate_size: 256, local_attention: 64, max_position_embeddings: 512 },
  /** ModernBERT-base: 768 / 22 layers / 12 heads / 1152. */
  base: { hidden_size: 768, num_hidden_layers: 22, num_attention_heads: 12, intermediate_size: 1152, local_attention: 128, max_position_embeddings: 8192 },
  /** ModernBERT-large: 1024 / 28 layers / 16 heads / 2624. */
  large: { hidden_size: 1024, num_hidden_layers: 28, num_attention_heads: 16, intermediate_size: 2624, local_attention: 128, max_position_embeddings: 8192 },
} as const satisfies Record<string, Partial<ModernBertConfig>>;

export type ModelPresetName = keyof typeof MODEL_PRESETS;
export const MODEL_PRESET_NAMES = Object.keys(MODEL_PRESETS) as ModelPresetName[];

/** Special-token ids a tokenizer supplies to a preset. */
export interface TokenIds { vocab_size: number; pad_token_id: number; cls_token_id: number; sep_token_id: number; mask_token_id?: number }

/** Build a full config from a preset name and the tokenizer's vocabulary/special ids. */
export function presetConfig(name: ModelPresetName, tokens?: TokenIds): ModernBertConfig {
  const preset = MODEL_PRESETS[name];
  if (!preset) throw new Error(`unknown model preset "${String(name)}" (known: ${MODEL_PRESET_NAMES.join(', ')})`);
  const cfg: ModernBertConfig = { ...HF_DEFAULTS, ...preset };
  if (tokens) {
    cfg.vocab_size = tokens.vocab_size;
    cfg.pad_token_id = tokens.pad_token_id;
    cfg.cls_token_id = cfg.bos_token_id = tokens.cls_token_id;
    cfg.sep_token_id = cfg.eos_token_id = tokens.sep_token_id;
  }
  return cfg;
}

export function headDim(cfg: ModernBertConfig): number {
  return cfg.hidden_size / cfg.num_attention_heads;
}

/** Layer i is a global-attention layer (RoPE theta = global_rope_theta, no sliding window). */
export function isGlobalLayer(cfg: ModernBertConfig, i: number): boolean {
  return i % cfg.global_attn_every_n_layers === 0;
}
