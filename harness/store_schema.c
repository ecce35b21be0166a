/* store_schema.c — results.db schema as forward migrations (PRAGMA user_version).
 *
 * Migration N takes a database from user_version N-1 to N.  Migrations are
 * never edited once released: a change is a new entry appended to the array,
 * with RB_SCHEMA_VERSION in store.h bumped to match (a static assertion below
 * keeps the two in step).  Comments sit *inside* each CREATE statement so that
 * SQLite keeps them and `sqlite3 results.db .schema` shows the documentation.
 * harness/SCHEMA.md describes the same tables for people. */
#include <stdio.h>

#include "store_internal.h"

/* Migration 1: everything.  Times are milliseconds, energy joules, rates per
 * second; NULL means "not known / not measured", never zero. */
static const char migration_1[] =
    "CREATE TABLE runs ( -- one invocation of `rnnbench run` (or a resumed one)\n"
    "  id            INTEGER PRIMARY KEY,\n"
    "  started_at    TEXT NOT NULL,      -- ISO-8601 UTC, e.g. 2024-05-01T12:34:56.789Z\n"
    "  finished_at   TEXT,               -- NULL while running, or when the process died\n"
    "  status        TEXT NOT NULL DEFAULT 'running'\n"
    "                CONSTRAINT run_status_known\n"
    "                CHECK (status IN ('running','complete','interrupted','failed')),\n"
    "  label         TEXT,               -- --label, free text for people\n"
    "  git_sha       TEXT,               -- revision of the rnnbench that ran\n"
    "  command_line  TEXT,\n"
    "  host_json     TEXT,               -- host metadata, Google Benchmark 'context' style\n"
    "  config_json   TEXT,               -- targets, workload points, options: what --resume needs\n"
    "  warnings_json TEXT,               -- JSON array of what makes timings unreliable\n"
    "  version       TEXT,               -- rnnbench version\n"
    "  pid           INTEGER,            -- process that ran it, for dead-run recovery\n"
    "  hostname      TEXT                -- host that ran it, for dead-run recovery\n"
    ");\n"
    "\n"
    "CREATE TABLE devices ( -- one target as probed for one run\n"
    "  id           INTEGER PRIMARY KEY,\n"
    "  run_id       INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
    "  target       TEXT NOT NULL,       -- adapter: cpu | gpu | fpga | asic\n"
    "  name         TEXT,                -- what a person recognises, e.g. CPU model and threads\n"
    "  type         TEXT,                -- cpu | gpu | fpga | asic\n"
    "  method       TEXT,                -- how its latency is obtained: measured | simulated | modeled\n"
    "  numerics     TEXT,                -- number format: fp32, fixed q4.12, ...\n"
    "  peak_flops   REAL,                -- FLOP/s in that format\n"
    "  mem_bw       REAL,                -- bytes/s\n"
    "  power_w      REAL,                -- power figure the energy model uses\n"
    "  power_source TEXT,                -- how power_w was obtained\n"
    "  extra_json   TEXT                 -- adapter-specific JSON object\n"
    ");\n"
    "CREATE INDEX devices_run ON devices(run_id);\n"
    "\n"
    "CREATE TABLE workloads ( -- one point of the workload matrix, shared by all runs\n"
    "  id         INTEGER PRIMARY KEY,\n"
    "  key        TEXT NOT NULL UNIQUE,  -- canonical, e.g. lstm_infer_t25_b4_i512_h512_l1\n"
    "  cell       TEXT NOT NULL CONSTRAINT cell_known CHECK (cell IN ('lstm','rnn','gru')),\n"
    "  mode       TEXT NOT NULL CONSTRAINT mode_known CHECK (mode IN ('infer','train')),\n"
    "  seq        INTEGER NOT NULL,      -- T\n"
    "  input      INTEGER NOT NULL,      -- I\n"
    "  hidden     INTEGER NOT NULL,      -- H\n"
    "  layers     INTEGER NOT NULL,      -- L\n"
    "  batch      INTEGER NOT NULL,      -- B\n"
    "  input_proj INTEGER NOT NULL DEFAULT 1, -- 0: DeepBench-style, recurrent part only\n"
    "  flops      REAL                   -- FLOP per call (workload.h formulas)\n"
    ");\n"
    "\n"
    "CREATE TABLE results ( -- one (run, device, workload) point; a re-run replaces it\n"
    "  id             INTEGER PRIMARY KEY,\n"
    "  run_id         INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
    "  device_id      INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,\n"
    "  workload_id    INTEGER NOT NULL REFERENCES workloads(id),\n"
    "  numerics       TEXT,\n"
    "  threads        INTEGER,\n"
    "  status         TEXT NOT NULL CONSTRAINT result_status_known CHECK (status IN\n"
    "                 ('ok','mismatch','failed','timeout','unsupported','interrupted')),\n"
    "  message        TEXT,              -- why it failed / what a person should know\n"
    "  reps           INTEGER NOT NULL DEFAULT 0, -- timed repetitions behind the statistics\n"
    "  warmup         INTEGER,           -- warm-up repetitions (not in the statistics)\n"
    "  -- latency, ms\n"
    "  first_ms       REAL,              -- the very first call: cold caches, first touch\n"
    "  warmup_mean_ms REAL,\n"
    "  load_ms        REAL,              -- model loading: weights to the device\n"
    "  median_ms      REAL,\n"
    "  p10_ms         REAL,\n"
    "  p90_ms         REAL,\n"
    "  p99_ms         REAL,\n"
    "  mean_ms        REAL,\n"
    "  stddev_ms      REAL,\n"
    "  min_ms         REAL,\n"
    "  max_ms         REAL,\n"
    "  ci_lo_ms       REAL,              -- 95% confidence interval of the median\n"
    "  ci_hi_ms       REAL,\n"
    "  -- derived rates and energy\n"
    "  throughput_sps REAL,              -- sequences/s = batch / median\n"
    "  gflops         REAL,              -- workload FLOP / median\n"
    "  energy_j       REAL,              -- per call\n"
    "  -- error against the fp64 reference\n"
    "  err_max_abs    REAL,\n"
    "  err_max_rel    REAL,\n"
    "  err_tol        REAL,              -- bound err_max_rel was checked against\n"
    "  -- provenance of the figures above\n"
    "  latency_source TEXT CONSTRAINT latency_source_known\n"
    "                 CHECK (latency_source IN ('measured','simulated','modeled')),\n"
    "  energy_source  TEXT CONSTRAINT energy_source_known\n"
    "                 CHECK (energy_source IN ('rapl','nvml','model')),\n"
    "  created_at     TEXT NOT NULL,     -- ISO-8601 UTC, when this row was written\n"
    "  UNIQUE (run_id, device_id, workload_id)\n"
    ");\n"
    "-- results(run_id) is served by the UNIQUE index above.\n"
    "CREATE INDEX results_device ON results(device_id);\n"
    "CREATE INDEX results_workload ON results(workload_id);\n"
    "\n"
    "CREATE TABLE metrics ( -- what a target knows beyond the common columns\n"
    "  result_id INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,\n"
    "  name      TEXT NOT NULL,          -- host_ms, cycles, clock_hz, lane_util, ...\n"
    "  value     REAL,\n"
    "  unit      TEXT,\n"
    "  source    TEXT,                   -- measured | simulated | modeled | rapl | nvml | model\n"
    "  PRIMARY KEY (result_id, name)\n"
    ");\n"
    "\n"
    "CREATE TABLE samples ( -- raw timed repetitions, for statistics later\n"
    "  result_id INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,\n"
    "  rep       INTEGER NOT NULL,       -- 0-based, in the order they ran\n"
    "  value_ms  REAL NOT NULL,\n"
    "  PRIMARY KEY (result_id, rep)\n"
    ");\n"
    "\n"
    "CREATE TABLE resources ( -- synthesized or modeled hardware cost: LUT, FF, DSP, BRAM, area\n"
    "  device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,\n"
    "  key       TEXT NOT NULL,\n"
    "  value     REAL,\n"
    "  unit      TEXT,\n"
    "  source    TEXT,                   -- synthesized | modeled | ...\n"
    "  PRIMARY KEY (device_id, key)\n"
    ");\n"
    "\n"
    "CREATE TABLE accuracy ( -- real-task training/evaluation curves\n"
    "  id        INTEGER PRIMARY KEY,\n"
    "  run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
    "  device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,\n"
    "  task      TEXT NOT NULL,          -- e.g. textclass\n"
    "  split     TEXT NOT NULL,          -- train | valid | test\n"
    "  epoch     INTEGER NOT NULL,\n"
    "  accuracy  REAL,                   -- fraction in [0, 1]\n"
    "  loss      REAL,\n"
    "  created_at TEXT,\n"
    "  UNIQUE (run_id, device_id, task, split, epoch)\n"
    ");\n"
    "CREATE INDEX accuracy_device ON accuracy(device_id);\n"
    "\n"
    "CREATE VIEW v_results AS -- one friendly row per result: what `sqlite3 results.db` users want\n"
    "SELECT r.id AS result_id, r.run_id, ru.label, ru.started_at,\n"
    "       d.target, d.name AS device, d.method,\n"
    "       w.key AS workload, w.cell, w.mode, w.seq, w.batch, w.input, w.hidden, w.layers,\n"
    "       r.numerics, r.threads, r.status, r.reps,\n"
    "       r.median_ms, r.p10_ms, r.p90_ms, r.p99_ms, r.ci_lo_ms, r.ci_hi_ms, r.first_ms,\n"
    "       r.throughput_sps, r.gflops, r.energy_j, r.energy_source, r.latency_source,\n"
    "       r.err_max_abs, r.err_max_rel, r.err_tol, r.message\n"
    "  FROM results r\n"
    "  JOIN runs ru ON ru.id = r.run_id\n"
    "  JOIN devices d ON d.id = r.device_id\n"
    "  JOIN workloads w ON w.id = r.workload_id;\n"
    "\n"
    "CREATE VIEW v_runs AS -- runs with how many results ended in each status\n"
    "SELECT ru.id AS run_id, ru.started_at, ru.finished_at, ru.status, ru.label, ru.git_sha,\n"
    "       ru.version, ru.hostname, ru.pid, ru.command_line,\n"
    "       count(r.id) AS n_results,\n"
    "       count(CASE WHEN r.status = 'ok' THEN 1 END) AS n_ok,\n"
    "       count(CASE WHEN r.status = 'mismatch' THEN 1 END) AS n_mismatch,\n"
    "       count(CASE WHEN r.status = 'failed' THEN 1 END) AS n_failed,\n"
    "       count(CASE WHEN r.status = 'timeout' THEN 1 END) AS n_timeout,\n"
    "       count(CASE WHEN r.status = 'unsupported' THEN 1 END) AS n_unsupported,\n"
    "       count(CASE WHEN r.status = 'interrupted' THEN 1 END) AS n_interrupted\n"
    "  FROM runs ru\n"
    "  LEFT JOIN results r ON r.run_id = ru.id\n"
    " GROUP BY ru.id;\n";

