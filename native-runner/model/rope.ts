// RoPE tables as HF's ModernBertRotaryEmbedding builds them (default rope type, attention_scaling 1):
//   inv_freq[k] = 1 / θ^(2k/hd),  freqs[t, k] = t · inv_freq[k],  emb = cat(freqs, freqs)
//   cos = cos(emb), sin = sin(emb)  -> [T, hd]
// HF computes these in float32; float32 graphs round every step the same way (Math.fround) so the
// tables match PyTorch's bit for bit up to libm differences, float64 graphs use exact double math.
export interface RopeTables {
  cos: Float64Array;          // [T, hd]
  sinSigned: Float64Array;    // [T, hd]: [-sin_half, +sin_half] for the swap-halves form (graph/ops/rope.ts)
}

export function ropeTables(seqLen: number, headDim: number, theta: number, precision: 'float32' | 'float64', scale = 1): RopeTables {
  const half = headDim / 2;
  const r = precision === 'float32' ? Math.fround : (x: number) => x;
  const cos = new Float64Array(seqLen * headDim);
  const sinSigned = new Float64Array(seqLen * headDim);
  for (let k = 0; k < half; k++) {
    const invFreq = r(1 / r(theta ** r((2 * k) / headDim)));
    for (let t = 0; t < seqLen; t++) {
      const f = r(t * invFreq);
      const c = r(Math.cos(f)) * scale;
      const s = r(Math.sin(f)) * scale;
      cos[t * headDim + k] = c;
      cos[t * headDim + half + k] = c;
      sinSigned[t * headDim + k] = -s;
      sinSigned[t * headDim + half + k] = s;
    }
  }
  return { cos, sinSigned };
}
