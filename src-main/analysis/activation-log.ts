// Logging activations into the workspace database: run a probe set through a model directory
// (one of our checkpoints, or any Hugging Face ModernBERT directory) and store every layer's pooled
// hidden states in one transaction. Also exports them as .npy files.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadModelDir } from '../../native-runner/checkpoint/checkpoint';
import { loadTokenizer } from '../../native-runner/data/tokenizer';
import { extractActivations, type ExtractOptions } from '../../native-runner/activations/extract';
import { extractionSettings, sameExtraction, type ExtractionSettings } from '../../native-runner/activations/extraction-settings';
import type { Pooling } from '../../native-runner/activations/pooling';
import type { Db } from '../store/db';
import { activationLayers, getActivation, putActivations, storedExtractions } from '../store/activations';
import { addCheckpoint } from '../store/checkpoints';
import { ensureProbeSet } from '../store/probe-sets';
import { layerFileName, writeNpyAtomic } from './npy';
import { readProbeSet } from './probe-set';

export interface LogActivationsOptions extends Omit<ExtractOptions, 'poolings'> {
  modelDir: string;              // config.json + model.safetensors
  probeSet: string;              // JSONL or text file
  tokenizer?: string;            // tokenizer.json or its directory (default: the model directory)
  poolings?: Pooling[];
  run?: { id: number; step: number | null; phase: string | null };
  force?: boolean;               // recompute even if stored
}

export interface LogActivationsResult {
  checkpointId: number;
  probeSetId: number;
  layers: number;
  cached: boolean;
  seconds: number;
  extraction: ExtractionSettings; // the tokenizer, truncation and sampling settings stored with the blocks
}

/** sha256 over the model's weight files (model.safetensors, or every shard in name order). */
export function modelDirHash(dir: string): string {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.safetensors')).sort();
  if (!files.length) throw new Error(`${dir}: no .safetensors weights`);
  const h = createHash('sha256');
  for (const f of files) h.update(f).update(fs.readFileSync(path.join(dir, f)));
  return h.digest('hex');
}

/** The checkpoints row for a model directory, created on first use. */
export function checkpointIdFor(db: Db, dir: string, run?: LogActivationsOptions['run']): number {
  const abs = path.resolve(dir);
  const existing = db.prepare('SELECT id FROM checkpoints WHERE path = ?').pluck().get(abs) as number | undefined;
  if (existing !== undefined) return existing;
  return addCheckpoint(db, { runId: run?.id ?? null, step: run?.step ?? null, phase: run?.phase ?? null, path: abs, sha256: modelDirHash(abs) });
}

export async function logActivations(db: Db, o: LogActivationsOptions): Promise<LogActivationsResult> {
  const t0 = performance.now();
  const poolings = o.poolings ?? ['mean', 'cls', 'tokens'];
  const probe = readProbeSet(o.probeSet);
  const { config, params } = loadModelDir(o.modelDir);
  const tok = loadTokenizer(o.tokenizer ?? o.modelDir);
  if (tok.vocabSize > config.vocab_size) {
    throw new Error(`${tok.path}: tokenizer has ${tok.vocabSize} ids but the model's vocab_size is ${config.vocab_size}: not this model's tokenizer`);
  }
  // Nothing is registered until the activations exist: a model directory that fails anywhere before
  // (bad weights, a tokenizer mismatch, an extraction error) must not leave a checkpoints row behind.
  const knownCheckpoint = db.prepare('SELECT id FROM checkpoints WHERE path = ?').pluck().get(path.resolve(o.modelDir)) as number | undefined;
  const probeRow = { name: probe.name, sha256: probe.sha256, nTexts: probe.texts.length, path: probe.path, labels: { names: Object.keys(probe.labels) } };
  const knownProbeSet = db.prepare('SELECT id FROM probe_sets WHERE sha256 = ?').pluck().get(probe.sha256) as number | undefined;
  const nLayers = config.num_hidden_layers + 1;
  const ids = probe.texts.map((t) => tok.encodeWithSpecials(t));
  const extraction = extractionSettings({
    ids, maxLength: o.maxLength, maxPositionEmbeddings: config.max_position_embeddings, tokenizer: tok, tokensPerText: o.tokensPerText, positionSeed: o.positionSeed,
  });
  // Stored blocks are reused only when they were extracted the same way (and their settings are
  // known): asking for another max_length or tokenizer re-logs, replacing every block of these poolings.
  if (knownCheckpoint !== undefined && knownProbeSet !== undefined) {
    const complete = poolings.every((p) => activationLayers(db, knownCheckpoint, knownProbeSet, p).length === nLayers);
    const stored = storedExtractions(db, knownCheckpoint, knownProbeSet, poolings);
    const same = stored.length === 1 && stored[0] !== null && sameExtraction(stored[0], extraction);
    if (complete && same && !o.force) return { checkpointId: knownCheckpoint, probeSetId: knownProbeSet, layers: nLayers, cached: true, seconds: (performance.now() - t0) / 1000, extraction };
  }
  const sets = await extractActivations(config, params, ids, { ...o, poolings });
  const nonFinite = sets.find((set) => set.data.some((x) => !Number.isFinite(x)));
  if (nonFinite) throw new Error(`${o.modelDir}: layer ${nonFinite.layer} (${nonFinite.pooling} pooling) gives non-finite hidden states; nothing was stored`);
  // Checkpoint row, probe set row and every block in one transaction: all of them or none.
  const register = db.transaction(() => {
    const checkpointId = checkpointIdFor(db, o.modelDir, o.run);
    const probeSetId = ensureProbeSet(db, probeRow);
    putActivations(db, checkpointId, probeSetId, sets.map((s) => ({ layer: s.layer, pooling: s.pooling, shape: s.shape, data: s.data, extraction })));
    return { checkpointId, probeSetId };
  });
  const { checkpointId, probeSetId } = register();
  return { checkpointId, probeSetId, layers: nLayers, cached: false, seconds: (performance.now() - t0) / 1000, extraction };
}

/** Write one .npy per layer (layer_000.npy = embedding output …) into outDir; returns the files. */
export function exportActivationsNpy(db: Db, checkpointId: number, probeSetId: number, pooling: Pooling, outDir: string): string[] {
  const layers = activationLayers(db, checkpointId, probeSetId, pooling);
  if (!layers.length) throw new Error(`no ${pooling}-pooled activations stored for checkpoint ${checkpointId} and probe set ${probeSetId}`);
  fs.mkdirSync(outDir, { recursive: true });
  return layers.map((l) => {
    const a = getActivation(db, checkpointId, probeSetId, l, pooling)!;
    const file = path.join(outDir, layerFileName(l));
    writeNpyAtomic(file, a.data, a.shape);
    return file;
  });
}
