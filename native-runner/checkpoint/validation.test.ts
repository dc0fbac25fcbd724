// Checkpoint files that must be refused: overlapping or non-tiling safetensors offsets, and weights
// with NaN / Infinity (at load: import, init_from, analyze; at save: never written).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { presetConfig } from '../model/config';
import type { TrainState } from '../train/step-api';
import { configHash, loadModelDir, TRAINER_STATE_FORMAT, writeCheckpoint, type TrainerState } from './checkpoint';
import { expectedParamShapes } from './hf-params';
import { parseSafetensors, readSafetensorsInto } from './safetensors';

const root = mkdtempSync(join(tmpdir(), 'ckpt-valid-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const cfg = presetConfig('tiny', { vocab_size: 40, pad_token_id: 0, cls_token_id: 1, sep_token_id: 2 });

function state(): TrainState {
  const s: TrainState = { params: new Map(), expAvg: new Map(), expAvgSq: new Map(), adamStep: 1 };
  for (const [name, shape] of expectedParamShapes(cfg)) {
    const n = shape.reduce((a, b) => a * b, 1);
    s.params.set(name, Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 0.02));
    s.expAvg.set(name, new Float32Array(n));
    s.expAvgSq.set(name, new Float32Array(n));
  }
  return s;
}
const trainer: TrainerState = { format: TRAINER_STATE_FORMAT, step: 2, phase_index: 0, phase: 'mlm', phase_step: 2, scheduler: { segment_start: 0, position: 2, total: 4 }, adam_step: 1, data_cursor: null, rng: {}, config_hash: configHash({}), seed: 0, saved_at: new Date(0).toISOString() };

/** A safetensors file written by hand with the given header (entries' offsets as given). */
function raw(header: Record<string, unknown>, dataBytes: number): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, Buffer.alloc(dataBytes)]);
}

