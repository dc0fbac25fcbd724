// Scores of a fine-tuned model. Pure functions over label indices / tag strings.
//   accuracy              single: share of exact predictions; multi: share of examples whose
//                         predicted label set equals the gold set (subset accuracy)
//   macro F1              mean over classes of per-class F1 (classes present in gold or predictions,
//                         as sklearn's f1_score(average="macro") with its default labels)
//   micro F1              F1 of all (example, class) decisions pooled; equals accuracy for single-label
//   entity F1 (tagging)   seqeval's default (conlleval) chunking: a chunk starts at B-X, or at I-X
//                         after O or after another type; it continues over I-X of the same type; a
//                         predicted chunk counts only when its type, start and end all match a gold one.
//                         Micro precision / recall / F1 over chunks.

export interface Scores {
  accuracy: number;
  macroF1: number;
  microF1: number;
  entityF1?: number;            // tagging
  precision?: number;           // tagging (entity)
  recall?: number;              // tagging (entity)
}

const f1 = (tp: number, fp: number, fn: number) => (tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn));

/** Per-example correctness (0/1) is what the paired bootstrap resamples; see stats.ts. */
export function singleLabelScores(gold: number[], pred: number[]): Scores {
  if (gold.length !== pred.length || gold.length === 0) throw new Error(`singleLabelScores: ${gold.length} gold, ${pred.length} predictions`);
  const classes = [...new Set([...gold, ...pred])];
  let correct = 0;
  const tp = new Map<number, number>(), fp = new Map<number, number>(), fn = new Map<number, number>();
  const inc = (m: Map<number, number>, k: number) => m.set(k, (m.get(k) ?? 0) + 1);
  gold.forEach((g, i) => {
    if (g === pred[i]) { correct++; inc(tp, g); } else { inc(fp, pred[i]); inc(fn, g); }
  });
  const macro = classes.reduce((a, c) => a + f1(tp.get(c) ?? 0, fp.get(c) ?? 0, fn.get(c) ?? 0), 0) / classes.length;
  const acc = correct / gold.length;
  return { accuracy: acc, macroF1: macro, microF1: acc };
}

/** gold/pred: [N][C] 0/1. */
export function multiLabelScores(gold: Uint8Array[], pred: Uint8Array[]): Scores {
  if (gold.length !== pred.length || gold.length === 0) throw new Error(`multiLabelScores: ${gold.length} gold, ${pred.length} predictions`);
  const C = gold[0].length;
  const tp = new Array(C).fill(0), fp = new Array(C).fill(0), fn = new Array(C).fill(0);
  let exact = 0;
  gold.forEach((g, i) => {
    let same = true;
    for (let c = 0; c < C; c++) {
      const a = g[c], b = pred[i][c];
      if (a && b) tp[c]++; else if (b) fp[c]++; else if (a) fn[c]++;
      if (a !== b) same = false;
    }
    if (same) exact++;
  });
  const present = [...Array(C).keys()].filter((c) => tp[c] + fp[c] + fn[c] > 0);
  const macro = present.length ? present.reduce((a, c) => a + f1(tp[c], fp[c], fn[c]), 0) / present.length : 0;
  const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
  return { accuracy: exact / gold.length, macroF1: macro, microF1: f1(sum(tp), sum(fp), sum(fn)) };
}

export interface Chunk { type: string; start: number; end: number }   // end inclusive

/** Chunks of one tag sequence (conlleval / seqeval default mode). */
export function chunks(tags: readonly string[]): Chunk[] {
  const out: Chunk[] = [];
  let cur: Chunk | null = null;
  tags.forEach((t, i) => {
    const prefix = t === 'O' ? 'O' : t[0];
    const type = t === 'O' ? '' : t.slice(2);
    const continues = cur !== null && prefix === 'I' && type === cur.type;
    if (continues) { cur!.end = i; return; }
    if (cur) out.push(cur);
    cur = prefix === 'O' ? null : { type, start: i, end: i };
  });
  if (cur) out.push(cur);
  return out;
}

/** Entity-level scores over sentences of word tags; `accuracy` is per-word tag accuracy, macro F1 the
 *  mean per-entity-type chunk F1, micro F1 = entity F1. */
export function entityScores(gold: string[][], pred: string[][]): Scores {
  if (gold.length !== pred.length || gold.length === 0) throw new Error(`entityScores: ${gold.length} gold, ${pred.length} predicted sentences`);
  let tp = 0, nPred = 0, nGold = 0, words = 0, correctWords = 0;
  const perType = new Map<string, { tp: number; p: number; g: number }>();
  const typ = (t: string) => { let v = perType.get(t); if (!v) perType.set(t, (v = { tp: 0, p: 0, g: 0 })); return v; };
  gold.forEach((g, i) => {
    if (g.length !== pred[i].length) throw new Error(`entityScores: sentence ${i} has ${g.length} gold and ${pred[i].length} predicted tags`);
    g.forEach((t, j) => { words++; if (t === pred[i][j]) correctWords++; });
    const gc = chunks(g), pc = chunks(pred[i]);
    const key = (c: Chunk) => `${c.type}|${c.start}|${c.end}`;
    const gs = new Set(gc.map(key));
    nGold += gc.length; nPred += pc.length;
    for (const c of gc) typ(c.type).g++;
    for (const c of pc) { typ(c.type).p++; if (gs.has(key(c))) { tp++; typ(c.type).tp++; } }
  });
  const precision = nPred ? tp / nPred : 0, recall = nGold ? tp / nGold : 0;
  const entityF1 = f1(tp, nPred - tp, nGold - tp);
  const types = [...perType.values()];
  const macro = types.length ? types.reduce((a, v) => a + f1(v.tp, v.p - v.tp, v.g - v.tp), 0) / types.length : 0;
  return { accuracy: correctWords / words, macroF1: macro, microF1: entityF1, entityF1, precision, recall };
}
