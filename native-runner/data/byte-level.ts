// Byte-level BPE building blocks shared by our trainer and our encoder, matching Hugging Face's
// `ByteLevel` pre-tokenizer (use_regex: true, add_prefix_space: false) that ModernBERT's tokenizer uses:
// text is split by the GPT-2 regex, each piece is UTF-8 encoded, and every byte is mapped to a
// printable character (GPT-2's bytes_to_unicode) so that BPE works on strings without control bytes.

/** GPT-2 / HF ByteLevel pre-tokenization pattern (same as tokenizers' ByteLevel with use_regex). */
export const BYTE_LEVEL_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** byte value -> printable character: printable Latin-1 bytes map to themselves, the rest to U+0100+n. */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const keep: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) keep.push(b);
  for (let b = 0xa1; b <= 0xac; b++) keep.push(b);
  for (let b = 0xae; b <= 0xff; b++) keep.push(b);
  const out = new Array<string>(256);
  const kept = new Set(keep);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    out[b] = String.fromCodePoint(kept.has(b) ? b : 256 + n++);
  }
  return out;
})();

export const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

const encoder = new TextEncoder();

/** Split text into byte-level pre-tokens (each already mapped to byte characters). */
export function preTokenize(text: string): string[] {
  const pieces = text.match(BYTE_LEVEL_PATTERN);
  if (!pieces) return [];
  const out = new Array<string>(pieces.length);
  for (let i = 0; i < pieces.length; i++) out[i] = toByteChars(pieces[i]);
  return out;
}

/** Map a string's UTF-8 bytes to byte-level characters; ASCII-only strings take a fast path. */
export function toByteChars(piece: string): string {
  let ascii = true;
  for (let i = 0; i < piece.length; i++) {
    const c = piece.charCodeAt(i);
    if (c > 0x7e || c <= 0x20) { ascii = false; break; }
  }
  if (ascii) return piece; // printable ASCII maps to itself
  const bytes = encoder.encode(piece);
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += BYTE_TO_CHAR[bytes[i]];
  return s;
}

/** Inverse of toByteChars over a concatenation of tokens: byte characters -> UTF-8 text. */
export function fromByteChars(chars: string): string {
  const bytes: number[] = [];
  for (const ch of chars) {
    const b = CHAR_TO_BYTE.get(ch);
    if (b !== undefined) bytes.push(b);
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}
