// Schema messages in plain language. The runner's schema (zod) says "Too small: expected string to
// have >=1 characters"; a researcher filling a form wants "required". Unknown messages pass through.
import type { FreezeConfig } from '../../../native-runner/protocol';

const RULES: [RegExp, (m: RegExpExecArray) => string][] = [
  [/^Too small: expected string to have >=1 characters?$/, () => 'required: this cannot be empty'],
  [/^Too small: expected array to have >=1 items?$/, () => 'required: add at least one'],
  [/^Too small: expected (?:number|int) to be >=(\S+)$/, (m) => `must be at least ${m[1]}`],
  [/^Too small: expected (?:number|int) to be >(\S+)$/, (m) => `must be more than ${m[1]}`],
  [/^Too big: expected (?:number|int) to be <=(\S+)$/, (m) => `must be at most ${m[1]}`],
  [/^Too big: expected (?:number|int) to be <(\S+)$/, (m) => `must be less than ${m[1]}`],
  [/^Invalid input: expected (?:number|int), received (?:null|undefined|NaN)$/, () => 'required: enter a number'],
  [/^Invalid input: expected (\w+), received undefined$/, () => 'required'],
  [/^Invalid input: expected int, received number$/, () => 'must be a whole number'],
  [/^Invalid input: expected (\w+), received (\w+)$/, (m) => `expected ${article(m[1])} ${m[1]}, not ${article(m[2])} ${m[2]}`],
  [/^Invalid option: expected one of (.+)$/, (m) => `choose one of ${m[1].split('|').map((o) => o.replace(/^"|"$/g, '')).join(', ')}`],
  [/^Unrecognized keys?: (.+)$/, (m) => `unknown setting ${m[1]}`],
];

function article(word: string): string {
  return /^[aeiou]/i.test(word) ? 'an' : 'a';
}

/** The message of one "field: message" issue (without the field) in plain language. */
export function plainMessage(message: string): string {
  for (const [re, say] of RULES) {
    const m = re.exec(message);
    if (m) return say(m);
  }
  return message;
}

/** Every layer of a freeze mask that a model of `depth` layers lacks (the runner names only the first). */
export function outOfRangeLayers(freeze: unknown, depth: number): number[] {
  if (!freeze || typeof freeze !== 'object') return [];
  const layers = (freeze as FreezeConfig).layers;
  if (!Array.isArray(layers)) return [];
  return [...new Set(layers.filter((l): l is number => typeof l === 'number' && (l >= depth || l < 0)))].sort((a, b) => a - b);
}

/** "layers 7, 9 and 12 are out of range for a 4-layer model (0..3)" */
export function outOfRangeMessage(layers: number[], depth: number): string {
  const list = layers.length === 1 ? `layer ${layers[0]} is` : `layers ${layers.slice(0, -1).join(', ')} and ${layers[layers.length - 1]} are`;
  return `${list} out of range for a ${depth}-layer model (0..${depth - 1})`;
}
