import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { presetConfig, type ModernBertConfig } from '../model/config';
import type { TrainState } from '../train/step-api';
import { Rng } from '../util/rng';
import { writeDirAtomic } from './atomic-dir';
import { checkpointDirName, configHash, listCheckpoints, loadModelDir, readCheckpoint, TRAINER_STATE_FORMAT, writeCheckpoint, type TrainerState } from './checkpoint';
import { expectedParamShapes } from './hf-params';
import { f16ToF32, readSafetensors, writeSafetensors } from './safetensors';

const root = mkdtempSync(join(tmpdir(), 'ckpt-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const cfg = presetConfig('tiny', { vocab_size: 40, pad_token_id: 0, cls_token_id: 1, sep_token_id: 2 });

function randomState(c: ModernBertConfig, seed: number): TrainState {
  const r = Rng.seeded(seed);
  const fill = (n: number, scale: number) => Float32Array.from({ length: n }, () => r.normal() * scale);
  const s: TrainState = { params: new Map(), expAvg: new Map(), expAvgSq: new Map(), adamStep: 17 };
  for (const [name, shape] of expectedParamShapes(c)) {
    const n = shape.reduce((a, b) => a * b, 1);
    s.params.set(name, fill(n, 0.02)); s.expAvg.set(name, fill(n, 1e-3)); s.expAvgSq.set(name, fill(n, 1e-6).map(Math.abs));
  }
  return s;
}
const trainer = (step: number): TrainerState => ({
  format: TRAINER_STATE_FORMAT, step, phase_index: 1, phase: 'decay', phase_step: 3,
  scheduler: { segment_start: 7, position: 3, total: 10 }, adam_step: 17, data_cursor: { source: { epoch: 0, index: 12 }, rng: [1, 2, 3, 4] },
  rng: { mask: [5, 6, 7, 8] }, config_hash: configHash({ a: 1 }), seed: 3, saved_at: new Date(0).toISOString(),
});

/** Hand-written safetensors encoder for fixtures in other dtypes (independent of writeSafetensors). */
function rawSafetensors(entries: { name: string; dtype: string; shape: number[]; bytes: Uint8Array }[], headerOverride?: string): Buffer {
  const header: Record<string, unknown> = {};
  let off = 0;
  for (const e of entries) { header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [off, off + e.bytes.length] }; off += e.bytes.length; }
  const json = Buffer.from(headerOverride ?? JSON.stringify(header));
  const len = Buffer.alloc(8); len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, ...entries.map((e) => Buffer.from(e.bytes))]);
}
const f32bytes = (a: Float32Array) => new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
/** float32 → bfloat16 by truncation (values below are chosen exactly representable). */
const bf16bytes = (a: Float32Array) => { const u = new Uint32Array(Float32Array.from(a).buffer); return new Uint8Array(Uint16Array.from(u, (x) => x >>> 16).buffer); };

