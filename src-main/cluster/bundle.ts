// The run bundle: every file a sweep's run configs name (model directory, tokenizer, probe set and, by
// the profile's choice, corpora), uploaded once into the cluster's work folder under its content hash,
// and the configs rewritten to those cluster paths. Content addressing makes a second sweep over the
// same inputs upload nothing, and a half-uploaded file never counts (each file is renamed into place).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ClusterProfile } from '../common/cluster-profile';
import { shq, run, type ClusterTransport } from './transport';

export interface BundleFile { local: string; remote: string; bytes: number }
export interface BundlePlan {
  configs: Record<string, unknown>[];  // the run configs with cluster paths
  files: BundleFile[];                 // what must exist on the cluster
  /** cluster path → local path of every bundled file or folder (to map paths in events back home). */
  homes: Map<string, string>;
}

function sha256File(file: string): string {
  const h = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    let n: number;
    while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) h.update(buf.subarray(0, n));
  } finally { fs.closeSync(fd); }
  return h.digest('hex');
}

/** Files under a folder, relative paths sorted; dot files and folders (temp folders, caches) left out. */
function listFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.name.startsWith('.')) continue;
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (e.name === 'activations' || e.name === 'data-cache') continue; // written by runs, not inputs
      out.push(...listFiles(dir, r));
    } else if (e.isFile()) out.push(r);
  }
  return out;
}

export class BundleError extends Error {
  constructor(message: string) { super(message); this.name = 'BundleError'; }
}

/** Plan the bundle of `configs` (local absolute paths, as the queue stores them) under `remoteWork`. */
export function planBundle(configs: Record<string, unknown>[], profile: Pick<ClusterProfile, 'corpora'>, remoteWork: string): BundlePlan {
  const files = new Map<string, BundleFile>();
  const homes = new Map<string, string>();
  const mapped = new Map<string, string>();
  const place = (local: string, field: string): string => {
    const known = mapped.get(local);
    if (known) return known;
    if (/[\n\r]/.test(local)) throw new BundleError(`${field}: ${JSON.stringify(local)}: file names with line breaks cannot be bundled`);
    let st: fs.Stats;
    try { st = fs.statSync(local); } catch { throw new BundleError(`${field}: ${local} does not exist (it must be uploaded to the cluster)`); }
    let remote: string;
    if (st.isDirectory()) {
      const rels = listFiles(local);
      const hashes = rels.map((r) => sha256File(path.join(local, r)));
      const id = crypto.createHash('sha256').update(rels.map((r, i) => `${r}\0${hashes[i]}\n`).join('')).digest('hex');
      remote = `${remoteWork}/bundle/${id.slice(0, 32)}/${path.basename(local)}`;
      rels.forEach((r, i) => files.set(`${remote}/${r}`, { local: path.join(local, r), remote: `${remote}/${r}`, bytes: fs.statSync(path.join(local, r)).size }));
    } else {
      remote = `${remoteWork}/bundle/${sha256File(local).slice(0, 32)}/${path.basename(local)}`;
      files.set(remote, { local, remote, bytes: st.size });
    }
    mapped.set(local, remote);
    homes.set(remote, local);
    return remote;
  };
  const out = configs.map((c, i) => {
    const at = (f: string) => `runs[${i}].${f}`;
    const cfg: Record<string, unknown> = JSON.parse(JSON.stringify(c));
    if (cfg.model && typeof cfg.model === 'object') {
      const m = cfg.model as { hf_dir: string };
      cfg.model = { hf_dir: place(m.hf_dir, at('model.hf_dir')) };
    }
    if (typeof cfg.init_from === 'string') cfg.init_from = place(cfg.init_from, at('init_from'));
    const data: Record<string, unknown> = typeof cfg.data === 'string' ? { corpus: cfg.data } : { ...(cfg.data as Record<string, unknown>) };
    const listOf = (v: unknown) => (v === undefined ? [] : Array.isArray(v) ? (v as string[]) : [v as string]);
    if (profile.corpora === 'copy') {
      data.corpus = listOf(data.corpus).map((p) => place(p, at('data.corpus')));
      if (data.held_out !== undefined) data.held_out = listOf(data.held_out).map((p) => place(p, at('data.held_out')));
    }
    if (typeof data.tokenizer === 'string') data.tokenizer = place(data.tokenizer, at('data.tokenizer'));
    // token shards are rebuilt on the cluster, in each run's folder
    delete data.cache_dir;
    delete data.cache_dir_outside_workspace;
    cfg.data = data;
    if (cfg.probe_set && typeof cfg.probe_set === 'object') {
      const ps = { ...(cfg.probe_set as Record<string, unknown>) };
      ps.path = place(ps.path as string, at('probe_set.path'));
      if (typeof ps.tokenizer === 'string') ps.tokenizer = place(ps.tokenizer, at('probe_set.tokenizer'));
      cfg.probe_set = ps;
    }
    return cfg;
  });
  return { configs: out, files: [...files.values()], homes };
}

/** Upload what the cluster does not hold yet; returns the number of files sent. */
export async function uploadBundle(t: ClusterTransport, plan: BundlePlan, onFile?: (f: BundleFile) => void): Promise<number> {
  if (!plan.files.length) return 0;
  // one round trip: which of these paths exist already (content-addressed, renamed into place = complete)
  const list = plan.files.map((f) => f.remote).join('\n') + '\n';
  const have = new Set((await run(t, `while IFS= read -r f; do if [ -f "$f" ]; then printf '%s\\n' "$f"; fi; done <<'WB_EOF'\n${list}WB_EOF`, { label: 'checking the bundle' })).split('\n').filter(Boolean));
  let sent = 0;
  for (const f of plan.files) {
    if (have.has(f.remote)) continue;
    onFile?.(f);
    await t.upload(f.local, f.remote);
    sent++;
  }
  return sent;
}

export { shq };
