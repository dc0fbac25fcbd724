// ModernBERT config.json files in the wild come in more than one layout. Read them all into the one
// our graphs use (global_rope_theta / local_rope_theta / global_attn_every_n_layers), and refuse,
// naming the field, any value whose math we do not implement instead of silently using a default:
//  - older files: `local_rope_theta: null` means "local layers use the global theta" (HF
//    ModernBertRotaryEmbedding falls back to global_rope_theta) — not NaN;
//  - newer transformers: `layer_types` (one of "full_attention" / "sliding_attention" per layer) and
//    `rope_parameters` keyed by layer type ({rope_type, rope_theta}), and sometimes `sliding_window`.
// The result has neither `layer_types` nor `rope_parameters`: the written config.json uses the older
// fields, which every transformers version with ModernBERT reads.

type Raw = Record<string, unknown>;

const FULL = 'full_attention';
const SLIDING = 'sliding_attention';

function positive(file: string, field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new Error(`${file}: ${field} must be a positive number, got ${JSON.stringify(v)}`);
  return v;
}

/** The theta of one rope_parameters entry; only the plain ("default") rotary embedding is implemented. */
function ropeTheta(file: string, field: string, entry: unknown): number {
  if (!entry || typeof entry !== 'object' || Array.isArray(entry)) throw new Error(`${file}: ${field} must be an object with rope_theta`);
  const e = entry as Raw;
  const type = e.rope_type ?? e.type ?? 'default';
  if (type !== 'default') throw new Error(`${file}: ${field}.rope_type ${JSON.stringify(type)} is not supported (only "default" RoPE is implemented)`);
  for (const k of Object.keys(e)) {
    if (!['rope_type', 'type', 'rope_theta'].includes(k)) throw new Error(`${file}: ${field}.${k} is not supported (RoPE scaling is not implemented)`);
  }
  return positive(file, `${field}.rope_theta`, e.rope_theta);
}

/** Smallest n with layer_types[i] == full  <=>  i % n == 0, or null if the pattern is not of that form. */
function everyN(types: string[]): number | null {
  for (let n = 1; n <= types.length; n++) if (types.every((t, i) => (t === FULL) === (i % n === 0))) return n;
  return null;
}

export function normalizeConfigLayout(raw: Raw, file: string): Raw {
  const out: Raw = { ...raw };
  if (out.rope_scaling !== undefined && out.rope_scaling !== null) throw new Error(`${file}: rope_scaling ${JSON.stringify(out.rope_scaling)} is not supported (RoPE scaling is not implemented)`);
  delete out.rope_scaling;

  if (out.layer_types !== undefined) {
    const types = out.layer_types;
    if (!Array.isArray(types) || !types.every((t) => t === FULL || t === SLIDING)) {
      throw new Error(`${file}: layer_types must be a list of "${FULL}" / "${SLIDING}", got ${JSON.stringify(types)?.slice(0, 200)}`);
    }
    if (typeof out.num_hidden_layers === 'number' && types.length !== out.num_hidden_layers) {
      throw new Error(`${file}: layer_types has ${types.length} entries but num_hidden_layers is ${out.num_hidden_layers}`);
    }
    const n = everyN(types as string[]);
    if (n === null) throw new Error(`${file}: layer_types ${JSON.stringify(types)} is not supported (full attention must fall on every n-th layer from layer 0)`);
    if (out.global_attn_every_n_layers !== undefined && out.global_attn_every_n_layers !== n) {
      throw new Error(`${file}: layer_types puts full attention every ${n} layers but global_attn_every_n_layers is ${JSON.stringify(out.global_attn_every_n_layers)}`);
    }
    out.global_attn_every_n_layers = n;
    delete out.layer_types;
  }

  if (out.rope_parameters !== undefined) {
    const rp = out.rope_parameters;
    if (!rp || typeof rp !== 'object' || Array.isArray(rp)) throw new Error(`${file}: rope_parameters must be an object`);
    const params = rp as Raw;
    const perType = FULL in params || SLIDING in params;
    for (const k of Object.keys(params)) if (perType && k !== FULL && k !== SLIDING) throw new Error(`${file}: rope_parameters.${k} is not a layer type we know ("${FULL}", "${SLIDING}")`);
    const global = ropeTheta(file, perType ? `rope_parameters.${FULL}` : 'rope_parameters', perType ? params[FULL] : params);
    const local = perType && params[SLIDING] !== undefined ? ropeTheta(file, `rope_parameters.${SLIDING}`, params[SLIDING]) : global;
    for (const [field, value] of [['global_rope_theta', global], ['local_rope_theta', local]] as const) {
      if (out[field] !== undefined && out[field] !== null && out[field] !== value) throw new Error(`${file}: rope_parameters gives ${field} ${value} but the config also says ${JSON.stringify(out[field])}`);
      out[field] = value;
    }
    delete out.rope_parameters;
  }

  // Older layout: null = "use the global theta" (HF's fallback), never NaN.
  if (out.local_rope_theta === null) out.local_rope_theta = out.global_rope_theta ?? undefined;
  if (out.sliding_window !== undefined && out.sliding_window !== null) {
    const w = positive(file, 'sliding_window', out.sliding_window);
    const local = out.local_attention ?? 2 * w;
    if (local !== 2 * w) throw new Error(`${file}: sliding_window ${w} does not match local_attention ${JSON.stringify(local)} (expected local_attention = 2 × sliding_window)`);
    out.local_attention = local;
  }
  delete out.sliding_window;
  for (const k of ['global_rope_theta', 'local_rope_theta', 'local_attention', 'global_attn_every_n_layers', 'norm_eps'] as const) {
    if (out[k] !== undefined) positive(file, k, out[k]);
  }
  if (out.global_attn_every_n_layers !== undefined && !Number.isInteger(out.global_attn_every_n_layers)) throw new Error(`${file}: global_attn_every_n_layers must be an integer`);
  return out;
}
