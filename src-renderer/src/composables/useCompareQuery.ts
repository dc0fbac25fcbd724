// The Compare view's choices (A, B, the control pair, probe set, pooling, debiased, bootstrap) kept
// in the address (?a=12&b=5&ca=…&probe=1&pooling=mean&debiased=1&boot=1), so they survive navigating
// away and back, and a comparison can be bookmarked. Refs in, nothing out: it reads the query once
// into the refs and writes every change back with router.replace (no history entry per click).
import { watch, type Ref } from 'vue';
import { useRoute, useRouter } from 'vue-router';

export interface CompareChoices {
  a: Ref<number | null>; b: Ref<number | null>; ca: Ref<number | null>; cb: Ref<number | null>;
  probeSetId: Ref<number | null>; pooling: Ref<'mean' | 'cls' | 'tokens'>; debiased: Ref<boolean>; bootstrap: Ref<boolean>;
}

const ID_KEYS = [['a', 'a'], ['b', 'b'], ['ca', 'ca'], ['cb', 'cb'], ['probeSetId', 'probe']] as const;

export function useCompareQuery(c: CompareChoices): void {
  const route = useRoute();
  const router = useRouter();
  const q = (k: string) => (typeof route.query[k] === 'string' ? (route.query[k] as string) : null);
  for (const [ref, key] of ID_KEYS) {
    const v = q(key);
    if (v && /^\d+$/.test(v)) c[ref].value = Number(v);
  }
  const p = q('pooling');
  if (p === 'mean' || p === 'cls' || p === 'tokens') c.pooling.value = p;
  if (q('debiased') === '1') c.debiased.value = true;
  if (q('boot') === '1') c.bootstrap.value = true;

  watch([c.a, c.b, c.ca, c.cb, c.probeSetId, c.pooling, c.debiased, c.bootstrap], () => {
    const query: Record<string, string> = {};
    for (const [ref, key] of ID_KEYS) if (c[ref].value !== null) query[key] = String(c[ref].value);
    if (c.pooling.value !== 'mean') query.pooling = c.pooling.value;
    if (c.debiased.value) query.debiased = '1';
    if (c.bootstrap.value) query.boot = '1';
    void router.replace({ query });
  });
}

/** Why Compare cannot run yet, in words (null when it can). */
export function compareBlocker(s: { a: number | null; b: number | null; ca: number | null; cb: number | null; probeSetId: number | null; probeSets: number }): string | null {
  if (s.a === null || s.b === null) return 'Pick checkpoints A and B.';
  if ((s.ca === null) !== (s.cb === null)) return 'Pick both control checkpoints, or neither.';
  if (s.probeSets === 0) return 'A and B share no probe set with this pooling: log the same probe set for both.';
  if (s.probeSetId === null) return 'Pick the probe set.';
  return null;
}
