/* store_report.c — the store's reader: one run of results.db into the rows
 * reports/ works on (report, and compare and export through figures.c), and
 * one figure across runs (history).  reports/ never opens the database.
 * Read-only; NULL columns become NaN (numbers) or NULL/"" (text). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../reports/report_util.h"
#include "store_internal.h"
#include "store_report.h"

static int prep(rb_store *s, const char *sql, sqlite3_stmt **st, rb_err *e)
{
    int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
    return rc == SQLITE_OK ? 0 : rb_store_dberr(s, rc, "reading the report", e);
}

static char *col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? strdup((const char *)t) : NULL;
}

/* name, value, unit, source from column `first` on: a resource or a metric */
static void read_metric(sqlite3_stmt *st, int first, rb_rep_metric *m)
{
    rb_col_s(st, first, m->name, sizeof m->name);
    m->value = rb_col_d(st, first + 1);
    rb_col_s(st, first + 2, m->unit, sizeof m->unit);
    rb_col_s(st, first + 3, m->source, sizeof m->source);
}

/* The devices' instance column: a database opened read-only is not migrated,
 * and one from before schema 3 has one configuration per target, named by it. */
static const char *instance_col(rb_store *s, const char *alias)
{
    int v3 = rb_store_schema_version(s) >= 3;
    return *alias ? (v3 ? "coalesce(d.instance, d.target)" : "d.target")
                  : (v3 ? "coalesce(instance, target)" : "target");
}

static int step_err(rb_store *s, int rc, rb_err *e)
{
    return rc == SQLITE_DONE ? 0 : rb_store_dberr(s, rc, "reading the report", e);
}

/* Newest means of the benchmark runs: `train` and `eval` make runs of their
 * own (config_json's "command" says so), which the report reads for the
 * task's accuracy, not as the run to report. */
#define RB_STR_(x) #x
#define RB_STR(x) RB_STR_(x)
#define BENCHMARK_RUN "coalesce(json_extract(config_json, '$.command'), 'run') = 'run'"

int rb_store_select_run(rb_store *s, const rb_report_select *sel, long long *run_id, rb_err *e)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT id, " RB_RUN_KIND_SQL("config_json") " FROM runs %s",
             sel->run_id > 0 ? "WHERE id = ?1"
             : sel->label    ? "WHERE label = ?2 AND id < ?3 AND " BENCHMARK_RUN
                               " ORDER BY id DESC LIMIT 1"
                             : "WHERE " BENCHMARK_RUN " ORDER BY id DESC LIMIT 1");
    sqlite3_stmt *st;
    int rc = prep(s, sql, &st, e);
    if (rc)
        return rc;
    if (sel->run_id > 0)
        sqlite3_bind_int64(st, 1, sel->run_id);
    if (sel->label) {
        sqlite3_bind_text(st, 2, sel->label, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 3, sel->before_id > 0 ? sel->before_id : INT64_MAX);
    }
    int step = sqlite3_step(st);
    const char *kind = step == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 1) : NULL;
    if (step == SQLITE_ROW && !sel->figures && kind && strcmp(kind, "benchmark") &&
        strcmp(kind, "explore"))
        /* a train or eval run has no results of its own to report: its
         * accuracy reaches the report of a benchmark run */
        rc = rb_errf(e, RB_EINPUT,
                     "run %lld of %s is not a benchmark run but a run of `rnnbench %s`: its "
                     "accuracy is in the report of a benchmark run (rnnbench report without "
                     "--run, or --run with a run of `rnnbench run`)",
                     sel->run_id, s->path, kind);
    else if (step == SQLITE_ROW)
        *run_id = sqlite3_column_int64(st, 0);
    else if (step != SQLITE_DONE)
        rc = step_err(s, step, e);
    else if (sel->run_id > 0)
        rc = rb_errf(e, RB_EINPUT, "%s has no run %lld", s->path, sel->run_id);
    else if (sel->label && sel->before_id > 0)
        rc = rb_errf(e, RB_EINPUT,
                     "%s has no run labelled '%s' before run %lld (of its benchmark runs)",
                     s->path, sel->label, sel->before_id);
    else if (sel->label)
        rc = rb_errf(e, RB_EINPUT, "%s has no run labelled '%s' (of its benchmark runs)", s->path,
                     sel->label);
    else
        rc = rb_errf(e, RB_EINPUT, "%s has no benchmark runs yet (rnnbench run writes them)",
                     s->path);
    sqlite3_finalize(st);
    return rc;
}

