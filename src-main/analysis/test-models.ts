// Test helpers for the analysis service tests: tiny ModernBERT directories (real config.json +
// model.safetensors, random init with a given seed, the demo tokenizer's vocabulary) and a small
// labelled probe file. Not a test file itself; imported by *.test.ts beside it.
import fs from 'node:fs';
import path from 'node:path';
import { modelConfigJson } from '../../native-runner/checkpoint/hf-config';
import { writeSafetensors } from '../../native-runner/checkpoint/safetensors';
import { loadTokenizer } from '../../native-runner/data/tokenizer';
import { presetConfig } from '../../native-runner/model/config';
import type { ModernBertConfig } from '../../native-runner/model/config';
import { initParameters } from '../../native-runner/model/init';
import { parameterSpecs } from '../../native-runner/model/params';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const DEMO_TOKENIZER = path.join(REPO_ROOT, 'fixtures', 'demo-tokenizer');

export function tinyConfig(overrides: Partial<ModernBertConfig> = {}): ModernBertConfig {
  const tok = loadTokenizer(DEMO_TOKENIZER);
  return { ...presetConfig('tiny', { vocab_size: tok.vocabSize, pad_token_id: tok.specialIds.pad, cls_token_id: tok.specialIds.cls, sep_token_id: tok.specialIds.sep }), ...overrides };
}

/** Writes a model directory with freshly initialised weights (seed) and returns its path. */
export function writeTinyModel(dir: string, seed: number, cfg: ModernBertConfig = tinyConfig()): string {
  const params = initParameters(cfg, seed);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), modelConfigJson(cfg));
  writeSafetensors(path.join(dir, 'model.safetensors'), new Map(parameterSpecs(cfg).map((s) => [s.name, { shape: s.shape, data: params.get(s.name)! }])));
  return dir;
}

const ROWS: [string, string, string, string][] = [
  ['inflammation of the liver', 'hepatitis', 'n', 'noun.state'],
  ['a bone of the forearm', 'ulna', 'n', 'noun.body'],
  ['a drug that relieves pain', 'analgesic', 'n', 'noun.artifact'],
  ['relating to the kidneys', 'renal', 'a', 'adj.pert'],
  ['the muscular organ that pumps blood', 'heart', 'n', 'noun.body'],
  ['to cut out surgically', 'excise', 'v', 'verb.contact'],
  ['relating to the heart', 'cardiac', 'a', 'adj.pert'],
  ['a protein that speeds up a reaction', 'enzyme', 'n', 'noun.substance'],
  ['to swell with fluid', 'edema', 'n', 'noun.state'],
  ['to give a medicine', 'administer', 'v', 'verb.contact'],
  ['relating to the lungs', 'pulmonary', 'a', 'adj.pert'],
  ['a small blood vessel', 'capillary', 'n', 'noun.body'],
];

/** A JSONL probe file: `copies` texts per word type, labels pos and supersense; returns its path. */
export function writeProbeFile(file: string, copies = 2, variant = ''): string {
  const lines: string[] = [];
  for (let c = 0; c < copies; c++) {
    for (const [text, word, pos, supersense] of ROWS) lines.push(JSON.stringify({ text: c ? `${text}, again ${c}${variant}` : `${text}${variant}`, word, pos, supersense }));
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}
