// Activation logging inside a training run: the probe set is read and tokenized once; the starting
// model and every checkpoint are run through it and the pooled hidden states written beside the
// model directory (store-files.ts), then announced with an `activations` event for the main side.
import fs from 'node:fs';
import path from 'node:path';
import type { ModernBertConfig } from '../model/config';
import type { RunConfig, RunEventBody } from '../protocol';
import type { TrainState } from '../train/step-api';
import { loadTokenizer } from '../data/tokenizer';
import { writeSafetensors } from '../checkpoint/safetensors';
import { modelConfigJson } from '../checkpoint/hf-config';
import { parameterSpecs } from '../model/params';
import { extractActivations } from './extract';
import { extractionSettings } from './extraction-settings';
import { readProbeSet } from './probe-set';
import { activationDirFor, writeActivationDir } from './store-files';

export interface ProbeLogging {
  /** Save the starting weights as a model directory (config.json + model.safetensors), atomically. */
  writeStartModel(dir: string, state: TrainState): void;
  log(modelDir: string, state: TrainState, step: number, phase: string, emit: (e: RunEventBody) => void): Promise<void>;
  /** Whether `modelDir` already holds this probe set's activations (complete: written atomically). */
  has(modelDir: string): boolean;
}

export function prepareProbeLogging(config: RunConfig, model: ModernBertConfig, threads = config.threads): ProbeLogging {
  const p = config.probe_set!;
  const probe = readProbeSet(p.path);
  const tokenizerPath = p.tokenizer ?? config.data.tokenizer;
  if (!tokenizerPath) throw new Error('probe_set.tokenizer: required when data has no tokenizer');
  const tok = loadTokenizer(tokenizerPath);
  if (tok.vocabSize > model.vocab_size) throw new Error(`${tok.path}: ${tok.vocabSize} token ids, more than the model's vocab_size ${model.vocab_size}`);
  const ids = probe.texts.map((t) => tok.encodeWithSpecials(t));
  const maxLength = p.max_length ?? config.seq_len;
  // Recorded with every logged set, so that sets cut or tokenized differently are never compared.
  const extraction = extractionSettings({ ids, maxLength, maxPositionEmbeddings: model.max_position_embeddings, tokenizer: tok, tokensPerText: p.tokens_per_text });
  return {
    writeStartModel(dir, state) {
      const tmp = `${dir}.tmp-${process.pid}`;
      fs.rmSync(tmp, { recursive: true, force: true });
      fs.mkdirSync(tmp, { recursive: true });
      fs.writeFileSync(path.join(tmp, 'config.json'), modelConfigJson(model));
      const tensors = new Map(parameterSpecs(model).map((s) => [s.name, { shape: s.shape, data: state.params.get(s.name)! }]));
      writeSafetensors(path.join(tmp, 'model.safetensors'), tensors);
      fs.rmSync(dir, { recursive: true, force: true });
      fs.renameSync(tmp, dir);
    },
    has(modelDir) {
      return fs.existsSync(path.join(activationDirFor(modelDir, probe.sha256), 'meta.json'));
    },
    async log(modelDir, state, step, phase, emit) {
      const sets = await extractActivations(model, state.params, ids, {
        poolings: p.poolings, batchSize: p.batch_size, maxLength, tokensPerText: p.tokens_per_text, intraOpThreads: threads,
      });
      const dir = writeActivationDir(modelDir, {
        format: 'encoder-workbench/activations@1', probe_sha256: probe.sha256, probe_path: probe.path, texts: ids.length,
        layers: model.num_hidden_layers + 1, poolings: p.poolings, tokens_per_text: p.tokens_per_text, max_length: maxLength, extraction,
      }, sets);
      emit({ type: 'activations', step, phase, checkpoint: modelDir, dir, probe_sha256: probe.sha256, texts: ids.length, layers: model.num_hidden_layers + 1, poolings: p.poolings });
    },
  };
}
