// The files a run config names must exist before it is queued: otherwise the form passes it and the
// run fails seconds after launch. One message per missing path, keyed by the config field that holds
// it, in the runner's "field.path: message" form, so the form shows it beside that field.
import fs from 'node:fs';
import path from 'node:path';

type Kind = 'file or directory' | 'tokenizer' | 'directory';

function problem(p: string, kind: Kind): string | null {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    return `${p} does not exist`;
  }
  if (kind === 'directory' && !st.isDirectory()) return `${p} is not a directory`;
  if (kind === 'tokenizer' && st.isDirectory() && !fs.existsSync(path.join(p, 'tokenizer.json'))) return `${p} has no tokenizer.json`;
  return null;
}

/** Missing or unusable paths of a config whose relative paths are already resolved (absolutePaths). */
export function missingPaths(cfg: Record<string, unknown>): string[] {
  const out: string[] = [];
  const check = (field: string, p: unknown, kind: Kind) => {
    if (typeof p !== 'string' || !p.trim()) return; // empty or wrong type: the schema says so
    const msg = problem(p, kind);
    if (msg) out.push(`${field}: ${msg}`);
  };
  if (typeof cfg.init_from === 'string') check('init_from', cfg.init_from, 'directory');
  if (typeof cfg.data === 'string') check('data', cfg.data, 'file or directory');
  else if (cfg.data && typeof cfg.data === 'object') {
    const d = cfg.data as Record<string, unknown>;
    const corpus = Array.isArray(d.corpus) ? d.corpus : [d.corpus];
    corpus.forEach((c, i) => check(Array.isArray(d.corpus) ? `data.corpus[${i}]` : 'data.corpus', c, 'file or directory'));
    check('data.tokenizer', d.tokenizer, 'tokenizer');
  }
  if (cfg.probe_set && typeof cfg.probe_set === 'object') {
    const ps = cfg.probe_set as Record<string, unknown>;
    check('probe_set.path', ps.path, 'file or directory');
    check('probe_set.tokenizer', ps.tokenizer, 'tokenizer');
  }
  return out;
}
