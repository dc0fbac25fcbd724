// Activations written beside a model directory, for the main side to ingest into SQLite:
//   <modelDir>/activations/<probe sha256, 16 hex>/meta.json
//   <modelDir>/activations/<probe sha256, 16 hex>/<pooling>/layer_000.npy …
// Written into a temporary directory and renamed, so a reader never sees a partial set.
import fs from 'node:fs';
import path from 'node:path';
import type { ActivationSet } from './extract';
import { parseExtractionSettings, type ExtractionSettings } from './extraction-settings';
import { decodeNpy, encodeNpy, layerFileName } from './npy';
import type { Pooling } from './pooling';

export interface ActivationMeta {
  format: 'encoder-workbench/activations@1';
  probe_sha256: string;
  probe_path: string;
  texts: number;
  layers: number;               // hidden states: embedding output + one per layer
  poolings: Pooling[];
  tokens_per_text: number;
  max_length: number;
  extraction?: ExtractionSettings; // tokenizer, truncation and sampling settings; absent in files written before they were recorded
}

export function activationDirFor(modelDir: string, probeSha256: string): string {
  return path.join(modelDir, 'activations', probeSha256.slice(0, 16));
}

export function writeActivationDir(modelDir: string, meta: ActivationMeta, sets: ActivationSet[]): string {
  const final = activationDirFor(modelDir, meta.probe_sha256);
  const tmp = path.join(path.dirname(final), `.tmp-${path.basename(final)}-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  for (const p of meta.poolings) fs.mkdirSync(path.join(tmp, p), { recursive: true });
  for (const s of sets) fs.writeFileSync(path.join(tmp, s.pooling, layerFileName(s.layer)), encodeNpy(s.data, s.shape));
  fs.writeFileSync(path.join(tmp, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
  fs.rmSync(final, { recursive: true, force: true });
  fs.renameSync(tmp, final);
  return final;
}

/** Read a directory written by writeActivationDir, checking every file against meta.json. */
export function readActivationDir(dir: string): { meta: ActivationMeta; sets: ActivationSet[] } {
  const metaFile = path.join(dir, 'meta.json');
  let meta: ActivationMeta;
  try {
    meta = JSON.parse(fs.readFileSync(metaFile, 'utf8'));
  } catch (e) {
    throw new Error(`${metaFile}: cannot read activation metadata (${(e as Error).message})`);
  }
  if (meta.format !== 'encoder-workbench/activations@1') throw new Error(`${metaFile}: unknown format ${JSON.stringify(meta.format)}`);
  if (meta.extraction !== undefined) meta.extraction = parseExtractionSettings(meta.extraction, metaFile);
  const sets: ActivationSet[] = [];
  for (const pooling of meta.poolings) {
    const rows = pooling === 'tokens' ? meta.texts * meta.tokens_per_text : meta.texts;
    for (let layer = 0; layer < meta.layers; layer++) {
      const file = path.join(dir, pooling, layerFileName(layer));
      if (!fs.existsSync(file)) throw new Error(`${file}: missing (meta.json lists ${meta.layers} layers)`);
      const { shape, data } = decodeNpy(fs.readFileSync(file));
      if (shape.length !== 2 || shape[0] !== rows || data.length !== shape[0] * shape[1]) {
        throw new Error(`${file}: shape [${shape.join(', ')}] with ${data.length} values; expected ${rows} rows`);
      }
      sets.push({ layer, pooling, shape: [shape[0], shape[1]], data });
    }
  }
  return { meta, sets };
}
