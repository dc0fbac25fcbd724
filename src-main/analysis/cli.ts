// `npm run analyze -- <command> [options]`: analyses without the UI, on the same workspace database
// as the app (default: defaultWorkspaceDir(), like `npm run serve`; --workspace DIR to choose).
// --json prints exactly one JSON object on stdout; progress goes to stderr. Exit 2: bad arguments;
// exit 1: the analysis failed (the message names the file, checkpoint or layer).
import { parseArgs } from 'node:util';
import { POOLINGS, type Pooling } from '../../native-runner/activations/pooling';
import { LAYER_GROUP_NAMES, type LayerGroupName } from '../../native-runner/train/recipes';
import type { Db } from '../store/db';
import { defaultWorkspaceDir } from '../workspace';

// The analysis modules (onnxruntime-node, better-sqlite3, the tokenizer) load only after the
// arguments passed their checks, so a usage error answers at once.
const lib = async () => ({
  ...(await import('./service')),
  ...(await import('./model-drift')),
  ...(await import('./grad-norms')),
  ...(await import('./cli-format')),
  ...(await import('./similarity/agreement-stored')),
  ...(await import('./similarity/format')),
});

const USAGE = `usage: npm run analyze -- <command> [options] [--workspace DIR] [--json]
  activations --model DIR|ID --probe FILE [--tokenizer DIR] [--batch-size N] [--max-length N] [--tokens-per-text K]
  cka         --a DIR|ID --b DIR|ID [--control-a DIR|ID --control-b DIR|ID] [--probe FILE] [--tokenizer DIR]
              [--pooling mean|cls|tokens] [--layers 0,2,5-8] [--cross] [--debiased] [--bootstrap N] [--seed N] [--level 0.95]
  similarity  --a DIR|ID --b DIR|ID [--control-a DIR|ID --control-b DIR|ID] [--probe FILE] [--tokenizer DIR]
              [--measures all|cka,debiased,procrustes,svcca,pwcca,rsa,knn,rbf] [--permutations N (200)] [--seed N]
              [--knn-k K (10)] [--rbf-fraction F (0.8)] [--svcca-share S (0.99)] [--rogue-k K (3)] [--influence-k K (5)]
              [--pooling P] [--layers L]
  probe       --model DIR|ID [--probe FILE] [--tokenizer DIR] [--label-set NAME]... [--pooling P] [--layers L] [--seed N]
  drift       --model DIR|ID --ref DIR|ID | --run ID --ref DIR|ID
  transplant  --a DIR --b DIR (--group low|mid|deep | --layers L) [--embeddings] [--head] --out DIR [--probe FILE] [--tokenizer DIR]
  trajectory  --run ID --ref DIR|ID [--probe FILE] [--tokenizer DIR] [--pooling P] [--layers L] [--debiased]
  grad-norms  --run ID
  export-npy  --model DIR|ID --out DIR [--probe FILE] [--tokenizer DIR] [--pooling P]
A model is a model directory (config.json + model.safetensors) or a checkpoint id of the workspace.
With --probe FILE, missing activations are computed and stored first; without it, the stored ones are used.
--max-length and --tokens-per-text (also accepted wherever --probe is) default to the run's probe_set settings.
Stored activations remember their tokenizer, truncation and token sampling; comparisons refuse sets logged differently.
--force recomputes cached results.`;

class UsageError extends Error {}

const OPTIONS = {
  workspace: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, force: { type: 'boolean' },
  model: { type: 'string' }, probe: { type: 'string' }, tokenizer: { type: 'string' }, pooling: { type: 'string' }, layers: { type: 'string' },
  'batch-size': { type: 'string' }, 'max-length': { type: 'string' }, 'tokens-per-text': { type: 'string' },
  a: { type: 'string' }, b: { type: 'string' }, 'control-a': { type: 'string' }, 'control-b': { type: 'string' },
  cross: { type: 'boolean' }, debiased: { type: 'boolean' }, bootstrap: { type: 'string' }, seed: { type: 'string' }, level: { type: 'string' },
  'label-set': { type: 'string', multiple: true }, ref: { type: 'string' }, run: { type: 'string' },
  measures: { type: 'string' }, permutations: { type: 'string' }, 'knn-k': { type: 'string' }, 'rbf-fraction': { type: 'string' },
  'svcca-share': { type: 'string' }, 'rogue-k': { type: 'string' }, 'influence-k': { type: 'string' },
  group: { type: 'string' }, embeddings: { type: 'boolean' }, head: { type: 'boolean' }, out: { type: 'string' },
} as const;

