// The activations table: pooled hidden states as float32 blobs, one per checkpoint x probe set x
// layer x pooling, each with the settings it was extracted under (extraction: JSON, NULL = unknown,
// for rows logged before migration 3). Written all layers at once, in one transaction, so a failed or
// killed logging step never leaves a checkpoint with only some of its layers.
import type { Db } from './db';
import { parseExtractionSettings, type ExtractionSettings } from '../../native-runner/activations/extraction-settings';

export type Pooling = 'mean' | 'cls' | 'tokens';
export type { ExtractionSettings };

export interface ActivationBlock {
  layer: number;           // 0 = embedding output, l = output of layer l-1 (HF hidden_states order)
  pooling: Pooling;
  shape: [number, number]; // [n_texts (or sampled positions), hidden]
  data: Float32Array;      // row-major, shape[0] * shape[1] values
  extraction?: ExtractionSettings | null; // tokenizer / truncation / sampling; absent or null: unknown
}

export function putActivations(db: Db, checkpointId: number, probeSetId: number, blocks: ActivationBlock[]): void {
  for (const b of blocks) {
    if (b.data.length !== b.shape[0] * b.shape[1]) {
      throw new Error(`activation block layer ${b.layer}/${b.pooling}: ${b.data.length} values for shape [${b.shape.join(', ')}]`);
    }
  }
  const ins = db.prepare(
    `INSERT OR REPLACE INTO activations (checkpoint_id, probe_set_id, layer, pooling, dtype, shape, data, extraction)
     VALUES (?, ?, ?, ?, 'float32', ?, ?, ?)`,
  );
  db.transaction(() => {
    for (const b of blocks) {
      const bytes = Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength);
      ins.run(checkpointId, probeSetId, b.layer, b.pooling, JSON.stringify(b.shape), bytes, b.extraction ? JSON.stringify(b.extraction) : null);
    }
  })();
}

/** Parses a row's extraction column; `where` names the row in errors. */
export function parseStoredExtraction(text: string | null, where: string): ExtractionSettings | null {
  if (text === null) return null;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new Error(`${where}: stored extraction settings are not JSON`);
  }
  return parseExtractionSettings(v, where);
}

export function getActivation(db: Db, checkpointId: number, probeSetId: number, layer: number, pooling: Pooling): ActivationBlock | null {
  const r = db
    .prepare('SELECT shape, data, extraction FROM activations WHERE checkpoint_id = ? AND probe_set_id = ? AND layer = ? AND pooling = ?')
    .get(checkpointId, probeSetId, layer, pooling) as { shape: string; data: Buffer; extraction: string | null } | undefined;
  if (!r) return null;
  // Copy into an aligned buffer: SQLite blobs may sit at any byte offset.
  const data = new Float32Array(r.data.byteLength / 4);
  new Uint8Array(data.buffer).set(r.data);
  const extraction = parseStoredExtraction(r.extraction, `checkpoint ${checkpointId} layer ${layer} (${pooling})`);
  return { layer, pooling, shape: JSON.parse(r.shape) as [number, number], data, extraction };
}

export function activationLayers(db: Db, checkpointId: number, probeSetId: number, pooling: Pooling): number[] {
  return db
    .prepare('SELECT layer FROM activations WHERE checkpoint_id = ? AND probe_set_id = ? AND pooling = ? ORDER BY layer')
    .pluck()
    .all(checkpointId, probeSetId, pooling) as number[];
}

/**
 * The distinct extraction settings stored for one checkpoint x probe set over the given poolings
 * (null entries: rows of unknown settings). One entry means every block was logged the same way.
 */
export function storedExtractions(db: Db, checkpointId: number, probeSetId: number, poolings: Pooling[]): (ExtractionSettings | null)[] {
  const rows = db
    .prepare(`SELECT DISTINCT extraction FROM activations WHERE checkpoint_id = ? AND probe_set_id = ? AND pooling IN (${poolings.map(() => '?').join(', ')})`)
    .pluck()
    .all(checkpointId, probeSetId, ...poolings) as (string | null)[];
  return rows.map((t) => parseStoredExtraction(t, `checkpoint ${checkpointId}, probe set ${probeSetId}`));
}
