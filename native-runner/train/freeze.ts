// Freeze patterns: which parameters a train-step graph updates. A frozen parameter is a plain graph
// input without requiresGrad, so autodiff emits no weight-gradient work for it, and when the
// embeddings and layers 0..k-1 are all frozen no gradient flows below layer k. The tied decoder
// weight is tok_embeddings, so it follows `embeddings`.
import type { ModernBertConfig } from '../model/config';
import { parameterSpecs, type ParamSpec } from '../model/params';
import type { FreezeSpec } from './step-api';

export const NO_FREEZE: FreezeSpec = { embeddings: false, layers: [], head: false };

/** Throws a message naming the field when the spec does not fit the model. */
export function validateFreeze(cfg: ModernBertConfig, f: FreezeSpec): void {
  if (typeof f?.embeddings !== 'boolean') throw new Error('freeze.embeddings must be a boolean');
  if (typeof f.head !== 'boolean') throw new Error('freeze.head must be a boolean');
  if (!Array.isArray(f.layers)) throw new Error('freeze.layers must be an array of layer indices');
  const L = cfg.num_hidden_layers;
  for (const i of f.layers) {
    if (!Number.isInteger(i) || i < 0 || i >= L) throw new Error(`freeze.layers: layer ${String(i)} out of range (model has layers 0..${L - 1})`);
  }
}

/** Canonical form (sorted, deduplicated layers) used as a cache key. */
export function freezeKey(f: FreezeSpec): string {
  const layers = [...new Set(f.layers)].sort((a, b) => a - b);
  return `e${f.embeddings ? 1 : 0}-l${layers.join('.')}-h${f.head ? 1 : 0}`;
}

export function isFrozen(spec: ParamSpec, f: FreezeSpec): boolean {
  if (spec.group === 'embeddings') return f.embeddings;
  if (spec.group === 'head') return f.head;
  return f.layers.includes(spec.layer);
}

export function trainableSpecs(cfg: ModernBertConfig, f: FreezeSpec): ParamSpec[] {
  return parameterSpecs(cfg).filter((s) => !isFrozen(s, f));
}
