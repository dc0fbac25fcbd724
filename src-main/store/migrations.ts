// Numbered schema migrations, applied in order at open (db.ts). Never edit a migration that has
// shipped: add a new one. Each runs in its own transaction together with its bookkeeping row.

export interface Migration {
  version: number;   // 1, 2, 3 … strictly increasing, no gaps
  name: string;      // short description, recorded in schema_migrations
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'initial schema: runs, phases, metrics, checkpoints, probe sets, activations, analyses',
    sql: `
      -- One row per training run. config is the validated run-config JSON (native-runner/protocol.ts).
      CREATE TABLE runs (
        id          INTEGER PRIMARY KEY,
        name        TEXT    NOT NULL,
        config      TEXT    NOT NULL CHECK (json_valid(config)),
        status      TEXT    NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued','running','finished','failed','diverged','cancelled','interrupted')),
        out_dir     TEXT,
        created_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        started_at  TEXT,
        finished_at TEXT,
        error       TEXT
      );
      CREATE INDEX runs_by_status ON runs(status, created_at);

      -- The phases of a run (CLM detour, MLM decay, ...), in order.
      CREATE TABLE phases (
        run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        idx         INTEGER NOT NULL,
        name        TEXT    NOT NULL,
        objective   TEXT    NOT NULL CHECK (objective IN ('mlm','clm')),
        first_step  INTEGER,
        last_step   INTEGER,
        PRIMARY KEY (run_id, idx)
      ) WITHOUT ROWID;

      -- Metric names are interned so ~1e6 metric rows per run stay small.
      CREATE TABLE metric_names (
        id   INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE
      );
      -- The primary key is the plotting index: one metric of one run, ordered by step.
      CREATE TABLE metrics (
        run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        name_id INTEGER NOT NULL REFERENCES metric_names(id),
        step    INTEGER NOT NULL,
        value   REAL,
        PRIMARY KEY (run_id, name_id, step)
      ) WITHOUT ROWID;

      CREATE TABLE checkpoints (
        id         INTEGER PRIMARY KEY,
        run_id     INTEGER REFERENCES runs(id) ON DELETE CASCADE,  -- NULL: imported (e.g. an HF directory)
        step       INTEGER,
        phase      TEXT,
        path       TEXT    NOT NULL,
        sha256     TEXT    NOT NULL,
        created_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        UNIQUE (path)
      );
      CREATE INDEX checkpoints_by_run ON checkpoints(run_id, step);

      -- A set of held-out texts run through every checkpoint (labels: JSON of label sets per text).
      CREATE TABLE probe_sets (
        id         INTEGER PRIMARY KEY,
        name       TEXT    NOT NULL,
        sha256     TEXT    NOT NULL UNIQUE,
        n_texts    INTEGER NOT NULL,
        path       TEXT,
        labels     TEXT    CHECK (labels IS NULL OR json_valid(labels)),
        created_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
      );

      -- Pooled hidden states: one blob per checkpoint x probe set x layer x pooling.
      -- layer 0 = embedding output, layer l = output of transformer layer l-1 (HF hidden_states order).
      CREATE TABLE activations (
        checkpoint_id INTEGER NOT NULL REFERENCES checkpoints(id) ON DELETE CASCADE,
        probe_set_id  INTEGER NOT NULL REFERENCES probe_sets(id) ON DELETE CASCADE,
        layer         INTEGER NOT NULL,
        pooling       TEXT    NOT NULL CHECK (pooling IN ('mean','cls','tokens')),
        dtype         TEXT    NOT NULL CHECK (dtype IN ('float32','float64')),
        shape         TEXT    NOT NULL CHECK (json_valid(shape)),
        data          BLOB    NOT NULL,
        PRIMARY KEY (checkpoint_id, probe_set_id, layer, pooling)
      ) WITHOUT ROWID;

      -- Cached analysis results, keyed by a hash of their inputs and parameters.
      CREATE TABLE analyses (
        id          INTEGER PRIMARY KEY,
        kind        TEXT NOT NULL,
        inputs_hash TEXT NOT NULL,
        params      TEXT CHECK (params IS NULL OR json_valid(params)),
        result      TEXT NOT NULL CHECK (json_valid(result)),
        created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        UNIQUE (kind, inputs_hash)
      );
    `,
  },
  {
    version: 2,
    name: 'settings (run-queue concurrency …); runs remember their total steps and last step',
    sql: `
      CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL CHECK (json_valid(value))
      ) WITHOUT ROWID;
      ALTER TABLE runs ADD COLUMN total_steps INTEGER;
      ALTER TABLE runs ADD COLUMN last_step INTEGER;
    `,
  },
  {
    version: 3,
    name: 'activations remember their extraction settings (tokenizer, truncation, token sampling)',
    // A column on each row rather than a table per checkpoint x probe set: the settings belong to the
    // extraction that wrote the block, and two loggings of one pair may cover different poolings.
    // NULL = logged before settings were recorded (unknown).
    sql: `
      ALTER TABLE activations ADD COLUMN extraction TEXT CHECK (extraction IS NULL OR json_valid(extraction));
    `,
  },
  {
    version: 4,
    name: 'runs metadata: the sweep a run was launched with, tags, notes, archived',
    // sweep: the label the New run form gives every run of one launch (NULL: launched alone), so the
    // Runs page groups a sweep's runs and tabulates their final metrics together.
    sql: `
      ALTER TABLE runs ADD COLUMN sweep TEXT;
      ALTER TABLE runs ADD COLUMN tags TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags) AND json_type(tags) = 'array');
      ALTER TABLE runs ADD COLUMN notes TEXT NOT NULL DEFAULT '';
      ALTER TABLE runs ADD COLUMN archived INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1));
      CREATE INDEX runs_by_sweep ON runs(sweep);
    `,
  },
  {
    version: 5,
    name: 'cluster jobs: runs submitted to Slurm (profile, job array task, remote folder, queue state, follow offset)',
    // One row per run that runs on a cluster (src-main/cluster). The local queue never starts such a run;
    // the cluster follower moves its status. events_offset: bytes of the remote events.ndjson already
    // ingested, so following resumes where it stopped (after a restart of the workbench too).
    sql: `
      CREATE TABLE cluster_jobs (
        run_id        INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
        profile       TEXT    NOT NULL,
        array_job_id  TEXT,                       -- NULL until sbatch answered
        task          INTEGER NOT NULL,           -- index in the job array = row of the manifest
        job_dir       TEXT    NOT NULL,           -- absolute folder of the submission on the cluster
        state         TEXT    NOT NULL DEFAULT 'pending'
                      CHECK (state IN ('pending','running','finished','failed','cancelled','timeout','preempted')),
        slurm_state   TEXT,                       -- squeue's word, NULL once the task left the queue
        reason        TEXT,                       -- squeue's state_reason
        node          TEXT,
        restarts      INTEGER NOT NULL DEFAULT 0,
        events_offset INTEGER NOT NULL DEFAULT 0,
        missing_polls INTEGER NOT NULL DEFAULT 0, -- polls with neither a queue entry nor an exit file
        done          INTEGER NOT NULL DEFAULT 0 CHECK (done IN (0, 1))
      );
      CREATE INDEX cluster_jobs_active ON cluster_jobs(done, profile);
    `,
  },
];
