import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Batch } from '../train/step-api';
import { CHAR_SPECIALS, CharTextBatches } from '../train/char-batches';
import { Rng } from '../util/rng';
import { applyClm, applyMlm, ObjectiveBatchSource, type MlmOptions } from './masking';

const corpus = join(__dirname, '../../fixtures/corpus/wordnet-noun-glosses.txt');
const PAD = 0, CLS = 1, SEP = 2, MASK = 3;

/** Rows of random ordinary tokens (ids 10..V-1) with [CLS] first, [SEP] inside and padding at the end. */
function rows(B: number, T: number, V: number, seed: number, pad = 8): Batch {
  const r = Rng.seeded(seed, 'rows');
  const inputIds = new BigInt64Array(B * T), attentionMask = new BigInt64Array(B * T);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++) {
      const real = t < T - pad;
      inputIds[b * T + t] = BigInt(!real ? PAD : t === 0 ? CLS : t % 17 === 0 ? SEP : 10 + r.int(V - 10));
      attentionMask[b * T + t] = real ? 1n : 0n;
    }
  return { batchSize: B, seqLen: T, inputIds, attentionMask, labels: new BigInt64Array(B * T).fill(-100n) };
}

const mlm = (rate: number): MlmOptions => ({ rate, maskTokenId: MASK, vocabSize: 1000, specialIds: [PAD, CLS, SEP] });

describe('MLM masking', () => {
  it('selects rate p of eligible positions and splits them 80/10/10', () => {
    const batch = rows(64, 512, 1000, 1);
    const out = applyMlm(batch, mlm(0.3), Rng.seeded(5, 'mask'));
    let eligible = 0, selected = 0, masked = 0, random = 0, same = 0;
    for (let i = 0; i < batch.inputIds.length; i++) {
      const orig = Number(batch.inputIds[i]);
      const isEligible = batch.attentionMask[i] === 1n && orig !== CLS && orig !== SEP;
      if (isEligible) eligible++;
      if (out.labels[i] === -100n) { expect(out.inputIds[i]).toBe(batch.inputIds[i]); continue; }
      expect(isEligible).toBe(true);                 // never specials or padding
      expect(Number(out.labels[i])).toBe(orig);
      selected++;
      const now = Number(out.inputIds[i]);
      if (now === MASK) masked++;
      else if (now === orig) same++;
      else { random++; expect(now).toBeGreaterThanOrEqual(3); expect(now).not.toBe(MASK); }
    }
    const sd = (p: number, n: number) => Math.sqrt(p * (1 - p) * n);
    expect(Math.abs(selected - 0.3 * eligible)).toBeLessThan(4 * sd(0.3, eligible));
    expect(Math.abs(masked - 0.8 * selected)).toBeLessThan(4 * sd(0.8, selected));
    // a random replacement equals the original with probability 1/997: counted as "same"
    expect(Math.abs(random - 0.1 * selected)).toBeLessThan(4 * sd(0.1, selected) + selected / 997);
    expect(Math.abs(same - 0.1 * selected)).toBeLessThan(4 * sd(0.1, selected) + selected / 997);
    expect(out.attentionMask).toBe(batch.attentionMask);
  });

  it('is deterministic for the same RNG state and differs for another', () => {
    const batch = rows(4, 64, 1000, 2);
    const a = applyMlm(batch, mlm(0.15), Rng.seeded(9, 'mask'));
    const b = applyMlm(batch, mlm(0.15), Rng.seeded(9, 'mask'));
    const c = applyMlm(batch, mlm(0.15), Rng.seeded(10, 'mask'));
    expect(b.inputIds).toEqual(a.inputIds);
    expect(b.labels).toEqual(a.labels);
    expect(c.labels).not.toEqual(a.labels);
  });

  it('always predicts at least one position, and refuses rates outside (0, 1)', () => {
    const batch = rows(1, 4, 1000, 3, 0);
    for (let s = 0; s < 50; s++) expect(applyMlm(batch, mlm(1e-9), Rng.seeded(s)).labels.some((l) => l !== -100n)).toBe(true);
    expect(() => applyMlm(batch, mlm(1), Rng.seeded(0))).toThrow('mask rate must be in (0, 1), got 1');
    expect(() => applyMlm(batch, mlm(0), Rng.seeded(0))).toThrow('(0, 1)');
  });
});

describe('CLM labels', () => {
  it('label t = token t+1 within real tokens; -100 at the end and at padding', () => {
    const batch = rows(2, 12, 50, 4, 3); // real 0..8, pad 9..11
    const out = applyClm(batch);
    for (let b = 0; b < 2; b++)
      for (let t = 0; t < 12; t++) {
        const i = b * 12 + t;
        expect(out.labels[i]).toBe(t < 8 ? batch.inputIds[i + 1] : -100n);
      }
    const full = applyClm(rows(1, 6, 50, 5, 0));
    expect(full.labels[5]).toBe(-100n);
    expect(full.inputIds).toEqual(rows(1, 6, 50, 5, 0).inputIds);
  });
});

describe('ObjectiveBatchSource over the interim character source', () => {
  it('resumes exactly from a saved cursor (rows and masks)', () => {
    const make = () => {
      const chars = new CharTextBatches(corpus, 4, 32, 11);
      const src = new ObjectiveBatchSource(chars, Rng.seeded(11, 'mask'));
      src.setObjective({ objective: 'mlm', mlm: { rate: 0.3, maskTokenId: CHAR_SPECIALS.mask, vocabSize: chars.vocabSize, specialIds: [0, 1, 2, 4] } });
      return src;
    };
    const a = make();
    for (let i = 0; i < 3; i++) a.next();
    const cur = JSON.parse(JSON.stringify(a.cursor()));
    const rest = [a.next(), a.next()];
    a.setObjective({ objective: 'clm' });
    rest.push(a.next());
    const b = make();
    b.seek(cur);
    const again = [b.next(), b.next()];
    b.setObjective({ objective: 'clm' });
    again.push(b.next());
    for (let k = 0; k < 3; k++) { expect(again[k].inputIds).toEqual(rest[k].inputIds); expect(again[k].labels).toEqual(rest[k].labels); }
  });

  it('rows start with [CLS], wrap into a new shuffled epoch, and reject a bad cursor', () => {
    const chars = new CharTextBatches(corpus, 8, 64, 1);
    expect(chars.unigramEntropy()).toBeGreaterThan(2.5); // English characters: ~2.9 nats
    const seen = new Set<string>();
    const n = Math.ceil(chars.rowsPerEpoch / 8) + 2;
    for (let k = 0; k < n; k++) {
      const batch = chars.next();
      for (let b = 0; b < 8; b++) { expect(batch.inputIds[b * 64]).toBe(1n); seen.add(batch.inputIds.slice(b * 64, b * 64 + 64).join(',')); }
    }
    expect(chars.cursor().epoch).toBe(1);
    expect(seen.size).toBe(chars.rowsPerEpoch); // every row once per epoch; epoch 1 repeats rows
    expect(() => chars.seek({ epoch: 0, index: -1 })).toThrow('invalid data cursor');
  });
});
