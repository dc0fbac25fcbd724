import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { corpusStats, listCorpusFiles, readDocuments, type CorpusOptions, type CorpusPath } from './corpus';
import { DataError } from './errors';

const dir = mkdtempSync(join(tmpdir(), 'corpus-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Uint8Array): string {
  const p = join(dir, name);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, content);
  return p;
}

async function docs(path: CorpusPath, opts?: CorpusOptions): Promise<string[]> {
  const out: string[] = [];
  for await (const d of readDocuments(path, opts)) out.push(d.text);
  return out;
}

async function failure(path: string, opts?: CorpusOptions): Promise<DataError> {
  try {
    await docs(path, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return e as DataError;
  }
  throw new Error(`expected ${path} to fail`);
}

describe('corpus sources', () => {
  it('reads .txt as paragraphs (default) or one document per line, CRLF and BOM included', async () => {
    const p = file('a.txt', '\ufeffFirst doc line one\r\nline two\r\n\r\n\r\nSecond doc\n  \nThird');
    expect(await docs(p)).toEqual(['First doc line one\nline two', 'Second doc', 'Third']);
    expect(await docs(p, { txtMode: 'line' })).toEqual(['First doc line one', 'line two', 'Second doc', 'Third']);
  });

  it('reads .jsonl with a configurable field, skips blank lines and empty texts', async () => {
    const p = file('b.jsonl', '{"text":"alpha","id":1}\n\n{"text":"  "}\n{"body":"x","text":"beta"}\n');
    expect(await docs(p)).toEqual(['alpha', 'beta']);
    const q = file('c.jsonl', '{"body":"one"}\n{"body":"two"}');
    expect(await docs(q, { jsonField: 'body' })).toEqual(['one', 'two']);
  });

  it('reads .gz of either and directories recursively in sorted order', async () => {
    file('tree/b/z.txt.gz', gzipSync('zed\n\nzed two\n'));
    file('tree/a.jsonl.gz', gzipSync('{"text":"from jsonl"}\n'));
    file('tree/b/m.txt', 'middle');
    file('tree/notes.md', 'not a corpus file');
    file('tree/.hidden.txt', 'hidden');
    const root = join(dir, 'tree');
    expect(listCorpusFiles(root).map((f) => f.slice(root.length + 1))).toEqual(['a.jsonl.gz', 'b/m.txt', 'b/z.txt.gz']);
    expect(await docs(root)).toEqual(['from jsonl', 'middle', 'zed', 'zed two']);
    // A list of paths (the run config's data.corpus) reads them in the order given.
    expect(await docs([join(root, 'b/m.txt'), join(root, 'a.jsonl.gz')])).toEqual(['middle', 'from jsonl']);
  });

  it('stats count documents, code points and bytes; the hash depends on the documents only', async () => {
    const texts = ['naïve café', 'emoji 😀 here', 'plain'];
    const a = await corpusStats(file('s.txt', texts.join('\n\n')));
    const b = await corpusStats(file('s.jsonl.gz', gzipSync(texts.map((text) => JSON.stringify({ text })).join('\n'))));
    expect(a.documents).toBe(3);
    expect(a.characters).toBe(10 + 12 + 5);
    expect(a.bytes).toBe(Buffer.byteLength(texts.join('')));
    expect(a.contentHash).toBe(b.contentHash);
    const c = await corpusStats(file('s2.txt', ['naïve café', 'plain'].join('\n\n')));
    expect(c.contentHash).not.toBe(a.contentHash);
    const withTokens = await corpusStats(join(dir, 's.txt'), {}, (t) => t.split(' ').map(() => 0));
    expect(withTokens.tokens).toBe(2 + 3 + 1);
  });
});

describe('corpus errors name the file and the place', () => {
  it('missing file', async () => {
    const e = await failure(join(dir, 'nope.txt'));
    expect(e.message).toBe(`${join(dir, 'nope.txt')}: no such file or directory`);
  });

  it('binary content (NUL byte) with its byte offset', async () => {
    const p = file('bin.txt', Buffer.concat([Buffer.from('hello world\n'), Buffer.from([0x00, 0x01, 0x02])]));
    const e = await failure(p);
    expect(e.message).toBe(`${p}: binary content (NUL byte) at byte offset 12 (line 2)`);
    expect(e.byteOffset).toBe(12);
  });

  it('invalid UTF-8 with its byte offset, also far into a file (across read chunks)', async () => {
    const p = file('latin1.txt', Buffer.concat([Buffer.from('caf'), Buffer.from([0xe9]), Buffer.from(' au lait')]));
    expect((await failure(p)).message).toBe(`${p}: invalid UTF-8 sequence at byte offset 3 (line 1)`);
    const big = Buffer.alloc((1 << 20) + 5, 0x61); // 1 MiB + 5 of 'a': the bad sequence straddles chunk 1/2
    big[(1 << 20) - 1] = 0xe2; big[1 << 20] = 0x82; big[(1 << 20) + 1] = 0x41; // E2 82 then 'A': broken
    const q = file('far.txt', big);
    const e = await failure(q);
    expect(e.message).toBe(`${q}: invalid UTF-8 sequence at byte offset ${(1 << 20) - 1} (line 1)`);
    const r = file('overlong.txt', Buffer.from([0x61, 0xc0, 0xaf]));
    expect((await failure(r)).message).toBe(`${r}: invalid UTF-8 (byte 0xc0) at byte offset 1 (line 1)`);
    const t = file('trunc.txt', Buffer.from([0x61, 0x62, 0xf0, 0x9f, 0x98]));
    expect((await failure(t)).message).toBe(`${t}: truncated UTF-8 sequence at end of file at byte offset 2 (line 1)`);
  });

  it('empty corpus: empty file, blank-only file, directory without corpus files', async () => {
    const p = file('empty.txt', '');
    expect((await failure(p)).message).toBe(`${p}: empty corpus (no documents in 1 file)`);
    const q = file('blank.jsonl', '\n\n  \n');
    expect((await failure(q)).message).toBe(`${q}: empty corpus (no documents in 1 file)`);
    mkdirSync(join(dir, 'nothing'));
    file('nothing/readme.md', '# no corpus here');
    expect((await failure(join(dir, 'nothing'))).message).toBe(`${join(dir, 'nothing')}: empty corpus (no .txt/.jsonl/.gz files in the directory)`);
  });

  it('unparsable JSON line as file:line', async () => {
    const p = file('bad.jsonl', '{"text":"ok"}\n\n{"text": "unterminated}\n');
    const e = await failure(p);
    expect(e.message).toMatch(new RegExp(`^${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: unparsable JSON line at column 24: unexpected end of file`));
    expect(e.line).toBe(3);
  });

  it('a NUL character in JSONL text (\\u0000) is refused with file:line (item 16)', async () => {
    const p = file('nul.jsonl', '{"text":"fine"}\n{"text":"a\\u0000b"}\n');
    const e = await failure(p);
    expect(e.message).toBe(`${p}:2: field "text" contains a NUL character (\\u0000) at character 2; corpora must be plain text`);
    expect(e.line).toBe(2);
  });

  it('a truncated .gz names the decompressed byte offset and line it reached (item 16)', async () => {
    const text = Array.from({ length: 4000 }, (_, i) => `line ${i} of a compressed corpus with some words`).join('\n');
    const gz = gzipSync(text);
    const p = file('cut.txt.gz', gz.subarray(0, gz.length >> 1));
    const e = await failure(p);
    expect(e.message).toMatch(new RegExp(`^${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: truncated gzip data \\(the file ends early\\) after \\d+ decompressed bytes \\(line \\d+\\)$`));
    expect(e.byteOffset).toBeGreaterThan(0);
    expect(e.byteOffset).toBeLessThan(text.length);
    expect(e.line).toBe(text.slice(0, e.byteOffset).split('\n').length);
  });

  it('an unparsable JSON line gives its column and does not echo the line (items 6, 16)', async () => {
    const p = file('secret.jsonl', 'root:x:0:0:root:/root:/bin/bash\n');
    const e = await failure(p);
    expect(e.message).toBe(`${p}:1: unparsable JSON line at column 1: unexpected character "r"`);
  });

  it('missing or non-string field as file:line', async () => {
    const p = file('field.jsonl', '{"text":"ok"}\n{"content":"no text field"}\n');
    expect((await failure(p)).message).toBe(`${p}:2: missing field "text"`);
    const q = file('field2.jsonl', '{"text":42}\n');
    expect((await failure(q)).message).toBe(`${q}:1: field "text" is number, not a string`);
    const r = file('arr.jsonl', '["text"]\n');
    expect((await failure(r)).message).toBe(`${r}:1: expected a JSON object per line`);
  });

  it('corrupt gzip and unsupported extensions', async () => {
    const gz = gzipSync('some text\n');
    const p = file('broken.txt.gz', gz.subarray(0, gz.length - 6));
    expect((await failure(p)).message).toMatch(/broken\.txt\.gz: /);
    const q = file('x.csv', 'a,b');
    expect((await failure(q)).message).toBe(`${q}: unsupported corpus file (expected .txt, .jsonl, .txt.gz or .jsonl.gz)`);
  });
});

describe('streaming', () => {
  it('hashes a corpus larger than the child process heap', () => {
    // 48 MiB of documents (their UTF-16 strings: ~96 MiB) against a 32 MiB old-space heap limit (16 MiB
    // ran out under heavy machine load: GC scheduling, not the reader, set the margin).
    const big = join(dir, 'big.txt');
    const fd = openSync(big, 'w');
    const block = Buffer.from(Array.from({ length: 1024 }, (_, i) => `document ${i} with some words, ünïcode and a number ${i * 7}\n\n`).join(""));
    let bytes = 0;
    while (bytes < 48 << 20) { writeSync(fd, block); bytes += block.length; }
    closeSync(fd);
    const script = file('stream-child.mts', `
      import { corpusStats } from ${JSON.stringify(resolve('native-runner/data/corpus.ts'))};
      const s = await corpusStats(${JSON.stringify(big)});
      console.log(JSON.stringify({ documents: s.documents, bytes: s.bytes }));
    `);
    const r = spawnSync(process.execPath, ['--max-old-space-size=32', '--import', 'tsx', script], { encoding: 'utf8', cwd: resolve('.') });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.documents).toBe(1024 * Math.ceil((48 << 20) / block.length));
    expect(out.bytes).toBeGreaterThan(40 << 20);
    // Control: holding the corpus in memory under the same limit dies, so the limit is binding.
    const whole = spawnSync(process.execPath, ['--max-old-space-size=32', '-e',
      `const t = require('fs').readFileSync(${JSON.stringify(big)}, 'utf8'); console.log(t.split('\\n\\n').length)`], { encoding: 'utf8' });
    expect(whole.status).not.toBe(0);
    expect(whole.stderr).toMatch(/heap out of memory|Invalid string length|allocation failed/i);
    rmSync(big);
  });
});
