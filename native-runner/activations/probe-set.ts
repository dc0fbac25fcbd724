// Probe sets: held-out texts with labels, as JSONL ({"text": …, "word": …, "supersense": …, …}
// per line; the demo builder writes probe/biomedical-probe.jsonl this way) or plain text, one
// text per line. Every other string field of a JSONL row is a label set usable for probing.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface ProbeSet {
  name: string;
  path: string;
  sha256: string;                          // of the file's bytes: identifies the set in the database
  texts: string[];
  labels: Record<string, string[]>;        // label set name -> one label per text
  groups: string[] | null;                 // word type of each text (for splits by type), from "word"
}

export function readProbeSet(file: string, opts: { textField?: string; name?: string } = {}): ProbeSet {
  if (!fs.existsSync(file)) throw new Error(`${file}: no such probe-set file`);
  const bytes = fs.readFileSync(file);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const field = opts.textField ?? 'text';
  const lines = bytes.toString('utf8').split('\n');
  const texts: string[] = [];
  const labels: Record<string, string[]> = {};
  const groups: string[] = [];
  const jsonl = file.endsWith('.jsonl') || file.endsWith('.json');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    if (!jsonl) {
      texts.push(line);
      return;
    }
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(line);
    } catch (e) {
      throw new Error(`${file}:${i + 1}: not valid JSON (${(e as Error).message})`);
    }
    if (typeof row[field] !== 'string' || row[field] === '') throw new Error(`${file}:${i + 1}: missing text field "${field}"`);
    const idx = texts.length;
    texts.push(row[field] as string);
    for (const [k, v] of Object.entries(row)) {
      if (k === field || k === 'id' || typeof v !== 'string') continue;
      (labels[k] ??= new Array(idx).fill(''))[idx] = v;
    }
    groups.push(typeof row.word === 'string' ? row.word : String(idx));
    for (const k of Object.keys(labels)) if (labels[k].length < idx + 1) labels[k].push('');
  });
  if (texts.length === 0) throw new Error(`${file}: the probe set has no texts`);
  return { name: opts.name ?? path.basename(file).replace(/\.[^.]+$/, ''), path: path.resolve(file), sha256, texts, labels, groups: jsonl ? groups : null };
}
