// Activations from a model directory into a real SQLite workspace, and out again as .npy.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presetConfig } from '../../native-runner/model/config';
import { initParameters } from '../../native-runner/model/init';
import { parameterSpecs } from '../../native-runner/model/params';
import { writeSafetensors } from '../../native-runner/checkpoint/safetensors';
import { modelConfigJson } from '../../native-runner/checkpoint/hf-config';
import { loadTokenizer } from '../../native-runner/data/tokenizer';
import { openWorkspaceDb, type Db } from '../store/db';
import { activationLayers, getActivation } from '../store/activations';
import { exportActivationsNpy, logActivations } from './activation-log';
import { decodeNpy } from './npy';
import { readProbeSet } from './probe-set';

const root = path.resolve(__dirname, '..', '..');
const tokenizerDir = path.join(root, 'fixtures', 'demo-tokenizer');
let tmp: string;
let db: Db;
let modelDir: string;
let probeFile: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-act-'));
  db = openWorkspaceDb(path.join(tmp, 'ws'));
  const tok = loadTokenizer(tokenizerDir);
  const cfg = presetConfig('tiny', { vocab_size: tok.vocabSize, pad_token_id: tok.specialIds.pad, cls_token_id: tok.specialIds.cls, sep_token_id: tok.specialIds.sep });
  const params = initParameters(cfg, 3);
  modelDir = path.join(tmp, 'model');
  fs.mkdirSync(modelDir);
  fs.writeFileSync(path.join(modelDir, 'config.json'), modelConfigJson(cfg));
  writeSafetensors(path.join(modelDir, 'model.safetensors'), new Map(parameterSpecs(cfg).map((s) => [s.name, { shape: s.shape, data: params.get(s.name)! }])));
  probeFile = path.join(tmp, 'probe.jsonl');
  const rows = [
    { id: 'a', text: 'inflammation of the liver', word: 'hepatitis', pos: 'n', supersense: 'noun.state' },
    { id: 'b', text: 'a bone of the forearm', word: 'ulna', pos: 'n', supersense: 'noun.body' },
    { id: 'c', text: 'a drug that relieves pain', word: 'analgesic', pos: 'n', supersense: 'noun.artifact' },
    { id: 'd', text: 'relating to the kidneys', word: 'renal', pos: 'a', supersense: 'adj.pert' },
    { id: 'e', text: 'the muscular organ that pumps blood through the body', word: 'heart', pos: 'n', supersense: 'noun.body' },
  ];
  fs.writeFileSync(probeFile, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
});
afterAll(() => {
  db.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('activation logging', () => {
  it('stores every layer and pooling of a model directory, then reuses them', async () => {
    const r = await logActivations(db, { modelDir, probeSet: probeFile, tokenizer: tokenizerDir, batchSize: 2 });
    expect(r.cached).toBe(false);
    expect(r.layers).toBe(5); // embeddings + 4 layers of the tiny preset
    for (const p of ['mean', 'cls', 'tokens'] as const) expect(activationLayers(db, r.checkpointId, r.probeSetId, p)).toEqual([0, 1, 2, 3, 4]);
    const mean = getActivation(db, r.checkpointId, r.probeSetId, 2, 'mean')!;
    expect(mean.shape).toEqual([5, 16]);
    expect(mean.data.every(Number.isFinite)).toBe(true);
    const again = await logActivations(db, { modelDir, probeSet: probeFile, tokenizer: tokenizerDir });
    expect(again).toMatchObject({ cached: true, checkpointId: r.checkpointId, probeSetId: r.probeSetId });
  });

  it('exports one .npy per layer, named in layer order', async () => {
    const r = await logActivations(db, { modelDir, probeSet: probeFile, tokenizer: tokenizerDir });
    const files = exportActivationsNpy(db, r.checkpointId, r.probeSetId, 'mean', path.join(tmp, 'npy'));
    expect(files.map((f) => path.basename(f))).toEqual(['layer_000.npy', 'layer_001.npy', 'layer_002.npy', 'layer_003.npy', 'layer_004.npy']);
    const back = decodeNpy(fs.readFileSync(files[3]));
    expect(back.shape).toEqual([5, 16]);
    expect(Array.from(back.data)).toEqual(Array.from(getActivation(db, r.checkpointId, r.probeSetId, 3, 'mean')!.data));
    const header = fs.readFileSync(files[0]).subarray(0, 128).toString('latin1');
    expect((10 + fs.readFileSync(files[0]).readUInt16LE(8)) % 64).toBe(0);
    expect(header).toContain("'shape': (5, 16)");
  });

  it('reads probe-set labels and refuses bad probe files with file:line', () => {
    const p = readProbeSet(probeFile);
    expect(p.texts).toHaveLength(5);
    expect(p.labels.supersense).toEqual(['noun.state', 'noun.body', 'noun.artifact', 'adj.pert', 'noun.body']);
    expect(p.groups).toEqual(['hepatitis', 'ulna', 'analgesic', 'renal', 'heart']);
    const bad = path.join(tmp, 'bad.jsonl');
    fs.writeFileSync(bad, '{"text": "ok"}\n{"text": \n');
    expect(() => readProbeSet(bad)).toThrow(/bad\.jsonl:2: not valid JSON/);
    fs.writeFileSync(bad, '{"text": "ok"}\n{"label": "x"}\n');
    expect(() => readProbeSet(bad)).toThrow(/bad\.jsonl:2: missing text field "text"/);
    expect(() => readProbeSet(path.join(tmp, 'nope.jsonl'))).toThrow(/no such probe-set file/);
  });

  it('refuses a tokenizer that does not fit the model, writing nothing', async () => {
    const small = path.join(tmp, 'small-model');
    fs.mkdirSync(small);
    const cfg = presetConfig('tiny', { vocab_size: 50, pad_token_id: 0, cls_token_id: 1, sep_token_id: 2 });
    fs.writeFileSync(path.join(small, 'config.json'), modelConfigJson(cfg));
    const params = initParameters(cfg, 1);
    writeSafetensors(path.join(small, 'model.safetensors'), new Map(parameterSpecs(cfg).map((s) => [s.name, { shape: s.shape, data: params.get(s.name)! }])));
    const before = db.prepare('SELECT count(*) FROM checkpoints').pluck().get();
    await expect(logActivations(db, { modelDir: small, probeSet: probeFile, tokenizer: tokenizerDir })).rejects.toThrow(/not this model's tokenizer/);
    expect(db.prepare('SELECT count(*) FROM checkpoints').pluck().get()).toBe(before);
  });
});
