// The analysis service: what the CLI (and the typed API) call. Models are named by a checkpoint id or
// a model directory (ours or Hugging Face's); activations are logged on demand when a probe file is
// given, else the stored ones are used. Every result is a plain JSON-able object.
import fs from 'node:fs';
import path from 'node:path';
import type { ExtractionSettings } from '../../native-runner/activations/extraction-settings';
import type { Pooling } from '../../native-runner/activations/pooling';
import type { LayerGroupName } from '../../native-runner/train/recipes';
import type { Db } from '../store/db';
import { checkpointIdFor, exportActivationsNpy, logActivations } from './activation-log';
import { compareStored } from './comparisons';
import type { CompareRequest, CompareResult } from './comparisons';
import { probeStored } from './probe-stored';
import type { ProbeStoredRequest, ProbeStoredResult } from './probe-stored';
import { getCheckpointRow } from './stored-activations';
import { runCheckpointIds, trajectory } from './trajectory';
import type { TrajectoryResult } from './trajectory';
import { transplant } from './transplant';
import type { TransplantResult } from './transplant';

export type Progress = (message: string) => void;

/** A model named by checkpoint id (a number, or digits) or by its directory. */
export type ModelRef = number | string;

export interface ActivationInputs {
  probe?: string; // probe file: log activations if missing (else use the stored ones)
  tokenizer?: string; // default: the model directory
  batchSize?: number;
  maxLength?: number;
  tokensPerText?: number; // sampled positions per text for 'tokens' pooling (default: the run's, else 4)
  onProgress?: Progress;
}

/**
 * How a run logs its probe-set activations (run config: probe_set.tokenizer or data.tokenizer,
 * probe_set.max_length or seq_len, probe_set.tokens_per_text). Activations computed here for that
 * run's checkpoints, and for models compared with them, use the same settings unless told otherwise:
 * texts cut at another length would differ for reasons that have nothing to do with the weights (and
 * comparisons refuse sets whose recorded settings differ, see stored-activations.ts).
 */
export function runActivationDefaults(db: Db, runId: number | null): { tokenizer?: string; maxLength?: number; tokensPerText?: number; probe?: string } {
  if (runId === null) return {};
  const text = db.prepare('SELECT config FROM runs WHERE id = ?').pluck().get(runId) as string | undefined;
  if (text === undefined) return {};
  const cfg = JSON.parse(text) as { data?: unknown; seq_len?: unknown; probe_set?: { path?: unknown; tokenizer?: unknown; max_length?: unknown; tokens_per_text?: unknown } };
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const num = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) ? v : undefined);
  const dataTokenizer = cfg.data && typeof cfg.data === 'object' ? str((cfg.data as { tokenizer?: unknown }).tokenizer) : undefined;
  return {
    tokenizer: str(cfg.probe_set?.tokenizer) ?? dataTokenizer,
    maxLength: num(cfg.probe_set?.max_length) ?? num(cfg.seq_len),
    tokensPerText: num(cfg.probe_set?.tokens_per_text),
    probe: str(cfg.probe_set?.path),
  };
}

const isDir = (ref: ModelRef): ref is string => typeof ref === 'string' && fs.existsSync(ref) && fs.statSync(ref).isDirectory();
const isId = (ref: ModelRef): boolean => typeof ref === 'number' || /^\d+$/.test(ref);

/** The run a model reference belongs to (null: an imported directory, or not registered yet). */
function runIdOf(db: Db, ref: ModelRef): number | null {
  const row = isDir(ref)
    ? db.prepare('SELECT run_id FROM checkpoints WHERE path = ?').pluck().get(path.resolve(ref))
    : isId(ref)
      ? db.prepare('SELECT run_id FROM checkpoints WHERE id = ?').pluck().get(Number(ref))
      : undefined;
  return (row as number | null | undefined) ?? null;
}

/** Activation settings for models compared together: the user's, else those of the first run checkpoint among them. */
export function sharedInputs(db: Db, refs: ModelRef[], o: ActivationInputs): ActivationInputs {
  if (!o.probe || (o.tokenizer && o.maxLength && o.tokensPerText)) return o;
  for (const ref of refs) {
    const d = runActivationDefaults(db, runIdOf(db, ref));
    if (d.maxLength !== undefined || d.tokenizer !== undefined) {
      return { ...o, tokenizer: o.tokenizer ?? d.tokenizer, maxLength: o.maxLength ?? d.maxLength, tokensPerText: o.tokensPerText ?? d.tokensPerText };
    }
  }
  return o;
}

