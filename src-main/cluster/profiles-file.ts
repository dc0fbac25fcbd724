// The workspace's cluster profiles: WORKSPACE/cluster-profiles.json (see common/cluster-profile.ts for
// the format). Read on every use (a hand edit takes effect at once), written atomically.
import fs from 'node:fs';
import path from 'node:path';
import { CLUSTER_PROFILES_FORMAT, ClusterProfileError, parseClusterProfilesFile, type ClusterProfile } from '../common/cluster-profile';

export const CLUSTER_PROFILES_FILE = 'cluster-profiles.json';

export function profilesPath(workspaceDir: string): string {
  return path.join(workspaceDir, CLUSTER_PROFILES_FILE);
}

/** The profiles, [] when the file does not exist; throws ClusterProfileError naming the file and field. */
export function readProfiles(workspaceDir: string): ClusterProfile[] {
  const file = profilesPath(workspaceDir);
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch (e) { if ((e as NodeJS.ErrnoException).code === 'ENOENT') return []; throw e; }
  let raw: unknown;
  try { raw = JSON.parse(text); } catch (e) { throw new ClusterProfileError([`not valid JSON (${(e as Error).message})`], file); }
  return parseClusterProfilesFile(raw, file).profiles;
}

export function findProfile(workspaceDir: string, name: string): ClusterProfile | null {
  return readProfiles(workspaceDir).find((p) => p.name === name) ?? null;
}

/** Validate and write the whole list (nothing is written when any profile is invalid). */
export function writeProfiles(workspaceDir: string, profiles: unknown[]): ClusterProfile[] {
  const file = profilesPath(workspaceDir);
  const parsed = parseClusterProfilesFile({ format: CLUSTER_PROFILES_FORMAT, version: 1, profiles }, file);
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify({ format: CLUSTER_PROFILES_FORMAT, version: 1, profiles }, null, 2) + '\n');
  fs.renameSync(tmp, file);
  return parsed.profiles;
}
