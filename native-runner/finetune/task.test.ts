// Task files: the three shapes, the three ways of giving splits, and hostile input (each error names
// the file and the line). Word-piece alignment of BIO tags with the shipped demo tokenizer.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError } from '../data/errors';
import { loadTokenizer } from '../data/tokenizer';
import { IGNORE_INDEX } from '../graph/index';
import { encodeExample } from './encode';
import { loadTask, splitByRule } from './task';

const dir = mkdtempSync(join(tmpdir(), 'task-'));
const put = (name: string, lines: unknown[]) => { const p = join(dir, name); writeFileSync(p, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n'); return p; };
function err(f: () => unknown): DataError {
  try { f(); } catch (e) { expect(e).toBeInstanceOf(DataError); return e as DataError; }
  throw new Error('no error');
}

describe('task loading', () => {
  it('a directory with train/dev/test.jsonl; labels from the train split, sorted', () => {
    const d = join(dir, 'cls'); mkdirSync(d);
    writeFileSync(join(d, 'train.jsonl'), [{ text: 'a b', label: 'y' }, { text: 'c', label: 'x' }].map((o) => JSON.stringify(o)).join('\n'));
    writeFileSync(join(d, 'dev.jsonl'), JSON.stringify({ text: 'd', label: 'x' }));
    writeFileSync(join(d, 'test.jsonl'), JSON.stringify({ text: 'e', label: 'y' }) + '\n\n');
    const t = loadTask(d);
    expect(t.kind).toBe('single');
    expect(t.labels).toEqual(['x', 'y']);
    expect(t.splits.train).toHaveLength(2);
    expect(t.name).toBe('cls');
  });
  it('one jsonl with a split field per line; multilabel; a manifest with the split rule', () => {
    const f = put('ml.jsonl', [{ text: 'a', labels: ['p', 'q'], split: 'train' }, { text: 'b', labels: [], split: 'dev' }, { text: 'c', labels: ['q'], split: 'test' }]);
    const t = loadTask(f);
    expect(t.kind).toBe('multi');
    expect(t.labels).toEqual(['p', 'q']);
    const many = put('many.jsonl', Array.from({ length: 400 }, (_, i) => ({ text: `t${i}`, label: `c${i % 3}`, group: `g${i % 50}` })));
    writeFileSync(join(dir, 'm.json'), JSON.stringify({ name: 'many', data: 'many.jsonl', split: { dev: 0.2, test: 0.2, seed: 3 } }));
    const m = loadTask(join(dir, 'm.json'));
    expect(m.name).toBe('many');
    const groups = (s: 'train' | 'dev' | 'test') => new Set(m.splits[s].map((e) => e.group));
    for (const g of groups('test')) { expect(groups('train').has(g)).toBe(false); expect(groups('dev').has(g)).toBe(false); }
    expect(m.splits.train.length + m.splits.dev.length + m.splits.test.length).toBe(400);
    expect(loadTask(many).splits.test.length).toBeGreaterThan(0);      // default rule 80/10/10
  });
  it('the split rule is deterministic and groups never straddle splits', () => {
    const ex = Array.from({ length: 300 }, (_, i) => ({ text: `x${i}`, group: `w${i % 40}`, where: `f:${i}` }));
    const a = splitByRule(ex, { dev: 0.1, test: 0.1, seed: 0 });
    const b = splitByRule(ex, { dev: 0.1, test: 0.1, seed: 0 });
    expect(a.test.map((e) => e.text)).toEqual(b.test.map((e) => e.text));
  });
  it('bad input: errors name the file and the line', () => {
    const cases: [unknown[], RegExp, number][] = [
      [[{ text: 'a', label: 'x' }, '{oops'], /:2: not valid JSON/, 2],
      [[{ text: 'a', label: 'x' }, [1, 2]], /:2: not a JSON object/, 2],
      [[{ text: 'a' }], /:1: no "label", "labels"/, 1],
      [[{ text: '', label: 'x' }], /:1: "text" is empty/, 1],
      [[{ text: 'a', label: 3 }], /:1: "label" must be a non-empty string/, 1],
      [[{ text: 'a', label: 'x' }, { text: 'b', labels: ['x'] }], /:2: a multi example in a single task/, 2],
      [[{ tokens: ['a', 'b'], tags: ['O'] }], /:1: 2 tokens but 1 tags/, 1],
      [[{ tokens: ['a'], tags: ['X-PER'] }], /:1: tag "X-PER" at position 0 is not O, B-TYPE or I-TYPE/, 1],
      [[{ text: 'a', label: 'x', split: 'valid' }], /:1: "split" must be "train", "dev" or "test"/, 1],
    ];
    cases.forEach(([lines, re, line], i) => {
      const e = err(() => loadTask(put(`bad${i}.jsonl`, lines)));
      expect(e.message).toMatch(re);
      expect(e.message).toContain(`bad${i}.jsonl`);
      expect(e.line).toBe(line);
    });
  });
  it('an unknown dev/test label, an empty split, a split field on some lines only', () => {
    const u = err(() => loadTask(put('unk.jsonl', [{ text: 'a', label: 'x', split: 'train' }, { text: 'b', label: 'y', split: 'train' }, { text: 'c', label: 'x', split: 'dev' }, { text: 'd', label: 'z', split: 'test' }])));
    expect(u.message).toMatch(/unk\.jsonl:4: label "z" does not occur in the train split/);
    expect(u.line).toBe(4);
    const e = err(() => loadTask(put('empty.jsonl', [{ text: 'a', label: 'x', split: 'train' }, { text: 'b', label: 'y', split: 'train' }, { text: 'c', label: 'x', split: 'test' }])));
    expect(e.message).toMatch(/the dev split is empty/);
    const p = err(() => loadTask(put('part.jsonl', [{ text: 'a', label: 'x', split: 'train' }, { text: 'b', label: 'y' }])));
    expect(p.message).toMatch(/part\.jsonl:2: no "split" field/);
    const t = err(() => loadTask(put('tags.jsonl', [{ tokens: ['a'], tags: ['B-X'], split: 'train' }, { tokens: ['b'], tags: ['B-Y'], split: 'dev' }, { tokens: ['c'], tags: ['O'], split: 'test' }])));
    expect(t.message).toMatch(/tags\.jsonl:2: entity type "Y" does not occur/);
    expect(err(() => loadTask(join(dir, 'nope.jsonl'))).message).toMatch(/no such task file/);
  });
});

describe('BIO alignment to word pieces', () => {
  it('tags on first subwords, -100 on the rest and on [CLS]/[SEP]; truncated words are marked', () => {
    const tok = loadTokenizer('fixtures/demo-tokenizer');
    const f = put('ner.jsonl', [
      { tokens: ['the', 'hepatocellular', 'carcinoma', 'spread'], tags: ['O', 'B-DIS', 'I-DIS', 'O'], split: 'train' },
      { tokens: ['x'], tags: ['O'], split: 'dev' }, { tokens: ['y'], tags: ['O'], split: 'test' }]);
    const task = loadTask(f);
    expect(task.labels).toEqual(['O', 'B-DIS', 'I-DIS']);
    const e = encodeExample(tok, task, task.splits.train[0], 64);
    expect(e.ids[0]).toBe(tok.specialIds.cls);
    expect(e.ids.at(-1)).toBe(tok.specialIds.sep);
    const pieces = ['the', ' hepatocellular', ' carcinoma', ' spread'].map((w) => tok.encode(w).length);
    expect(pieces[1]).toBeGreaterThan(1);                           // a word of several pieces
    expect(e.ids).toHaveLength(2 + pieces.reduce((a, b) => a + b, 0));
    const starts = e.wordStarts!;
    expect(starts[0]).toBe(1);
    for (let w = 1; w < 4; w++) expect(starts[w]).toBe(starts[w - 1] + pieces[w - 1]);
    const labelled = e.tokenLabels!.map((l, i) => [i, l]).filter(([, l]) => l !== IGNORE_INDEX);
    expect(labelled).toEqual(starts.map((s, w) => [s, task.labels.indexOf(task.splits.train[0].tags![w])]));
    const short = encodeExample(tok, task, task.splits.train[0], 2 + pieces[0] + pieces[1]);
    expect(short.wordStarts!.slice(2)).toEqual([-1, -1]);
    expect(short.ids).toHaveLength(2 + pieces[0] + pieces[1]);
  });
});