/* The selected run's row. */
static int load_run(rb_store *s, const rb_report_select *sel, rb_report *r, char **config,
                    rb_err *e)
{
    long long id = 0;
    int rc = rb_store_select_run(s, sel, &id, e);
    if (rc)
        return rc;
    sqlite3_stmt *st;
    rc = prep(s,
              "SELECT id, started_at, finished_at, status, label, git_sha, version,"
              " command_line, host_json, warnings_json, config_json FROM runs WHERE id = ?1",
              &st, e);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        rb_rep_run *u = &r->run;
        u->id = sqlite3_column_int64(st, 0);
        rb_col_s(st, 1, u->started_at, sizeof u->started_at);
        rb_col_s(st, 2, u->finished_at, sizeof u->finished_at);
        rb_col_s(st, 3, u->status, sizeof u->status);
        u->label = col_dup(st, 4);
        u->git_sha = col_dup(st, 5);
        u->version = col_dup(st, 6);
        u->command_line = col_dup(st, 7);
        u->host_json = col_dup(st, 8);
        u->warnings_json = col_dup(st, 9);
        *config = col_dup(st, 10);
    } else {
        rc = step_err(s, step == SQLITE_DONE ? SQLITE_CORRUPT : step, e);
    }
    sqlite3_finalize(st);
    return rc;
}

static int load_devices(rb_store *s, rb_report *r, rb_err *e)
{
    sqlite3_stmt *st;
    int rc = prep(s, "SELECT COUNT(*) FROM devices WHERE run_id = ?1", &st, e);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, r->run.id);
    int n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    r->devices = calloc(n ? (size_t)n : 1, sizeof *r->devices);
    if (!r->devices)
        return rb_errf(e, RB_ENOMEM, "report: out of memory");
    char sql[320];
    snprintf(sql, sizeof sql,
             "SELECT id, %s, name, type, method, numerics, peak_flops, mem_bw, power_w,"
             " power_source, extra_json, %s FROM devices WHERE run_id = ?1 ORDER BY id",
             instance_col(s, ""), rb_store_schema_version(s) >= 7 ? "host" : "NULL");
    if ((rc = prep(s, sql, &st, e)))
        return rc;
    sqlite3_bind_int64(st, 1, r->run.id);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW && r->n_devices < n) {
        rb_rep_device *d = &r->devices[r->n_devices++];
        d->id = sqlite3_column_int64(st, 0);
        d->run_id = r->run.id;
        snprintf(d->run_label, sizeof d->run_label, "%s", r->run.label ? r->run.label : "");
        rb_col_s(st, 1, d->target, sizeof d->target);
        rb_col_s(st, 2, d->name, sizeof d->name);
        rb_col_s(st, 3, d->type, sizeof d->type);
        rb_col_s(st, 4, d->method, sizeof d->method);
        rb_col_s(st, 5, d->numerics, sizeof d->numerics);
        d->peak_flops = rb_col_d(st, 6);
        d->mem_bw = rb_col_d(st, 7);
        d->power_w = rb_col_d(st, 8);
        rb_col_s(st, 9, d->power_source, sizeof d->power_source);
        d->extra_json = col_dup(st, 10);
        rb_col_s(st, 11, d->host, sizeof d->host);
    }
    rc = step == SQLITE_ROW ? 0 : step_err(s, step, e);
    sqlite3_finalize(st);
    if (rc)
        return rc;
    /* a run of several machines (`merge`d shards): the host is part of
     * every device's name, in every table and chart */
    int hosts = 0;
    for (int i = 1; i < r->n_devices; i++)
        hosts |= strcmp(r->devices[i].host, r->devices[0].host) != 0;
    for (int i = 0; hosts && i < r->n_devices; i++) {
        rb_rep_device *d = &r->devices[i];
        char at[RB_REP_TARGET_MAX];
        snprintf(at, sizeof at, "%.60s@%.60s", d->target, d->host[0] ? d->host : "?");
        memcpy(d->target, at, sizeof at);
    }
    /* resources, per device */
    if ((rc = prep(s,
                   "SELECT key, value, unit, source FROM resources WHERE device_id = ?1"
                   " ORDER BY rowid",
                   &st, e)))
        return rc;
    for (int i = 0; i < r->n_devices && !rc; i++) {
        rb_rep_device *d = &r->devices[i];
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, d->id);
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            rb_rep_metric *m = realloc(d->resources, (size_t)(d->n_resources + 1) * sizeof *m);
            if (!m) {
                rc = rb_errf(e, RB_ENOMEM, "report: out of memory");
                break;
            }
            d->resources = m;
            read_metric(st, 0, &d->resources[d->n_resources++]);
        }
        if (!rc)
            rc = step_err(s, step, e);
    }
    sqlite3_finalize(st);
    return rc;
}

static int device_index(const rb_report *r, long long id)
{
    for (int i = 0; i < r->n_devices; i++)
        if (r->devices[i].id == id)
            return i;
    return -1;
}

/* The column of figure i in a query over results aliased r, or NULL when the
 * database predates it (a read-only open does not migrate). */
static const char *figure_col(rb_store *s, int i, char *buf, size_t n)
{
    const rb_figdef *d = &rb_figure_table[i];
    if (d->since > rb_store_schema_version(s))
        return "NULL";
    snprintf(buf, n, "r.%s", d->name);
    return buf;
}

