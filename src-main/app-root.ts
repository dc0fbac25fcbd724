// The workbench's own directory (where package.json, native-runner/ and node_modules/ live), found
// from this module's location so it works from the source tree and from the out/ bundle alike.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: { dir: string; version: string } | null = null;

function find(): { dir: string; version: string } {
  if (cached) return cached;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'encoder-workbench') return (cached = { dir, version: pkg.version ?? 'unknown' });
    }
    dir = path.dirname(dir);
  }
  throw new Error(`cannot find the workbench's package.json above ${fileURLToPath(import.meta.url)}`);
}

export function appRoot(): string {
  return find().dir;
}

export function appVersion(): string {
  try {
    return find().version;
  } catch {
    return 'unknown';
  }
}
