import { describe, expect, it } from 'vitest';
import { Rng } from './rng';

describe('Rng (xoshiro128**)', () => {
  it('matches the reference C implementation from state {1, 2, 3, 4}', () => {
    // values printed by Vigna's xoshiro128starstar.c next() from s = {1, 2, 3, 4} (fixtures/README.md)
    const r = Rng.fromState([1, 2, 3, 4]);
    expect([r.u32(), r.u32(), r.u32(), r.u32(), r.u32()]).toEqual([11520, 0, 5927040, 70819200, 2031721883]);
  });

  it('is deterministic per seed and label, and resumes from a saved state', () => {
    const a = Rng.seeded(42, 'mask'), b = Rng.seeded(42, 'mask'), c = Rng.seeded(42, 'init'), d = Rng.seeded(43, 'mask');
    const xs = Array.from({ length: 8 }, () => a.u32());
    expect(Array.from({ length: 8 }, () => b.u32())).toEqual(xs);
    expect(Array.from({ length: 8 }, () => c.u32())).not.toEqual(xs);
    expect(Array.from({ length: 8 }, () => d.u32())).not.toEqual(xs);
    const saved = JSON.parse(JSON.stringify(a.state()));
    const more = Array.from({ length: 5 }, () => a.float());
    const resumed = Rng.fromState(saved);
    expect(Array.from({ length: 5 }, () => resumed.float())).toEqual(more);
  });

  it('float is uniform in [0, 1) and int(n) covers [0, n) evenly', () => {
    const r = Rng.seeded(7);
    const n = 60_000, bins = new Array(6).fill(0);
    let sum = 0, outside = 0;
    for (let i = 0; i < n; i++) { const f = r.float(); if (!(f >= 0 && f < 1)) outside++; sum += f; bins[r.int(6)]++; }
    expect(outside).toBe(0);
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / n));
    // each bin ~ Binomial(n, 1/6): 4 sigma
    for (const c of bins) expect(Math.abs(c - n / 6)).toBeLessThan(4 * Math.sqrt((n * 5) / 36));
  });

  it('normal has mean 0 and variance 1', () => {
    const r = Rng.seeded(3);
    const n = 40_000;
    let s = 0, s2 = 0;
    for (let i = 0; i < n; i++) { const x = r.normal(); s += x; s2 += x * x; }
    expect(Math.abs(s / n)).toBeLessThan(4 / Math.sqrt(n));
    expect(Math.abs(s2 / n - 1)).toBeLessThan(4 * Math.sqrt(2 / n));
  });

  it('rejects bad seeds and states', () => {
    expect(() => Rng.seeded(-1)).toThrow('non-negative integer');
    expect(() => Rng.fromState([0, 0, 0, 0])).toThrow('not all zero');
    expect(() => Rng.fromState([1, 2, 3] as never)).toThrow('four 32-bit words');
  });
});