/* Migration 2: the accuracy table as the text-classification task fills
 * it (rnnbench train / eval): which model a curve belongs to, training
 * curves vs evaluations on a target, macro-F1, the majority-class baseline,
 * agreement with the cpu's predictions, the number format.  SQLite cannot
 * change a UNIQUE constraint in place, hence the copy. */
static const char migration_2[] =
    "CREATE TABLE accuracy_v2 ( -- text classification: training curves and evaluations per target\n"
    "  id        INTEGER PRIMARY KEY,\n"
    "  run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
    "  device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,\n"
    "  task      TEXT NOT NULL,          -- fortunes | synthetic\n"
    "  model     TEXT NOT NULL DEFAULT '', -- what was trained, e.g. lstm_h64_l2_e64_t48: one curve each\n"
    "  cell      TEXT,                   -- lstm | rnn\n"
    "  phase     TEXT NOT NULL DEFAULT 'train'\n"
    "            CONSTRAINT accuracy_phase_known CHECK (phase IN ('train','eval')),\n"
    "                                    -- train: a training curve; eval: a saved model on a target\n"
    "  split     TEXT NOT NULL,          -- train | valid | test\n"
    "  epoch     INTEGER NOT NULL,       -- 1.. while training; eval: the model's last epoch\n"
    "  n         INTEGER,                -- documents scored\n"
    "  accuracy  REAL,                   -- fraction in [0, 1]\n"
    "  macro_f1  REAL,                   -- mean F1 over classes, in [0, 1]\n"
    "  loss      REAL,                   -- class-weighted mean cross-entropy\n"
    "  baseline_accuracy REAL,           -- always predicting the most frequent training class\n"
    "  baseline_macro_f1 REAL,\n"
    "  agreement REAL,                   -- eval: fraction of predictions equal to the cpu's (fp32)\n"
    "  numerics  TEXT,                   -- number format the recurrent stack ran in\n"
    "  created_at TEXT,\n"
    "  UNIQUE (run_id, device_id, task, model, phase, split, epoch)\n"
    ");\n"
    "INSERT INTO accuracy_v2 (id, run_id, device_id, task, split, epoch, accuracy, loss, created_at)\n"
    "  SELECT id, run_id, device_id, task, split, epoch, accuracy, loss, created_at FROM accuracy;\n"
    "DROP TABLE accuracy;\n"
    "ALTER TABLE accuracy_v2 RENAME TO accuracy;\n"
    "CREATE INDEX accuracy_device ON accuracy(device_id);\n"
    "\n"
    "CREATE VIEW v_accuracy AS -- accuracy rows with their target and run\n"
    "SELECT a.id, a.run_id, ru.label, ru.started_at, d.target, d.name AS device, a.task, a.model,\n"
    "       a.cell, a.phase, a.split, a.epoch, a.n, a.accuracy, a.macro_f1, a.loss,\n"
    "       a.baseline_accuracy, a.baseline_macro_f1, a.agreement, a.numerics\n"
    "  FROM accuracy a\n"
    "  JOIN runs ru ON ru.id = a.run_id\n"
    "  JOIN devices d ON d.id = a.device_id;\n";

