// Checkpoints that have stored activations, with their run, probe sets and the freeze masks of the
// run's phases: what the Compare view offers to pick.
import { parseRunConfig, freezeSpec } from '../../native-runner/protocol';
import type { Db } from '../store/db';
import type { ComparableCheckpoint, PoolingName } from '../common/analysis-types';

interface Row { checkpoint_id: number; path: string; run_id: number | null; run_name: string | null; step: number | null; phase: string | null; config: string | null }

function freezeMasks(config: string | null, numLayers: number): ComparableCheckpoint['frozen'] {
  if (!config || numLayers <= 0) return [];
  try {
    const cfg = parseRunConfig(JSON.parse(config), { model: { num_hidden_layers: numLayers, max_position_embeddings: 1 << 30 } });
    return cfg.phases.map((p) => ({ phase: p.name, layers: freezeSpec(p.freeze, numLayers).layers })).filter((f) => f.layers.length > 0);
  } catch {
    return []; // a config that no longer parses still has comparable activations
  }
}

export function listComparable(db: Db): ComparableCheckpoint[] {
  const rows = db
    .prepare(
      `SELECT c.id AS checkpoint_id, c.path, c.run_id, r.name AS run_name, c.step, c.phase, r.config
       FROM checkpoints c LEFT JOIN runs r ON r.id = c.run_id
       WHERE EXISTS (SELECT 1 FROM activations a WHERE a.checkpoint_id = c.id)
       ORDER BY c.run_id IS NULL, c.run_id, c.step, c.id`,
    )
    .all() as Row[];
  const sets = db.prepare(
    `SELECT p.id, p.name, p.n_texts, a.pooling, count(*) AS layers FROM activations a JOIN probe_sets p ON p.id = a.probe_set_id
     WHERE a.checkpoint_id = ? GROUP BY p.id, a.pooling ORDER BY p.id`,
  );
  return rows.map((r) => {
    const bySet = new Map<number, { id: number; name: string; texts: number; poolings: PoolingName[] }>();
    let layers = 0;
    for (const s of sets.all(r.checkpoint_id) as { id: number; name: string; n_texts: number; pooling: PoolingName; layers: number }[]) {
      const e = bySet.get(s.id) ?? { id: s.id, name: s.name, texts: s.n_texts, poolings: [] };
      e.poolings.push(s.pooling);
      bySet.set(s.id, e);
      layers = Math.max(layers, s.layers);
    }
    return {
      checkpointId: r.checkpoint_id, path: r.path, runId: r.run_id, runName: r.run_name, step: r.step, phase: r.phase,
      layers, probeSets: [...bySet.values()], frozen: freezeMasks(r.config, layers - 1),
    };
  });
}