describe('checkpoint directory', () => {
  it('round-trips parameters, moments and trainer state bit for bit', () => {
    const state = randomState(cfg, 1);
    const dir = join(root, 'run', 'checkpoints', checkpointDirName(42));
    writeCheckpoint(dir, { modelConfig: cfg, state, trainer: trainer(42), runConfig: { seed: 3 } });
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors', 'optimizer.safetensors', 'run_config.json', 'trainer_state.json']);
    const back = readCheckpoint(dir, cfg);
    expect(back.trainer).toEqual(trainer(42));
    expect(back.state.adamStep).toBe(17);
    for (const m of ['params', 'expAvg', 'expAvgSq'] as const) {
      expect([...back.state[m].keys()]).toEqual([...state[m].keys()]);
      for (const [k, v] of state[m]) expect(back.state[m].get(k)).toEqual(v);
    }
    const json = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(json).toMatchObject({ model_type: 'modernbert', architectures: ['ModernBertForMaskedLM'], num_hidden_layers: 4, vocab_size: 40, tie_word_embeddings: true });
    const model = readSafetensors(join(dir, 'model.safetensors'));
    expect(model.metadata.format).toBe('pt');
    expect(model.tensors.has('decoder.weight')).toBe(false);
    expect(model.tensors.get('model.layers.1.attn.Wqkv.weight')!.shape).toEqual([48, 16]);
    expect(listCheckpoints(join(root, 'run', 'checkpoints'))).toEqual([{ dir, step: 42 }]);
  });

  it('a failed write leaves no directory and no temp files; a rewrite replaces the old one', () => {
    const parent = join(root, 'atomic');
    expect(() => writeDirAtomic(join(parent, 'step-00000001'), (tmp) => { writeFileSync(join(tmp, 'a'), 'x'); throw new Error('disk full'); })).toThrow('disk full');
    expect(readdirSync(parent)).toEqual([]);
    const broken = randomState(cfg, 2);
    broken.params.delete('head.dense.weight');
    expect(() => writeCheckpoint(join(parent, 'step-00000002'), { modelConfig: cfg, state: broken, trainer: trainer(2) })).toThrow('no parameter "head.dense.weight"');
    expect(readdirSync(parent)).toEqual([]);
    const dir = join(parent, 'step-00000003');
    writeCheckpoint(dir, { modelConfig: cfg, state: randomState(cfg, 3), trainer: trainer(3) });
    const s4 = randomState(cfg, 4);
    writeCheckpoint(dir, { modelConfig: cfg, state: s4, trainer: trainer(3) });
    expect(readdirSync(parent)).toEqual(['step-00000003']);
    expect(readCheckpoint(dir).state.params.get('head.norm.weight')).toEqual(s4.params.get('head.norm.weight'));
  });
});

