// Probe-set splits and control tasks. Splits are by word type (a group key per example): every
// example of a type lands in the same split, so a probe cannot score by recognising a type it saw in
// training. Control tasks follow Hewitt & Liang (2019): each word type gets one label drawn at random
// from the task's empirical label distribution, so the control is learnable only by memorising types.
import { Rng } from '../../native-runner/util/rng';

export interface Split {
  train: number[]; // example indices, ascending
  dev: number[];
  test: number[];
}

/** Default train / dev / test shares of the examples. */
export const DEFAULT_FRACTIONS: [number, number, number] = [0.6, 0.2, 0.2];

/**
 * Assigns whole groups to train / dev / test: groups are shuffled (seeded), then taken in order into
 * train until it holds its share of the examples, then dev, then test. Needs ≥ 3 groups.
 */
export function splitByGroup(groups: readonly string[], seed: number, fractions: [number, number, number] = DEFAULT_FRACTIONS): Split {
  const [ft, fd, fx] = fractions;
  if (fractions.some((f) => !(f > 0)) || Math.abs(ft + fd + fx - 1) > 1e-9) {
    throw new Error(`split fractions must be positive and sum to 1, got [${fractions.join(', ')}]`);
  }
  const members = new Map<string, number[]>();
  groups.forEach((g, i) => {
    if (typeof g !== 'string' || g.length === 0) throw new Error(`split: example ${i} has no word type (group key)`);
    const list = members.get(g);
    if (list) list.push(i);
    else members.set(g, [i]);
  });
  const keys = [...members.keys()].sort(); // a fixed order before the seeded shuffle
  if (keys.length < 3) throw new Error(`split by word type needs at least 3 types, got ${keys.length}`);
  Rng.seeded(seed, 'probe-split').shuffle(keys);
  const n = groups.length;
  const split: Split = { train: [], dev: [], test: [] };
  // Reserve at least one type for dev and for test; otherwise fill by example counts.
  keys.forEach((key, k) => {
    const left = keys.length - k;
    let target: number[];
    if (split.train.length < ft * n && left > 2) target = split.train;
    else if ((split.dev.length < fd * n && left > 1) || split.dev.length === 0) target = split.dev;
    else target = split.test;
    target.push(...members.get(key)!);
  });
  for (const part of [split.train, split.dev, split.test]) part.sort((a, b) => a - b);
  return split;
}

/** Control labels: one random label per word type, drawn from the empirical label distribution. */
export function controlLabels(groups: readonly string[], labels: ArrayLike<number>, seed: number): Int32Array {
  if (groups.length !== labels.length) throw new Error(`control task: ${groups.length} group keys but ${labels.length} labels`);
  const rng = Rng.seeded(seed, 'control-task');
  const perType = new Map<string, number>();
  const out = new Int32Array(labels.length);
  // Types in first-seen order, so the draw does not depend on Map internals.
  for (let i = 0; i < groups.length; i++) {
    let label = perType.get(groups[i]);
    if (label === undefined) {
      label = labels[rng.int(labels.length)]; // a random example's label = a draw from the empirical distribution
      perType.set(groups[i], label);
    }
    out[i] = label;
  }
  return out;
}