/** Which options each command accepts (besides --workspace, --json, --help, --force). */
const ACCEPTS: Record<string, string[]> = {
  activations: ['model', 'probe', 'tokenizer', 'batch-size', 'max-length', 'tokens-per-text'],
  cka: ['a', 'b', 'control-a', 'control-b', 'probe', 'tokenizer', 'pooling', 'layers', 'cross', 'debiased', 'bootstrap', 'seed', 'level', 'batch-size', 'max-length', 'tokens-per-text'],
  similarity: ['a', 'b', 'control-a', 'control-b', 'probe', 'tokenizer', 'pooling', 'layers', 'measures', 'permutations', 'seed', 'knn-k', 'rbf-fraction', 'svcca-share', 'rogue-k', 'influence-k', 'batch-size', 'max-length', 'tokens-per-text'],
  probe: ['model', 'probe', 'tokenizer', 'label-set', 'pooling', 'layers', 'seed', 'batch-size', 'max-length', 'tokens-per-text'],
  drift: ['model', 'run', 'ref'],
  transplant: ['a', 'b', 'group', 'layers', 'embeddings', 'head', 'out', 'probe', 'tokenizer', 'pooling', 'label-set', 'seed', 'batch-size', 'max-length', 'tokens-per-text'],
  trajectory: ['run', 'ref', 'probe', 'tokenizer', 'pooling', 'layers', 'debiased', 'batch-size', 'max-length', 'tokens-per-text'],
  'grad-norms': ['run'],
  'export-npy': ['model', 'out', 'probe', 'tokenizer', 'pooling', 'batch-size', 'max-length', 'tokens-per-text'],
};