/* The fixed columns of a result row, then every figure of the table.  A
 * database before schema 4 (read as it is) has only seeded one-direction
 * stacks. */
enum { RESULT_FIXED_COLS = 27 };
static int results_sql(rb_store *s, char *sql, size_t n)
{
    int models = rb_store_schema_version(s) >= 4, served = rb_store_schema_version(s) >= 5,
        bounded = rb_store_schema_version(s) >= 6;
    int at = snprintf(sql, n,
                      "SELECT r.id, r.device_id, w.key, w.cell, w.mode, w.seq, w.batch, w.input,"
                      " w.hidden, w.layers, w.input_proj, w.flops, r.status, r.message, r.numerics,"
                      " r.reps, r.latency_source, r.energy_source, %s, %s",
                      models ? "w.dirs, w.model" : "1, NULL",
                      served ? "w.scenario, w.qps, w.streams, w.slo_ms, w.max_batch, "
                               "w.batch_timeout_ms"
                             : "NULL, NULL, NULL, NULL, NULL, NULL");
    at += snprintf(sql + at, at < (int)n ? n - (size_t)at : 0, ", %s",
                   bounded ? "r.energy_boundary" : "NULL");
    char col[96];
    for (int i = 0; i < RB_N_FIGURES && at < (int)n; i++)
        at += snprintf(sql + at, n - (size_t)at, ", %s", figure_col(s, i, col, sizeof col));
    at += snprintf(sql + at, at < (int)n ? n - (size_t)at : 0,
                   " FROM results r JOIN workloads w ON w.id = r.workload_id"
                   " WHERE r.run_id = ?1 ORDER BY w.key, r.device_id");
    return at < (int)n ? 0 : -1;
}

static void read_result(sqlite3_stmt *st, rb_rep_result *x)
{
    char t[16];
    x->id = sqlite3_column_int64(st, 0);
    rb_col_s(st, 2, x->w.key, sizeof x->w.key);
    rb_col_s(st, 3, t, sizeof t);
    if (rb_cell_parse(t, &x->w.cell))
        x->w.cell = RB_CELL_LSTM;
    rb_col_s(st, 4, t, sizeof t);
    if (rb_mode_parse(t, &x->w.mode))
        x->w.mode = RB_MODE_INFER;
    x->w.seq = sqlite3_column_int(st, 5);
    x->w.batch = sqlite3_column_int(st, 6);
    x->w.input = sqlite3_column_int(st, 7);
    x->w.hidden = sqlite3_column_int(st, 8);
    x->w.layers = sqlite3_column_int(st, 9);
    x->w.input_proj = sqlite3_column_int(st, 10);
    x->flops = rb_col_d(st, 11);
    rb_col_s(st, 12, x->status, sizeof x->status);
    x->message = col_dup(st, 13);
    rb_col_s(st, 14, x->numerics, sizeof x->numerics);
    x->reps = sqlite3_column_int(st, 15);
    rb_col_s(st, 16, x->latency_source, sizeof x->latency_source);
    rb_col_s(st, 17, x->energy_source, sizeof x->energy_source);
    x->w.dirs = sqlite3_column_int(st, 18);
    rb_col_s(st, 19, x->w.model, sizeof x->w.model);
    rb_scenario scn;
    rb_col_s(st, 20, t, sizeof t);
    if (t[0] && !rb_scenario_parse(t, &scn)) {
        rb_serve_spec *v = &x->w.serve;
        v->scenario = scn;
        v->qps = sqlite3_column_int(st, 21);
        v->streams = sqlite3_column_int(st, 22);
        v->slo_us = (int)lround(sqlite3_column_double(st, 23) * 1000);
        v->max_batch = sqlite3_column_int(st, 24);
        v->timeout_us = (int)lround(sqlite3_column_double(st, 25) * 1000);
    }
    rb_col_s(st, 26, x->energy_boundary, sizeof x->energy_boundary);
    for (int i = 0; i < RB_N_FIGURES; i++)
        x->fig[i] = rb_col_d(st, RESULT_FIXED_COLS + i);
}

typedef struct id_index {
    long long id;
    size_t at;
} id_index;

static int by_id(const void *a, const void *b)
{
    long long x = ((const id_index *)a)->id, y = ((const id_index *)b)->id;
    return x < y ? -1 : x > y;
}

/* A served result's queries stand in for its repetitions: at most this many
 * values, thinned evenly from the latency histogram beyond it. */
#define MAX_SERVED_SAMPLES 1000000

/* The raw repetitions of every result, rows ordered by result then rep; a
 * served result on a measured target has none, and its queries' latencies
 * (the histogram's buckets, at their middles) take their place, so that
 * compare tests its latency as it tests any other measured one. */
