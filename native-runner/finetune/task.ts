// Fine-tuning tasks from JSONL. One example per line, one of three shapes (all lines of a task alike):
//   {"text": "...", "label": "A"}              single-label sequence classification ('single')
//   {"text": "...", "labels": ["A", "B"]}      multilabel sequence classification ('multi'; [] allowed)
//   {"tokens": ["w1", ...], "tags": ["B-X", ...]}  token tagging, BIO tags ('token')
// Optional fields: "split" ("train" | "dev" | "test") and "group" (a string: examples of one group
// land in one split under the split rule, e.g. the word a definition defines).
// Where the splits come from (loadTask):
//   - a directory holding train.jsonl, dev.jsonl, test.jsonl;
//   - a task manifest .json: {"name"?, "train", "dev", "test"} (paths relative to the manifest), or
//     {"name"?, "data": "all.jsonl", "split": {"dev": 0.1, "test": 0.1, "seed": 0}};
//   - one .jsonl: each line's "split" field when every line has one, else the split rule (dev 10%,
//     test 10%, by a salted hash of "group", or of the text when there is no group).
// The label set is the training split's (sorted); a dev/test label the training split never shows is
// an error naming its file and line, as is an empty split, a line that is not a JSON object, a
// missing or mistyped field, an empty text, tokens and tags of different lengths, and a tag that is
// not O, B-TYPE or I-TYPE. Every error is a DataError with the file and the 1-based line.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { DataError } from '../data/errors';
import { parseJsonText } from '../data/json-text';
import type { TaskKind } from './finetune-graph';

export type SplitName = 'train' | 'dev' | 'test';
export const SPLITS: readonly SplitName[] = ['train', 'dev', 'test'];

export interface Example {
  text?: string;                // single / multi
  label?: string;               // single
  labels?: string[];            // multi
  tokens?: string[];            // token
  tags?: string[];              // token
  group?: string;
  where: string;                // "file:line", for messages
}

export interface Task {
  name: string;
  kind: TaskKind;
  /** single / multi: the classes; token: the BIO tag set (O first, then B-/I- per entity type). */
  labels: string[];
  /** token tasks: the entity types. */
  entityTypes: string[];
  splits: Record<SplitName, Example[]>;
  source: string;               // what was loaded (for reports)
}

export interface SplitRule { dev: number; test: number; seed: number }
export const DEFAULT_SPLIT_RULE: SplitRule = { dev: 0.1, test: 0.1, seed: 0 };

const TAG_RE = /^(O|[BI]-.+)$/;

function fail(file: string, line: number, what: string): never {
  throw new DataError(`${file}:${line}: ${what}`, file, line);
}

function kindOf(o: Record<string, unknown>): TaskKind | null {
  if ('tokens' in o || 'tags' in o) return 'token';
  if ('labels' in o) return 'multi';
  if ('label' in o) return 'single';
  return null;
}