type Values = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K] extends { multiple: true } ? string[] : (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

function need(v: Values, name: keyof Values): string {
  const x = v[name];
  if (typeof x !== 'string' || x === '') throw new UsageError(`--${name} is required`);
  return x;
}

function int(v: Values, name: keyof Values, min: number): number | undefined {
  const x = v[name];
  if (x === undefined) return undefined;
  const n = Number(x);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name}: expected an integer ≥ ${min}, got ${JSON.stringify(x)}`);
  return n;
}

/** "0,2,5-8" → [0, 2, 5, 6, 7, 8]. */
export function parseLayers(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) throw new UsageError(`--layers: expected indices like 0,2,5-8, got ${JSON.stringify(text)}`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw new UsageError(`--layers: range ${part.trim()} runs backwards`);
    for (let l = lo; l <= hi; l++) out.add(l);
  }
  return [...out].sort((x, y) => x - y);
}

function pooling(v: Values): Pooling | undefined {
  if (v.pooling === undefined) return undefined;
  if (!(POOLINGS as string[]).includes(v.pooling)) throw new UsageError(`--pooling: expected one of ${POOLINGS.join(', ')}, got ${JSON.stringify(v.pooling)}`);
  return v.pooling as Pooling;
}

async function run(command: string, v: Values, openDb: () => Promise<Db>, progress: (m: string) => void): Promise<{ json: unknown; text: string }> {
  const acts = {
    probe: v.probe, tokenizer: v.tokenizer, batchSize: int(v, 'batch-size', 1), maxLength: int(v, 'max-length', 2), tokensPerText: int(v, 'tokens-per-text', 1),
    onProgress: progress, pooling: pooling(v),
  };
  const force = v.force ?? false;
  switch (command) {
    case 'activations': {
      const [model] = [need(v, 'model'), need(v, 'probe')];
      const { ensureActivations } = await lib();
      const r = await ensureActivations(await openDb(), model, { ...acts, pooling: undefined });
      const x = r.extraction;
      const settings = x ? ` (max_length ${x.max_length ?? 'unset'}, texts cut at ${x.truncated_to} tokens, tokenizer ${x.tokenizer_path}, tokens_per_text ${x.tokens_per_text})` : '';
      return { json: r, text: `checkpoint ${r.checkpointId}, probe set ${r.probeSetId}: activations ${r.logged ? 'computed and stored' : 'already stored'}${settings}` };
    }
    case 'cka': {
      if ((v['control-a'] === undefined) !== (v['control-b'] === undefined)) throw new UsageError('--control-a and --control-b go together (the control pair B′, B)');
      const level = v.level === undefined ? undefined : Number(v.level);
      if (level !== undefined && !(level > 0 && level < 1)) throw new UsageError(`--level: expected a number in (0, 1), got ${JSON.stringify(v.level)}`);
      const reps = int(v, 'bootstrap', 10);
      const [a, b, layers] = [need(v, 'a'), need(v, 'b'), parseLayers(v.layers)];
      const { compareModels, formatCompare } = await lib();
      const db = await openDb();
      const r = await compareModels(db, {
        ...acts, a, b, force, layers,
        control: v['control-a'] ? { a: v['control-a'], b: v['control-b']! } : undefined,
        cross: v.cross, debiased: v.debiased,
        bootstrap: reps === undefined ? undefined : { reps, seed: int(v, 'seed', 0), level },
      });
      return { json: r, text: formatCompare(r) };
    }
    case 'similarity': {
      if ((v['control-a'] === undefined) !== (v['control-b'] === undefined)) throw new UsageError('--control-a and --control-b go together (the control pair B′, B)');
      const num = (name: 'rbf-fraction' | 'svcca-share', lo: number, hi: number) => {
        if (v[name] === undefined) return undefined;
        const x = Number(v[name]);
        if (!(x > lo && x <= hi)) throw new UsageError(`--${name}: expected a number in (${lo}, ${hi}], got ${JSON.stringify(v[name])}`);
        return x;
      };
      const known = ['cka', 'debiased', 'procrustes', 'svcca', 'pwcca', 'rsa', 'knn', 'rbf'];
      const measures = v.measures === undefined || v.measures === 'all' ? undefined : v.measures.split(',').map((m) => m.trim());
      const unknown = (measures ?? []).filter((m) => !known.includes(m));
      if (unknown.length || measures?.length === 0) throw new UsageError(`--measures: expected all or a list of ${known.join(', ')}, got ${JSON.stringify(v.measures)}`);
      const params = {
        measures: measures as never, permutations: int(v, 'permutations', 0), seed: int(v, 'seed', 0), knnK: int(v, 'knn-k', 1),
        rbfFraction: num('rbf-fraction', 0, Infinity), svccaShare: num('svcca-share', 0, 1), rogueK: int(v, 'rogue-k', 1), influenceK: int(v, 'influence-k', 1),
      };
      const [a, b, layers] = [need(v, 'a'), need(v, 'b'), parseLayers(v.layers)];
      const { agreeModels, formatAgreement } = await lib();
      const r = await agreeModels(await openDb(), {
        ...acts, a, b, force, layers, params,
        control: v['control-a'] ? { a: v['control-a'], b: v['control-b']! } : undefined,
      });
      return { json: r, text: formatAgreement(r) };
    }
    case 'probe': {
      const [model, layers, seed] = [need(v, 'model'), parseLayers(v.layers), int(v, 'seed', 0)];
      const { probeModel, formatProbes } = await lib();
      const r = await probeModel(await openDb(), { ...acts, model, labelSets: v['label-set'], layers, options: { seed }, force });
      return { json: r, text: formatProbes(r) };
    }
    case 'drift': {
      const refArg = need(v, 'ref');
      if ((v.model === undefined) === (v.run === undefined)) throw new UsageError('drift needs either --model DIR|ID or --run ID (and --ref DIR|ID)');
      const runId = int(v, 'run', 1);
      const { runDrift, driftBetweenDirs, formatDrift, modelDirOf } = await lib();
      const db = await openDb();
      const ref = modelDirOf(db, refArg);
      if (runId !== undefined) {
        const rows = await runDrift(db, runId, ref, { force });
        return { json: { runId: Number(v.run), checkpoints: rows }, text: rows.map((r) => `step ${r.step}:\n${formatDrift(r.drift)}`).join('\n\n') };
      }
      const r = await driftBetweenDirs(db, modelDirOf(db, v.model!), ref, { force });
      return { json: r, text: formatDrift(r) };
    }
    case 'transplant': {
      if (v.group !== undefined && !(LAYER_GROUP_NAMES as readonly string[]).includes(v.group)) throw new UsageError(`--group: expected one of ${LAYER_GROUP_NAMES.join(', ')}, got ${JSON.stringify(v.group)}`);
      if (v.group === undefined && v.layers === undefined && !v.embeddings && !v.head) throw new UsageError('transplant needs --group low|mid|deep or --layers (and/or --embeddings, --head)');
      const req = {
        ...acts, a: need(v, 'a'), b: need(v, 'b'), out: need(v, 'out'), group: v.group as LayerGroupName | undefined, layers: parseLayers(v.layers),
        embeddings: v.embeddings, head: v.head, labelSets: v['label-set'], probeOptions: { seed: int(v, 'seed', 0) },
      };
      const { transplantModel, formatTransplant } = await lib();
      const r = await transplantModel(await openDb(), req);
      return { json: r, text: formatTransplant(r) };
    }
    case 'trajectory': {
      const req = { ...acts, runId: int(v, 'run', 1) ?? Number(need(v, 'run')), ref: need(v, 'ref'), layers: parseLayers(v.layers), debiased: v.debiased, force };
      const { runTrajectory, formatTrajectory } = await lib();
      const r = await runTrajectory(await openDb(), req);
      return { json: r, text: formatTrajectory(r) };
    }
    case 'grad-norms': {
      const runId = int(v, 'run', 1) ?? Number(need(v, 'run'));
      const { gradNormSummary, formatGradNorms } = await lib();
      const phases = gradNormSummary(await openDb(), runId);
      return { json: { runId, phases }, text: formatGradNorms(phases) };
    }
    case 'export-npy': {
      const [model, out] = [need(v, 'model'), need(v, 'out')];
      const { exportNpy } = await lib();
      const r = await exportNpy(await openDb(), model, out, acts);
      return { json: r, text: r.files.join('\n') };
    }
  }
  throw new UsageError(`unknown command ${JSON.stringify(command)}`);
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const json = argv.includes('--json');
  const report = (msg: string, code: number): number => {
    process.stderr.write(`analyze: ${msg}\n${code === 2 ? `${USAGE}\n` : ''}`);
    if (json) process.stdout.write(`${JSON.stringify({ error: msg, exitCode: code })}\n`);
    return code;
  };
  let db: Db | null = null;
  try {
    const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: true });
    const v = values as Values;
    if (v.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const command = positionals[0];
    if (!command) throw new UsageError('no command given');
    if (positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])}`);
    const accepted = ACCEPTS[command];
    if (!accepted) throw new UsageError(`unknown command ${JSON.stringify(command)} (commands: ${Object.keys(ACCEPTS).join(', ')})`);
    const given = Object.keys(v).filter((k) => !['workspace', 'json', 'help', 'force'].includes(k));
    const stray = given.filter((k) => !accepted.includes(k));
    if (stray.length) throw new UsageError(`${command} does not take ${stray.map((k) => `--${k}`).join(', ')}`);
    const workspace = v.workspace ?? defaultWorkspaceDir();
    const progress = (m: string) => process.stderr.write(`${m}\n`);
    const openDb = async () => {
      const { openWorkspaceDb } = await import('../store/db');
      progress(`workspace ${workspace}`);
      db = openWorkspaceDb(workspace);
      return db;
    };
    const r = await run(command, v, openDb, progress);
    for (const w of (r.json as { warnings?: string[] }).warnings ?? []) process.stderr.write(`warning: ${w}\n`);
    process.stdout.write(json ? `${JSON.stringify({ command, ...(r.json as object) })}\n` : `${r.text}\n`);
    return 0;
  } catch (e) {
    const usage = e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    return report((e as Error).message, usage ? 2 : 1);
  } finally {
    (db as Db | null)?.close();
    if (db) await (await import('./linalg')).disposeGemmSessions();
  }
}

main().then((code) => {
  process.exitCode = code;
});
