// Reading a model's stored activations back for comparison: every requested layer of one checkpoint
// × probe set × pooling, validated (blob byte length vs shape, dtype, same example count in every
// layer) and digested, so that cached analyses are keyed by the very bytes they were computed from
// and the settings they were extracted under. Errors name the checkpoint (id and path) and the layer.
import { createHash } from 'node:crypto';
import { extractionDifference, extractionIdentity, type ExtractionSettings, type SettingDifference } from '../../native-runner/activations/extraction-settings';
import type { Pooling } from '../../native-runner/activations/pooling';
import { canonicalJson } from '../../native-runner/protocol';
import type { Db } from '../store/db';
import { parseStoredExtraction } from '../store/activations';
import type { DenseMatrix } from './linalg';

export interface ActivationSource {
  checkpointId: number;
  probeSetId: number;
  pooling: Pooling;
  layers?: number[]; // default: every stored layer
}

export interface CheckpointRow {
  id: number;
  runId: number | null;
  step: number | null;
  phase: string | null;
  path: string;
  sha256: string;
}

export interface ProbeSetRow {
  id: number;
  name: string;
  sha256: string;
  nTexts: number;
  path: string | null;
}

export interface LoadedActivations {
  checkpoint: CheckpointRow;
  probeSet: ProbeSetRow;
  pooling: Pooling;
  layers: number[]; // hidden-state indices (0 = embedding output)
  matrices: DenseMatrix[]; // one [rows, width] per entry of layers
  rows: number;
  /** Tokenizer / truncation / sampling settings shared by every loaded layer; null: unknown (logged before they were recorded). */
  extraction: ExtractionSettings | null;
  digest: string; // sha256 over checkpoint/probe-set hashes, pooling, every layer's shape and bytes, and the known settings
}

export function getCheckpointRow(db: Db, id: number): CheckpointRow {
  const r = db.prepare('SELECT id, run_id, step, phase, path, sha256 FROM checkpoints WHERE id = ?').get(id) as
    | { id: number; run_id: number | null; step: number | null; phase: string | null; path: string; sha256: string }
    | undefined;
  if (!r) throw new Error(`no checkpoint with id ${id} in the workspace`);
  return { id: r.id, runId: r.run_id, step: r.step, phase: r.phase, path: r.path, sha256: r.sha256 };
}

export function getProbeSetRow(db: Db, id: number): ProbeSetRow {
  const r = db.prepare('SELECT id, name, sha256, n_texts, path FROM probe_sets WHERE id = ?').get(id) as
    | { id: number; name: string; sha256: string; n_texts: number; path: string | null }
    | undefined;
  if (!r) throw new Error(`no probe set with id ${id} in the workspace`);
  return { id: r.id, name: r.name, sha256: r.sha256, nTexts: r.n_texts, path: r.path };
}

export function describeCheckpoint(c: CheckpointRow): string {
  return `checkpoint ${c.id} (${c.path})`;
}

/** Decodes one blob, checking its byte length against the stored shape. */
function decodeBlob(what: string, dtype: string, shapeText: string, data: Buffer): DenseMatrix {
  let shape: unknown;
  try {
    shape = JSON.parse(shapeText);
  } catch {
    throw new Error(`${what}: stored shape ${JSON.stringify(shapeText)} is not JSON`);
  }
  if (!Array.isArray(shape) || shape.length !== 2 || !shape.every((s) => Number.isInteger(s) && s > 0)) {
    throw new Error(`${what}: stored shape ${shapeText} is not [rows, width]`);
  }
  const [rows, cols] = shape as [number, number];
  const itemBytes = dtype === 'float32' ? 4 : dtype === 'float64' ? 8 : 0;
  if (!itemBytes) throw new Error(`${what}: unsupported dtype ${dtype}`);
  if (data.byteLength !== rows * cols * itemBytes) {
    throw new Error(`${what}: corrupt blob: ${data.byteLength} bytes, shape [${rows}, ${cols}] of ${dtype} needs ${rows * cols * itemBytes}`);
  }
  // Copy into an aligned buffer: SQLite blobs may sit at any byte offset.
  const out = dtype === 'float32' ? new Float32Array(rows * cols) : new Float64Array(rows * cols);
  new Uint8Array(out.buffer).set(data);
  return { rows, cols, data: out };
}