/* Migration 3: target instances.  One run may hold several configurations
 * of one target kind (fpga:small and fpga:large, asic:tpu-v1 and
 * asic:edge-npu), each a device of its own; `instance` names the
 * configuration as results pair by it (compare, history, export), and
 * `options_json` holds every option value it ran with.  Rows written
 * before instances existed ran one configuration per target: their
 * instance is the target's name. */
static const char migration_3[] =
    "ALTER TABLE devices ADD COLUMN instance TEXT; -- e.g. fpga:large, asic:tpu-v1?clock_mhz=500; "
    "results pair by it\n"
    "ALTER TABLE devices ADD COLUMN options_json TEXT; -- the instance's option values, a JSON object\n"
    "UPDATE devices SET instance = target;\n"
    "DROP VIEW v_results;\n"
    "CREATE VIEW v_results AS -- one friendly row per result: what `sqlite3 results.db` users want\n"
    "SELECT r.id AS result_id, r.run_id, ru.label, ru.started_at,\n"
    "       d.target, d.instance, d.name AS device, d.method,\n"
    "       w.key AS workload, w.cell, w.mode, w.seq, w.batch, w.input, w.hidden, w.layers,\n"
    "       r.numerics, r.threads, r.status, r.reps,\n"
    "       r.median_ms, r.p10_ms, r.p90_ms, r.p99_ms, r.ci_lo_ms, r.ci_hi_ms, r.first_ms,\n"
    "       r.throughput_sps, r.gflops, r.energy_j, r.energy_source, r.latency_source,\n"
    "       r.err_max_abs, r.err_max_rel, r.err_tol, r.message\n"
    "  FROM results r\n"
    "  JOIN runs ru ON ru.id = r.run_id\n"
    "  JOIN devices d ON d.id = r.device_id\n"
    "  JOIN workloads w ON w.id = r.workload_id;\n"
    "DROP VIEW v_accuracy;\n"
    "CREATE VIEW v_accuracy AS -- accuracy rows with their target and run\n"
    "SELECT a.id, a.run_id, ru.label, ru.started_at, d.target, d.instance, d.name AS device,\n"
    "       a.task, a.model, a.cell, a.phase, a.split, a.epoch, a.n, a.accuracy, a.macro_f1,\n"
    "       a.loss, a.baseline_accuracy, a.baseline_macro_f1, a.agreement, a.numerics\n"
    "  FROM accuracy a\n"
    "  JOIN runs ru ON ru.id = a.run_id\n"
    "  JOIN devices d ON d.id = a.device_id;\n";