/** Parse one JSONL file into examples (with their optional split field). */
export function readExamples(file: string, expectKind?: TaskKind): { kind: TaskKind; examples: (Example & { split?: SplitName })[] } {
  if (!existsSync(file)) throw new DataError(`${file}: no such file`, file);
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  let kind = expectKind ?? null;
  const examples: (Example & { split?: SplitName })[] = [];
  lines.forEach((raw, i) => {
    const n = i + 1;
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    let o: unknown;
    try { o = JSON.parse(line); } catch { fail(file, n, 'not valid JSON'); }
    if (!o || typeof o !== 'object' || Array.isArray(o)) fail(file, n, 'not a JSON object');
    const r = o as Record<string, unknown>;
    const k = kindOf(r);
    if (!k) fail(file, n, 'no "label", "labels" or "tokens"/"tags" field (one of {"text","label"}, {"text","labels"}, {"tokens","tags"})');
    if (kind && k !== kind) fail(file, n, `a ${k} example in a ${kind} task (all lines must have the same shape)`);
    kind = k;
    const ex: Example & { split?: SplitName } = { where: `${file}:${n}` };
    if (k === 'token') {
      const { tokens, tags } = r;
      if (!Array.isArray(tokens) || !tokens.every((t) => typeof t === 'string' && t.length > 0)) fail(file, n, '"tokens" must be an array of non-empty strings');
      if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')) fail(file, n, '"tags" must be an array of strings');
      if (tokens.length === 0) fail(file, n, '"tokens" is empty');
      if (tokens.length !== tags.length) fail(file, n, `${tokens.length} tokens but ${tags.length} tags`);
      const bad = (tags as string[]).findIndex((t) => !TAG_RE.test(t));
      if (bad >= 0) fail(file, n, `tag ${JSON.stringify((tags as string[])[bad])} at position ${bad} is not O, B-TYPE or I-TYPE`);
      ex.tokens = tokens as string[];
      ex.tags = tags as string[];
    } else {
      if (typeof r.text !== 'string') fail(file, n, '"text" must be a string');
      if ((r.text as string).trim() === '') fail(file, n, '"text" is empty');
      ex.text = r.text as string;
      if (k === 'single') {
        if (typeof r.label !== 'string' || r.label === '') fail(file, n, '"label" must be a non-empty string');
        ex.label = r.label as string;
      } else {
        if (!Array.isArray(r.labels) || !r.labels.every((l) => typeof l === 'string' && l !== '')) fail(file, n, '"labels" must be an array of non-empty strings');
        ex.labels = [...new Set(r.labels as string[])];
      }
    }
    if (r.group !== undefined) {
      if (typeof r.group !== 'string') fail(file, n, '"group" must be a string');
      ex.group = r.group;
    }
    if (r.split !== undefined) {
      if (r.split !== 'train' && r.split !== 'dev' && r.split !== 'test') fail(file, n, `"split" must be "train", "dev" or "test", got ${JSON.stringify(r.split)}`);
      ex.split = r.split;
    }
    examples.push(ex);
  });
  if (!kind || examples.length === 0) throw new DataError(`${file}: no examples`, file);
  return { kind, examples };
}

/** Split by a salted hash of the group (or text): deterministic, and a group never straddles splits. */
export function splitByRule<E extends Example>(examples: E[], rule: SplitRule): Record<SplitName, E[]> {
  const out: Record<SplitName, E[]> = { train: [], dev: [], test: [] };
  for (const e of examples) {
    const key = e.group ?? e.text ?? (e.tokens ?? []).join(' ');
    const h = createHash('sha256').update(`${rule.seed}:${key}`).digest();
    const u = h.readUInt32BE(0) / 2 ** 32;
    out[u < rule.test ? 'test' : u < rule.test + rule.dev ? 'dev' : 'train'].push(e);
  }
  return out;
}

function checkRule(r: unknown, file: string): SplitRule {
  const o = (r ?? {}) as Partial<SplitRule>;
  const rule = { ...DEFAULT_SPLIT_RULE, ...o };
  if (!(rule.dev > 0 && rule.test > 0 && rule.dev + rule.test < 1)) throw new DataError(`${file}: "split" needs dev > 0, test > 0 and dev + test < 1`, file);
  if (!Number.isInteger(rule.seed)) throw new DataError(`${file}: "split.seed" must be an integer`, file);
  return rule;
}

/** The tag set of entity types: O, then B-T, I-T per type in sorted order. */
export function bioTagSet(types: string[]): string[] {
  return ['O', ...types.flatMap((t) => [`B-${t}`, `I-${t}`])];
}

function finish(name: string, kind: TaskKind, splits: Record<SplitName, Example[]>, source: string, files: Record<SplitName, string>): Task {
  for (const s of SPLITS) if (splits[s].length === 0) throw new DataError(`${files[s]}: the ${s} split is empty`, files[s]);
  let labels: string[];
  let entityTypes: string[] = [];
  if (kind === 'token') {
    entityTypes = [...new Set(splits.train.flatMap((e) => e.tags!.filter((t) => t !== 'O').map((t) => t.slice(2))))].sort();
    if (entityTypes.length === 0) throw new DataError(`${files.train}: the train split has no entity tag (only O)`, files.train);
    labels = bioTagSet(entityTypes);
  } else {
    labels = [...new Set(splits.train.flatMap((e) => (kind === 'single' ? [e.label!] : e.labels!)))].sort();
    if (kind === 'single' && labels.length < 2) throw new DataError(`${files.train}: the train split has ${labels.length} class; classification needs at least 2`, files.train);
    if (labels.length === 0) throw new DataError(`${files.train}: the train split has no label`, files.train);
  }
  const known = new Set(kind === 'token' ? entityTypes : labels);
  for (const s of ['dev', 'test'] as const) {
    for (const e of splits[s]) {
      const used = kind === 'token' ? e.tags!.filter((t) => t !== 'O').map((t) => t.slice(2)) : kind === 'single' ? [e.label!] : e.labels!;
      const unknown = used.find((l) => !known.has(l));
      if (unknown !== undefined) {
        const [file, line] = [e.where.slice(0, e.where.lastIndexOf(':')), Number(e.where.slice(e.where.lastIndexOf(':') + 1))];
        throw new DataError(`${e.where}: ${kind === 'token' ? 'entity type' : 'label'} ${JSON.stringify(unknown)} does not occur in the train split (known: ${[...known].join(', ')})`, file, line);
      }
    }
  }
  return { name, kind, labels, entityTypes, splits, source };
}

