// Examples to model inputs. Sequences: [CLS] pieces [SEP], truncated to maxLength (the [SEP] kept).
// Tagging: each word is encoded on its own (a space before every word but the first, as the text
// would read, so byte-level BPE sees "Ġword"), its tag goes on its first piece and -100 on the rest
// (first-subword labelling), [CLS]/[SEP] get -100. Words that do not fit in maxLength are dropped
// from the input; their gold tags stay and they are predicted O, so truncation costs recall, visibly.
import type { TextTokenizer } from '../data/tokenizer';
import { IGNORE_INDEX } from '../graph/index';
import type { Example, Task } from './task';

export interface EncodedExample {
  ids: number[];                // with [CLS] … [SEP], length ≤ maxLength
  label?: number;               // single
  targets?: Uint8Array;         // multi: [C] 0/1
  tokenLabels?: number[];       // token: per position, IGNORE_INDEX where no tag
  wordStarts?: number[];        // token: position of each word's first piece, -1 when truncated away
  gold?: string[];              // token: the example's tags
}

export function encodeExample(tok: TextTokenizer, task: Task, e: Example, maxLength: number): EncodedExample {
  const { cls, sep } = tok.specialIds;
  if (task.kind !== 'token') {
    const body = tok.encode(e.text!).slice(0, maxLength - 2);
    const ids = [cls, ...body, sep];
    if (task.kind === 'single') return { ids, label: task.labels.indexOf(e.label!) };
    const targets = new Uint8Array(task.labels.length);
    for (const l of e.labels!) targets[task.labels.indexOf(l)] = 1;
    return { ids, targets };
  }
  const ids = [cls];
  const tokenLabels = [IGNORE_INDEX];
  const wordStarts: number[] = [];
  e.tokens!.forEach((w, i) => {
    const pieces = tok.encode(i === 0 ? w : ` ${w}`);
    if (pieces.length === 0 || ids.length + pieces.length > maxLength - 1) { wordStarts.push(-1); return; }
    wordStarts.push(ids.length);
    ids.push(...pieces);
    tokenLabels.push(task.labels.indexOf(e.tags![i]), ...pieces.slice(1).map(() => IGNORE_INDEX));
  });
  ids.push(sep);
  tokenLabels.push(IGNORE_INDEX);
  return { ids, tokenLabels, wordStarts, gold: e.tags };
}