/** Passes on progress only when it crosses another tenth of the total (one line per 10%). */
function tenths(report: (done: number, total: number) => void): (done: number, total: number) => void {
  let last = -1;
  return (done, total) => {
    const tenth = Math.floor((10 * done) / total);
    if (tenth > last) {
      last = tenth;
      report(done, total);
    }
  };
}

/** Checkpoint id of a model reference; a directory is registered on first use (by its weights' hash). */
export function resolveCheckpoint(db: Db, ref: ModelRef): number {
  if (isDir(ref)) {
    if (!fs.existsSync(path.join(ref, 'config.json'))) throw new Error(`${ref}: not a model directory (no config.json)`);
    return checkpointIdFor(db, ref);
  }
  if (isId(ref)) return getCheckpointRow(db, Number(ref)).id;
  throw new Error(`${ref}: not a model directory nor a checkpoint id`);
}

/** The directory of a model reference (a checkpoint id resolves to its recorded path). */
export function modelDirOf(db: Db, ref: ModelRef): string {
  if (isDir(ref)) return ref;
  if (isId(ref)) return getCheckpointRow(db, Number(ref)).path;
  throw new Error(`${ref}: not a model directory nor a checkpoint id`);
}

function probeSetsWithActivations(db: Db, checkpointId: number, pooling: Pooling): { id: number; name: string }[] {
  return db
    .prepare(
      `SELECT DISTINCT p.id, p.name FROM activations a JOIN probe_sets p ON p.id = a.probe_set_id
       WHERE a.checkpoint_id = ? AND a.pooling = ? ORDER BY p.id`,
    )
    .all(checkpointId, pooling) as { id: number; name: string }[];
}

/**
 * (checkpoint id, probe set id) of a model's activations. With a probe file they are logged when
 * missing; without one, the model must have activations of exactly one probe set stored.
 */
export async function ensureActivations(
  db: Db,
  ref: ModelRef,
  o: ActivationInputs & { pooling?: Pooling },
): Promise<{ checkpointId: number; probeSetId: number; logged: boolean; extraction?: ExtractionSettings }> {
  const checkpointId = resolveCheckpoint(db, ref);
  const row = getCheckpointRow(db, checkpointId);
  if (o.probe) {
    const run = runActivationDefaults(db, row.runId);
    const tokenizer = o.tokenizer ?? run.tokenizer ?? row.path;
    if (tokenizer === row.path && !fs.existsSync(path.join(row.path, 'tokenizer.json'))) {
      throw new Error(`${row.path}: no tokenizer.json in the model directory; pass --tokenizer DIR`);
    }
    const r = await logActivations(db, {
      modelDir: row.path,
      probeSet: o.probe,
      tokenizer,
      batchSize: o.batchSize,
      maxLength: o.maxLength ?? run.maxLength,
      tokensPerText: o.tokensPerText ?? run.tokensPerText,
      onProgress: o.onProgress ? tenths((done, total) => o.onProgress!(`activations of ${row.path}: ${done}/${total} texts`)) : undefined,
    });
    if (!r.cached) o.onProgress?.(`activations of ${row.path}: ${r.layers} layers stored in ${r.seconds.toFixed(1)} s`);
    return { checkpointId, probeSetId: r.probeSetId, logged: !r.cached, extraction: r.extraction };
  }
  const pooling = o.pooling ?? 'mean';
  const sets = probeSetsWithActivations(db, checkpointId, pooling);
  if (sets.length === 0) throw new Error(`checkpoint ${checkpointId} (${row.path}): no ${pooling}-pooled activations stored; pass --probe FILE to compute them`);
  if (sets.length > 1) throw new Error(`checkpoint ${checkpointId} (${row.path}) has activations of several probe sets (${sets.map((s) => `${s.id} ${s.name}`).join(', ')}); pass --probe FILE to choose`);
  return { checkpointId, probeSetId: sets[0].id, logged: false };
}

export interface CompareModelsRequest extends Omit<CompareRequest, 'a' | 'b' | 'control'>, ActivationInputs {
  a: ModelRef;
  b: ModelRef;
  control?: { a: ModelRef; b: ModelRef };
}

export async function compareModels(db: Db, req: CompareModelsRequest): Promise<CompareResult> {
  const inputs = { ...req, ...sharedInputs(db, [req.a, req.b, ...(req.control ? [req.control.a, req.control.b] : [])], req) };
  const src = (ref: ModelRef) => ensureActivations(db, ref, inputs);
  const a = await src(req.a);
  const b = await src(req.b);
  const control = req.control ? { a: await src(req.control.a), b: await src(req.control.b) } : undefined;
  return compareStored(db, { ...req, a, b, control });
}

