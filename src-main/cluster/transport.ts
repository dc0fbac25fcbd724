// How the workbench talks to a cluster's submit host: run a shell command there and move files. Two
// implementations: local-transport.ts (this machine is the login node; sbatch on PATH) and
// ssh-transport.ts (ssh2; host key checked against known_hosts). Everything above this interface
// (submission, following, results) is the same for both.
import type { ClusterProfile } from '../common/cluster-profile';

export interface ExecResult { code: number; stdout: string; stderr: string }

export interface ClusterTransport {
  /** "this machine" or "user@host:port", for messages. */
  readonly where: string;
  /** Run a bash command line on the submit host (the profile's login_setup lines run first). */
  exec(command: string, opts?: { timeoutMs?: number }): Promise<ExecResult>;
  /** Write a file atomically (temp name, then rename), creating its folder. */
  writeFile(remotePath: string, data: Buffer | string, mode?: number): Promise<void>;
  /** Copy a local file there (atomic as writeFile). */
  upload(localPath: string, remotePath: string): Promise<void>;
  /** Bytes [offset, offset + max) of a remote file; null when it does not exist. */
  readRange(remotePath: string, offset: number, max: number): Promise<Buffer | null>;
  /** Size of a remote file; null when it does not exist. */
  size(remotePath: string): Promise<number | null>;
  close(): Promise<void>;
}

/** Quote a string for bash: 'it'\''s'. */
export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A remote path for the shell: ~/x stays expandable, everything else quoted. */
export function shPath(p: string): string {
  return p.startsWith('~/') ? `~/${shq(p.slice(2))}` : shq(p);
}

/** The command as it runs on the submit host: login_setup first (module load slurm, SLURM_CONF…). */
export function withLoginSetup(profile: Pick<ClusterProfile, 'login_setup'>, command: string): string {
  return [...profile.login_setup, command].join('\n');
}

export class ClusterCommandError extends Error {
  constructor(readonly where: string, readonly command: string, readonly result: ExecResult, label?: string) {
    const tail = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-6).join('\n');
    super(`${label ?? command.split(/\s/)[0]} on ${where} failed (exit ${result.code})${tail ? `:\n${tail}` : ''}`);
    this.name = 'ClusterCommandError';
  }
}

/** exec, and throw ClusterCommandError (with the command's own stderr) unless it exits 0. */
export async function run(t: ClusterTransport, command: string, opts?: { timeoutMs?: number; label?: string }): Promise<string> {
  const r = await t.exec(command, opts);
  if (r.code !== 0) throw new ClusterCommandError(t.where, command, r, opts?.label);
  return r.stdout;
}
