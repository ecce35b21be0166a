/* test_store.c — results.db: schema, round trip, replace semantics, and the
 * failure modes a person meets (missing, corrupt, newer, locked, dead runs). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../../harness/store.h"
#include "../../harness/store_internal.h"
#include "../rb_test.h"

static char tmpdir[] = "/tmp/rb_test_store_XXXXXX";

static const char *tmp_path(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", tmpdir, name);
    return buf;
}

static int file_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

static long file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long)sb.st_size : -1;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* Raw connection for checks: the test reads what the store wrote through
 * plain SQL, not through the code under test. */
static sqlite3 *raw_open(const char *path)
{
    sqlite3 *db = NULL;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        fprintf(stderr, "raw open %s: %s\n", path, sqlite3_errmsg(db));
    return db;
}

static sqlite3_stmt *raw_row(sqlite3 *db, const char *sql, sqlite3_int64 id)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "prepare %s: %s\n", sql, sqlite3_errmsg(db));
        return NULL;
    }
    if (sqlite3_bind_parameter_count(st) > 0)
        sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

static long long raw_int(sqlite3 *db, const char *sql, sqlite3_int64 id)
{
    sqlite3_stmt *st = raw_row(db, sql, id);
    long long v = st ? sqlite3_column_int64(st, 0) : -999999;
    sqlite3_finalize(st);
    return v;
}

/* Text of the first column (NULL -> "<null>"), copied into buf. */
static const char *raw_text(sqlite3 *db, const char *sql, sqlite3_int64 id, char *buf, size_t n)
{
    sqlite3_stmt *st = raw_row(db, sql, id);
    const unsigned char *t = st ? sqlite3_column_text(st, 0) : NULL;
    snprintf(buf, n, "%s", st ? (t ? (const char *)t : "<null>") : "<no row>");
    sqlite3_finalize(st);
    return buf;
}

static int col_index(sqlite3_stmt *st, const char *name)
{
    for (int i = 0; i < sqlite3_column_count(st); i++)
        if (!strcmp(sqlite3_column_name(st, i), name))
            return i;
    fprintf(stderr, "no column %s\n", name);
    return -1;
}

static double col_d(sqlite3_stmt *st, const char *name)
{
    int i = col_index(st, name);
    return i < 0 ? -12345 : sqlite3_column_double(st, i);
}

static long long col_i(sqlite3_stmt *st, const char *name)
{
    int i = col_index(st, name);
    return i < 0 ? -12345 : sqlite3_column_int64(st, i);
}

static int col_null(sqlite3_stmt *st, const char *name)
{
    int i = col_index(st, name);
    return i >= 0 && sqlite3_column_type(st, i) == SQLITE_NULL;
}

static const char *col_s(sqlite3_stmt *st, const char *name)
{
    int i = col_index(st, name);
    const unsigned char *t = i < 0 ? NULL : sqlite3_column_text(st, i);
    return t ? (const char *)t : "<null>";
}

/* ---- fixtures ---------------------------------------------------------- */

static rb_workload make_workload(int seq, int batch)
{
    rb_workload w = {.cell = RB_CELL_LSTM,
                     .mode = RB_MODE_INFER,
                     .seq = seq,
                     .batch = batch,
                     .input = 64,
                     .hidden = 128,
                     .layers = 2,
                     .input_proj = 1};
    rb_workload_make_key(&w);
    return w;
}

static const rb_run_info run_info = {
    .label = "nightly",
    .git_sha = "0123456789ab",
    .command_line = "rnnbench run --targets cpu",
    .host_json = "{\"host_name\":\"box\"}",
    .config_json = "{\"targets\":[\"cpu\"]}",
    .warnings_json = "[\"cpu scaling enabled\"]",
    .version = "0.1.0",
};

static rb_device_info make_device(void)
{
    rb_device_info d;
    memset(&d, 0, sizeof d);
    snprintf(d.name, sizeof d.name, "Test CPU (2 threads)");
    snprintf(d.type, sizeof d.type, "cpu");
    snprintf(d.numerics, sizeof d.numerics, "fp32");
    d.peak_flops = 1.5e11;
    d.mem_bw = 2.5e10;
    d.power_w = 16;
    snprintf(d.power_source, sizeof d.power_source, "model: 8 W per thread");
    snprintf(d.extra_json, sizeof d.extra_json, "{\"openblas\":\"0.3.21\"}");
    return d;
}

static double samples5[] = {1.25, 1.5, 1.0, 2.0, 1.75};

/* Every field set, each to a distinct value, so a swapped column shows. */
static rb_result make_result(int64_t run_id, int64_t device_id, const rb_workload *w)
{
    rb_result r;
    rb_result_init(&r);
    r.run_id = run_id;
    r.device_id = device_id;
    r.w = w;
    snprintf(r.numerics, sizeof r.numerics, "fp32");
    r.status = RB_STATUS_OK;
    snprintf(r.message, sizeof r.message, "note, with \"quotes\"");
    r.threads = 2;
    r.warmup = 3;
    r.first_ms = 9.5;
    r.warmup_mean_ms = 2.25;
    r.load_ms = 0.75;
    r.reps = 5;
    r.median_ms = 1.5;
    r.p10_ms = 1.1;
    r.p90_ms = 1.9;
    r.p99_ms = 1.99;
    r.mean_ms = 1.5;
    r.stddev_ms = 0.3953;
    r.min_ms = 1.0;
    r.max_ms = 2.0;
    r.ci_lo_ms = 1.0;
    r.ci_hi_ms = 2.0;
    r.latency_source = RB_SRC_MEASURED;
    r.throughput_sps = 2666.5;
    r.gflops = 12.75;
    r.energy_j = 0.0125;
    r.energy_source = RB_ESRC_RAPL;
    r.err_max_abs = 1.5e-7;
    r.err_max_rel = 3.5e-6;
    r.err_tol = 1e-4;
    r.samples_ms = samples5;
    const char *names[] = {"host_ms", "cycles", "lane_util"};
    const char *units[] = {"ms", "cycles", ""};
    const char *srcs[] = {RB_SRC_MEASURED, RB_SRC_SIMULATED, RB_SRC_MODELED};
    for (int i = 0; i < 3; i++) {
        snprintf(r.metrics[i].name, sizeof r.metrics[i].name, "%s", names[i]);
        r.metrics[i].value = 10.0 * (i + 1) + 0.5;
        snprintf(r.metrics[i].unit, sizeof r.metrics[i].unit, "%s", units[i]);
        snprintf(r.metrics[i].source, sizeof r.metrics[i].source, "%s", srcs[i]);
    }
    r.n_metrics = 3;
    return r;
}

