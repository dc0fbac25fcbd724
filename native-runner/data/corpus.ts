// Corpus sources: .txt, .jsonl, their .gz, and directories of them (recursively, in sorted path
// order so every listing is deterministic). Documents are streamed one at a time; nothing holds a
// whole file. Stats and a content hash come from the same stream.

import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { DataError } from './errors';
import { findJsonSyntaxError } from './json-text';
import { utf8Lines } from './utf8-lines';

export interface CorpusOptions {
  /** .txt files: 'paragraph' = documents separated by blank lines (default); 'line' = one per line. */
  txtMode?: 'paragraph' | 'line';
  /** .jsonl files: the field holding the document text ("text"). */
  jsonField?: string;
}

export interface CorpusDocument {
  text: string;
  file: string;
  line: number;                 // 1-based line where the document starts
}

/** One file or directory, or several (e.g. the run config's data.corpus list), read in the order given. */
export type CorpusPath = string | readonly string[];

const label = (path: CorpusPath) => (typeof path === 'string' ? path : path.join(', '));

export interface CorpusStats {
  path: string;
  files: number;
  documents: number;
  characters: number;           // Unicode code points
  bytes: number;                // UTF-8 bytes of the document texts
  tokens: number | null;        // with the tokenizer given to corpusStats, else null
  contentHash: string;          // sha256 over the documents (text + NUL each): format-independent
}

const CORPUS_EXT = /\.(txt|jsonl)(\.gz)?$/;

/** The corpus files under `path` (a file, or a directory searched recursively, sorted; or a list of those). */
export function listCorpusFiles(path: CorpusPath): string[] {
  if (typeof path !== 'string') {
    if (!path.length) throw new DataError('empty corpus (no paths given)');
    return path.flatMap((p) => listCorpusFiles(p));
  }
  if (!existsSync(path)) throw new DataError(`${path}: no such file or directory`, path);
  const st = statSync(path);
  if (st.isFile()) {
    if (!CORPUS_EXT.test(path)) throw new DataError(`${path}: unsupported corpus file (expected .txt, .jsonl, .txt.gz or .jsonl.gz)`, path);
    return [path];
  }
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith('.')) continue;
      const p = join(dir, name);
      const s = statSync(p);
      if (s.isDirectory()) walk(p);
      else if (CORPUS_EXT.test(name)) out.push(p);
    }
  };
  walk(path);
  if (!out.length) throw new DataError(`${path}: empty corpus (no .txt/.jsonl/.gz files in the directory)`, path);
  return out;
}

async function* fileChunks(file: string): AsyncGenerator<Uint8Array> {
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  const stream = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  if (stream !== raw) raw.on('error', (e) => stream.destroy(e));
  // Decompressed bytes and lines delivered so far: where a truncated or corrupt .gz stopped.
  let bytes = 0;
  let lines = 0;
  try {
    for await (const chunk of stream) {
      const c = chunk as Uint8Array;
      bytes += c.length;
      for (let i = 0; i < c.length; i++) if (c[i] === 10) lines++;
      yield c;
    }
  } catch (e) {
    if (e instanceof DataError) throw e;
    const err = e as NodeJS.ErrnoException;
    if (err.code?.startsWith('Z_')) {
      const what = err.code === 'Z_BUF_ERROR' ? 'truncated gzip data (the file ends early)' : `corrupt gzip data (${err.code})`;
      throw new DataError(`${file}: ${what} after ${bytes} decompressed bytes (line ${lines + 1})`, file, lines + 1, bytes);
    }
    throw new DataError(`${file}: ${err.message}`, file);
  } finally {
    raw.destroy();
  }
}