/* Migration 4: imported models.  A point of an imported model (ONNX, a
 * PyTorch state_dict) names it by its file's name and a content hash, which
 * its key also ends with; directions and what beyond a plain stack it needs
 * are columns for queries.  Older rows are seeded stacks of one direction. */
static const char migration_4[] =
    "ALTER TABLE workloads ADD COLUMN dirs INTEGER NOT NULL DEFAULT 1; -- 2: bidirectional\n"
    "ALTER TABLE workloads ADD COLUMN features TEXT; -- e.g. peepholes,clip; NULL: a plain stack\n"
    "ALTER TABLE workloads ADD COLUMN model TEXT; -- imported model: name-hash; NULL: seeded "
    "weights\n";

/* Migration 5: serving scenarios.  A served point says how queries reach
 * it; its result has load figures beside the latency quantiles (which are
 * then of every query, not of repeated calls), the latency histogram of
 * its queries, the sizes of the batches the server formed, and the load
 * levels it was run at (the maximum-rate search's probes: a latency-rate
 * curve). */
static const char migration_5[] =
    "ALTER TABLE workloads ADD COLUMN scenario TEXT; -- single-stream, multi-stream, server, "
    "offline; NULL: one call at a time\n"
    "ALTER TABLE workloads ADD COLUMN qps INTEGER; -- server: offered queries/s; NULL: searched\n"
    "ALTER TABLE workloads ADD COLUMN streams INTEGER; -- multi-stream: samples per query\n"
    "ALTER TABLE workloads ADD COLUMN slo_ms REAL; -- the p99 latency bound\n"
    "ALTER TABLE workloads ADD COLUMN max_batch INTEGER; -- the server's largest batch\n"
    "ALTER TABLE workloads ADD COLUMN batch_timeout_ms REAL; -- a batch closes after this wait\n"
    "ALTER TABLE results ADD COLUMN p999_ms REAL; -- 99.9th percentile, ms\n"
    "ALTER TABLE results ADD COLUMN offered_qps REAL; -- serving: arrival rate offered\n"
    "ALTER TABLE results ADD COLUMN achieved_qps REAL; -- serving: queries completed per second\n"
    "ALTER TABLE results ADD COLUMN max_qps REAL; -- serving: largest rate whose p99 meets the "
    "bound\n"
    "ALTER TABLE results ADD COLUMN over_slo_frac REAL; -- serving: fraction over the bound\n"
    "ALTER TABLE results ADD COLUMN busy_frac REAL; -- serving: fraction of time computing\n"
    "CREATE TABLE histograms ( -- a served result's distributions, one row per non-empty bucket\n"
    "  result_id INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,\n"
    "  name TEXT NOT NULL, -- latency_ms (every query), batch (queries per batch)\n"
    "  lo REAL NOT NULL, -- the bucket's lowest value (latency: 3 significant digits)\n"
    "  hi REAL NOT NULL, -- its highest\n"
    "  count INTEGER NOT NULL,\n"
    "  PRIMARY KEY (result_id, name, lo)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE load_points ( -- every load a served result was run at (the search's probes)\n"
    "  result_id INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,\n"
    "  seq INTEGER NOT NULL, -- order of the runs\n"
    "  offered_qps REAL NOT NULL,\n"
    "  achieved_qps REAL,\n"
    "  p50_ms REAL, p99_ms REAL,\n"
    "  queries INTEGER NOT NULL,\n"
    "  PRIMARY KEY (result_id, seq)\n"
    ") WITHOUT ROWID;\n";

