// The local single-node Slurm the cluster tests submit to (scripts/slurm-local.sh). If Slurm is
// installed but not running and we are root, it is brought up here (idempotent); otherwise the
// caller gets the reason to skip with.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SLURM_CONF = process.env.WB_SLURM_CONF ?? '/tmp/wb-slurm/slurm.conf';

function up(): boolean {
  try {
    execFileSync('scontrol', ['ping'], { env: { ...process.env, SLURM_CONF }, stdio: 'pipe', timeout: 20_000 });
    return execFileSync('sinfo', ['-h', '-o', '%t'], { env: { ...process.env, SLURM_CONF }, timeout: 20_000 }).toString().trim().length > 0;
  } catch { return false; }
}

/** null when a local Slurm takes jobs; otherwise why not. */
export function slurmAvailable(): string | null {
  for (const bin of ['/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/sbin/munged']) {
    if (!fs.existsSync(bin)) return `${bin} is missing (apt-get install -y slurm-wlm munge; .ci/run does this)`;
  }
  if (fs.existsSync(SLURM_CONF) && up()) return null;
  if (process.getuid?.() !== 0) return 'the local Slurm is not running and only root can start it (sudo scripts/slurm-local.sh up)';
  try {
    execFileSync('bash', [path.join(ROOT, 'scripts/slurm-local.sh'), 'up'], { stdio: 'pipe', timeout: 120_000 });
  } catch (e) {
    return `scripts/slurm-local.sh up failed: ${(e as { stderr?: Buffer }).stderr?.toString().trim() ?? (e as Error).message}`;
  }
  return up() ? null : 'scripts/slurm-local.sh up ran but sinfo does not answer';
}