static int load_samples(rb_store *s, rb_report *r, const id_index *ids, rb_err *e)
{
    sqlite3_stmt *st;
    int rc = prep(s,
                  rb_store_schema_version(s) < 5
                      ? "SELECT s.result_id, s.value_ms, 1 FROM samples s JOIN results r ON"
                        " r.id = s.result_id WHERE r.run_id = ?1 ORDER BY s.result_id, s.rep"
                      : "SELECT s.result_id, s.value_ms, 1, s.rep FROM samples s JOIN results r"
                        " ON r.id = s.result_id WHERE r.run_id = ?1"
                        " UNION ALL SELECT h.result_id, (h.lo + h.hi) / 2, h.count, h.lo"
                        " FROM histograms h JOIN results r ON r.id = h.result_id"
                        " WHERE r.run_id = ?1 AND h.name = 'latency_ms'"
                        " AND r.latency_source = 'measured' ORDER BY 1, 4",
                  &st, e);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, r->run.id);
    int step, cap = 0;
    rb_rep_result *x = NULL;
    double seen = 0, stride = 1; /* thinning: every stride-th query of the histogram */
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        id_index key = {sqlite3_column_int64(st, 0), 0};
        if (!x || x->id != key.id) {
            const id_index *hit = bsearch(&key, ids, r->n_results, sizeof *ids, by_id);
            x = hit ? &r->results[hit->at] : NULL;
            cap = 0;
            seen = 0;
            stride = x && x->reps > MAX_SERVED_SAMPLES ? (double)x->reps / MAX_SERVED_SAMPLES : 1;
        }
        if (!x)
            continue;
        double v = sqlite3_column_double(st, 1), count = sqlite3_column_double(st, 2);
        /* the values this row adds: those whose rank crosses a multiple of stride */
        long add = (long)(floor((seen + count) / stride) - floor(seen / stride));
        seen += count;
        while (add-- > 0) {
            if (x->n_samples == cap) {
                cap = cap ? 2 * cap : 64;
                double *nv = realloc(x->samples, (size_t)cap * sizeof *nv);
                if (!nv) {
                    rc = rb_errf(e, RB_ENOMEM, "out of memory reading samples");
                    break;
                }
                x->samples = nv;
            }
            x->samples[x->n_samples++] = v;
        }
        if (rc)
            break;
    }
    if (!rc)
        rc = step_err(s, step, e);
    sqlite3_finalize(st);
    return rc;
}

/* The load points of the served results, in their order. */
static int load_loads(rb_store *s, rb_report *r, const id_index *ids, rb_err *e)
{
    if (rb_store_schema_version(s) < 5)
        return 0;
    sqlite3_stmt *st;
    int rc = prep(s,
                  "SELECT l.result_id, l.offered_qps, l.achieved_qps, l.p50_ms, l.p99_ms, l.queries"
                  " FROM load_points l JOIN results r ON r.id = l.result_id WHERE r.run_id = ?1"
                  " ORDER BY l.result_id, l.seq",
                  &st, e);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, r->run.id);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        id_index key = {sqlite3_column_int64(st, 0), 0};
        const id_index *hit = bsearch(&key, ids, r->n_results, sizeof *ids, by_id);
        if (!hit)
            continue;
        rb_rep_result *x = &r->results[hit->at];
        rb_rep_load *l = realloc(x->load, (size_t)(x->n_load + 1) * sizeof *l);
        if (!l) {
            rc = rb_errf(e, RB_ENOMEM, "out of memory reading load points");
            break;
        }
        x->load = l;
        l[x->n_load++] = (rb_rep_load){rb_col_d(st, 1), rb_col_d(st, 2), rb_col_d(st, 3),
                                       rb_col_d(st, 4), sqlite3_column_int64(st, 5)};
    }
    if (!rc)
        rc = step_err(s, step, e);
    sqlite3_finalize(st);
    return rc;
}

