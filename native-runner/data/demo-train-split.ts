// The training documents of a demo corpus as a JSONL file the runner can read.
//
// The demo corpora (.cache/demo/corpora/*.txt) hold one document per line, and the demo shards keep
// 2% of the documents out of training (data/shards.ts heldOutByText). The runner's data config has
// neither a line mode (a .txt is read as blank-line-separated paragraphs) nor a held-out fraction, so
// a run on the demo corpora is given this file instead: exactly the documents of the demo's `train`
// split, one {"text"} object per line (JSONL is one document per line by definition).

import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readDocuments } from './corpus';
import type { DemoManifest } from './demo-build';
import { heldOutByText } from './shards';

/** Write (once; reused while present) `file` with the train-split documents of one demo corpus. */
export async function writeDemoTrainJsonl(demoDir: string, m: DemoManifest, corpus: 'general' | 'biomedical', file: string): Promise<{ file: string; documents: number }> {
  const c = m.corpora[corpus];
  if (!c.shardDir) throw new Error(`${join(demoDir, 'manifest.json')}: the ${corpus} corpus has no shards (built with --no-shards?)`);
  const want = JSON.parse(readFileSync(join(demoDir, c.shardDir, 'meta.json'), 'utf8')).splits.train.documents as number;
  if (existsSync(file)) return { file, documents: want };
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const out = createWriteStream(tmp);
  let n = 0;
  try {
    for await (const d of readDocuments(join(demoDir, c.file), { txtMode: 'line' })) {
      if (heldOutByText(d.text, m.options.heldOutFraction, m.options.seed)) continue;
      if (!out.write(JSON.stringify({ text: d.text }) + '\n')) await once(out, 'drain');
      n++;
    }
    out.end();
    await once(out, 'finish');
    if (n !== want) throw new Error(`${join(demoDir, c.file)}: ${n} training documents, but the demo shards hold ${want}`);
    renameSync(tmp, file);
  } catch (e) {
    out.destroy();
    rmSync(tmp, { force: true });
    throw e;
  }
  return { file, documents: n };
}
