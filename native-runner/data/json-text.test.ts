// A JSON file that is not JSON (a wrong path, a truncated download) is named with its line and
// column, and its contents are not echoed: at most one escaped character.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findJsonSyntaxError, parseJsonText } from './json-text';
import { loadTokenizer } from './tokenizer';
import { readModelConfig } from '../checkpoint/hf-config';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-json-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const PASSWD = 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n';

describe('findJsonSyntaxError', () => {
  it.each([
    ['{"a": 1}', null],
    ['[1, 2.5e-3, -0, true, false, null, "x\\u00e9\\n"]', null],
    ['{"a":\n [1,', { line: 2, column: 5, what: expect.stringMatching(/end of file/) }],
    ['{"a": 1,}', { line: 1, column: 9 }],
    ['{"a": tru}', { line: 1, column: 10 }],
    ['{"a": "x\ty"}', { line: 1, column: 9, what: expect.stringMatching(/control character/) }],
    ['{"a": 1} x', { line: 1, column: 10, what: expect.stringMatching(/after the end/) }],
    ['\ufeff{}', { line: 1, column: 1, what: expect.stringMatching(/byte-order mark/) }],
    ['{"a": 01}', { line: 1, column: 8 }],
  ])('%j → %j', (text, expected) => {
    const p = findJsonSyntaxError(text);
    if (expected === null) {
      expect(p).toBeNull();
      expect(() => JSON.parse(text)).not.toThrow();
    } else {
      expect(p).toMatchObject(expected);
      expect(() => JSON.parse(text)).toThrow();
    }
  });
});

describe('JSON files named with a position, never echoed (items 6, 16)', () => {
  it('a non-JSON file given as a tokenizer: file, line, column, one escaped character', () => {
    const f = path.join(tmp, 'passwd');
    fs.writeFileSync(f, PASSWD);
    let message = '';
    try { loadTokenizer(f); } catch (e) { message = (e as Error).message; }
    expect(message).toBe(`${f}: not valid JSON at line 1, column 1: unexpected character "r"`);
    expect(message).not.toContain('root:x');
  });
  it('a truncated tokenizer.json: the line and column where it ends', () => {
    const dir = path.join(tmp, 'tok');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), '{\n  "model": {\n    "type": "BPE",\n    "vocab": {"a": 0, "b"');
    expect(() => loadTokenizer(dir)).toThrow(/tokenizer\.json: not valid JSON at line 4, column 26: unexpected end of file/);
  });
  it('a truncated config.json in a model directory', () => {
    const dir = path.join(tmp, 'model');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'config.json'), '{"model_type": "modernbert",\n"hidden_size": 25');
    expect(() => readModelConfig(dir)).toThrow(/config\.json: not valid JSON at line 2, column 18: unexpected end of file/);
  });
  it('a control character inside a string is shown escaped', () => {
    expect(() => parseJsonText('{"a": "\u0000"}', 'f.json')).toThrow('f.json: not valid JSON at line 1, column 8: unescaped control character "\\u0000" in a string');
  });
});
