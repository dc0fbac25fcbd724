// Inference graphs (no gradients): logits and/or HF hidden_states for a fixed (B, T), parameters as
// inputs named by HF keys. Used by the reference test and by activation logging (pooled outputs).
import { Graph, type FloatDType } from '../graph/builder';
import type { ModernBertConfig } from './config';
import { modernBertForward } from './modernbert';
import { parameterSpecs } from './params';
import { addPooledOutputs, type PoolingGraphOptions } from './pooling-graph';

export interface InferenceGraphOptions {
  batchSize: number;
  seqLen: number;
  dtype?: FloatDType;          // float32 default; float64 for reference checks
  causal?: boolean;
  hiddenStates?: boolean;      // outputs hidden_state_0 .. hidden_state_L, each [B, T, D]
  logits?: boolean;            // output logits [B, T, V] (default true)
  /** Pooled hidden states as outputs (pooling-graph.ts): pooled_mean / pooled_cls [B, L+1, D],
   *  pooled_tokens [B·k, L+1, D] with an extra input token_rows [B·k]. */
  pooled?: PoolingGraphOptions;
}

export interface InferenceGraph {
  model: Uint8Array;
  inputNames: string[];        // input_ids, attention_mask, parameters in HF order, then token_rows if pooled tokens
  outputNames: string[];
}

export function buildInferenceGraph(cfg: ModernBertConfig, o: InferenceGraphOptions): InferenceGraph {
  const dtype = o.dtype ?? 'float32';
  const { batchSize: B, seqLen: T } = o;
  if (T > cfg.max_position_embeddings) throw new Error(`seqLen ${T} exceeds max_position_embeddings ${cfg.max_position_embeddings}`);
  const g = new Graph(dtype, 'modernbert_inference');
  const inputIds = g.input('input_ids', 'int64', [B, T]);
  const attentionMask = g.input('attention_mask', 'int64', [B, T]);
  const params = new Map(parameterSpecs(cfg).map((s) => [s.name, g.input(s.name, dtype, s.shape)]));
  const wantLogits = o.logits ?? true;
  const f = modernBertForward(g, cfg, params, { inputIds, attentionMask }, { causal: o.causal ?? false, withHead: wantLogits });
  const outputNames: string[] = [];
  if (wantLogits) outputNames.push(g.output(g.node('Reshape', [f.logits, g.ints([B, T, cfg.vocab_size])], [{ dtype, shape: [B, T, cfg.vocab_size] }])[0], 'logits').name);
  if (o.hiddenStates) {
    f.hiddenStates.forEach((h, i) => {
      const r = g.node('Reshape', [h, g.ints([B, T, cfg.hidden_size])], [{ dtype, shape: [B, T, cfg.hidden_size] }])[0];
      outputNames.push(g.output(r, `hidden_state_${i}`).name);
    });
  }
  if (o.pooled) outputNames.push(...addPooledOutputs(g, f.hiddenStates, attentionMask, o.pooled));
  return { model: g.toModel(), inputNames: g.inputs.map((i) => i.name), outputNames };
}
