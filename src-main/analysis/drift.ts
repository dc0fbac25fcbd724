// Weight drift: how far each transformer layer's parameters moved from a reference checkpoint,
// as the relative Frobenius change ‖W_l − W_l^ref‖_F / ‖W_l^ref‖_F over all of the layer's tensors
// (model.layers.{i}.*, HF names) taken together. Embeddings and the rest (final_norm, head, decoder
// bias) are reported as groups of their own. Sums run in float64.

export type StateDict = Map<string, Float32Array>;

export interface DriftRow {
  group: string; // 'layer 3', 'embeddings', 'head', 'all'
  layer: number | null; // transformer layer index, null for the other groups
  params: string[]; // the state-dict keys summed over
  change: number; // ‖W − W_ref‖_F
  refNorm: number; // ‖W_ref‖_F
  relative: number; // change / refNorm
}

const LAYER_KEY = /^model\.layers\.(\d+)\./;

function groupOf(key: string): { group: string; layer: number | null } {
  const m = LAYER_KEY.exec(key);
  if (m) return { group: `layer ${m[1]}`, layer: Number(m[1]) };
  if (key.startsWith('model.embeddings.')) return { group: 'embeddings', layer: null };
  return { group: 'head', layer: null };
}

/**
 * Per-layer relative drift of `current` from `reference`. Both state dicts must hold the same keys
 * with the same sizes (same architecture); a mismatch names the key.
 */
export function weightDrift(current: StateDict, reference: StateDict): DriftRow[] {
  for (const key of reference.keys()) if (!current.has(key)) throw new Error(`weight drift: "${key}" is in the reference checkpoint but not in the current one`);
  for (const key of current.keys()) if (!reference.has(key)) throw new Error(`weight drift: "${key}" is in the current checkpoint but not in the reference one`);
  const acc = new Map<string, { layer: number | null; params: string[]; diff: number; ref: number }>();
  let allDiff = 0;
  let allRef = 0;
  for (const [key, ref] of reference) {
    const cur = current.get(key)!;
    if (cur.length !== ref.length) throw new Error(`weight drift: "${key}" has ${cur.length} values, the reference has ${ref.length}`);
    let diff = 0;
    let norm = 0;
    for (let i = 0; i < ref.length; i++) {
      const d = cur[i] - ref[i];
      if (!Number.isFinite(d)) throw new Error(`weight drift: "${key}" has a non-finite value at index ${i}`);
      diff += d * d;
      norm += ref[i] * ref[i];
    }
    const { group, layer } = groupOf(key);
    const a = acc.get(group) ?? { layer, params: [], diff: 0, ref: 0 };
    a.params.push(key);
    a.diff += diff;
    a.ref += norm;
    acc.set(group, a);
    allDiff += diff;
    allRef += norm;
  }
  const row = (group: string, layer: number | null, params: string[], diff: number, ref: number): DriftRow => {
    if (!(ref > 0)) throw new Error(`weight drift: the reference parameters of ${group} are all zero; relative change is undefined`);
    return { group, layer, params, change: Math.sqrt(diff), refNorm: Math.sqrt(ref), relative: Math.sqrt(diff / ref) };
  };
  const layers = [...acc.entries()].filter(([, a]) => a.layer !== null).sort((x, y) => x[1].layer! - y[1].layer!);
  const rows = layers.map(([g, a]) => row(g, a.layer, a.params, a.diff, a.ref));
  for (const g of ['embeddings', 'head']) {
    const a = acc.get(g);
    if (a) rows.push(row(g, null, a.params, a.diff, a.ref));
  }
  rows.push(row('all', null, [...reference.keys()], allDiff, allRef));
  return rows;
}
