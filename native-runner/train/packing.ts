// Packed optimizer storage. Parameters and AdamW moments live in a few flat Float32Arrays, one per
// segment = (freeze group, weight-decay class); the TrainState maps hold subarray views into them.
// The train-step graph then runs AdamW once per segment (≈12 nodes each) instead of once per
// parameter, and the runner binds each flat segment as both input and in-place output.
// The layout does not depend on the freeze pattern, so runners for different phases share it.
import type { ModernBertConfig } from '../model/config';
import { normSlot, parameterSpecs, type ParamSpec } from '../model/params';
import type { TrainState } from './step-api';
import { collectGarbage } from '../util/gc';

/** Bytes copied into the packed buffers above which the replaced arrays are collected at once. */
const COLLECT_AFTER_BYTES = 64 * 2 ** 20;

export interface Segment {
  key: string;                  // e.g. "layer3.decay", "embeddings.nodecay"
  slot: number;                 // per-layer grad-norm slot: 0 embeddings, 1..L layers, L+1 head
  decay: boolean;
  specs: ParamSpec[];
  offsets: number[];            // start of each parameter inside the segment
  length: number;
}

export function segmentsOf(cfg: ModernBertConfig): Segment[] {
  const L = cfg.num_hidden_layers;
  const bySlot = new Map<string, Segment>();
  for (const s of parameterSpecs(cfg)) {
    const slot = normSlot(s, L);
    const groupName = slot === 0 ? 'embeddings' : slot === L + 1 ? 'head' : `layer${slot - 1}`;
    const key = `${groupName}.${s.decay ? 'decay' : 'nodecay'}`;
    let seg = bySlot.get(key);
    if (!seg) bySlot.set(key, (seg = { key, slot, decay: s.decay, specs: [], offsets: [], length: 0 }));
    seg.specs.push(s);
    seg.offsets.push(seg.length);
    seg.length += s.shape.reduce((a, b) => a * b, 1);
  }
  return [...bySlot.values()];
}

export type Kind = 'params' | 'expAvg' | 'expAvgSq';
const KINDS: Kind[] = ['params', 'expAvg', 'expAvgSq'];

export interface PackedState {
  segments: Segment[];
  flat: Record<Kind, Map<string, Float32Array>>;            // segment key -> flat buffer
  views: Record<Kind, Map<string, Float32Array>>;           // parameter name -> view into its segment
}

const packed = new WeakMap<TrainState, PackedState>();

function checkArray(kind: Kind, s: ParamSpec, t: Float32Array | undefined): Float32Array {
  const n = s.shape.reduce((a, b) => a * b, 1);
  if (!t) throw new Error(`TrainState.${kind} is missing "${s.name}" [${s.shape}]`);
  if (!(t instanceof Float32Array)) throw new Error(`TrainState.${kind}["${s.name}"] must be a Float32Array`);
  if (t.length !== n) throw new Error(`TrainState.${kind}["${s.name}"] has ${t.length} values, shape [${s.shape}] needs ${n}`);
  return t;
}

function allocatePacked(segments: Segment[]): PackedState {
  const p: PackedState = { segments, flat: { params: new Map(), expAvg: new Map(), expAvgSq: new Map() }, views: { params: new Map(), expAvg: new Map(), expAvgSq: new Map() } };
  for (const seg of segments) {
    for (const kind of KINDS) {
      const buf = new Float32Array(seg.length);
      p.flat[kind].set(seg.key, buf);
      seg.specs.forEach((s, i) => {
        p.views[kind].set(s.name, buf.subarray(seg.offsets[i], seg.offsets[i] + s.shape.reduce((a, b) => a * b, 1)));
      });
    }
  }
  return p;
}

/**
 * A TrainState born packed: zero parameters and moments, adamStep 0, its maps already holding the
 * views. Fill the parameters in place (initParameters' `into`, or `fillPacked` from loaded arrays):
 * packing a separately allocated state afterwards holds every tensor twice for a moment, and with
 * the runner's malloc settings (util/malloc-tunables.ts) that moment's peak stays resident.
 */
export function newPackedState(cfg: ModernBertConfig): TrainState {
  const p = allocatePacked(segmentsOf(cfg));
  // keys in parameterSpecs order, as a state built from initParameters or a checkpoint has them
  const names = parameterSpecs(cfg).map((s) => s.name);
  const maps = (kind: Kind) => new Map(names.map((n) => [n, p.views[kind].get(n)!]));
  const state: TrainState = { params: maps('params'), expAvg: maps('expAvg'), expAvgSq: maps('expAvgSq'), adamStep: 0 };
  packed.set(state, p);
  return state;
}

