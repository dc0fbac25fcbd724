// Cached analyses: a result is stored in the analyses table under (kind, sha256 of its inputs and
// parameters) only after it was computed in full; a failure stores nothing. Inputs are described by
// content (checkpoint and probe-set hashes, activation digests), never by row ids alone, so a
// re-logged checkpoint or a changed probe file gives a new key instead of a stale result.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../native-runner/protocol';
import type { Db } from '../store/db';
import { getCachedAnalysis, putCachedAnalysis } from '../store/analyses';

/** Bump when a result's format or its math changes, so older cached results are not served. */
export const ANALYSIS_FORMAT = 2;

export interface Cached<T> {
  result: T;
  cached: boolean;
  key: string; // inputs hash
}

export function analysisKey(kind: string, inputs: unknown, params: unknown): string {
  return createHash('sha256').update(canonicalJson({ format: ANALYSIS_FORMAT, kind, inputs, params })).digest('hex');
}

/** Serves (kind, inputs, params) from the cache, or computes, stores and returns it. */
export async function cachedAnalysis<T>(
  db: Db,
  kind: string,
  inputs: unknown,
  params: unknown,
  compute: () => Promise<T>,
  opts: { force?: boolean } = {},
): Promise<Cached<T>> {
  const key = analysisKey(kind, inputs, params);
  if (!opts.force) {
    const hit = getCachedAnalysis<T>(db, kind, key);
    if (hit !== null) return { result: hit, cached: true, key };
  }
  // Returned as it will come back from the cache (JSON: non-finite numbers become null), so a fresh
  // and a cached answer are identical.
  const result = JSON.parse(JSON.stringify(await compute())) as T;
  putCachedAnalysis(db, kind, key, params, result);
  return { result, cached: false, key };
}

/** JSON has no Infinity/NaN: results keep them as null (a ratio with a zero control divergence). */
export function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