static int load_results(rb_store *s, rb_report *r, int with_samples, rb_err *e)
{
    sqlite3_stmt *st;
    int rc = prep(s, "SELECT COUNT(*) FROM results WHERE run_id = ?1", &st, e);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, r->run.id);
    size_t n = sqlite3_step(st) == SQLITE_ROW ? (size_t)sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    r->results = calloc(n ? n : 1, sizeof *r->results);
    id_index *ids = calloc(n ? n : 1, sizeof *ids);
    if (!r->results || !ids) {
        free(ids);
        return rb_errf(e, RB_ENOMEM, "report: out of memory for %zu results", n);
    }
    char sql[4096];
    if (results_sql(s, sql, sizeof sql)) {
        free(ids);
        return rb_errf(e, RB_ERUNTIME, "report: the figure table outgrew the SQL buffer");
    }
    if ((rc = prep(s, sql, &st, e))) {
        free(ids);
        return rc;
    }
    sqlite3_bind_int64(st, 1, r->run.id);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW && r->n_results < n) {
        int d = device_index(r, sqlite3_column_int64(st, 1));
        if (d < 0)
            continue; /* foreign keys make this impossible; do not trust it blindly */
        rb_rep_result *x = &r->results[r->n_results];
        x->device = d;
        read_result(st, x);
        ids[r->n_results] = (id_index){x->id, r->n_results};
        r->n_results++;
    }
    rc = step == SQLITE_ROW || step == SQLITE_DONE ? 0 : step_err(s, step, e);
    sqlite3_finalize(st);
    /* metrics: one pass over the run's rows in whatever order SQLite reads
     * them (sorting 10^6 rows costs a quarter second), each found by its
     * result id */
    qsort(ids, r->n_results, sizeof *ids, by_id);
    if (!rc && !(rc = prep(s,
                           "SELECT m.result_id, m.name, m.value, m.unit, m.source FROM metrics m"
                           " JOIN results r ON r.id = m.result_id WHERE r.run_id = ?1",
                           &st, e))) {
        sqlite3_bind_int64(st, 1, r->run.id);
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            id_index key = {sqlite3_column_int64(st, 0), 0};
            id_index *hit = bsearch(&key, ids, r->n_results, sizeof *ids, by_id);
            if (!hit)
                continue;
            rb_rep_result *x = &r->results[hit->at];
            int k = x->n_metrics;
            if (k == 0 || (k >= 8 && !(k & (k - 1)))) { /* capacity 8, then doubling */
                size_t cap = k ? (size_t)k * 2 : 8;
                rb_rep_metric *m = realloc(x->metrics, cap * sizeof *m);
                if (!m) {
                    rc = rb_errf(e, RB_ENOMEM, "report: out of memory for metrics");
                    break;
                }
                x->metrics = m;
            }
            read_metric(st, 1, &x->metrics[x->n_metrics++]);
        }
        if (!rc)
            rc = step_err(s, step, e);
        sqlite3_finalize(st);
    }
    if (!rc && with_samples)
        rc = load_samples(s, r, ids, e);
    if (!rc)
        rc = load_loads(s, r, ids, e);
    free(ids);
    return rc;
}

/* The task's rows, whichever run the report is about (train and eval are
 * runs of their own): a model's training curve from the newest run that
 * trained it; its evaluations from the newest run per target and number
 * format (an eval of the fpga in another configuration is another row). */
static int load_accuracy(rb_store *s, rb_report *r, int own, rb_err *e)
{
    /* a read-only open does not migrate: schema 1 had no writer of this table */
    if (rb_store_schema_version(s) < 2)
        return 0;
    /* own: the run's own rows, each curve's last epoch on the test split (what
     * compare and export pair); else the newest task runs' rows (above) */
    static const char newest[] =
        " WHERE a.run_id = (SELECT max(b.run_id) FROM acc b WHERE b.task = a.task"
        " AND b.model = a.model AND b.phase = a.phase AND (a.phase = 'train' OR"
        " (b.target = a.target AND b.numerics IS a.numerics)))";
    static const char own_run[] =
        " WHERE a.run_id = ?1 AND a.split = 'test' AND a.epoch = (SELECT max(b.epoch) FROM acc b"
        " WHERE b.run_id = a.run_id AND b.device_id = a.device_id AND b.task = a.task AND"
        " b.model = a.model AND b.phase = a.phase AND b.split = 'test')";
    sqlite3_stmt *st;
    char sql[1400];
    snprintf(sql, sizeof sql,
             "WITH acc AS (SELECT a.*, %s AS target, d.name AS device FROM accuracy a"
             " JOIN devices d ON d.id = a.device_id)"
             " SELECT a.run_id, ru.started_at, a.target, coalesce(a.numerics, ''), a.task,"
             " a.model, a.cell, a.phase, a.split, a.epoch, a.n, a.accuracy, a.macro_f1, a.loss,"
             " a.baseline_accuracy, a.baseline_macro_f1, a.agreement, a.device"
             " FROM acc a JOIN runs ru ON ru.id = a.run_id%s"
             " ORDER BY a.phase, a.task, a.model, a.target, a.numerics, a.split, a.epoch",
             instance_col(s, "d."), own ? own_run : newest);
    int rc = prep(s, sql, &st, e);
    if (rc)
        return rc;
    if (own)
        sqlite3_bind_int64(st, 1, r->run.id);
    int step;
    size_t cap = 0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (r->n_accuracy == cap) {
            cap = cap ? 2 * cap : 64;
            rb_rep_accuracy *a = realloc(r->accuracy, cap * sizeof *a);
            if (!a) {
                rc = rb_errf(e, RB_ENOMEM, "report: out of memory");
                break;
            }
            r->accuracy = a;
        }
        rb_rep_accuracy *a = &r->accuracy[r->n_accuracy++];
        a->run_id = sqlite3_column_int64(st, 0);
        rb_col_s(st, 1, a->run_started, sizeof a->run_started);
        rb_col_s(st, 2, a->target, sizeof a->target);
        rb_col_s(st, 3, a->numerics, sizeof a->numerics);
        rb_col_s(st, 4, a->task, sizeof a->task);
        rb_col_s(st, 5, a->model, sizeof a->model);
        rb_col_s(st, 6, a->cell, sizeof a->cell);
        rb_col_s(st, 7, a->phase, sizeof a->phase);
        rb_col_s(st, 8, a->split, sizeof a->split);
        a->epoch = sqlite3_column_int(st, 9);
        a->n = (long)sqlite3_column_int64(st, 10);
        double *v[] = {&a->accuracy,          &a->macro_f1,          &a->loss,
                       &a->baseline_accuracy, &a->baseline_macro_f1, &a->agreement};
        for (int k = 0; k < 6; k++)
            *v[k] = rb_col_d(st, 11 + k);
        rb_col_s(st, 17, a->device, sizeof a->device);
    }
    if (!rc)
        rc = step_err(s, step, e);
    sqlite3_finalize(st);
    return rc;
}

