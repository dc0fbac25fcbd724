// Parsing JSON files a user pointed us at (tokenizer.json, config.json, index files). Node's
// JSON.parse message quotes the start of the text ("root:x:0:0"…) and gives no position, so a wrong
// path echoes someone's file into the UI while a truncated file says only "Unexpected end of JSON
// input". Here the error names the file, the line and the column, and shows at most one character.
import { DataError } from './errors';

export interface JsonSyntaxProblem {
  offset: number;  // UTF-16 index into the text
  line: number;    // 1-based
  column: number;  // 1-based
  what: string;    // "unexpected end of file", "unexpected character '\u0000'", …
}

/** Parse `text` read from `file`; a syntax error becomes a DataError naming file, line and column. */
export function parseJsonText(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const p = findJsonSyntaxError(text) ?? { offset: 0, line: 1, column: 1, what: 'invalid JSON' };
    throw new DataError(`${file}: not valid JSON at line ${p.line}, column ${p.column}: ${p.what}`, file, p.line);
  }
}

function at(text: string, offset: number, what: string): JsonSyntaxProblem {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) { line++; lineStart = i + 1; }
  return { offset, line, column: offset - lineStart + 1, what };
}

function describeChar(ch: string): string {
  // JSON.stringify escapes control characters and quotes; one character is all we ever show.
  return `unexpected character ${JSON.stringify(ch)}`;
}

/** The first syntax error in `text` by the JSON grammar (RFC 8259), or null if it is valid. */
export function findJsonSyntaxError(text: string): JsonSyntaxProblem | null {
  let i = 0;
  class Stop { constructor(readonly p: JsonSyntaxProblem) {} }
  const fail = (what?: string): never => {
    throw new Stop(at(text, i, what ?? (i >= text.length ? 'unexpected end of file (truncated?)' : describeChar(text[i]))));
  };
  const ws = () => { while (i < text.length && ' \t\n\r'.includes(text[i])) i++; };
  const literal = (word: string) => { for (const c of word) { if (text[i] !== c) fail(); i++; } };
  const digits = () => { const s = i; while (i < text.length && text[i] >= '0' && text[i] <= '9') i++; if (i === s) fail(); };
  const number = () => {
    if (text[i] === '-') i++;
    if (text[i] === '0') i++; else digits();
    if (text[i] === '.') { i++; digits(); }
    if (text[i] === 'e' || text[i] === 'E') { i++; if (text[i] === '+' || text[i] === '-') i++; digits(); }
  };
  const string = () => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) fail();
      const c = text.charCodeAt(i);
      if (c === 34) { i++; return; }
      if (c < 32) fail(`unescaped control character ${JSON.stringify(text[i])} in a string`);
      if (c === 92) {
        i++;
        const e = text[i];
        if (e === 'u') { for (let k = 1; k <= 4; k++) if (!/[0-9a-fA-F]/.test(text[i + k] ?? '')) { i += k; fail(); } i += 5; continue; }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) fail(e === undefined ? undefined : `bad escape ${JSON.stringify('\\' + e)}`);
      }
      i++;
    }
  };
  const value = (depth: number): void => {
    if (depth > 10_000) fail('nested too deeply');
    ws();
    const c = text[i];
    if (c === '{') {
      i++; ws();
      if (text[i] === '}') { i++; return; }
      for (;;) {
        ws(); if (text[i] !== '"') fail(); string(); ws();
        if (text[i] !== ':') fail(); i++;
        value(depth + 1); ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return; }
        fail();
      }
    }
    if (c === '[') {
      i++; ws();
      if (text[i] === ']') { i++; return; }
      for (;;) {
        value(depth + 1); ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return; }
        fail();
      }
    }
    if (c === '"') return string();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    if (c === '-' || (c >= '0' && c <= '9')) return number();
    fail();
  };
  try {
    // JSON.parse rejects a byte-order mark; say so rather than "unexpected character".
    if (text.charCodeAt(0) === 0xfeff) fail('byte-order mark at the start (save the file as UTF-8 without BOM)');
    value(0);
    ws();
    if (i < text.length) fail(`${describeChar(text[i])} after the end of the JSON value`);
    return null;
  } catch (e) {
    if (e instanceof Stop) return e.p;
    throw e;
  }
}