/** Stream the documents of one file. */
export async function* readFileDocuments(file: string, opts: CorpusOptions = {}): AsyncGenerator<CorpusDocument> {
  const isJsonl = /\.jsonl(\.gz)?$/.test(file);
  const field = opts.jsonField ?? 'text';
  const lineMode = (opts.txtMode ?? 'paragraph') === 'line';
  let lineNo = 0;
  let para: string[] = [];
  let paraStart = 0;
  for await (const line of utf8Lines(fileChunks(file), file)) {
    lineNo++;
    const blank = line.trim().length === 0;
    if (isJsonl) {
      if (blank) continue;
      let obj: unknown;
      try {
        obj = JSON.parse(line);
      } catch (e) {
        // V8's message quotes the line; say where instead (one escaped character at most).
        const where = findJsonSyntaxError(line);
        throw new DataError(`${file}:${lineNo}: unparsable JSON line${where ? ` at column ${where.column}: ${where.what}` : ''}`, file, lineNo);
      }
      if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
        throw new DataError(`${file}:${lineNo}: expected a JSON object per line`, file, lineNo);
      }
      const v = (obj as Record<string, unknown>)[field];
      if (v === undefined) throw new DataError(`${file}:${lineNo}: missing field "${field}"`, file, lineNo);
      if (typeof v !== 'string') throw new DataError(`${file}:${lineNo}: field "${field}" is ${typeof v}, not a string`, file, lineNo);
      // JSON can smuggle a NUL in as "\u0000": text corpora never hold one, and tokenizers and
      // downstream tools treat it as a string end. Refuse it where it is, like a raw NUL byte.
      const nul = v.indexOf('\0');
      if (nul >= 0) throw new DataError(`${file}:${lineNo}: field "${field}" contains a NUL character (\\u0000) at character ${nul + 1}; corpora must be plain text`, file, lineNo);
      if (v.trim().length) yield { text: v, file, line: lineNo };
    } else if (lineMode) {
      if (!blank) yield { text: line, file, line: lineNo };
    } else if (blank) {
      if (para.length) yield { text: para.join('\n'), file, line: paraStart };
      para = [];
    } else {
      if (!para.length) paraStart = lineNo;
      para.push(line);
    }
  }
  if (para.length) yield { text: para.join('\n'), file, line: paraStart };
}

/** Stream every document of a corpus (file or directory); an empty corpus is an error. */
export async function* readDocuments(path: CorpusPath, opts: CorpusOptions = {}): AsyncGenerator<CorpusDocument> {
  const files = listCorpusFiles(path);
  let n = 0;
  for (const f of files) {
    for await (const d of readFileDocuments(f, opts)) {
      n++;
      yield d;
    }
  }
  if (n === 0) throw new DataError(`${label(path)}: empty corpus (no documents in ${files.length} file${files.length === 1 ? '' : 's'})`, label(path));
}

/** Code points in a string (UTF-16 length minus surrogate pairs). */
export function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) n--;
  }
  return n;
}

/** Incremental stats + hash over documents; shared by corpusStats and the shard builder. */
export class CorpusHasher {
  private readonly h = createHash('sha256');
  documents = 0;
  characters = 0;
  bytes = 0;
  add(text: string): void {
    this.h.update(text);
    this.h.update('\0');
    this.documents++;
    this.characters += codePoints(text);
    this.bytes += Buffer.byteLength(text);
  }
  digest(): string {
    return this.h.digest('hex');
  }
}

/** Stats of a corpus; `encode` (a tokenizer's encode) adds a token count. */
export async function corpusStats(
  path: CorpusPath,
  opts: CorpusOptions = {},
  encode?: (text: string) => number[],
  onDocument?: (n: number) => void,
): Promise<CorpusStats> {
  const hasher = new CorpusHasher();
  let tokens = 0;
  for await (const d of readDocuments(path, opts)) {
    hasher.add(d.text);
    if (encode) tokens += encode(d.text).length;
    onDocument?.(hasher.documents);
  }
  return {
    path: label(path), files: listCorpusFiles(path).length, documents: hasher.documents, characters: hasher.characters,
    bytes: hasher.bytes, tokens: encode ? tokens : null, contentHash: hasher.digest(),
  };
}