describe('safetensors errors', () => {
  const dir = join(root, 'bad');
  mkdirSync(dir, { recursive: true });
  const good = rawSafetensors([{ name: 'w', dtype: 'F32', shape: [2, 3], bytes: f32bytes(new Float32Array([1, 2, 3, 4, 5, 6])) }]);
  const file = (name: string, buf: Uint8Array) => { const p = join(dir, name); writeFileSync(p, buf); return p; };

  it('reads a well-formed file', () => {
    expect(readSafetensors(file('good.safetensors', good)).tensors.get('w')).toEqual({ dtype: 'F32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) });
  });
  it('names each malformation', () => {
    const cases: [string, Uint8Array, string][] = [
      ['short', good.subarray(0, 5), 'truncated: 5 bytes'],
      ['truncated', good.subarray(0, good.length - 4), 'data_offsets [0, 24] out of range: the data section has 20 bytes (truncated file?)'],
      ['headerlen', (() => { const b = Buffer.from(good); b.writeBigUInt64LE(10_000n); return b; })(), 'header length 10000 runs past the end of the file'],
      ['hugeheader', (() => { const b = Buffer.from(good); b.writeBigUInt64LE(2n ** 40n); return b; })(), "larger than the format's limit"],
      ['notjson', rawSafetensors([], '{"w": {dtype'), 'header is not valid JSON'],
      ['offsets', rawSafetensors([], JSON.stringify({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } })), 'data_offsets [0, 8] out of range'],
      ['sizes', rawSafetensors([{ name: 'w', dtype: 'F32', shape: [3], bytes: new Uint8Array(8) }]), '8 bytes for shape [3] of F32 (expected 12)'],
      ['dtype', rawSafetensors([{ name: 'w', dtype: 'I64', shape: [1], bytes: new Uint8Array(8) }]), 'dtype I64 is not supported'],
    ];
    for (const [name, buf, msg] of cases) {
      const p = file(`${name}.safetensors`, buf);
      expect(() => readSafetensors(p), name).toThrow(msg);
      expect(() => readSafetensors(p), name).toThrow(p);
    }
  });
  it('converts float16 exactly', () => {
    expect([0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000, 0x7c00].map(f16ToF32)).toEqual([1, -2, 65504, 2 ** -24, -0, Infinity]);
    expect(f16ToF32(0x7e00)).toBeNaN();
  });
});

describe('import of a Hugging Face ModernBERT directory', () => {
  const shapes = expectedParamShapes(cfg);
  const r = Rng.seeded(9);
  // values k/64 for small integers k are exact in bfloat16 and float16
  const values = new Map([...shapes].map(([n, s]) => [n, Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => (r.int(33) - 16) / 64)]));
  const hfDir = (name: string, dtypeOf: (n: string) => 'BF16' | 'F16' | 'F32', extra: Record<string, Float32Array> = {}, config: object = {}) => {
    const d = join(root, name);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'config.json'), JSON.stringify({ architectures: ['ModernBertForMaskedLM'], model_type: 'modernbert', vocab_size: 40, hidden_size: 16,
      intermediate_size: 24, num_hidden_layers: 4, num_attention_heads: 2, local_attention: 4, max_position_embeddings: 64, torch_dtype: 'bfloat16', ...config }));
    const all = new Map([...values, ...Object.entries(extra)]);
    writeFileSync(join(d, 'model.safetensors'), rawSafetensors([...all].map(([n, v]) => {
      const dt = dtypeOf(n);
      const bytes = dt === 'BF16' ? bf16bytes(v) : dt === 'F32' ? f32bytes(v) : new Uint8Array(0);
      return { name: n, dtype: dt, shape: shapes.get(n) ?? [40, 16], bytes };
    })));
    return d;
  };

  it('loads BF16 tensors as float32 with the decoder tied (decoder.weight absent)', () => {
    const d = hfDir('hf-bf16', (n) => (n.includes('norm') ? 'F32' : 'BF16'));
    const { config, params } = loadModelDir(d);
    expect(config.num_hidden_layers).toBe(4);
    expect(params.has('decoder.weight')).toBe(false);
    expect([...params.keys()]).toEqual([...shapes.keys()]);
    for (const [n, v] of values) expect(params.get(n)).toEqual(v);
  });

  it('accepts a decoder.weight equal to the embeddings and refuses one that differs', () => {
    const emb = values.get('model.embeddings.tok_embeddings.weight')!;
    expect(loadModelDir(hfDir('hf-dec', () => 'F32', { 'decoder.weight': emb })).params.has('decoder.weight')).toBe(false);
    expect(() => loadModelDir(hfDir('hf-dec2', () => 'F32', { 'decoder.weight': emb.map((x) => x + 1) }))).toThrow('differs from "model.embeddings.tok_embeddings.weight"');
  });

  it('gives clear errors for another architecture and for shape mismatches', () => {
    expect(() => loadModelDir(hfDir('hf-bert', () => 'F32', {}, { model_type: 'bert', architectures: ['BertForMaskedLM'] })))
      .toThrow('model_type is "bert" (architectures: BertForMaskedLM); only ModernBERT ("modernbert") is supported');
    expect(() => loadModelDir(hfDir('hf-wide', () => 'F32', {}, { intermediate_size: 32 })))
      .toThrow('tensor "model.layers.0.mlp.Wi.weight" has shape [48,16], the config needs [64,16]');
    expect(() => loadModelDir(hfDir('hf-deeper', () => 'F32', {}, { num_hidden_layers: 5 }))).toThrow('missing tensor "model.layers.4.attn_norm.weight"');
    expect(() => loadModelDir(hfDir('hf-ok', () => 'F32'), { ...cfg, hidden_size: 32 })).toThrow('hidden_size 16 != 32');
    expect(() => loadModelDir(join(root, 'nowhere'))).toThrow('config.json: cannot read (ENOENT)');
  });

  it('our own checkpoints load through the same importer', () => {
    const dir = join(root, 'ours');
    const state = randomState(cfg, 5);
    writeCheckpoint(dir, { modelConfig: cfg, state, trainer: trainer(1) });
    const { params } = loadModelDir(dir, cfg);
    expect(params.get('decoder.bias')).toEqual(state.params.get('decoder.bias'));
    expect(existsSync(join(dir, 'model.safetensors'))).toBe(true);
  });

  it('writeSafetensors pads the header to 8 bytes', () => {
    const p = join(root, 'pad.safetensors');
    writeSafetensors(p, new Map([['x', { shape: [3], data: new Float32Array([1, 2, 3]) }]]));
    expect(readFileSync(p).readBigUInt64LE(0) % 8n).toBe(0n);
  });
});