/* A store with one run and one cpu device. */
static rb_store *open_with_run(const char *path, int64_t *run_id, int64_t *device_id)
{
    rb_err e = {0};
    rb_store *s = NULL;
    int rc = rb_store_open(&s, path, 0, &e);
    CHECK_INT(rc, 0);
    if (rc) {
        fprintf(stderr, "open: %s\n", e.msg);
        return NULL;
    }
    CHECK_INT(rb_store_run_begin(s, &run_info, run_id, &e), 0);
    rb_device_info d = make_device();
    CHECK_INT(rb_store_device(s, *run_id, &(rb_device_id){"cpu", NULL, NULL}, RB_SRC_MEASURED, &d,
                              device_id, &e),
              0);
    return s;
}

/* ---- tests ------------------------------------------------------------- */

static void test_create_from_empty_file(void)
{
    char path[512];
    tmp_path(path, sizeof path, "empty.db");
    write_file(path, "");
    rb_err e = {0};
    rb_store *s = NULL;
    CHECK_INT(rb_store_open(&s, path, 0, &e), 0);
    CHECK(s != NULL);
    if (!s)
        return;
    CHECK_INT(rb_store_schema_version(s), RB_SCHEMA_VERSION);
    rb_store_close(s);

    sqlite3 *db = raw_open(path);
    CHECK_INT(raw_int(db, "PRAGMA user_version", 0), RB_SCHEMA_VERSION);
    char buf[64];
    CHECK(!strcmp(raw_text(db, "PRAGMA journal_mode", 0, buf, sizeof buf), "wal"));
    const char *tables[] = {"runs",    "devices", "workloads", "results",
                            "metrics", "samples", "resources", "accuracy"};
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        char sql[160];
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '%s'",
                 tables[i]);
        long long n = raw_int(db, sql, 0);
        if (n != 1)
            fprintf(stderr, "missing table %s\n", tables[i]);
        CHECK_INT(n, 1);
    }
    CHECK_INT(raw_int(db,
                      "SELECT count(*) FROM sqlite_master WHERE type = 'view' AND name IN "
                      "('v_results', 'v_runs')",
                      0),
              2);
    /* The views must compile against the tables, not just exist. */
    CHECK_INT(raw_int(db, "SELECT count(*) FROM v_results", 0), 0);
    CHECK_INT(raw_int(db, "SELECT count(*) FROM v_runs", 0), 0);
    /* Schema documentation survives into sqlite_master for `.schema` readers. */
    CHECK_STR_HAS(
        raw_text(db, "SELECT sql FROM sqlite_master WHERE name = 'results'", 0, buf, sizeof buf),
        "-- one");
    sqlite3_close(db);

    /* Re-opening an up-to-date database migrates nothing and keeps data. */
    CHECK_INT(rb_store_open(&s, path, 0, &e), 0);
    if (s) {
        CHECK_INT(rb_store_schema_version(s), RB_SCHEMA_VERSION);
        rb_store_close(s);
    }
}