#define HISTORY_RUNS 40 /* the last runs the history chart shows */

/* Each target's latency across the benchmark runs up to this one, relative
 * to this run (rb_rep_history); kept only when some target has two runs. */
static int load_history(rb_store *s, rb_report *r, rb_err *e)
{
    sqlite3_stmt *st;
    char sql[1400], dev[200];
    /* a device is its instance and, since schema 7, its host: a fleet's
     * runs pair machine with machine, named target@host as load_devices
     * names them when this run spans machines */
    int hosts = 0;
    for (int i = 1; i < r->n_devices; i++)
        hosts |= strcmp(r->devices[i].host, r->devices[0].host) != 0;
    snprintf(dev, sizeof dev, "%s%s", instance_col(s, "d."),
             rb_store_schema_version(s) < 7 ? ""
             : hosts                        ? " || '@' || coalesce(d.host, '?')"
                                            : " || coalesce(char(31) || d.host, '')");
    snprintf(sql, sizeof sql,
             "WITH here AS (SELECT %s AS target, r.workload_id, r.numerics, r.median_ms FROM"
             " results r JOIN devices d ON d.id = r.device_id WHERE r.run_id = ?1 AND"
             " r.status = 'ok' AND r.median_ms > 0),"
             " runs_shown AS (SELECT id, started_at FROM runs WHERE id <= ?1 AND " BENCHMARK_RUN
             " ORDER BY id DESC LIMIT " RB_STR(
                 HISTORY_RUNS) ")"
                               " SELECT %s, ru.id, ru.started_at, r.median_ms / h.median_ms"
                               " FROM results r JOIN devices d ON d.id = r.device_id"
                               " JOIN runs_shown ru ON ru.id = r.run_id"
                               " JOIN here h ON h.target = %s AND h.workload_id = r.workload_id AND"
                               " h.numerics IS r.numerics"
                               " WHERE r.status = 'ok' AND r.median_ms > 0 ORDER BY 1, ru.id",
             dev, dev, dev);
    int rc = prep(s, sql, &st, e);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, r->run.id);
    size_t cap = 0;
    int step, multi = 0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        char target[RB_REP_TARGET_MAX];
        rb_col_s(st, 0, target, sizeof target);
        if (!hosts) /* one machine: the instance's name, the host kept only for pairing */
            target[strcspn(target, "\x1f")] = 0;
        long long run = sqlite3_column_int64(st, 1);
        double lr = log(sqlite3_column_double(st, 3));
        rb_rep_history *h = r->n_history ? &r->history[r->n_history - 1] : NULL;
        if (!h || h->run_id != run || strcmp(h->target, target)) {
            multi |= h && !strcmp(h->target, target); /* a second run of this target */
            if (r->n_history == cap) {
                cap = cap ? 2 * cap : 64;
                rb_rep_history *g = realloc(r->history, cap * sizeof *g);
                if (!g) {
                    rc = rb_errf(e, RB_ENOMEM, "report: out of memory");
                    break;
                }
                r->history = g;
            }
            h = &r->history[r->n_history++];
            memset(h, 0, sizeof *h);
            snprintf(h->target, sizeof h->target, "%s", target);
            h->run_id = run;
            rb_col_s(st, 2, h->started_at, sizeof h->started_at);
        }
        h->rel += lr; /* the sum of logs, made a geometric mean below */
        h->n++;
    }
    if (!rc)
        rc = step_err(s, step, e);
    sqlite3_finalize(st);
    for (size_t i = 0; i < r->n_history; i++)
        r->history[i].rel = exp(r->history[i].rel / r->history[i].n);
    if (!multi)
        r->n_history = 0;
    return rc;
}

/* Targets the run asked for that have no device row: unavailable on that
 * host.  The run records why in config_json's "unavailable" object. */
