// `npm run data -- <command>`: the data pipeline from the command line.
//   prepare --demo [--json] [--out DIR] [--no-shards] [--retrain-tokenizer] [--seed N]
//   stats PATH [--tokenizer DIR|FILE] [--txt-mode paragraph|line] [--json-field NAME] [--json]
//   train-tokenizer PATH --out DIR [--vocab-size N] [--txt-mode ...] [--json-field ...]
//   tokenize PATH --tokenizer DIR|FILE [--cache DIR] [--held-out F] [--seed N] [--json]
//   bench PATH [--tokenizer DIR|FILE] [--max-docs N] [--json]   tokens/s of both encoders, ids compared
// Bad input exits with status 1 and one "error: <file>:<line>: ..." line (and {"error"} with --json).

import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { trainTokenizer } from './bpe-trainer';
import { corpusStats, readDocuments, type CorpusOptions } from './corpus';
import { buildDemo, DEMO_FIXTURE_TOKENIZER } from './demo-build';
import { DataError } from './errors';
import { progressBar } from './progress';
import { buildShards, readMeta } from './shards';
import { loadTokenizer, saveTokenizer } from './tokenizer';

const USAGE = `usage: npm run data -- <command>
  prepare --demo [--json] [--out DIR] [--no-shards] [--retrain-tokenizer] [--seed N]
  stats PATH [--tokenizer DIR|FILE] [--txt-mode paragraph|line] [--json-field NAME] [--json]
  train-tokenizer PATH --out DIR [--vocab-size N] [--txt-mode ...] [--json-field ...]
  tokenize PATH --tokenizer DIR|FILE [--cache DIR] [--held-out F] [--seed N] [--json]
  bench PATH [--tokenizer DIR|FILE] [--max-docs N] [--json]`;

const OPTIONS = {
  demo: { type: 'boolean' }, json: { type: 'boolean' }, out: { type: 'string' }, 'no-shards': { type: 'boolean' },
  'retrain-tokenizer': { type: 'boolean' }, seed: { type: 'string' }, tokenizer: { type: 'string' },
  'txt-mode': { type: 'string' }, 'json-field': { type: 'string' }, 'vocab-size': { type: 'string' },
  cache: { type: 'string' }, 'held-out': { type: 'string' }, 'max-docs': { type: 'string' }, help: { type: 'boolean', short: 'h' },
} as const;

function num(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new DataError(`--${name} expects a number, got "${v}"`);
  return n;
}

function corpusOptions(v: Record<string, unknown>): CorpusOptions {
  const mode = v['txt-mode'] as string | undefined;
  if (mode !== undefined && mode !== 'paragraph' && mode !== 'line') throw new DataError(`--txt-mode must be paragraph or line, got "${mode}"`);
  return { txtMode: mode, jsonField: v['json-field'] as string | undefined };
}

function print(json: boolean, obj: unknown, human: () => string): void {
  process.stdout.write(json ? JSON.stringify(obj) + '\n' : human() + '\n');
}

