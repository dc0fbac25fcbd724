// The workspace's figures folder: every export (SVG/PDF/PNG beside its <name>.spec.json).
import fs from 'node:fs';
import path from 'node:path';
import type { ExportedFigure } from '../common/types';

export function figuresDir(workspaceDir: string): string {
  return path.join(workspaceDir, 'figures');
}

export function listFigures(dir: string): ExportedFigure[] {
  if (!fs.existsSync(dir)) return [];
  const out: ExportedFigure[] = [];
  for (const f of fs.readdirSync(dir)) {
    if (!f.endsWith('.spec.json')) continue;
    const name = f.slice(0, -'.spec.json'.length);
    const spec = path.join(dir, f);
    const files: ExportedFigure['files'] = {};
    for (const ext of ['svg', 'pdf', 'png'] as const) {
      const p = path.join(dir, `${name}.${ext}`);
      if (fs.existsSync(p)) files[ext] = p;
    }
    let specData: unknown = null;
    try {
      specData = JSON.parse(fs.readFileSync(spec, 'utf8'));
    } catch {
      specData = null; // shown as unreadable in the list; the files themselves are still there
    }
    out.push({ name, spec, files, modifiedAt: fs.statSync(spec).mtime.toISOString(), specData });
  }
  return out.sort((a, b) => (a.modifiedAt < b.modifiedAt ? 1 : -1));
}