/** Every requested layer of one checkpoint's activations, validated; throws before anything is computed. */
export function loadActivations(db: Db, src: ActivationSource): LoadedActivations {
  const checkpoint = getCheckpointRow(db, src.checkpointId);
  const probeSet = getProbeSetRow(db, src.probeSetId);
  const who = describeCheckpoint(checkpoint);
  const stored = db
    .prepare('SELECT layer FROM activations WHERE checkpoint_id = ? AND probe_set_id = ? AND pooling = ? ORDER BY layer')
    .pluck()
    .all(src.checkpointId, src.probeSetId, src.pooling) as number[];
  if (stored.length === 0) {
    throw new Error(`${who}: no ${src.pooling}-pooled activations stored for probe set ${probeSet.id} (${probeSet.name}); run \`analyze activations\` first`);
  }
  const layers = src.layers ?? stored;
  if (layers.length === 0) throw new Error(`${who}: no layers requested`);
  const have = new Set(stored);
  const missing = layers.filter((l) => !have.has(l));
  if (missing.length) {
    throw new Error(`${who}: layer ${missing.join(', ')} missing from the stored ${src.pooling}-pooled activations (stored: ${stored[0]}..${stored[stored.length - 1]}, ${stored.length} layers)`);
  }
  const sel = db.prepare('SELECT dtype, shape, data, extraction FROM activations WHERE checkpoint_id = ? AND probe_set_id = ? AND layer = ? AND pooling = ?');
  const h = createHash('sha256').update(`${checkpoint.sha256}\n${probeSet.sha256}\n${src.pooling}\n`);
  const matrices: DenseMatrix[] = [];
  let known: { layer: number; settings: ExtractionSettings } | null = null;
  let unknown = false;
  for (const layer of layers) {
    const r = sel.get(src.checkpointId, src.probeSetId, layer, src.pooling) as { dtype: string; shape: string; data: Buffer; extraction: string | null };
    const what = `${who} layer ${layer} (${src.pooling})`;
    const m = decodeBlob(what, r.dtype, r.shape, r.data);
    if (matrices.length && m.rows !== matrices[0].rows) {
      throw new Error(`${who} layer ${layer}: ${m.rows} rows, layer ${layers[0]} has ${matrices[0].rows}`);
    }
    const settings = parseStoredExtraction(r.extraction, what);
    if (settings === null) unknown = true;
    else if (known === null) known = { layer, settings };
    else {
      // Layers of one set logged under settings that gave other inputs (a partial re-log): refuse.
      const d = extractionDifference(known.settings, settings, src.pooling);
      if (d) throw new Error(`${who}: layer ${layer} was logged with ${d.b} but layer ${known.layer} with ${d.a}; re-log its activations (npm run analyze -- activations --model ${checkpoint.path} --probe ${probeSet.path ?? 'FILE'})`);
    }
    h.update(`${layer}:${r.dtype}:${m.rows}x${m.cols}\n`).update(r.data);
    matrices.push(m);
  }
  // Layers of unknown settings make the whole set's unknown: its rows may have come from another logging.
  const extraction = unknown || known === null ? null : known.settings;
  // Settings enter the digest (and so every cache key) only when known, so rows logged before they
  // were recorded keep their cached results; a set re-logged under other settings gets a new key even
  // where its bytes came out identical.
  if (extraction) h.update(`extraction:${canonicalJson(extractionIdentity(extraction))}\n`);
  return { checkpoint, probeSet, pooling: src.pooling, layers, matrices, rows: matrices[0].rows, extraction, digest: h.digest('hex') };
}

