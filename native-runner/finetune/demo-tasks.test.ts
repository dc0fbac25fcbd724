// The demo fine-tuning tasks from WordNet 3.1: sizes as documented in docs/data.md, splits disjoint by
// word type, every dev/test label known to the train split, BIO tags well formed.
import { describe, expect, it } from 'vitest';
import { biotagTask, supersenseTask } from './demo-tasks';
import { chunks } from './metrics';
import type { Task } from './task';

function disjoint(t: Task): void {
  const words = (s: 'train' | 'dev' | 'test') => new Set(t.splits[s].map((e) => e.group));
  const tr = words('train'), dv = words('dev'), te = words('test');
  for (const w of te) { expect(tr.has(w)).toBe(false); expect(dv.has(w)).toBe(false); }
  for (const w of dv) expect(tr.has(w)).toBe(false);
}

describe('demo fine-tuning tasks', () => {
  it('demo:supersense: 13 noun supersenses, 3,479 / 507 / 940, word-type-disjoint, majority noun.body 38.1%', () => {
    const t = supersenseTask();
    expect(t.kind).toBe('single');
    expect(t.labels).toHaveLength(13);
    expect(t.labels.every((l) => l.startsWith('noun.'))).toBe(true);
    expect([t.splits.train.length, t.splits.dev.length, t.splits.test.length]).toEqual([3479, 507, 940]);
    disjoint(t);
    const known = new Set(t.labels);
    for (const e of [...t.splits.dev, ...t.splits.test]) expect(known.has(e.label!)).toBe(true);
    expect(t.splits.test.filter((e) => e.label === 'noun.body').length).toBe(358);
  });
  it('demo:biotag: 2,125 / 283 / 592 sentences, BODY and MED entities, word-type-disjoint', () => {
    const t = biotagTask();
    expect([t.splits.train.length, t.splits.dev.length, t.splits.test.length]).toEqual([2125, 283, 592]);
    expect(t.labels).toEqual(['O', 'B-BODY', 'I-BODY', 'B-MED', 'I-MED']);
    disjoint(t);
    const ents = t.splits.train.flatMap((e) => chunks(e.tags!));
    expect(ents.length).toBe(2898);
    for (const e of t.splits.train) expect(e.tags!.every((g) => /^(O|[BI]-(BODY|MED))$/.test(g))).toBe(true);
  });
});
