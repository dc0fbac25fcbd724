// What the study's runs read: the demo base model, the demo tokenizer, the biomedical TRAINING
// documents (as JSONL: the runner reads .txt as blank-line paragraphs and keeps no held-out split,
// while the demo corpora are one document per line with 2% held out, see native-runner/data/demo-train-split.ts)
// and the 500-text biomedical probe. The demo data is built on first use (~10 s, reused after).
import fs from 'node:fs';
import path from 'node:path';
import { appRoot } from '../app-root';
import { buildDemo } from '../../native-runner/data/demo-build';
import { writeDemoTrainJsonl } from '../../native-runner/data/demo-train-split';
import type { StudyAssets } from './plan';

export interface AssetOptions {
  dataDir: string;             // the training JSONL and the token cache (shared by the CLI and the app in one workspace)
  baseModel?: string;          // default fixtures/demo-base
  root?: string;               // app root (fixtures/, .cache/demo)
  onProgress?: (message: string) => void;
}

export function defaultBaseModel(root = appRoot()): string {
  return path.join(root, 'fixtures', 'demo-base');
}

export async function studyAssets(o: AssetOptions): Promise<StudyAssets> {
  const root = o.root ?? appRoot();
  const baseModel = path.resolve(o.baseModel ?? defaultBaseModel(root));
  for (const f of ['config.json', 'model.safetensors']) {
    if (!fs.existsSync(path.join(baseModel, f))) {
      throw new Error(`${baseModel}: no ${f}; the study starts from the demo base model (fixtures/demo-base, made by \`npm run pretrain:demo\`) or the model directory given with --base`);
    }
  }
  const demoDir = path.join(root, '.cache', 'demo');
  o.onProgress?.(`demo data: ${demoDir}`);
  const manifest = await buildDemo({ outDir: demoDir, onProgress: (stage, done, total) => o.onProgress?.(`demo data: ${stage} ${done}/${total}`) });
  const dataDir = o.dataDir;
  const corpus = await writeDemoTrainJsonl(demoDir, manifest, 'biomedical', path.join(dataDir, `biomedical-train-${manifest.corpora.biomedical.sha256.slice(0, 12)}.jsonl`));
  const tokenizer = path.join(root, 'fixtures', 'demo-tokenizer');
  return {
    baseModel,
    tokenizer,
    corpus: corpus.file,
    probe: path.join(demoDir, manifest.probes.biomedical.file),
    cacheDir: path.join(dataDir, 'token-cache'),
  };
}