/* v_runs' counts of results by status (migrations 6 and 7 make the view
 * again with more run columns before them). */
#define V_RUNS_COUNTS                                                                              \
    "       count(r.id) AS n_results,\n"                                                           \
    "       count(CASE WHEN r.status = 'ok' THEN 1 END) AS n_ok,\n"                                \
    "       count(CASE WHEN r.status = 'mismatch' THEN 1 END) AS n_mismatch,\n"                    \
    "       count(CASE WHEN r.status = 'failed' THEN 1 END) AS n_failed,\n"                        \
    "       count(CASE WHEN r.status = 'timeout' THEN 1 END) AS n_timeout,\n"                      \
    "       count(CASE WHEN r.status = 'unsupported' THEN 1 END) AS n_unsupported,\n"              \
    "       count(CASE WHEN r.status = 'interrupted' THEN 1 END) AS n_interrupted\n"               \
    "  FROM runs ru\n"                                                                             \
    "  LEFT JOIN results r ON r.run_id = ru.id\n"                                                  \
    " GROUP BY ru.id;\n"

/* Migration 6: energy a person gave (--power: source 'user'), the
 * boundary of every energy figure (what it covers: chip, package, board,
 * the wall ...), and each run's kind, from the command its configuration
 * names.  SQLite cannot alter a CHECK constraint, and rebuilding
 * results would cascade deletes into its children: the constraint's text
 * is edited in the schema instead, as SQLite documents for changes that
 * leave the stored format alone (rb_store_migrate then bumps schema_version). */
