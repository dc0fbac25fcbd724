// The built-in demo's files, for the run form's defaults: the shipped demo base model and tokenizer
// (fixtures/) and the WordNet corpora and probe sets that `npm run data -- prepare --demo` builds
// into .cache/demo. Paths that do not exist are reported as null, with the command that makes them.
import fs from 'node:fs';
import path from 'node:path';
import { appRoot } from './app-root';
import type { DemoAssets } from './common/types';

export function demoAssets(root = appRoot()): DemoAssets {
  const exists = (p: string) => (fs.existsSync(p) ? p : null);
  const demo = path.join(root, '.cache', 'demo');
  const manifest = exists(path.join(demo, 'manifest.json'));
  const probeSets: DemoAssets['probeSets'] = [];
  for (const [name, file] of [['biomedical probe (500 texts, supersense / POS labels)', 'probe/biomedical-probe.jsonl'], ['domain probe (bio vs general)', 'probe/domain-probe.jsonl']] as const) {
    const p = path.join(demo, file);
    if (fs.existsSync(p)) probeSets.push({ name, path: p });
  }
  return {
    baseModel: exists(path.join(root, 'fixtures', 'demo-base', 'model.safetensors')) ? path.join(root, 'fixtures', 'demo-base') : null,
    tokenizer: exists(path.join(root, 'fixtures', 'demo-tokenizer', 'tokenizer.json')) ? path.join(root, 'fixtures', 'demo-tokenizer') : null,
    corpora: manifest
      ? { general: exists(path.join(demo, 'corpora', 'general.txt')), biomedical: exists(path.join(demo, 'corpora', 'biomedical.txt')) }
      : { general: null, biomedical: null },
    probeSets,
    buildCommand: 'npm run data -- prepare --demo',
  };
}