export interface ProbeModelRequest extends Omit<ProbeStoredRequest, 'checkpointId' | 'probeSetId'>, ActivationInputs {
  model: ModelRef;
}

export async function probeModel(db: Db, req: ProbeModelRequest): Promise<ProbeStoredResult> {
  const s = await ensureActivations(db, req.model, req);
  return probeStored(db, { ...req, checkpointId: s.checkpointId, probeSetId: s.probeSetId, probeFile: req.probe });
}

export interface TrajectoryModelRequest extends ActivationInputs {
  runId: number;
  ref: ModelRef;
  pooling?: Pooling;
  layers?: number[];
  debiased?: boolean;
  force?: boolean;
}

/** Trajectory of a run vs a reference; with a probe file, missing activations are logged first. */
export async function runTrajectory(db: Db, req: TrajectoryModelRequest): Promise<TrajectoryResult> {
  const ids = runCheckpointIds(db, req.runId);
  const d = runActivationDefaults(db, req.runId);
  const inputs = req.probe ? { ...req, tokenizer: req.tokenizer ?? d.tokenizer, maxLength: req.maxLength ?? d.maxLength, tokensPerText: req.tokensPerText ?? d.tokensPerText } : req;
  const ref = await ensureActivations(db, req.ref, inputs);
  if (req.probe) for (const id of ids) await ensureActivations(db, id, inputs);
  return trajectory(db, { ...req, ref: { checkpointId: ref.checkpointId }, probeSetId: ref.probeSetId });
}

export interface TransplantModelRequest extends ActivationInputs {
  a: string;
  b: string;
  out: string;
  group?: LayerGroupName;
  layers?: number[];
  embeddings?: boolean;
  head?: boolean;
  pooling?: Pooling;
  labelSets?: string[];
  probeOptions?: ProbeStoredRequest['options'];
}

export interface TransplantModelResult {
  transplant: TransplantResult;
  checkpointId: number;
  /** Same-layer divergence of the transplanted model from A and from B (with a probe file). */
  divergence?: { layers: number[]; fromA: number[]; fromB: number[] };
  probes?: ProbeStoredResult; // when the probe file has label sets
}

/** Builds the transplanted model; with a probe file, computes its activations, divergences and probes. */
export async function transplantModel(db: Db, req: TransplantModelRequest): Promise<TransplantModelResult> {
  const t = transplant(req);
  req.onProgress?.(`transplant: layers [${t.layers.join(', ')}]${t.embeddings ? ' + embeddings' : ''}${t.head ? ' + head' : ''} from ${t.a.path} into ${t.b.path} -> ${t.out}`);
  const checkpointId = resolveCheckpoint(db, t.out);
  if (!req.probe) return { transplant: t, checkpointId };
  // The tokenizer of B serves all three models (they share the architecture and vocabulary).
  const tokenizer = req.tokenizer ?? (fs.existsSync(path.join(req.b, 'tokenizer.json')) ? req.b : undefined);
  const inputs = sharedInputs(db, [req.b, req.a], { ...req, tokenizer });
  const m = await ensureActivations(db, t.out, inputs);
  const a = await ensureActivations(db, req.a, inputs);
  const b = await ensureActivations(db, req.b, inputs);
  const vsA = await compareStored(db, { a: m, b: a, pooling: req.pooling });
  const vsB = await compareStored(db, { a: m, b, pooling: req.pooling });
  const out: TransplantModelResult = { transplant: t, checkpointId, divergence: { layers: vsA.layers, fromA: vsA.divergence, fromB: vsB.divergence } };
  const probe = await probeStored(db, { checkpointId: m.checkpointId, probeSetId: m.probeSetId, pooling: req.pooling, labelSets: req.labelSets, probeFile: req.probe, options: req.probeOptions }).catch((e: Error) => {
    if (/has no label sets/.test(e.message)) return undefined; // a plain-text probe set: nothing to probe
    throw e;
  });
  if (probe) out.probes = probe;
  return out;
}

/** One .npy per layer of a model's stored activations (logged first when a probe file is given). */
export async function exportNpy(db: Db, ref: ModelRef, outDir: string, o: ActivationInputs & { pooling?: Pooling }): Promise<{ checkpointId: number; probeSetId: number; files: string[] }> {
  const s = await ensureActivations(db, ref, o);
  return { ...s, files: exportActivationsNpy(db, s.checkpointId, s.probeSetId, o.pooling ?? 'mean', outDir) };
}
