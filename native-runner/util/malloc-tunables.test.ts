import { spawnSync } from 'node:child_process';
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
});
