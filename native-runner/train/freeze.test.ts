// Freezing saves compute: structural checks on the generated train-step graphs.
import { describe, expect, it } from 'vitest';
import { tinyConfig } from '../../test/reference/tiny-setup';
import type { NodeData } from '../onnx/model-proto';
import { freezeKey, NO_FREEZE, validateFreeze } from './freeze';
import type { AdamWHyper, FreezeSpec } from './step-api';
import { buildTrainStepGraph } from './train-step-graph';

const cfg = tinyConfig();
const hyper: AdamWHyper = { beta1: 0.9, beta2: 0.98, eps: 1e-6, weightDecay: 1e-5, clipGradNorm: 1 };
const GEMMS = new Set(['Gemm', 'MatMul', 'FusedMatMul']);
const LAYER_WEIGHTS = ['attn.Wqkv.weight', 'attn.Wo.weight', 'mlp.Wi.weight', 'mlp.Wo.weight'];

function nodesFor(freeze: FreezeSpec): NodeData[] {
  return buildTrainStepGraph(cfg, { objective: 'clm', freeze, batchSize: 2, seqLen: 8, hyper }).graph.nodeData();
}

/** GEMMs that compute W's weight gradient (they consume the activation x of a forward x·Wᵀ) and
 *  GEMMs that propagate the gradient through W to x (they consume W besides the forward). W may be
 *  used whole or through the pieces of a Split (mlp.Wi is split into its input and gate halves). */
function gemmWork(nodes: NodeData[], w: string): { uses: number; weightGrad: number; inputGrad: number } {
  const pieces = [w, ...nodes.filter((n) => n.opType === 'Split' && n.inputs[0] === w).flatMap((n) => n.outputs)];
  const fwd = nodes.filter((n) => n.opType === 'Gemm' && pieces.includes(n.inputs[1]) && n.attrs.transB);
  if (fwd.length === 0) throw new Error(`no forward Gemm for ${w}`);
  const xs = new Set(fwd.map((n) => n.inputs[0]));
  const others = nodes.filter((n) => GEMMS.has(n.opType) && !fwd.includes(n));
  return {
    uses: fwd.length,
    weightGrad: others.filter((n) => n.inputs.some((i) => xs.has(i))).length,
    inputGrad: others.filter((n) => n.inputs.some((i) => pieces.includes(i))).length,
  };
}

describe('freeze patterns', () => {
  it('layers 0-1 frozen: no weight-gradient GEMM for their weights, gradients still flow to the embeddings', () => {
    const nodes = nodesFor({ embeddings: false, layers: [0, 1], head: false });
    for (let i = 0; i < cfg.num_hidden_layers; i++) {
      for (const w of LAYER_WEIGHTS) {
        const work = gemmWork(nodes, `model.layers.${i}.${w}`);
        expect(work.weightGrad, `layer ${i} ${w}`).toBe(i < 2 ? 0 : work.uses);
        expect(work.inputGrad, `layer ${i} ${w}`).toBe(work.uses);
      }
    }
    expect(nodes.some((n) => n.opType === 'ScatterND')).toBe(true);        // embedding gradient
  });

  it('embeddings + layers 0-1 frozen: backprop stops at layer 2', () => {
    const nodes = nodesFor({ embeddings: true, layers: [0, 1], head: false });
    for (let i = 0; i < cfg.num_hidden_layers; i++) {
      for (const w of LAYER_WEIGHTS) {
        const work = gemmWork(nodes, `model.layers.${i}.${w}`);
        expect(work.weightGrad, `layer ${i} ${w}`).toBe(i < 2 ? 0 : work.uses);
        // layer 2 still back-propagates through its weights (its attn_norm weight needs the gradient
        // of its output); nothing below layer 2 receives a gradient
        expect(work.inputGrad, `layer ${i} ${w}`).toBe(i >= 2 ? work.uses : 0);
      }
    }
    expect(nodes.some((n) => n.opType === 'ScatterND')).toBe(false);
    // tied decoder follows the embeddings: its input gradient is needed, its weight gradient is not
    const dec = gemmWork(nodes, 'model.embeddings.tok_embeddings.weight');
    expect(dec).toEqual({ uses: 1, weightGrad: 0, inputGrad: 1 });
  });

  it('fewer GEMMs the more is frozen', () => {
    const count = (f: FreezeSpec) => nodesFor(f).filter((n) => GEMMS.has(n.opType)).length;
    const all = count(NO_FREEZE);
    const l01 = count({ embeddings: false, layers: [0, 1], head: false });
    const el01 = count({ embeddings: true, layers: [0, 1], head: false });
    // per layer: Wqkv, Wo, mlp.Wo and Wi, which is one GEMM here (B·T = 16 <= D: the activation is
    // split) and two halves when B·T > D (the weight is split; modernbert.ts says why)
    const wiGemms = 2 * 8 <= cfg.hidden_size ? 1 : 2;
    expect(all - l01).toBe(2 * (3 + wiGemms));
    expect(l01).toBeGreaterThan(el01);
  });

  it('validates and canonicalises specs', () => {
    expect(() => validateFreeze(cfg, { embeddings: false, layers: [-1], head: false })).toThrow('layer -1 out of range');
    expect(() => validateFreeze(cfg, { embeddings: false, layers: [1.5], head: false })).toThrow('layer 1.5 out of range');
    expect(freezeKey({ embeddings: true, layers: [3, 1, 1], head: false })).toBe('e1-l1.3-h0');
    expect(() => buildTrainStepGraph(cfg, { objective: 'mlm', freeze: { embeddings: true, layers: [0, 1, 2, 3], head: true }, batchSize: 1, seqLen: 4, hyper }))
      .toThrow('no trainable parameter');
  });
});