static int load_missing(const char *config, rb_report *r, rb_err *e)
{
    cJSON *c = config ? cJSON_Parse(config) : NULL;
    const cJSON *targets = cJSON_GetObjectItemCaseSensitive(c, "instances");
    if (!targets) /* a run from before instances: target names */
        targets = cJSON_GetObjectItemCaseSensitive(c, "targets");
    const cJSON *why = cJSON_GetObjectItemCaseSensitive(c, "unavailable");
    int n = cJSON_GetArraySize(targets), rc = 0;
    r->missing = calloc(n > 0 ? (size_t)n : 1, sizeof *r->missing);
    if (!r->missing)
        rc = rb_errf(e, RB_ENOMEM, "report: out of memory");
    const cJSON *t;
    cJSON_ArrayForEach(t, targets)
    {
        if (rc || !cJSON_IsString(t))
            continue;
        /* a stored spec may set options aside that its device's name leaves out */
        char name[RB_INSTANCE_NAME_MAX];
        rb_instance in;
        rb_err pe = {0};
        snprintf(name, sizeof name, "%s", t->valuestring);
        if (!rb_instance_parse(t->valuestring, &in, &pe))
            rb_instance_name(&in, name, sizeof name);
        int found = 0;
        for (int i = 0; i < r->n_devices; i++)
            found |= !strcmp(r->devices[i].target, name);
        if (found)
            continue;
        rb_rep_missing *m = &r->missing[r->n_missing++];
        snprintf(m->target, sizeof m->target, "%s", name);
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(why, name);
        m->why = cJSON_IsString(w) ? strdup(w->valuestring) : NULL;
    }
    cJSON_Delete(c);
    return rc;
}

int rb_store_load_report(rb_store *s, const rb_report_select *sel, rb_report *r, rb_err *e)
{
    memset(r, 0, sizeof *r);
    char *config = NULL;
    int rc = load_run(s, sel, r, &config, e);
    if (!rc)
        rc = load_devices(s, r, e);
    if (!rc)
        rc = load_results(s, r, sel->samples, e);
    if (!rc)
        rc = load_accuracy(s, r, sel->figures, e);
    if (!rc && !sel->figures)
        rc = load_history(s, r, e);
    if (!rc)
        rc = load_missing(config, r, e);
    free(config);
    if (rc)
        rb_report_free(r);
    return rc;
}

int rb_history_metric_find(const char *name)
{
    if (!strcmp(name, "cycles"))
        return RB_HISTORY_CYCLES;
    return rb_figure_find(name, 1);
}

const char *rb_history_metric_name(int metric)
{
    return metric == RB_HISTORY_CYCLES ? "cycles" : rb_figure_table[metric].name;
}

const char *rb_history_metric_unit(int metric)
{
    return metric == RB_HISTORY_CYCLES ? "cycles" : rb_figure_table[metric].unit;
}

int rb_history_metric_higher(int metric)
{
    return metric == RB_HISTORY_CYCLES ? 0 : rb_figure_table[metric].higher;
}

int rb_store_history(rb_store *s, const char *instance, const char *workload, int metric,
                     const char *config, rb_history_point **out, size_t *n, rb_err *e)
{
    *out = NULL;
    *n = 0;
    if (metric < 0 || metric > RB_HISTORY_CYCLES)
        return rb_errf(e, RB_EINPUT, "history: no metric %d", metric);
    char col[96];
    const char *expr = metric == RB_HISTORY_CYCLES
                           ? "(SELECT m.value FROM metrics m WHERE m.result_id = r.id AND"
                             " m.name = 'cycles')"
                           : figure_col(s, metric, col, sizeof col);
    /* "cpu@node-a": that host's; "cpu" in a database of several machines
     * that ran it would mix them: refused, naming them */
    char inst[RB_REP_TARGET_MAX];
    snprintf(inst, sizeof inst, "%s", instance);
    char *at = strrchr(inst, '@');
    const char *host = NULL;
    const int v7 = rb_store_schema_version(s) >= 7;
    if (at && v7) {
        *at = 0;
        host = at + 1;
    }
    char sql[1024];
    sqlite3_stmt *st;
    int rc;
    if (v7 && !host) {
        snprintf(sql, sizeof sql,
                 "SELECT count(DISTINCT d.host), group_concat(DISTINCT d.host) FROM devices d"
                 " WHERE %s = ?1",
                 instance_col(s, "d."));
        if ((rc = prep(s, sql, &st, e)))
            return rc;
        sqlite3_bind_text(st, 1, inst, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) > 1)
            rc = rb_errf(e, RB_EINPUT,
                         "%s ran on several machines (%s): name one, as %s@HOST", inst,
                         (const char *)sqlite3_column_text(st, 1), inst);
        sqlite3_finalize(st);
        if (rc)
            return rc;
    }
    snprintf(sql, sizeof sql,
             "SELECT ru.id, ru.started_at, coalesce(ru.label, ''), coalesce(ru.git_sha, ''),"
             " coalesce(r.numerics, ''), %s, r.reps FROM results r JOIN runs ru ON ru.id = r.run_id"
             " JOIN devices d ON d.id = r.device_id JOIN workloads w ON w.id = r.workload_id"
             " WHERE %s = ?1 AND w.key = ?2 AND r.status = 'ok' AND (?3 IS NULL OR"
             " r.numerics = ?3)%s ORDER BY r.numerics, ru.id",
             expr, instance_col(s, "d."), host ? " AND d.host = ?4" : "");
    if ((rc = prep(s, sql, &st, e)))
        return rc;
    sqlite3_bind_text(st, 1, inst, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, workload, -1, SQLITE_TRANSIENT);
    if (config)
        sqlite3_bind_text(st, 3, config, -1, SQLITE_TRANSIENT);
    if (host)
        sqlite3_bind_text(st, 4, host, -1, SQLITE_TRANSIENT);
    size_t cap = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        double v = rb_col_d(st, 5);
        if (!isfinite(v))
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            rb_history_point *p = realloc(*out, cap * sizeof *p);
            if (!p) {
                rc = rb_errf(e, RB_ENOMEM, "history: out of memory");
                break;
            }
            *out = p;
        }
        rb_history_point *p = &(*out)[(*n)++];
        p->run = sqlite3_column_int64(st, 0);
        rb_col_s(st, 1, p->started, sizeof p->started);
        rb_col_s(st, 2, p->label, sizeof p->label);
        rb_col_s(st, 3, p->sha, sizeof p->sha);
        rb_col_s(st, 4, p->config, sizeof p->config);
        p->value = v;
        p->n = sqlite3_column_int(st, 6);
    }
    if (!rc)
        rc = step_err(s, step, e);
    sqlite3_finalize(st);
    return rc;
}