// clang-format off
static const char migration_6[] =
    "ALTER TABLE results ADD COLUMN energy_boundary TEXT; -- what energy_j covers: chip, "
    "package, board, wall ...; NULL with no energy\n"
    "ALTER TABLE results ADD COLUMN peak_mem_mb REAL; -- the target's own memory figure (metric "
    "mem_bytes), else the process's peak RSS while the point ran\n"
    "ALTER TABLE runs ADD COLUMN kind TEXT; -- benchmark (rnnbench run), train, eval\n"
    "UPDATE runs SET kind = " RB_RUN_KIND_SQL("config_json") ";\n"
    "DROP VIEW v_runs;\n"
    "CREATE VIEW v_runs AS -- runs with how many results ended in each status\n"
    "SELECT ru.id AS run_id, ru.kind, ru.started_at, ru.finished_at, ru.status, ru.label,\n"
    "       ru.git_sha, ru.version, ru.hostname, ru.pid, ru.command_line,\n"
    V_RUNS_COUNTS
    "PRAGMA writable_schema = ON;\n"
    "UPDATE sqlite_master SET sql = replace(sql,"
    " 'CHECK (energy_source IN (''rapl'',''nvml'',''model''))',"
    " 'CHECK (energy_source IN (''rapl'',''nvml'',''model'',''user''))')"
    " WHERE type = 'table' AND name = 'results';\n";