function strip(e: Example & { split?: SplitName }): Example {
  const { split: _s, ...rest } = e;
  return rest;
}

/** Load a task from a directory, a manifest .json, or one .jsonl (see the header). */
export function loadTask(path: string): Task {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new DataError(`${abs}: no such task file or directory`, abs);
  if (statSync(abs).isDirectory()) {
    const files = Object.fromEntries(SPLITS.map((s) => [s, join(abs, `${s}.jsonl`)])) as Record<SplitName, string>;
    return fromFiles(basename(abs), files, abs);
  }
  if (extname(abs) === '.json') {
    const m = parseJsonText(readFileSync(abs, 'utf8'), abs) as Record<string, unknown> | null;
    if (!m || typeof m !== 'object' || Array.isArray(m)) throw new DataError(`${abs}: a task manifest must be a JSON object`, abs);
    const rel = (p: unknown, field: string): string => {
      if (typeof p !== 'string' || p === '') throw new DataError(`${abs}: "${field}" must be a path`, abs);
      return isAbsolute(p) ? p : resolve(dirname(abs), p);
    };
    const name = typeof m.name === 'string' && m.name ? m.name : basename(abs, '.json');
    if (m.data !== undefined) return fromOneFile(name, rel(m.data, 'data'), checkRule(m.split, abs), abs);
    const files = Object.fromEntries(SPLITS.map((s) => [s, rel(m[s], s)])) as Record<SplitName, string>;
    return fromFiles(name, files, abs);
  }
  if (extname(abs) === '.jsonl') return fromOneFile(basename(abs, '.jsonl'), abs, DEFAULT_SPLIT_RULE, abs);
  throw new DataError(`${abs}: a task is a directory (train/dev/test.jsonl), a manifest .json or a .jsonl file`, abs);
}

function fromFiles(name: string, files: Record<SplitName, string>, source: string): Task {
  const train = readExamples(files.train);
  const dev = readExamples(files.dev, train.kind);
  const test = readExamples(files.test, train.kind);
  return finish(name, train.kind, { train: train.examples.map(strip), dev: dev.examples.map(strip), test: test.examples.map(strip) }, source, files);
}

function fromOneFile(name: string, file: string, rule: SplitRule, source: string): Task {
  const { kind, examples } = readExamples(file);
  const withSplit = examples.filter((e) => e.split !== undefined).length;
  let splits: Record<SplitName, Example[]>;
  if (withSplit === examples.length) {
    splits = { train: [], dev: [], test: [] };
    for (const e of examples) splits[e.split!].push(strip(e));
  } else if (withSplit === 0) {
    splits = splitByRule(examples.map(strip), rule);
  } else {
    const first = examples.find((e) => e.split === undefined)!;
    throw new DataError(`${first.where}: no "split" field, but other lines have one (give every line a split, or none)`, file, Number(first.where.split(':').pop()));
  }
  const files = { train: file, dev: file, test: file };
  return finish(name, kind, splits, source, files);
}

/** A deterministic subset of each split (at most n[split] examples, by a salted hash of the example's
 *  text), for cheap runs (the study's small scales). The label set stays the full task's. */
export function subsampleTask(task: Task, n: Partial<Record<SplitName, number>>, seed = 0): Task {
  const key = (e: Example) => createHash('sha256').update(`${seed}:${e.text ?? (e.tokens ?? []).join(' ')}:${e.where}`).digest().readUInt32BE(0);
  const splits = { ...task.splits };
  for (const s of SPLITS) {
    const max = n[s];
    if (max === undefined || splits[s].length <= max) continue;
    const keep = new Set(splits[s].map((e, i) => [key(e), i] as const).sort((a, b) => a[0] - b[0]).slice(0, max).map(([, i]) => i));
    splits[s] = splits[s].filter((_, i) => keep.has(i));
  }
  return { ...task, splits };
}
