// An event line the schema refuses (a step with grad_norm null, as NaN serialises) is reported in the
// run log naming the event and the field; before, it vanished without a trace.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openWorkspaceDb } from '../store/db';
import { createRun } from '../store/runs';
import { RunEventBus } from '../events';
import type { RunEvent } from '../common/types';
import { RunIngest } from './ingest';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-ingest-'));
const db = openWorkspaceDb(dir);
afterAll(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('no runner event is dropped silently (item 9)', () => {
  it('a step event failing the schema becomes an error line in the run log', () => {
    const id = createRun(db, { name: 'r', config: {} });
    const events = new RunEventBus();
    const seen: RunEvent[] = [];
    events.subscribe({}, (e) => seen.push(e));
    const ingest = new RunIngest(db, events, id);
    const step = { t: 1, type: 'step', step: 2, phase: 'mlm', loss: 4.2, lr: 1e30, grad_norm: NaN, layer_grad_norms: [1], tokens_per_s: 1, eta_s: 1 };
    expect(ingest.line(JSON.stringify(step))).toBeNull();
    expect(seen).toEqual([{ type: 'run-log', runId: id, level: 'error', message: expect.stringMatching(/^runner event "step" does not match the event schema \(grad_norm: .*\); it was not recorded$/) }]);
  });
});