// clang-format on

/* Migration 7: a fleet (issue 20).  Each run gets a UUID, so that merging
 * databases from many machines, or the same one twice, knows a run it has
 * already; each device the host it is on, part of its identity once runs
 * from several machines share a database; each result the UUID of the run
 * that measured it when `merge` carried it into another run; and a run
 * status for a merge that lacks some of its shards' points. */
static const char migration_7[] =
    "ALTER TABLE runs ADD COLUMN uuid TEXT; -- identity across databases, made at creation\n"
    "UPDATE runs SET uuid = " RB_SQL_UUID ";\n"
    "CREATE UNIQUE INDEX runs_uuid ON runs(uuid);\n"
    "ALTER TABLE devices ADD COLUMN host TEXT; -- the machine it is on (its hostname)\n"
    "UPDATE devices SET host = (SELECT hostname FROM runs WHERE runs.id = devices.run_id);\n"
    "ALTER TABLE results ADD COLUMN origin TEXT; -- merged: the uuid of the run that measured "
    "it; NULL: this run\n"
    "DROP VIEW v_runs;\n"
    "CREATE VIEW v_runs AS -- runs with how many results ended in each status\n"
    "SELECT ru.id AS run_id, ru.uuid, ru.kind, ru.started_at, ru.finished_at, ru.status, "
    "ru.label,\n"
    "       ru.git_sha, ru.version, ru.hostname, ru.pid, ru.command_line,\n"
    V_RUNS_COUNTS
    "PRAGMA writable_schema = ON;\n"
    "UPDATE sqlite_master SET sql = replace(sql,"
    " 'CHECK (status IN (''running'',''complete'',''interrupted'',''failed''))',"
    " 'CHECK (status IN (''running'',''complete'',''interrupted'',''failed'',''incomplete''))')"
    " WHERE type = 'table' AND name = 'runs';\n";

#ifdef RB_TEST_EXTRA_FIGURE
/* What adding a figure takes (tests/cli/test_extra_figure.sh). */
static const char migration_8_test[] =
    "ALTER TABLE results ADD COLUMN p95_ms REAL; -- 95th percentile, ms\n";
#endif

const char *const rb_store_migrations[] = {
    migration_1, migration_2, migration_3, migration_4, migration_5, migration_6, migration_7,
#ifdef RB_TEST_EXTRA_FIGURE
    migration_8_test,
#endif
};
const size_t rb_store_n_migrations = sizeof rb_store_migrations / sizeof rb_store_migrations[0];

_Static_assert(sizeof rb_store_migrations / sizeof rb_store_migrations[0] == RB_SCHEMA_VERSION,
               "one migration per schema version: append a migration when bumping "
               "RB_SCHEMA_VERSION");

/* v_results lists every figure of the table: made again by every migration,
 * so a figure's column reaches it with the migration that adds the column.
 * (Views hold no data: replacing one loses nothing.) */
static int create_results_view(rb_store *s)
{
    char sql[4096];
    int at = snprintf(
        sql, sizeof sql,
        "DROP VIEW IF EXISTS v_results;\n"
        "CREATE VIEW v_results AS -- one friendly row per result: what `sqlite3 results.db` "
        "users want\n"
        "SELECT r.id AS result_id, r.run_id, ru.label, ru.started_at,\n"
        "       d.target, d.instance, d.name AS device, d.method,\n"
        "       w.key AS workload, w.cell, w.mode, w.seq, w.batch, w.input, w.hidden, w.layers,\n"
        "       %s"
        "       r.numerics, r.threads, r.status, r.reps, r.latency_source, r.energy_source,\n"
        "       r.energy_boundary, ",
        /* a read-only database of an older schema keeps its view: this
         * runs only in migrations, on a schema that has the columns */
        "w.dirs, w.model, w.scenario, w.qps, w.slo_ms, w.max_batch,\n");
    for (int i = 0; i < RB_N_FIGURES && at < (int)sizeof sql; i++)
        at += snprintf(sql + at, sizeof sql - (size_t)at, "r.%s, ", rb_figure_table[i].name);
    at += snprintf(sql + at, at < (int)sizeof sql ? sizeof sql - (size_t)at : 0,
                   "r.message\n"
                   "  FROM results r\n"
                   "  JOIN runs ru ON ru.id = r.run_id\n"
                   "  JOIN devices d ON d.id = r.device_id\n"
                   "  JOIN workloads w ON w.id = r.workload_id;\n");
    if (at >= (int)sizeof sql)
        return SQLITE_TOOBIG;
    return sqlite3_exec(s->db, sql, NULL, NULL, NULL);
}