export async function main(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  const [cmd, path] = positionals;
  const json = !!v.json;
  if (v.help || !cmd) { process.stdout.write(USAGE + '\n'); return cmd || v.help ? 0 : 2; }
  const bar = progressBar();
  try {
    if (cmd === 'prepare') {
      if (!v.demo) throw new DataError('prepare: only --demo is supported (your own corpora: stats / train-tokenizer / tokenize)');
      const m = await buildDemo({
        outDir: v.out ?? '.cache/demo', shards: !v['no-shards'], retrainTokenizer: !!v['retrain-tokenizer'],
        seed: num(v.seed, 'seed', 0), onProgress: bar,
      });
      bar.end();
      print(json, m, () => [
        `demo data in ${v.out ?? '.cache/demo'}${m.cached ? ' (cached)' : ''}, ${m.seconds} s`,
        `  general corpus:    ${m.corpora.general.documents} documents, ${m.corpora.general.characters} characters, ${m.corpora.general.trainTokens ?? '-'} train / ${m.corpora.general.heldoutTokens ?? '-'} held-out tokens`,
        `  biomedical corpus: ${m.corpora.biomedical.documents} documents, ${m.corpora.biomedical.characters} characters, ${m.corpora.biomedical.trainTokens ?? '-'} train / ${m.corpora.biomedical.heldoutTokens ?? '-'} held-out tokens`,
        `  probe sets:        ${m.probes.biomedical.texts} biomedical texts (supersense, POS); ${m.probes.domain.texts} texts for the domain probe`,
        `  tokenizer:         vocab ${m.tokenizer.vocabSize} (${m.tokenizer.source}), specials ${JSON.stringify(m.tokenizer.specialIds)}`,
      ].join('\n'));
      return 0;
    }
    if (!path) throw new DataError(`${cmd}: missing PATH\n${USAGE}`);
    const copts = corpusOptions(v);
    if (cmd === 'stats') {
      const tokPath = v.tokenizer ?? (existsSync(DEMO_FIXTURE_TOKENIZER) ? DEMO_FIXTURE_TOKENIZER : undefined);
      const tok = tokPath ? loadTokenizer(tokPath) : undefined;
      const s = await corpusStats(path, copts, tok?.encode, (n) => { if (n % 1000 === 0) bar('reading', n, 0); });
      bar.end();
      const out = { ...s, tokenizer: tok?.path ?? null };
      print(json, out, () => `${s.path}: ${s.files} files, ${s.documents} documents, ${s.characters} characters, ${s.bytes} bytes, ${s.tokens ?? '-'} tokens${tok ? ` (${tok.path})` : ''}\n  sha256 ${s.contentHash}`);
      return 0;
    }
    if (cmd === 'train-tokenizer') {
      if (!v.out) throw new DataError('train-tokenizer: --out DIR is required');
      const docs = (async function* () { for await (const d of readDocuments(path, copts)) yield d.text; })();
      const tj = await trainTokenizer(docs, { vocabSize: num(v['vocab-size'], 'vocab-size', 4096), onProgress: (m, t) => bar('merges', m, t) });
      bar.end();
      const file = saveTokenizer(v.out, tj);
      const tok = loadTokenizer(file);
      print(json, { path: file, vocabSize: tok.vocabSize, specialIds: tok.specialIds, sha256: tok.hash }, () => `${file}: vocab ${tok.vocabSize}, specials ${JSON.stringify(tok.specialIds)}`);
      return 0;
    }
    if (cmd === 'tokenize') {
      if (!v.tokenizer) throw new DataError('tokenize: --tokenizer is required');
      const tok = loadTokenizer(v.tokenizer);
      const dir = await buildShards(path, tok, {
        cacheDir: v.cache ?? '.cache/tokens', heldOutFraction: num(v['held-out'], 'held-out', 0), splitSeed: num(v.seed, 'seed', 0),
        corpus: copts, onProgress: (phase, n) => bar(phase, n, 0),
      });
      bar.end();
      const meta = readMeta(dir);
      print(json, { dir, ...meta }, () => `${dir}: train ${meta.splits.train.documents} documents / ${meta.splits.train.tokens} tokens, held-out ${meta.splits.heldout.documents} / ${meta.splits.heldout.tokens}`);
      return 0;
    }
    if (cmd === 'bench') {
      const tokPath = v.tokenizer ?? DEMO_FIXTURE_TOKENIZER;
      const texts: string[] = [];
      const max = num(v['max-docs'], 'max-docs', Infinity);
      for await (const d of readDocuments(path, copts)) { if (texts.length >= max) break; texts.push(d.text); }
      const runs = (['bpe', 'hf'] as const).map((engine) => {
        const tok = loadTokenizer(tokPath, engine);
        const t0 = performance.now();
        const ids = texts.map((t) => tok.encode(t));
        const seconds = (performance.now() - t0) / 1000;
        const tokens = ids.reduce((n, x) => n + x.length, 0);
        return { engine, documents: texts.length, tokens, seconds: +seconds.toFixed(3), tokensPerSecond: Math.round(tokens / seconds), ids };
      });
      const identical = runs[0].ids.every((x, i) => x.length === runs[1].ids[i].length && x.every((id, k) => id === runs[1].ids[i][k]));
      const result = { path, tokenizer: tokPath, identicalIds: identical, runs: runs.map(({ ids: _ids, ...r }) => r) };
      print(json, result, () => result.runs.map((r) => `${r.engine.padEnd(4)} ${r.documents} documents, ${r.tokens} tokens in ${r.seconds} s: ${r.tokensPerSecond} tokens/s`).join('\n') + `\nidentical ids: ${identical}`);
      return identical ? 0 : 1;
    }
    throw new DataError(`unknown command "${cmd}"\n${USAGE}`);
  } catch (e) {
    bar.end();
    if (!(e instanceof DataError)) throw e;
    process.stderr.write(`error: ${e.message}\n`);
    if (json) process.stdout.write(JSON.stringify({ error: e.message, file: e.file ?? null, line: e.line ?? null, byteOffset: e.byteOffset ?? null }) + '\n');
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