/**
 * Copy `source` tensors (e.g. a loaded model's parameters, by HF name) into `state`'s packed
 * views, dropping each from `source` as it goes so its array can be collected; names `state`
 * does not hold are ignored, a missing or mis-sized one is an error (nothing is written then).
 */
export function fillPacked(state: TrainState, kind: Kind, source: Map<string, Float32Array>): void {
  const views = state[kind];
  for (const [name, view] of views) {
    const t = source.get(name);
    if (!t) throw new Error(`${kind}: missing "${name}"`);
    if (t.length !== view.length) throw new Error(`${kind}["${name}"] has ${t.length} values, ${view.length} expected`);
  }
  let copied = 0;
  for (const [name, view] of views) {
    const t = source.get(name)!;
    view.set(t);
    source.delete(name);
    copied += t.byteLength;
  }
  if (copied > COLLECT_AFTER_BYTES) collectGarbage();
}

/**
 * Make `state` packed (first call: copy every tensor into segment buffers and put views into the
 * maps) and keep it so: a tensor the caller swapped into a map since (e.g. a loaded checkpoint) is
 * validated, copied into its slot, and the map entry set back to the view. All checks happen before
 * anything is written, so a bad state leaves the old one untouched.
 */
export function ensurePacked(cfg: ModernBertConfig, state: TrainState): PackedState {
  const segments = segmentsOf(cfg);
  let p = packed.get(state);
  if (p && p.segments.length !== segments.length) p = undefined;      // another architecture: repack
  // validate first
  for (const seg of segments) {
    for (const s of seg.specs) for (const kind of KINDS) {
      const t = checkArray(kind, s, state[kind].get(s.name));
      if (p && t !== p.views[kind].get(s.name) && t.length !== p.views[kind].get(s.name)!.length) {
        throw new Error(`TrainState.${kind}["${s.name}"] has ${t.length} values`);
      }
    }
  }
  if (!p) {
    p = allocatePacked(segments);                     // filled by the re-homing loop below, which counts what it copied
    packed.set(state, p);
  }
  let copied = 0;
  for (const kind of KINDS) {
    for (const [name, view] of p.views[kind]) {
      const t = state[kind].get(name)!;
      if (t !== view) {
        view.set(t);
        state[kind].set(name, view);
        copied += t.byteLength;
      }
    }
  }
  if (copied > COLLECT_AFTER_BYTES) collectGarbage();   // the replaced arrays (util/gc.ts says why)
  return p;
}

/** Flat segment buffers from per-parameter arrays (tests and float64 checks build feeds with this). */
export function flattenSegment<T extends Float32Array | Float64Array>(seg: Segment, get: (name: string) => ArrayLike<number>, make: (n: number) => T): T {
  const out = make(seg.length);
  seg.specs.forEach((s, i) => out.set(get(s.name), seg.offsets[i]));
  return out;
}

/**
 * Point `state` at new flat buffers for one segment: the same values, moved (adamw-threads.ts
 * transfers a segment's buffers to a worker thread and back, which detaches the old arrays). Sets
 * the packed record's flat buffers and views and the state's map entries; returns the arrays it
 * replaced (detached now), so a cache keyed by them can drop them.
 */
export function rehomeSegment(state: TrainState, segmentKey: string, flat: Record<Kind, Float32Array>): Float32Array[] {
  const p = packed.get(state);
  if (!p) throw new Error('rehomeSegment: the state is not packed');
  const seg = p.segments.find((s) => s.key === segmentKey);
  if (!seg) throw new Error(`rehomeSegment: no segment "${segmentKey}"`);
  for (const kind of KINDS) {
    if (flat[kind].length !== seg.length) throw new Error(`rehomeSegment: ${kind} of "${segmentKey}" has ${flat[kind].length} values, ${seg.length} expected`);
  }
  const replaced: Float32Array[] = [];
  for (const kind of KINDS) {
    const buf = flat[kind];
    replaced.push(p.flat[kind].get(seg.key)!);
    p.flat[kind].set(seg.key, buf);
    seg.specs.forEach((s, i) => {
      const view = buf.subarray(seg.offsets[i], seg.offsets[i] + s.shape.reduce((a, b) => a * b, 1));
      replaced.push(p.views[kind].get(s.name)!);
      p.views[kind].set(s.name, view);
      state[kind].set(s.name, view);
    });
  }
  return replaced;
}