int rb_store_pragma_int(sqlite3 *db, const char *sql, int *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        *out = sqlite3_column_int(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

int rb_store_read_version(sqlite3 *db, int *version)
{
    return rb_store_pragma_int(db, "PRAGMA user_version", version);
}

static int newer_error(const rb_store *s, int version, rb_err *e)
{
    return rb_errf(e, RB_EDB,
                   "%s was written by a newer rnnbench (schema version %d, this build knows up "
                   "to %d): upgrade rnnbench or use another --db",
                   s->path, version, RB_SCHEMA_VERSION);
}

static int fail_rollback(rb_store *s, int rc, const char *what, rb_err *e)
{
    int code = rb_store_dberr(s, rc, what, e);
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return code;
}

int rb_store_migrate(rb_store *s, rb_err *e)
{
    int version = 0;
    int rc = rb_store_read_version(s->db, &version);
    if (rc != SQLITE_OK)
        return rb_store_dberr(s, rc, "reading the schema version", e);
    if (version > RB_SCHEMA_VERSION)
        return newer_error(s, version, e);
    s->version = version;
    if (version == RB_SCHEMA_VERSION)
        return 0; /* the common case takes no write lock */

    /* IMMEDIATE: take the write lock first, then re-read, so two processes
     * opening a fresh database at once do not both run migration 1. */
    rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return rb_store_dberr(s, rc, "starting the schema migration", e);
    rc = rb_store_read_version(s->db, &version);
    if (rc != SQLITE_OK)
        return fail_rollback(s, rc, "reading the schema version", e);
    if (version > RB_SCHEMA_VERSION) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return newer_error(s, version, e);
    }
    for (int v = version; v < RB_SCHEMA_VERSION; v++) {
        rc = sqlite3_exec(s->db, rb_store_migrations[v], NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            char what[64];
            snprintf(what, sizeof what, "migrating the schema to version %d", v + 1);
            return fail_rollback(s, rc, what, e);
        }
    }
    rc = create_results_view(s);
    if (rc != SQLITE_OK)
        return fail_rollback(s, rc, "making the view v_results", e);
    /* A migration may edit the schema's text (writable_schema, migration 6):
     * every connection, this one too, rereads the schema only when
     * schema_version moves, so it moves once after any migration. */
    int sv = 0;
    rc = rb_store_pragma_int(s->db, "PRAGMA schema_version", &sv);
    if (rc == SQLITE_OK) {
        char bump[96];
        snprintf(bump, sizeof bump, "PRAGMA schema_version = %d; PRAGMA writable_schema = OFF;",
                 sv + 1);
        rc = sqlite3_exec(s->db, bump, NULL, NULL, NULL);
    }
    if (rc != SQLITE_OK)
        return fail_rollback(s, rc, "rereading the migrated schema", e);
    /* PRAGMA takes no bound parameters; the value is our own constant. */
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", RB_SCHEMA_VERSION);
    rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return fail_rollback(s, rc, "recording the schema version", e);
    rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return fail_rollback(s, rc, "committing the schema migration", e);
    s->version = RB_SCHEMA_VERSION;
    return 0;
}
