import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasMallocTunables, MALLOC_TUNABLES, withMallocTunables } from './malloc-tunables';

const linux = process.platform === 'linux';

describe('malloc tunables', () => {
  it.runIf(linux)('merges ours into GLIBC_TUNABLES, keeping other keys and replacing ours', () => {
    const env = withMallocTunables({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2:glibc.malloc.mmap_max=7', PATH: '/bin' });
    expect(env.PATH).toBe('/bin');
    expect(env.GLIBC_TUNABLES!.split(':')).toEqual(['glibc.malloc.arena_max=2', ...MALLOC_TUNABLES]);
    expect(hasMallocTunables(env)).toBe(true);
    expect(hasMallocTunables({})).toBe(false);
  });

  it.runIf(linux)('a process without them relaunches itself once with them, and passes its exit code on', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tunables-'));
    const script = join(dir, 'probe.ts');
    const mod = join(__dirname, 'malloc-tunables.ts');
    writeFileSync(script, `import { relaunchWithMallocTunables } from ${JSON.stringify(mod)};
const r = relaunchWithMallocTunables();
if (r) r.then((code) => { process.exitCode = code; });
else { console.log('child sees ' + process.env.GLIBC_TUNABLES); process.exitCode = 7; }
`);
    const env = { ...process.env };
    delete env.GLIBC_TUNABLES;
    delete env.WORKBENCH_NO_MALLOC_TUNABLES;
    const res = spawnSync(process.execPath, ['--import', 'tsx', script], { env, encoding: 'utf8' });
    expect(res.stdout.trim()).toBe(`child sees ${MALLOC_TUNABLES.join(':')}`);   // printed once: by the relaunched copy only
    expect(res.status).toBe(7);
  });

  it.runIf(linux)('the relaunched copy dies with the process that relaunched it (SIGKILL leaves no orphan)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tunables-'));
    const script = join(dir, 'long.ts');
    writeFileSync(script, `import { relaunchWithMallocTunables } from ${JSON.stringify(join(__dirname, 'malloc-tunables.ts'))};
const r = relaunchWithMallocTunables();
if (r) r.then((code) => { process.exitCode = code; });
else { console.log('child ' + process.pid); setInterval(() => {}, 1000); }
`);
    const env = { ...process.env };
    delete env.GLIBC_TUNABLES;
    const parent = spawn(process.execPath, ['--import', 'tsx', script], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    const childPid = await new Promise<number>((resolve) => {
      let out = '';
      parent.stdout!.on('data', (d: Buffer) => { out += d.toString(); const m = /child (\d+)/.exec(out); if (m) resolve(Number(m[1])); });
    });
    const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };
    expect(alive(childPid)).toBe(true);
    parent.kill('SIGKILL');
    const deadline = Date.now() + 10_000;
    while (alive(childPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(alive(childPid)).toBe(false);
  });
});
