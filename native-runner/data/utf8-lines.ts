// Streaming bytes -> validated UTF-8 -> lines, with the byte offset of any bad byte. Node's
// TextDecoder({fatal}) throws without saying where, so validation is our own small state machine
// (RFC 3629 well-formed sequences: no overlongs, no surrogates, nothing above U+10FFFF). A NUL byte
// is reported as binary content: text corpora never contain it, binary files almost always do.

import { DataError } from './errors';

export class Utf8Validator {
  private need = 0;           // continuation bytes still expected
  private lo = 0x80;          // allowed range of the next continuation byte
  private hi = 0xbf;
  private seqStart = 0;       // absolute offset of the current multi-byte sequence
  offset = 0;                 // absolute offset of the next byte to check

  constructor(private readonly file: string) {}

  private lines = 0;           // newline bytes before `offset`: turns an offset into a line number

  private bad(at: number, what: string, chunk?: Uint8Array, base = 0): never {
    let line = this.lines + 1;
    if (chunk) for (let i = 0; i < at - base; i++) if (chunk[i] === 10) line++;
    throw new DataError(`${this.file}: ${what} at byte offset ${at} (line ${line})`, this.file, line, at);
  }

  check(chunk: Uint8Array): void {
    let need = this.need, lo = this.lo, hi = this.hi;
    let newlines = 0;
    const base = this.offset;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (need === 0) {
        if (b < 0x80) {
          if (b === 0) this.bad(base + i, 'binary content (NUL byte)', chunk, base);
          if (b === 10) newlines++;
          continue;
        }
        this.seqStart = base + i;
        if (b >= 0xc2 && b <= 0xdf) { need = 1; lo = 0x80; hi = 0xbf; }
        else if (b === 0xe0) { need = 2; lo = 0xa0; hi = 0xbf; }
        else if ((b >= 0xe1 && b <= 0xec) || b === 0xee || b === 0xef) { need = 2; lo = 0x80; hi = 0xbf; }
        else if (b === 0xed) { need = 2; lo = 0x80; hi = 0x9f; }
        else if (b === 0xf0) { need = 3; lo = 0x90; hi = 0xbf; }
        else if (b >= 0xf1 && b <= 0xf3) { need = 3; lo = 0x80; hi = 0xbf; }
        else if (b === 0xf4) { need = 3; lo = 0x80; hi = 0x8f; }
        else this.bad(base + i, `invalid UTF-8 (byte 0x${b.toString(16).padStart(2, '0')})`, chunk, base);
      } else {
        if (b < lo || b > hi) this.bad(this.seqStart, `invalid UTF-8 sequence`, this.seqStart >= base ? chunk : undefined, base);
        need--;
        lo = 0x80; hi = 0xbf;
      }
    }
    this.need = need; this.lo = lo; this.hi = hi;
    this.offset = base + chunk.length;
    this.lines += newlines;
  }

  end(): void {
    if (this.need > 0) this.bad(this.seqStart, 'truncated UTF-8 sequence at end of file');
  }
}

/** Yield the lines of a byte stream (\n or \r\n endings), validating UTF-8 on the way. */
export async function* utf8Lines(chunks: AsyncIterable<Uint8Array>, file: string, maxLineChars = 1 << 26): AsyncGenerator<string> {
  const validator = new Utf8Validator(file);
  const decoder = new TextDecoder('utf-8');
  let carry = '';
  let first = true;
  for await (const chunk of chunks) {
    validator.check(chunk);
    let text = carry + decoder.decode(chunk, { stream: true });
    if (first && text.length) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // byte-order mark
      first = false;
    }
    let start = 0;
    for (let nl = text.indexOf('\n', start); nl >= 0; nl = text.indexOf('\n', start)) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      yield text.slice(start, end);
      start = nl + 1;
    }
    carry = text.slice(start);
    // A "line" that never ends would otherwise grow without bound (e.g. a minified blob).
    if (carry.length > maxLineChars) {
      throw new DataError(`${file}: a line longer than ${maxLineChars} characters near byte offset ${validator.offset}`, file, undefined, validator.offset);
    }
  }
  validator.end();
  carry += decoder.decode();
  if (carry.endsWith('\r')) carry = carry.slice(0, -1);
  if (carry.length) yield carry;
}
