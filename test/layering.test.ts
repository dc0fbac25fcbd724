// Dependencies point one way (DESIGN.md): the renderer and the shared contract import no node or
// electron modules, and native-runner imports nothing from src-main or src-renderer. tsconfig.web.json
// already leaves out node's types; this test also catches packages that ship their own types.
import fs from 'node:fs';
import path from 'node:path';
import { builtinModules } from 'node:module';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..');

function files(dir: string, exts: string[]): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (exts.some((x) => e.name.endsWith(x)) && !e.name.endsWith('.test.ts')) out.push(p);
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}

function imports(file: string): string[] {
  const src = fs.readFileSync(file, 'utf8');
  const specs: string[] = [];
  for (const m of src.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/g)) specs.push(m[1]);
  for (const m of src.matchAll(/(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g)) specs.push(m[1]);
  for (const m of src.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) specs.push(m[1]);
  return specs;
}

const WEB_PACKAGES = /^(vue|vue-router|zod|d3(-[a-z-]+)?)(\/.*)?$/;

function resolveLocal(from: string, spec: string): string | null {
  const base = path.resolve(path.dirname(from), spec);
  for (const cand of [base, `${base}.ts`, `${base}.vue`, path.join(base, 'index.ts')]) {
    if (fs.existsSync(cand) && fs.statSync(cand).isFile()) return cand;
  }
  return null;
}

describe('layering', () => {
  const webRoots = [
    ...files(path.join(root, 'src-renderer', 'src'), ['.ts', '.vue']),
    ...files(path.join(root, 'src-main', 'common'), ['.ts']),
    ...['native-runner/protocol.ts'].map((f) => path.join(root, f)).filter((f) => fs.existsSync(f)),
  ];

  it('finds the web-side files it checks', () => {
    expect(webRoots.length).toBeGreaterThan(5);
  });

  it('web-side code, and everything it imports, uses no node, electron or native modules', () => {
    // Walk the import graph from the renderer and the shared contract: every file reached must be
    // pure (it ends up in the renderer bundle), and none may be main-side code outside common/.
    const problems: string[] = [];
    const seen = new Set<string>();
    const queue = [...webRoots];
    while (queue.length) {
      const f = queue.pop()!;
      if (seen.has(f)) continue;
      seen.add(f);
      const rel = path.relative(root, f);
      if (rel.startsWith('src-main') && !rel.startsWith(path.join('src-main', 'common'))) problems.push(`${rel}: main-side module reached from the renderer`);
      for (const spec of imports(f)) {
        if (spec.startsWith('.')) {
          const target = resolveLocal(f, spec);
          if (target) queue.push(target);
          else problems.push(`${rel}: ${spec} (cannot resolve)`);
        } else if (spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0])) {
          problems.push(`${rel}: ${spec} (node builtin)`);
        } else if (!WEB_PACKAGES.test(spec)) {
          problems.push(`${rel}: ${spec} (package not allowed in the renderer)`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('native-runner imports nothing from src-main or src-renderer', () => {
    const problems: string[] = [];
    for (const f of files(path.join(root, 'native-runner'), ['.ts'])) {
      for (const spec of imports(f)) {
        if (!spec.startsWith('.')) continue;
        const target = path.resolve(path.dirname(f), spec);
        if (target.startsWith(path.join(root, 'src-main')) || target.startsWith(path.join(root, 'src-renderer'))) {
          problems.push(`${path.relative(root, f)}: ${spec}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('src-main and native-runner import nothing from scripts/ (scripts use the app, not the reverse)', () => {
    const problems: string[] = [];
    for (const f of [...files(path.join(root, 'src-main'), ['.ts']), ...files(path.join(root, 'native-runner'), ['.ts'])]) {
      for (const spec of imports(f)) {
        if (spec.startsWith('.') && path.resolve(path.dirname(f), spec).startsWith(path.join(root, 'scripts') + path.sep)) {
          problems.push(`${path.relative(root, f)}: ${spec}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('no import circles among the app\'s modules (renderer, main, runner)', () => {
    // depth-first search over local imports; a back edge closes a circle, reported as its path
    const all = [
      ...files(path.join(root, 'src-renderer', 'src'), ['.ts', '.vue']),
      ...files(path.join(root, 'src-main'), ['.ts']),
      ...files(path.join(root, 'native-runner'), ['.ts']),
    ];
    expect(all.length).toBeGreaterThan(50);
    const edges = new Map(all.map((f) => [f, imports(f).filter((s) => s.startsWith('.')).map((s) => resolveLocal(f, s)).filter((t): t is string => t !== null)]));
    const circles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (f: string) => {
      state.set(f, 'open');
      stack.push(f);
      for (const t of edges.get(f) ?? []) {
        if (state.get(t) === 'open') circles.push([...stack.slice(stack.indexOf(t)), t].map((x) => path.relative(root, x)).join(' -> '));
        else if (!state.has(t) && edges.has(t)) visit(t);
      }
      stack.pop();
      state.set(f, 'done');
    };
    for (const f of all) if (!state.has(f)) visit(f);
    expect(circles).toEqual([]);
  });

  it('the checker itself catches a forbidden import', () => {
    const tmp = path.join(root, 'src-renderer', 'src', '__layering_probe.ts');
    fs.writeFileSync(tmp, "import fs from 'node:fs';\nimport { app } from 'electron';\nexport const x = [fs, app];\n");
    try {
      expect(imports(tmp)).toEqual(['node:fs', 'electron']);
    } finally {
      fs.rmSync(tmp);
    }
  });
});
