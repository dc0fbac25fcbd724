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
const WEB_LOCAL_ALLOWED = [
  path.join(root, 'src-renderer') + path.sep,
  path.join(root, 'src-main', 'common') + path.sep,
  path.join(root, 'native-runner', 'protocol'),
  path.join(root, 'native-runner', 'model', 'config'),
];

describe('layering', () => {
  const webFiles = [
    ...files(path.join(root, 'src-renderer', 'src'), ['.ts', '.vue']),
    ...files(path.join(root, 'src-main', 'common'), ['.ts']),
    ...['native-runner/protocol.ts', 'native-runner/model/config.ts'].map((f) => path.join(root, f)).filter((f) => fs.existsSync(f)),
  ];

  it('finds the web-side files it checks', () => {
    expect(webFiles.length).toBeGreaterThan(5);
  });

  it('web-side code imports no node, electron or native modules', () => {
    const problems: string[] = [];
    for (const f of webFiles) {
      for (const spec of imports(f)) {
        const rel = path.relative(root, f);
        if (spec.startsWith('.')) {
          const target = path.resolve(path.dirname(f), spec);
          if (!WEB_LOCAL_ALLOWED.some((a) => target.startsWith(a))) problems.push(`${rel}: ${spec} (outside the web-side folders)`);
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