/** The CLI flag that re-logs a set with one side's value of the differing setting. */
function relogFlag(d: SettingDifference, s: ExtractionSettings): string {
  switch (d.setting) {
    case 'max_length':
      return ` --max-length ${s.max_length ?? s.truncated_to}`;
    case 'tokenizer':
    case 'input ids':
      return ` --tokenizer ${s.tokenizer_path}`;
    case 'tokens_per_text':
      return ` --tokens-per-text ${s.tokens_per_text}`;
    case 'position_seed':
      return '';
  }
}

/**
 * Refuses two activation sets extracted under different known settings (another truncation, another
 * tokenizer, or for 'tokens' pooling other sampled positions): their rows would describe different
 * inputs. Unknown settings on either side pass (see extractionWarnings).
 */
export function assertSameExtraction(a: LoadedActivations, b: LoadedActivations): void {
  if (!a.extraction || !b.extraction) return;
  const d = extractionDifference(a.extraction, b.extraction, a.pooling);
  if (!d) return;
  const probe = b.probeSet.path ?? 'FILE';
  throw new Error(
    `${describeCheckpoint(a.checkpoint)} was logged with ${d.a}, ${describeCheckpoint(b.checkpoint)} with ${d.b}: ` +
      `CKA would compare different inputs; re-log one of them with the same settings ` +
      `(npm run analyze -- activations --model ${b.checkpoint.path} --probe ${probe}${relogFlag(d, a.extraction)})`,
  );
}

/** One line per checkpoint among `sets` whose extraction settings are unknown (kept visible in results). */
export function extractionWarnings(sets: LoadedActivations[]): string[] {
  const seen = new Set<number>();
  const out: string[] = [];
  for (const s of sets) {
    if (s.extraction || seen.has(s.checkpoint.id)) continue;
    seen.add(s.checkpoint.id);
    out.push(
      `${describeCheckpoint(s.checkpoint)}: the tokenizer and truncation its activations were logged with are unknown ` +
        `(logged before they were recorded), so they may differ from the other side's; ` +
        `re-log it to check (npm run analyze -- activations --model ${s.checkpoint.path} --probe ${s.probeSet.path ?? 'FILE'})`,
    );
  }
  return out;
}

/**
 * Two models' activations are comparable when they describe the same probe examples: the same probe
 * set (by content hash), pooling, rows, layer list, and (where known) extraction settings.
 */
export function assertComparable(a: LoadedActivations, b: LoadedActivations): void {
  const wa = describeCheckpoint(a.checkpoint);
  const wb = describeCheckpoint(b.checkpoint);
  if (a.probeSet.sha256 !== b.probeSet.sha256) {
    throw new Error(`${wa} uses probe set ${a.probeSet.id} (${a.probeSet.name}) but ${wb} uses probe set ${b.probeSet.id} (${b.probeSet.name}): compare activations of the same probe set`);
  }
  if (a.pooling !== b.pooling) throw new Error(`${wa} is ${a.pooling}-pooled but ${wb} is ${b.pooling}-pooled`);
  assertSameExtraction(a, b); // before the row count: other tokens_per_text also changes it, and this says why
  if (a.rows !== b.rows) throw new Error(`${wa} has ${a.rows} examples but ${wb} has ${b.rows}: different example counts`);
  if (a.layers.join(',') !== b.layers.join(',')) {
    throw new Error(`${wa} has layers [${a.layers.join(', ')}] but ${wb} has [${b.layers.join(', ')}]: same-layer comparison needs the same layers`);
  }
}

/** The same record without its matrices (validated and digested, but not held in memory). */
export function lighten(l: LoadedActivations): LoadedActivations {
  return { ...l, matrices: [] };
}

/** Matrices of a record, re-read if it was lightened; the bytes must still match its digest. */
export function matricesOf(db: Db, l: LoadedActivations): LoadedActivations['matrices'] {
  if (l.matrices.length) return l.matrices;
  const again = loadActivations(db, { checkpointId: l.checkpoint.id, probeSetId: l.probeSet.id, pooling: l.pooling, layers: l.layers });
  if (again.digest !== l.digest) throw new Error(`${describeCheckpoint(l.checkpoint)}: activations changed while the analysis ran; run it again`);
  return again.matrices;
}