describe('safetensors offsets must tile the data section (item 15)', () => {
  it('accepts a tiling file', () => {
    const f = raw({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, 12);
    expect([...parseSafetensors(f, 'ok.safetensors').tensors.keys()]).toEqual(['a', 'b']);
  });
  it.each([
    ['overlapping', { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, 12, /x\.safetensors: tensor "b": data_offsets \[4, 12\] overlap tensor "a"/],
    ['aliased', { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 8, /overlap tensor "a"/],
    ['with a gap', { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, 12, /tensor "b": .* leave bytes 4\.\.8/],
    ['with trailing bytes', { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 16, /cover 4 bytes but the data section has 16/],
  ])('refuses offsets %s', (_n, header, bytes, message) => {
    expect(() => parseSafetensors(raw(header, bytes), 'x.safetensors')).toThrow(message);
  });
});

describe('non-finite weights (items 9, 15)', () => {
  it('a checkpoint with NaN weights or moments is not written at all', () => {
    const s = state();
    s.params.get('model.layers.1.mlp.Wo.weight')![5] = NaN;
    const dir = join(root, 'ckpt-nan');
    expect(() => writeCheckpoint(dir, { modelConfig: cfg, state: s, trainer })).toThrow(/tensor "model\.layers\.1\.mlp\.Wo\.weight" has a non-finite value \(NaN\) at flat index 5/);
    expect(existsSync(dir)).toBe(false);
    const m = state();
    m.expAvgSq.get('model.embeddings.norm.weight')![0] = Infinity;
    expect(() => writeCheckpoint(dir, { modelConfig: cfg, state: m, trainer })).toThrow(/"exp_avg_sq\.model\.embeddings\.norm\.weight" has a non-finite value \(Infinity\) at flat index 0/);
    expect(existsSync(dir)).toBe(false);
  });
  it('a model directory with a NaN weight is refused at load, naming the directory, tensor and index', () => {
    const dir = join(root, 'model-nan');
    writeCheckpoint(dir, { modelConfig: cfg, state: state(), trainer });
    expect(loadModelDir(dir).params.size).toBeGreaterThan(0);
    // Flip one float of a known tensor inside the file (its offsets come from the header).
    const file = join(dir, 'model.safetensors');
    const buf = readFileSync(file);
    const hlen = Number(buf.readBigUInt64LE(0));
    const header = JSON.parse(buf.subarray(8, 8 + hlen).toString());
    const [begin] = header['model.layers.2.attn.Wqkv.weight'].data_offsets as number[];
    buf.writeFloatLE(NaN, 8 + hlen + begin + 4 * 7);
    writeFileSync(file, buf);
    expect(() => loadModelDir(dir)).toThrow(`${dir}: weights are not usable: tensor "model.layers.2.attn.Wqkv.weight" has a non-finite value (NaN) at flat index 7`);
  });
});

describe('readSafetensorsInto: tensors straight into the caller\'s arrays (resume at base size)', () => {
  // a file with F32, F16 and BF16 tensors, and a 4-byte-misaligned F32 tensor after the F16 one
  const f16 = Uint16Array.of(0x3c00, 0xc000, 0x3555);           // 1, -2, 0.333...
  const bf16 = Uint16Array.of(0x3f80, 0x4040);                   // 1, 3
  const a = Float32Array.of(0.5, -1.25, 3);
  const odd = Float32Array.of(7.5);
  const header = {
    a: { dtype: 'F32', shape: [3], data_offsets: [0, 12] },
    h: { dtype: 'F16', shape: [3], data_offsets: [12, 18] },
    o: { dtype: 'F32', shape: [1], data_offsets: [18, 22] },
    b: { dtype: 'BF16', shape: [2], data_offsets: [22, 26] },
    __metadata__: { adam_step: '4' },
  };
  const file = join(root, 'mixed.safetensors');
  const bytes = raw(header, 26);
  const dataStart = bytes.length - 26;
  Buffer.from(a.buffer).copy(bytes, dataStart);
  Buffer.from(f16.buffer).copy(bytes, dataStart + 12);
  Buffer.from(odd.buffer).copy(bytes, dataStart + 18);
  Buffer.from(bf16.buffer).copy(bytes, dataStart + 22);
  writeFileSync(file, bytes);

  it('reads the same values as readSafetensors, for F32 (aligned or not), F16 and BF16', () => {
    const whole = parseSafetensors(readFileSync(file), file);
    const into = new Map([...whole.tensors].map(([k, t]) => [k, new Float32Array(t.data.length)]));
    const { metadata } = readSafetensorsInto(file, (e) => into.get(e.name));
    expect(metadata.adam_step).toBe('4');
    for (const [k, t] of whole.tensors) expect([...into.get(k)!], k).toEqual([...t.data]);
    expect(into.get('h')![0]).toBe(1);
    expect(into.get('h')![1]).toBe(-2);
    expect(into.get('h')![2]).toBeCloseTo(1 / 3, 3);
    expect(into.get('o')![0]).toBe(7.5);
    expect([...into.get('b')!]).toEqual([1, 3]);
  });

  it('skips tensors without a target, and a refusing check reads nothing', () => {
    const only = new Float32Array(3);
    readSafetensorsInto(file, (e) => (e.name === 'a' ? only : undefined));
    expect([...only]).toEqual([...a]);
    const untouched = new Float32Array(3).fill(9);
    expect(() => readSafetensorsInto(file, () => untouched, () => { throw new Error('refused'); })).toThrow('refused');
    expect([...untouched]).toEqual([9, 9, 9]);
  });

  it('names the file for a target of the wrong size, a truncated file and a bad header', () => {
    expect(() => readSafetensorsInto(file, (e) => (e.name === 'a' ? new Float32Array(2) : undefined))).toThrow(/mixed\.safetensors: tensor "a": 3 values, the target holds 2/);
    const cut = join(root, 'cut.safetensors');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 5));
    expect(() => readSafetensorsInto(cut, () => undefined)).toThrow(/cut\.safetensors: tensor "o": data_offsets \[18, 22\] out of range/);
    const bad = join(root, 'bad.safetensors');
    writeFileSync(bad, raw({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, 12));
    expect(() => readSafetensorsInto(bad, () => undefined)).toThrow(/bad\.safetensors: tensor "b": data_offsets \[4, 12\] overlap/);
    expect(() => readSafetensorsInto(join(root, 'none.safetensors'), () => undefined)).toThrow(/none\.safetensors: cannot read/);
  });
});