/* ---- several runs in one report ------------------------------------------------ */

static int by_key_then_device(const void *a, const void *b)
{
    const rb_rep_result *x = a, *y = b;
    int c = rb_natural_cmp(x->w.key, y->w.key);
    return c ? c : (x->device > y->device) - (x->device < y->device);
}

/* "cpu" -> "cpu (run 3, monday)": every row, chart series and sentence that
 * names a device then says which run it came from. */
static void label_run(char *target, size_t n, const rb_rep_run *u)
{
    char t[RB_REP_TARGET_MAX];
    snprintf(t, sizeof t, "%s", target);
    snprintf(target, n, "%.80s (run %lld%s%.30s)", t, u->id, u->label ? ", " : "",
             u->label ? u->label : "");
}

/* Move run b's devices, results and missing targets into a, after a's. */
static int append_run(rb_report *a, rb_report *b, rb_err *e)
{
    rb_rep_device *d = realloc(a->devices, (size_t)(a->n_devices + b->n_devices) * sizeof *d);
    if (d)
        a->devices = d;
    rb_rep_result *x = d ? realloc(a->results, (a->n_results + b->n_results) * sizeof *x) : NULL;
    if (x)
        a->results = x;
    rb_rep_missing *m =
        x ? realloc(a->missing, (size_t)(a->n_missing + b->n_missing + 1) * sizeof *m) : NULL;
    if (!m)
        return rb_errf(e, RB_ENOMEM, "report: out of memory combining runs");
    a->missing = m;
    for (int i = 0; i < b->n_devices; i++) {
        label_run(b->devices[i].target, sizeof b->devices[i].target, &b->run);
        a->devices[a->n_devices + i] = b->devices[i];
    }
    for (size_t i = 0; i < b->n_results; i++) {
        b->results[i].device += a->n_devices;
        a->results[a->n_results + i] = b->results[i];
    }
    for (int i = 0; i < b->n_missing; i++) {
        label_run(b->missing[i].target, sizeof b->missing[i].target, &b->run);
        a->missing[a->n_missing + i] = b->missing[i];
    }
    a->n_devices += b->n_devices;
    a->n_results += b->n_results;
    a->n_missing += b->n_missing;
    /* what moved is a's now: b keeps only what it alone owns */
    b->n_devices = b->n_missing = 0;
    b->n_results = 0;
    return 0;
}

int rb_store_load_runs(rb_store *s, const rb_report_select *sel, int n, rb_report *r, rb_err *e)
{
    int rc = rb_store_load_report(s, &sel[0], r, e);
    if (rc)
        return rc;
    if (n > 1) {
        for (int i = 0; i < r->n_devices; i++)
            label_run(r->devices[i].target, sizeof r->devices[i].target, &r->run);
        for (int i = 0; i < r->n_missing; i++)
            label_run(r->missing[i].target, sizeof r->missing[i].target, &r->run);
    }
    for (int k = 1; k < n && !rc; k++) {
        rb_report b;
        rc = rb_store_load_report(s, &sel[k], &b, e);
        if (!rc && b.run.id == r->run.id)
            rc = rb_errf(e, RB_EINPUT, "run %lld is asked for twice", b.run.id);
        if (!rc)
            rc = append_run(r, &b, e);
        if (!rc)
            r->n_runs++;
        rb_report_free(&b);
    }
    if (rc) {
        rb_report_free(r);
        return rc;
    }
    r->n_runs++; /* the first */
    /* one order for one run or several: by workload as a person reads them
     * (i128 before i1024), then device */
    if (r->n_results > 1)
        qsort(r->results, r->n_results, sizeof *r->results, by_key_then_device);
    return 0;
}