static void test_round_trip(void)
{
    char path[512];
    tmp_path(path, sizeof path, "roundtrip.db");
    int64_t run_id = 0, device_id = 0;
    rb_store *s = open_with_run(path, &run_id, &device_id);
    if (!s)
        return;
    rb_err e = {0};
    rb_workload w = make_workload(25, 4);
    rb_result r = make_result(run_id, device_id, &w);
    int rc = rb_store_result(s, &r, &e);
    CHECK_INT(rc, 0);
    if (rc)
        fprintf(stderr, "result: %s\n", e.msg);

    sqlite3 *db = raw_open(path);
    sqlite3_stmt *st = raw_row(db, "SELECT * FROM v_results WHERE run_id = ?1", run_id);
    CHECK(st != NULL);
    if (st) {
        CHECK_INT(col_i(st, "run_id"), run_id);
        CHECK(!strcmp(col_s(st, "label"), "nightly"));
        CHECK_STR_HAS(col_s(st, "started_at"), "T");
        CHECK(col_s(st, "started_at")[strlen(col_s(st, "started_at")) - 1] == 'Z');
        CHECK(!strcmp(col_s(st, "target"), "cpu"));
        CHECK(!strcmp(col_s(st, "device"), "Test CPU (2 threads)"));
        CHECK(!strcmp(col_s(st, "method"), "measured"));
        CHECK(!strcmp(col_s(st, "workload"), "lstm_infer_t25_b4_i64_h128_l2"));
        CHECK(!strcmp(col_s(st, "cell"), "lstm"));
        CHECK(!strcmp(col_s(st, "mode"), "infer"));
        CHECK_INT(col_i(st, "seq"), 25);
        CHECK_INT(col_i(st, "batch"), 4);
        CHECK_INT(col_i(st, "input"), 64);
        CHECK_INT(col_i(st, "hidden"), 128);
        CHECK_INT(col_i(st, "layers"), 2);
        CHECK(!strcmp(col_s(st, "numerics"), "fp32"));
        CHECK_INT(col_i(st, "threads"), 2);
        CHECK(!strcmp(col_s(st, "status"), "ok"));
        CHECK_INT(col_i(st, "reps"), 5);
        CHECK_NEAR(col_d(st, "median_ms"), 1.5, 0);
        CHECK_NEAR(col_d(st, "p10_ms"), 1.1, 0);
        CHECK_NEAR(col_d(st, "p90_ms"), 1.9, 0);
        CHECK_NEAR(col_d(st, "p99_ms"), 1.99, 0);
        CHECK_NEAR(col_d(st, "ci_lo_ms"), 1.0, 0);
        CHECK_NEAR(col_d(st, "ci_hi_ms"), 2.0, 0);
        CHECK_NEAR(col_d(st, "first_ms"), 9.5, 0);
        CHECK_NEAR(col_d(st, "throughput_sps"), 2666.5, 0);
        CHECK_NEAR(col_d(st, "gflops"), 12.75, 0);
        CHECK_NEAR(col_d(st, "energy_j"), 0.0125, 0);
        CHECK(!strcmp(col_s(st, "energy_source"), "rapl"));
        CHECK(!strcmp(col_s(st, "latency_source"), "measured"));
        CHECK_NEAR(col_d(st, "err_max_abs"), 1.5e-7, 0);
        CHECK_NEAR(col_d(st, "err_max_rel"), 3.5e-6, 0);
        CHECK_NEAR(col_d(st, "err_tol"), 1e-4, 0);
        CHECK(!strcmp(col_s(st, "message"), "note, with \"quotes\""));
    }
    sqlite3_finalize(st);

    /* Columns that v_results leaves out. */
    st = raw_row(db, "SELECT * FROM results WHERE run_id = ?1", run_id);
    CHECK(st != NULL);
    if (st) {
        CHECK_INT(col_i(st, "device_id"), device_id);
        CHECK_INT(col_i(st, "warmup"), 3);
        CHECK_NEAR(col_d(st, "warmup_mean_ms"), 2.25, 0);
        CHECK_NEAR(col_d(st, "load_ms"), 0.75, 0);
        CHECK_NEAR(col_d(st, "mean_ms"), 1.5, 0);
        CHECK_NEAR(col_d(st, "stddev_ms"), 0.3953, 0);
        CHECK_NEAR(col_d(st, "min_ms"), 1.0, 0);
        CHECK_NEAR(col_d(st, "max_ms"), 2.0, 0);
        CHECK_STR_HAS(col_s(st, "created_at"), "Z");
    }
    sqlite3_finalize(st);

    /* Samples in order, metrics with unit and source ("" unit -> NULL). */
    sqlite3_stmt *q = NULL;
    sqlite3_prepare_v2(db, "SELECT rep, value_ms FROM samples ORDER BY rep", -1, &q, NULL);
    int n = 0;
    while (q && sqlite3_step(q) == SQLITE_ROW) {
        CHECK_INT(sqlite3_column_int(q, 0), n);
        CHECK_NEAR(sqlite3_column_double(q, 1), samples5[n < 5 ? n : 0], 0);
        n++;
    }
    sqlite3_finalize(q);
    CHECK_INT(n, 5);
    st = raw_row(db, "SELECT value, unit, source FROM metrics WHERE name = 'cycles'", 0);
    CHECK(st != NULL);
    if (st) {
        CHECK_NEAR(sqlite3_column_double(st, 0), 20.5, 0);
        CHECK(!strcmp((const char *)sqlite3_column_text(st, 1), "cycles"));
        CHECK(!strcmp((const char *)sqlite3_column_text(st, 2), "simulated"));
    }
    sqlite3_finalize(st);
    char buf[256];
    CHECK(!strcmp(
        raw_text(db, "SELECT unit FROM metrics WHERE name = 'lane_util'", 0, buf, sizeof buf),
        "<null>"));
    CHECK_NEAR(raw_int(db, "SELECT count(*) FROM metrics", 0), 3, 0);

    /* Run, device and workload rows. */
    st = raw_row(db, "SELECT * FROM runs WHERE id = ?1", run_id);
    CHECK(st != NULL);
    if (st) {
        char host[256] = "";
        gethostname(host, sizeof host);
        CHECK(!strcmp(col_s(st, "status"), "running"));
        CHECK(col_null(st, "finished_at"));
        CHECK(!strcmp(col_s(st, "git_sha"), "0123456789ab"));
        CHECK(!strcmp(col_s(st, "command_line"), "rnnbench run --targets cpu"));
        CHECK(!strcmp(col_s(st, "host_json"), "{\"host_name\":\"box\"}"));
        CHECK(!strcmp(col_s(st, "config_json"), "{\"targets\":[\"cpu\"]}"));
        CHECK(!strcmp(col_s(st, "warnings_json"), "[\"cpu scaling enabled\"]"));
        CHECK(!strcmp(col_s(st, "version"), "0.1.0"));
        CHECK_INT(col_i(st, "pid"), getpid());
        CHECK(!strcmp(col_s(st, "hostname"), host));
    }
    sqlite3_finalize(st);
    st = raw_row(db, "SELECT * FROM devices WHERE id = ?1", device_id);
    CHECK(st != NULL);
    if (st) {
        CHECK_INT(col_i(st, "run_id"), run_id);
        CHECK(!strcmp(col_s(st, "type"), "cpu"));
        CHECK(!strcmp(col_s(st, "numerics"), "fp32"));
        CHECK_NEAR(col_d(st, "peak_flops"), 1.5e11, 0);
        CHECK_NEAR(col_d(st, "mem_bw"), 2.5e10, 0);
        CHECK_NEAR(col_d(st, "power_w"), 16, 0);
        CHECK(!strcmp(col_s(st, "power_source"), "model: 8 W per thread"));
        CHECK(!strcmp(col_s(st, "extra_json"), "{\"openblas\":\"0.3.21\"}"));
    }
    sqlite3_finalize(st);
    st = raw_row(db, "SELECT * FROM workloads", 0);
    CHECK(st != NULL);
    if (st) {
        CHECK_INT(col_i(st, "input_proj"), 1);
        CHECK_NEAR(col_d(st, "flops"), rb_workload_flops(&w), 0);
    }
    sqlite3_finalize(st);

    /* v_runs counts, then finishing the run. */
    CHECK_INT(raw_int(db, "SELECT n_ok FROM v_runs WHERE run_id = ?1", run_id), 1);
    CHECK_INT(raw_int(db, "SELECT n_results FROM v_runs WHERE run_id = ?1", run_id), 1);
    CHECK_INT(rb_store_run_finish(s, run_id, "complete", &e), 0);
    CHECK(!strcmp(raw_text(db, "SELECT status FROM runs WHERE id = ?1", run_id, buf, sizeof buf),
                  "complete"));
    CHECK_STR_HAS(
        raw_text(db, "SELECT finished_at FROM runs WHERE id = ?1", run_id, buf, sizeof buf), "Z");
    CHECK_INT(rb_store_run_finish(s, run_id, "done", &e), RB_EINPUT);
    CHECK_INT(rb_store_run_finish(s, run_id + 100, "failed", &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "no run");

    char *status = NULL, *config = NULL;
    CHECK_INT(rb_store_run_get(s, run_id, &status, &config, &e), 0);
    CHECK(status && !strcmp(status, "complete"));
    CHECK(config && !strcmp(config, "{\"targets\":[\"cpu\"]}"));
    free(status);
    free(config);
    CHECK_INT(rb_store_run_get(s, run_id + 100, &status, &config, &e), RB_EINPUT);
    CHECK(status == NULL && config == NULL);

    /* Resume: the run is running again under this process, finished_at cleared. */
    CHECK_INT(rb_store_run_reopen(s, run_id, &e), 0);
    CHECK(!strcmp(raw_text(db, "SELECT status FROM runs WHERE id = ?1", run_id, buf, sizeof buf),
                  "running"));
    CHECK(
        !strcmp(raw_text(db, "SELECT finished_at FROM runs WHERE id = ?1", run_id, buf, sizeof buf),
                "<null>"));
    CHECK_INT(rb_store_run_reopen(s, run_id + 100, &e), RB_EINPUT);
    int64_t found = 0;
    CHECK_INT(rb_store_device_find(s, run_id, "cpu", &found, &e), 0);
    CHECK_INT(found, device_id);
    CHECK_INT(rb_store_device_find(s, run_id, "fpga", &found, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "fpga");

    sqlite3_close(db);
    rb_store_close(s);
}

static void test_has_result_and_replace(void)
{
    char path[512];
    tmp_path(path, sizeof path, "replace.db");
    int64_t run_id = 0, device_id = 0;
    rb_store *s = open_with_run(path, &run_id, &device_id);
    if (!s)
        return;
    rb_err e = {0};
    rb_workload w1 = make_workload(25, 1), w2 = make_workload(50, 1), w3 = make_workload(100, 1);
    int has = -1;

    CHECK_INT(rb_store_has_result(s, run_id, "cpu", w1.key, &has, &e), 0);
    CHECK_INT(has, 0);

    rb_result r = make_result(run_id, device_id, &w1);
    CHECK_INT(rb_store_result(s, &r, &e), 0);
    CHECK_INT(rb_store_has_result(s, run_id, "cpu", w1.key, &has, &e), 0);
    CHECK_INT(has, 1);
    CHECK_INT(rb_store_has_result(s, run_id, "gpu", w1.key, &has, &e), 0);
    CHECK_INT(has, 0);
    CHECK_INT(rb_store_has_result(s, run_id + 1, "cpu", w1.key, &has, &e), 0);
    CHECK_INT(has, 0);

    /* mismatch counts as done (it ran; its error is the finding) ... */
    rb_result m = make_result(run_id, device_id, &w2);
    m.status = RB_STATUS_MISMATCH;
    CHECK_INT(rb_store_result(s, &m, &e), 0);
    CHECK_INT(rb_store_has_result(s, run_id, "cpu", w2.key, &has, &e), 0);
    CHECK_INT(has, 1);

    /* ... a failure does not: resume must run it again.  A failed point has
     * no timings: its statistics and provenance are NULL, not zero. */
    rb_result f;
    rb_result_init(&f);
    f.run_id = run_id;
    f.device_id = device_id;
    f.w = &w3;
    f.status = RB_STATUS_FAILED;
    snprintf(f.message, sizeof f.message, "out of device memory");
    f.latency_source = RB_SRC_MEASURED;
    f.median_ms = 1.0; /* without repetitions, not a figure */
    CHECK_INT(rb_store_result(s, &f, &e), 0);
    CHECK_INT(rb_store_has_result(s, run_id, "cpu", w3.key, &has, &e), 0);
    CHECK_INT(has, 0);

    sqlite3 *db = raw_open(path);
    sqlite3_stmt *st = raw_row(db,
                               "SELECT * FROM results r JOIN workloads w ON w.id = r.workload_id"
                               " WHERE w.seq = 100",
                               0);
    CHECK(st != NULL);
    if (st) {
        CHECK_INT(col_i(st, "reps"), 0);
        CHECK(col_null(st, "median_ms"));
        CHECK(col_null(st, "p99_ms"));
        CHECK(col_null(st, "throughput_sps"));
        CHECK(col_null(st, "first_ms"));
        CHECK(col_null(st, "energy_j"));
        CHECK(col_null(st, "energy_source"));
        CHECK(col_null(st, "latency_source"));
        CHECK(col_null(st, "err_max_abs"));
        CHECK(col_null(st, "numerics"));
        CHECK(!strcmp(col_s(st, "message"), "out of device memory"));
    }
    sqlite3_finalize(st);
    CHECK_INT(raw_int(db, "SELECT n_ok FROM v_runs", 0), 1);
    CHECK_INT(raw_int(db, "SELECT n_mismatch FROM v_runs", 0), 1);
    CHECK_INT(raw_int(db, "SELECT n_failed FROM v_runs", 0), 1);

    /* The same point again (resume after the failure) replaces the row, and
     * the old samples and metrics go with it. */
    rb_result again = make_result(run_id, device_id, &w3);
    double two[] = {3.0, 4.0};
    again.reps = 2;
    again.median_ms = 3.5;
    again.samples_ms = two;
    again.n_metrics = 1;
    CHECK_INT(rb_store_result(s, &again, &e), 0);
    CHECK_INT(raw_int(db, "SELECT count(*) FROM results", 0), 3);
    CHECK_INT(raw_int(db, "SELECT count(*) FROM workloads", 0), 3);
    CHECK_INT(raw_int(db,
                      "SELECT count(*) FROM results r JOIN workloads w ON w.id = r.workload_id"
                      " WHERE w.seq = 100",
                      0),
              1);
    char buf[64];
    CHECK(!strcmp(raw_text(db, "SELECT status FROM v_results WHERE seq = 100", 0, buf, sizeof buf),
                  "ok"));
    CHECK_INT(raw_int(db, "SELECT reps FROM v_results WHERE seq = 100", 0), 2);
    CHECK_INT(raw_int(db,
                      "SELECT count(*) FROM samples s JOIN results r ON r.id = s.result_id"
                      " JOIN workloads w ON w.id = r.workload_id WHERE w.seq = 100",
                      0),
              2);
    CHECK_INT(raw_int(db, "SELECT count(*) FROM samples", 0), 12); /* 5 + 5 + 2 */
    CHECK_INT(raw_int(db, "SELECT count(*) FROM metrics", 0), 7);  /* 3 + 3 + 1 */
    CHECK_INT(raw_int(db,
                      "SELECT count(*) FROM samples WHERE result_id NOT IN"
                      " (SELECT id FROM results)",
                      0),
              0);
    CHECK_INT(rb_store_has_result(s, run_id, "cpu", w3.key, &has, &e), 0);
    CHECK_INT(has, 1);

    /* A failing write rolls back everything of that result, workload row
     * included, and says why. */
    rb_workload w4 = make_workload(7, 7);
    rb_result bad = make_result(run_id, device_id + 999, &w4);
    CHECK_INT(rb_store_result(s, &bad, &e), RB_EDB);
    CHECK_STR_HAS(e.msg, "FOREIGN KEY");
    CHECK_STR_HAS(e.msg, w4.key);
    CHECK_INT(raw_int(db, "SELECT count(*) FROM workloads", 0), 3);
    CHECK_INT(raw_int(db, "SELECT count(*) FROM samples", 0), 12);
    /* ... and the store is usable afterwards (no transaction left open). */
    CHECK_INT(rb_store_result(s, &r, &e), 0);
    CHECK_INT(raw_int(db, "SELECT count(*) FROM results", 0), 3);

    /* A value outside the documented vocabulary is refused by the schema. */
    rb_result odd = make_result(run_id, device_id, &w4);
    odd.status = "great";
    CHECK_INT(rb_store_result(s, &odd, &e), RB_EDB);
    CHECK_STR_HAS(e.msg, "result_status_known");
    odd.status = NULL;
    CHECK_INT(rb_store_result(s, &odd, &e), RB_EINPUT);

    sqlite3_close(db);
    rb_store_close(s);
}

static void test_readonly(void)
{
    char path[512];
    rb_err e = {0};
    rb_store *s = NULL;

    tmp_path(path, sizeof path, "missing.db");
    CHECK_INT(rb_store_open(&s, path, 1, &e), RB_EINPUT);
    CHECK(s == NULL);
    CHECK_STR_HAS(e.msg, "no such database");
    CHECK_STR_HAS(e.msg, path);
    CHECK(!file_exists(path));

    /* An empty file is an empty SQLite database: not migrated when read-only. */
    tmp_path(path, sizeof path, "ro-empty.db");
    write_file(path, "");
    CHECK_INT(rb_store_open(&s, path, 1, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "schema version 0");
    CHECK_INT(file_size(path), 0);

    /* A real database opens read-only, reads, and refuses writes. */
    int64_t run_id, device_id;
    tmp_path(path, sizeof path, "ro.db");
    rb_store *w = open_with_run(path, &run_id, &device_id);
    rb_store_close(w);
    CHECK_INT(rb_store_open(&s, path, 1, &e), 0);
    if (s) {
        CHECK_INT(rb_store_schema_version(s), RB_SCHEMA_VERSION);
        char *status = NULL, *config = NULL;
        CHECK_INT(rb_store_run_get(s, run_id, &status, &config, &e), 0);
        CHECK(status && !strcmp(status, "running"));
        free(status);
        free(config);
        int64_t id2;
        CHECK_INT(rb_store_run_begin(s, &run_info, &id2, &e), RB_EDB);
        CHECK_STR_HAS(e.msg, path);
        rb_store_close(s);
    }
}

static void test_not_sqlite(void)
{
    char path[512], want[700];
    tmp_path(path, sizeof path, "garbage.db");
    write_file(path, "this is not a database, it is a text file that is long enough to "
                     "fill the header of an SQLite database file, surely, yes.\n");
    snprintf(want, sizeof want,
             "%s is not an SQLite database (corrupt?): move it aside or use --db", path);
    for (int ro = 0; ro <= 1; ro++) {
        rb_err e = {0};
        rb_store *s = NULL;
        CHECK_INT(rb_store_open(&s, path, ro, &e), RB_EDB);
        CHECK(s == NULL);
        CHECK(!strcmp(e.msg, want));
        if (strcmp(e.msg, want))
            fprintf(stderr, "got: %s\n", e.msg);
    }
}

static void test_newer_schema(void)
{
    char path[512];
    tmp_path(path, sizeof path, "newer.db");
    sqlite3 *db = raw_open(path);
    sqlite3_exec(db, "CREATE TABLE future (x); PRAGMA user_version = 99", NULL, NULL, NULL);
    sqlite3_close(db);
    for (int ro = 0; ro <= 1; ro++) {
        rb_err e = {0};
        rb_store *s = NULL;
        CHECK_INT(rb_store_open(&s, path, ro, &e), RB_EDB);
        CHECK(s == NULL);
        CHECK_STR_HAS(e.msg, "written by a newer rnnbench");
        CHECK_STR_HAS(e.msg, "99");
    }
    db = raw_open(path);
    CHECK_INT(raw_int(db, "PRAGMA user_version", 0), 99);
    CHECK_INT(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'runs'", 0), 0);
    sqlite3_close(db);
}

/* A pid that certainly does not exist: a child that has exited and been reaped. */
static pid_t dead_pid(void)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    if (pid > 0)
        waitpid(pid, NULL, 0);
    return pid;
}

static void test_dead_run_recovery(void)
{
    char path[512], host[256] = "";
    gethostname(host, sizeof host);
    tmp_path(path, sizeof path, "dead.db");
    int64_t mine, dev;
    rb_store *s = open_with_run(path, &mine, &dev);
    rb_store_close(s);

    pid_t gone = dead_pid();
    CHECK(gone > 0);
    sqlite3 *db = raw_open(path);
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(db,
                       "INSERT INTO runs (id, started_at, status, pid, hostname) VALUES"
                       " (?1, '2024-01-01T00:00:00.000Z', 'running', ?2, ?3)",
                       -1, &st, NULL);
    struct {
        int id;
        long long pid;
        const char *host;
    } rows[] = {
        {101, gone, host},              /* dead here: recovered */
        {102, gone, "some-other-host"}, /* cannot tell: left alone */
        {103, getppid(), host},         /* alive: left alone */
    };
    for (int i = 0; i < 3; i++) {
        sqlite3_bind_int(st, 1, rows[i].id);
        sqlite3_bind_int64(st, 2, rows[i].pid);
        sqlite3_bind_text(st, 3, rows[i].host, -1, SQLITE_STATIC);
        CHECK_INT(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);

    /* A read-only open changes nothing. */
    rb_err e = {0};
    CHECK_INT(rb_store_open(&s, path, 1, &e), 0);
    rb_store_close(s);
    char buf[64];
    CHECK(!strcmp(raw_text(db, "SELECT status FROM runs WHERE id = 101", 0, buf, sizeof buf),
                  "running"));

    CHECK_INT(rb_store_open(&s, path, 0, &e), 0);
    CHECK(!strcmp(raw_text(db, "SELECT status FROM runs WHERE id = 101", 0, buf, sizeof buf),
                  "interrupted"));
    CHECK(!strcmp(raw_text(db, "SELECT finished_at FROM runs WHERE id = 101", 0, buf, sizeof buf),
                  "<null>"));
    CHECK(!strcmp(raw_text(db, "SELECT status FROM runs WHERE id = 102", 0, buf, sizeof buf),
                  "running"));
    CHECK(!strcmp(raw_text(db, "SELECT status FROM runs WHERE id = 103", 0, buf, sizeof buf),
                  "running"));
    CHECK(!strcmp(raw_text(db, "SELECT status FROM runs WHERE id = ?1", mine, buf, sizeof buf),
                  "running")); /* this process's own run */

    /* A run another live process of this host is running cannot be taken over;
     * a recovered one can. */
    CHECK_INT(rb_store_run_reopen(s, 103, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "still running");
    CHECK_INT(rb_store_run_reopen(s, 101, &e), 0);
    CHECK_INT(raw_int(db, "SELECT pid FROM runs WHERE id = 101", 0), getpid());
    rb_store_close(s);
    sqlite3_close(db);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void test_locked(void)
{
    char path[512], fresh[512];
    tmp_path(path, sizeof path, "locked.db");
    tmp_path(fresh, sizeof fresh, "locked-fresh.db");
    setenv("RB_BUSY_TIMEOUT_MS", "100", 1);
    int64_t run_id, dev;
    rb_store *s = open_with_run(path, &run_id, &dev);
    rb_store_close(s);
    write_file(fresh, "");

    sqlite3 *holder = raw_open(path), *holder2 = raw_open(fresh);
    CHECK_INT(sqlite3_exec(holder, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    CHECK_INT(sqlite3_exec(holder2, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    rb_err e = {0};
    double t0 = now_s();

    /* Opening works (WAL: readers do not wait); writing does not. */
    CHECK_INT(rb_store_open(&s, path, 0, &e), 0);
    if (s) {
        int64_t id;
        CHECK_INT(rb_store_run_begin(s, &run_info, &id, &e), RB_EBUSY);
        CHECK_STR_HAS(e.msg, "locked");
        CHECK_STR_HAS(e.msg, "another process");
        CHECK_STR_HAS(e.msg, path);
        rb_workload w = make_workload(5, 5);
        rb_result r = make_result(run_id, dev, &w);
        CHECK_INT(rb_store_result(s, &r, &e), RB_EBUSY);
        CHECK_STR_HAS(e.msg, "another process");
        rb_store_close(s);
    }
    /* A database that needs its schema cannot be migrated while locked. */
    CHECK_INT(rb_store_open(&s, fresh, 0, &e), RB_EBUSY);
    CHECK_STR_HAS(e.msg, "locked");
    CHECK(now_s() - t0 < 3.0); /* the short timeout was honoured */

    sqlite3_exec(holder, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_exec(holder2, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(holder);
    sqlite3_close(holder2);
    /* Once released, the same write goes through. */
    CHECK_INT(rb_store_open(&s, path, 0, &e), 0);
    if (s) {
        int64_t id;
        CHECK_INT(rb_store_run_begin(s, &run_info, &id, &e), 0);
        rb_store_close(s);
    }
    unsetenv("RB_BUSY_TIMEOUT_MS");
}

static void remove_tree(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
}

/* A device's resources land in the resources table with their units and
 * sources, in the same transaction as the device row. */
static void test_device_resources(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/resources.db", tmpdir);
    rb_err e = {0};
    rb_store *s = NULL;
    int64_t run_id = 0, dev = 0;
    CHECK_INT(rb_store_open(&s, path, 0, &e), 0);
    CHECK_INT(rb_store_run_begin(s, &run_info, &run_id, &e), 0);
    rb_device_info d = make_device();
    const char *keys[] = {"LUT", "FF", "DSP", "BRAM"};
    const double vals[] = {12345, 23456, 64, 18.5};
    for (int i = 0; i < 4; i++) {
        snprintf(d.resources[i].name, sizeof d.resources[i].name, "%s", keys[i]);
        d.resources[i].value = vals[i];
        snprintf(d.resources[i].unit, sizeof d.resources[i].unit, "%s", i == 3 ? "36Kb" : "");
        snprintf(d.resources[i].source, sizeof d.resources[i].source, "synthesized");
    }
    d.n_resources = 4;
    CHECK_INT(rb_store_device(s, run_id,
                              &(rb_device_id){"fpga", "fpga:large", "{\"config\":\"large\"}"},
                              RB_SRC_SIMULATED, &d, &dev, &e),
              0);
    rb_store_close(s);

    sqlite3 *db = raw_open(path);
    char buf[128];
    CHECK_INT(raw_int(db, "SELECT count(*) FROM resources WHERE device_id = ?1", dev), 4);
    CHECK_INT(raw_int(db, "SELECT value FROM resources WHERE device_id = ?1 AND key = 'DSP'", dev),
              64);
    CHECK(!strcmp(raw_text(db,
                           "SELECT unit || '/' || source || '/' || value FROM resources"
                           " WHERE device_id = ?1 AND key = 'BRAM'",
                           dev, buf, sizeof buf),
                  "36Kb/synthesized/18.5"));
    CHECK(!strcmp(raw_text(db, "SELECT source FROM resources WHERE device_id = ?1 AND key = 'LUT'",
                           dev, buf, sizeof buf),
                  "synthesized"));
    sqlite3_close(db);
}

/* A version-1 database keeps its accuracy rows through migration 2, and
 * rb_store_accuracy fills the new columns, NULL for what is not known. */
static void test_accuracy_migration(void)
{
    char path[512];
    tmp_path(path, sizeof path, "v1.db");
    sqlite3 *db = raw_open(path);
    CHECK_INT(sqlite3_exec(db, rb_store_migrations[0], NULL, NULL, NULL), SQLITE_OK);
    CHECK_INT(sqlite3_exec(db,
                           "PRAGMA user_version = 1;"
                           "INSERT INTO runs (id, started_at) VALUES (1, '2026-01-01T00:00:00Z');"
                           "INSERT INTO devices (id, run_id, target) VALUES (1, 1, 'cpu');"
                           "INSERT INTO accuracy (run_id, device_id, task, split, epoch, accuracy,"
                           " loss) VALUES (1, 1, 'textclass', 'test', 3, 0.75, 0.5);",
                           NULL, NULL, NULL),
              SQLITE_OK);
    sqlite3_close(db);

    rb_err e = {0};
    rb_store *s = NULL;
    CHECK_INT(rb_store_open(&s, path, 0, &e), 0);
    if (!s)
        return;
    CHECK_INT(rb_store_schema_version(s), RB_SCHEMA_VERSION);
    rb_accuracy_row a = {"fortunes", "lstm_h8", "lstm", "eval", "test", "fixed q3.12", 4,
                         120,        0.5,       0.25,   1.2,    0.3,    0.1,           -1};
    CHECK_INT(rb_store_accuracy(s, 1, 1, &a, &e), 0);
    a.accuracy = 0.625; /* the same key replaces */
    CHECK_INT(rb_store_accuracy(s, 1, 1, &a, &e), 0);
    a.phase = NULL;
    CHECK_INT(rb_store_accuracy(s, 1, 1, &a, &e), RB_EINPUT);
    rb_store_close(s);

    db = raw_open(path);
    char buf[128];
    CHECK_STR_HAS(raw_text(db,
                           "SELECT task || ',' || model || ',' || phase || ',' || accuracy || "
                           "',' || loss || ',' || (macro_f1 IS NULL) FROM accuracy WHERE "
                           "epoch = 3",
                           0, buf, sizeof buf),
                  "textclass,,train,0.75,0.5,1");
    CHECK_INT(raw_int(db, "SELECT count(*) FROM accuracy", 0), 2);
    CHECK_STR_HAS(raw_text(db,
                           "SELECT target || ',' || accuracy || ',' || n || ',' || numerics "
                           "|| ',' || (agreement IS NULL) FROM v_accuracy WHERE phase = "
                           "'eval'",
                           0, buf, sizeof buf),
                  "cpu,0.625,120,fixed q3.12,1");
    sqlite3_close(db);
}

/* A database written by the previous release (tests/fixtures/db/README.md)
 * migrates to the current schema keeping every row; its devices become
 * instances named after their target. */
static void test_fixture_migration(void)
{
    char path[512], cmd[1200];
    tmp_path(path, sizeof path, "schema2.db");
    snprintf(cmd, sizeof cmd, "cp '%s/db/schema2.db' '%s'", RB_FIXTURES, path);
    CHECK_INT(system(cmd), 0);
    sqlite3 *db = raw_open(path);
    CHECK_INT(raw_int(db, "PRAGMA user_version", 0), 2);
    sqlite3_close(db);

    rb_err e = {0};
    rb_store *s = NULL;
    CHECK_INT(rb_store_open(&s, path, 1, &e), 0); /* read-only: not migrated */
    CHECK_INT(rb_store_schema_version(s), 2);
    rb_store_close(s);
    CHECK_INT(rb_store_open(&s, path, 0, &e), 0);
    CHECK_INT(rb_store_schema_version(s), RB_SCHEMA_VERSION);
    rb_store_close(s);

    db = raw_open(path);
    char buf[256];
    CHECK_INT(raw_int(db, "SELECT count(*) FROM runs", 0), 4);
    CHECK_INT(raw_int(db, "SELECT count(*) FROM devices", 0), 7);
    CHECK_INT(raw_int(db, "SELECT count(*) FROM results", 0), 8);
    CHECK_INT(raw_int(db, "SELECT count(*) FROM samples", 0), 32);
    CHECK_INT(raw_int(db, "SELECT count(*) FROM metrics", 0), 96);
    CHECK_INT(raw_int(db, "SELECT count(*) FROM accuracy", 0), 6);
    CHECK_INT(raw_int(db, "SELECT count(*) FROM devices WHERE instance IS NOT target", 0), 0);
    CHECK_STR_HAS(raw_text(db,
                           "SELECT group_concat(instance || ':' || status, ',') FROM "
                           "(SELECT DISTINCT instance, status FROM v_results ORDER BY 1, 2)",
                           0, buf, sizeof buf),
                  "asic:ok,cpu:ok,fpga:ok");
    CHECK_STR_HAS(raw_text(db, "SELECT label FROM runs WHERE id = 2", 0, buf, sizeof buf),
                  "tuesday");
    CHECK_INT(raw_int(db, "SELECT count(*) FROM v_accuracy WHERE instance = 'asic'", 0), 1);
    sqlite3_close(db);
}

/* The release with instances (schema 3) migrates keeping every row; its
 * workloads become seeded one-direction stacks (dirs 1, no model). */
static void test_fixture_migration_3(void)
{
    char path[512], cmd[1200], buf[256];
    tmp_path(path, sizeof path, "schema3.db");
    snprintf(cmd, sizeof cmd, "cp '%s/db/schema3.db' '%s'", RB_FIXTURES, path);
    CHECK_INT(system(cmd), 0);
    rb_err e = {0};
    rb_store *s = NULL;
    CHECK_INT(rb_store_open(&s, path, 0, &e), 0);
    CHECK_INT(rb_store_schema_version(s), RB_SCHEMA_VERSION);
    rb_store_close(s);
    sqlite3 *db = raw_open(path);
    CHECK_INT(raw_int(db, "SELECT count(*) FROM runs", 0), 4);
    CHECK_INT(raw_int(db, "SELECT count(*) FROM devices", 0), 7);
    CHECK_INT(raw_int(db, "SELECT count(*) FROM results", 0), 8);
    CHECK_INT(raw_int(db, "SELECT count(*) FROM accuracy", 0), 6);
    CHECK_INT(raw_int(db,
                      "SELECT count(*) FROM workloads WHERE dirs = 1 AND model IS NULL AND "
                      "features IS NULL",
                      0),
              raw_int(db, "SELECT count(*) FROM workloads", 0));
    CHECK_STR_HAS(raw_text(db,
                           "SELECT group_concat(instance, ',') FROM (SELECT DISTINCT instance "
                           "FROM v_results ORDER BY 1)",
                           0, buf, sizeof buf),
                  "asic:edge-npu,asic:tpu-v1,cpu,fpga:small");
    CHECK_INT(raw_int(db, "SELECT count(*) FROM v_results WHERE dirs = 1 AND model IS NULL", 0), 8);
    sqlite3_close(db);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_create_from_empty_file();
    test_round_trip();
    test_has_result_and_replace();
    test_readonly();
    test_not_sqlite();
    test_newer_schema();
    test_dead_run_recovery();
    test_locked();
    test_device_resources();
    test_accuracy_migration();
    test_fixture_migration();
    test_fixture_migration_3();
    remove_tree();
    return rb_test_done("test_store");
}
