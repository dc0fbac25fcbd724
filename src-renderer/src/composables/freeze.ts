// Freeze choices of one phase as the form shows them: a preset (none / low / mid / deep) or a custom
// mask of layers plus the embeddings and head. Pure helpers over the run config's freeze input, so
// what the strip draws is exactly what the runner will freeze (protocol.ts freezeSpec).
import { freezeSpec, type FreezeConfig } from '../../../native-runner/protocol';
import { FREEZE_PRESET_NAMES, LAYER_GROUP_NAMES, layerGroup, layerGroupBounds, type LayerGroupName } from '../../../native-runner/train/recipes';
import type { FreezeInput } from '../../../src-main/common/sweep';
import { outOfRangeLayers, outOfRangeMessage } from './plain-messages';

export type FreezeChoice = (typeof FREEZE_PRESET_NAMES)[number] | 'custom';
export const FREEZE_CHOICES: FreezeChoice[] = [...FREEZE_PRESET_NAMES, 'custom'];

export function choiceOf(f: FreezeInput | undefined): FreezeChoice {
  if (f === undefined) return 'none';
  if (typeof f === 'string') return (FREEZE_PRESET_NAMES as readonly string[]).includes(f) ? (f as FreezeChoice) : 'custom';
  return 'custom';
}

export interface ResolvedFreeze {
  embeddings: boolean;
  layers: number[];
  head: boolean;
  error: string | null;
  /** Layers the mask names that the model lacks: the strip draws them as extra, flagged cells. */
  outOfRange: number[];
}

/** The layers, embeddings and head a freeze input freezes in a model of `depth` layers. */
export function resolveFreeze(f: FreezeInput | undefined, depth: number): ResolvedFreeze {
  const cfg: FreezeConfig =
    f === undefined || f === 'none' ? { embeddings: false, layers: [], head: false }
    : typeof f === 'string' ? { embeddings: false, layers: [f as LayerGroupName], head: false }
    : (f as FreezeConfig);
  if (typeof f === 'string' && f !== 'none' && !(LAYER_GROUP_NAMES as readonly string[]).includes(f))
    return { embeddings: false, layers: [], head: false, error: `unknown freeze preset "${f}"`, outOfRange: [] };
  const outOfRange = outOfRangeLayers(cfg, depth);
  // The runner refuses the whole mask at its first bad layer; the strip shows the layers that do
  // exist and lists every one that does not, so one edit fixes them all.
  const inRange = { ...cfg, layers: cfg.layers.filter((l) => typeof l !== 'number' || (l >= 0 && l < depth)) };
  try {
    return { ...freezeSpec(inRange, depth), error: outOfRange.length ? outOfRangeMessage(outOfRange, depth) : null, outOfRange };
  } catch (e) {
    return { embeddings: cfg.embeddings, layers: [], head: cfg.head, error: (e as Error).message, outOfRange };
  }
}

/** A mask as the config should spell it: a preset name when it is exactly one. */
export function normalizeFreeze(m: { embeddings: boolean; layers: number[]; head: boolean }, depth: number): FreezeInput {
  const layers = [...new Set(m.layers)].sort((a, b) => a - b);
  if (!m.embeddings && !m.head) {
    if (layers.length === 0) return 'none';
    for (const g of LAYER_GROUP_NAMES) {
      const want = layerGroup(g, depth);
      if (want.length === layers.length && want.every((l, i) => l === layers[i])) return g;
    }
  }
  return { embeddings: m.embeddings, layers, head: m.head };
}

export function withLayerToggled(f: FreezeInput | undefined, depth: number, layer: number): FreezeInput {
  const r = resolveFreeze(f, depth);
  const all = [...r.layers, ...r.outOfRange];
  const layers = all.includes(layer) ? all.filter((l) => l !== layer) : [...all, layer];
  return normalizeFreeze({ ...r, layers }, depth);
}

export function withPartToggled(f: FreezeInput | undefined, depth: number, part: 'embeddings' | 'head'): FreezeInput {
  const r = resolveFreeze(f, depth);
  return normalizeFreeze({ ...r, [part]: !r[part] }, depth);
}

/** The input for a choice from the drop-down; 'custom' keeps the current mask, spelled out. */
export function fromChoice(choice: FreezeChoice, current: FreezeInput | undefined, depth: number | null): FreezeInput {
  if (choice !== 'custom') return choice;
  if (depth === null) return { embeddings: false, layers: [], head: false };
  const r = resolveFreeze(current, depth);
  return { embeddings: r.embeddings, layers: r.layers, head: r.head };
}

/** Group of each layer (for colouring the strip). */
export function groupOfLayer(depth: number): LayerGroupName[] {
  const b = layerGroupBounds(depth);
  return Array.from({ length: depth }, (_, i) => (i < b.low[1] ? 'low' : i < b.mid[1] ? 'mid' : 'deep'));
}

/** Short text of a freeze input, for lists ("low", "custom: emb + 0, 3"). */
export function describeFreeze(f: FreezeInput | undefined | null): string {
  if (f === undefined || f === null) return 'none';
  if (typeof f === 'string') return f;
  const parts = [f.embeddings ? 'emb' : null, f.layers.length ? `layers ${f.layers.join(', ')}` : null, f.head ? 'head' : null].filter(Boolean);
  return parts.length ? `custom: ${parts.join(' + ')}` : 'custom: nothing';
}
