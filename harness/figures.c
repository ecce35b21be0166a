/* figures.c — the figures of a run or a baseline file (figures.h). */
#include "figures.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

#define BASELINE_VERSION 1

void rb_figset_free(rb_figset *fs)
{
    for (size_t i = 0; fs->f && i < fs->n; i++)
        free(fs->f[i].samples);
    free(fs->f);
    memset(fs, 0, sizeof *fs);
}

int rb_figure_cmp(const rb_figure *a, const rb_figure *b)
{
    int c = strcmp(a->target, b->target);
    if (!c)
        c = strcmp(a->config, b->config);
    if (!c)
        c = strcmp(a->workload, b->workload);
    return c ? c : strcmp(a->metric, b->metric);
}

static int cmp_void(const void *a, const void *b) { return rb_figure_cmp(a, b); }

/* A new zeroed figure at the end of fs (NULL when out of memory). */
static rb_figure *push(rb_figset *fs, size_t *cap)
{
    if (fs->n == *cap) {
        size_t c = *cap ? 2 * *cap : 256;
        rb_figure *f = realloc(fs->f, c * sizeof *f);
        if (!f)
            return NULL;
        fs->f = f;
        *cap = c;
    }
    rb_figure *f = &fs->f[fs->n++];
    memset(f, 0, sizeof *f);
    f->value = NAN;
    return f;
}

/* What a result's figures share: who and what. */
typedef struct who {
    long long result_id;
    char target[16], config[32], device[160], workload[160];
    long lat; /* index of the result's latency figure, -1 when it has none */
} who;

static rb_figure *add(rb_figset *fs, size_t *cap, const who *w, const char *metric,
                      const char *unit, const char *source, rb_fig_kind kind, double value)
{
    rb_figure *f = push(fs, cap);
    if (!f)
        return NULL;
    snprintf(f->target, sizeof f->target, "%s", w->target);
    snprintf(f->config, sizeof f->config, "%s", w->config);
    snprintf(f->device, sizeof f->device, "%s", w->device);
    snprintf(f->workload, sizeof f->workload, "%s", w->workload);
    snprintf(f->metric, sizeof f->metric, "%s", metric);
    snprintf(f->unit, sizeof f->unit, "%s", unit);
    snprintf(f->source, sizeof f->source, "%s", source ? source : "");
    f->kind = kind;
    f->value = value;
    return f;
}

static int db_fail(rb_store *s, int rc, rb_err *e)
{
    return rb_store_dberr(s, rc, "reading the run's figures", e);
}

static int prep(rb_store *s, const char *sql, long long run_id, sqlite3_stmt **st, rb_err *e)
{
    int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
    if (rc != SQLITE_OK)
        return db_fail(s, rc, e);
    sqlite3_bind_int64(*st, 1, run_id);
    return 0;
}

static int by_result(const void *a, const void *b)
{
    long long x = ((const who *)a)->result_id, y = ((const who *)b)->result_id;
    return (x > y) - (x < y);
}

/* The results of the run: status, latency, deterministic energy, error;
 * who[] records each result for the metrics and samples that follow. */
static int load_results(rb_store *s, long long run_id, rb_figset *fs, size_t *cap, who **whos,
                        size_t *n_who, rb_err *e)
{
    sqlite3_stmt *st;
    int rc = prep(s,
                  "SELECT r.id, d.target, d.name, coalesce(r.numerics, d.numerics, ''), w.key,"
                  " r.status, r.median_ms, r.reps, r.latency_source, r.energy_j, r.energy_source,"
                  " r.err_max_abs FROM results r JOIN devices d ON d.id = r.device_id"
                  " JOIN workloads w ON w.id = r.workload_id WHERE r.run_id = ?1 ORDER BY r.id",
                  run_id, &st, e);
    if (rc)
        return rc;
    size_t wcap = 0;
    int step = SQLITE_DONE; /* the loops below assign it first; -Og cannot tell */
    while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n_who == wcap) {
            wcap = wcap ? 2 * wcap : 256;
            who *nw = realloc(*whos, wcap * sizeof *nw);
            if (nw)
                *whos = nw;
            if (!nw) {
                rc = rb_errf(e, RB_ENOMEM, "out of memory reading run %lld", run_id);
                break;
            }
        }
        who *w = &(*whos)[(*n_who)++];
        w->lat = -1;
        w->result_id = sqlite3_column_int64(st, 0);
        rb_col_s(st, 1, w->target, sizeof w->target);
        rb_col_s(st, 2, w->device, sizeof w->device);
        rb_col_s(st, 3, w->config, sizeof w->config);
        rb_col_s(st, 4, w->workload, sizeof w->workload);
        char status[16], lsrc[16], esrc[16];
        rb_col_s(st, 5, status, sizeof status);
        rb_col_s(st, 8, lsrc, sizeof lsrc);
        rb_col_s(st, 10, esrc, sizeof esrc);
        double median = rb_col_d(st, 6), energy = rb_col_d(st, 9), err = rb_col_d(st, 11);
        int measured = !strcmp(lsrc, "measured");
        rb_figure *f = add(fs, cap, w, "status", "", "", RB_FIG_DETERMINISTIC, NAN);
        if (f)
            snprintf(f->text, sizeof f->text, "%s", status);
        if (f && isfinite(median)) {
            f = add(fs, cap, w, "median_ms", "ms", lsrc,
                    measured ? RB_FIG_MEASURED : RB_FIG_DETERMINISTIC, median);
            if (f) {
                f->n = sqlite3_column_int(st, 7);
                w->lat = (long)(fs->n - 1);
            }
        }
        /* the model's energy of a simulated or modeled latency is as
         * deterministic as the latency; a meter's or one from a measured
         * latency is not, and is left to the latency's test */
        if (f && isfinite(energy) && !strcmp(esrc, "model") && !measured)
            f = add(fs, cap, w, "energy_j", "J", esrc, RB_FIG_DETERMINISTIC, energy);
        if (f && isfinite(err))
            f = add(fs, cap, w, "err_max_abs", "", "reference", RB_FIG_DETERMINISTIC, err);
        if (!f)
            rc = rb_errf(e, RB_ENOMEM, "out of memory reading run %lld", run_id);
    }
    if (!rc && step != SQLITE_DONE)
        rc = db_fail(s, step, e);
    sqlite3_finalize(st);
    return rc;
}

/* Simulated cycles (the fpga's), from the metrics table. */
static int load_cycles(rb_store *s, long long run_id, rb_figset *fs, size_t *cap,
                       const who *whos, size_t n_who, rb_err *e)
{
    sqlite3_stmt *st;
    int rc = prep(s,
                  "SELECT m.result_id, m.value, m.source FROM metrics m JOIN results r ON"
                  " r.id = m.result_id WHERE r.run_id = ?1 AND m.name = 'cycles'",
                  run_id, &st, e);
    if (rc)
        return rc;
    int step = SQLITE_DONE; /* the loops below assign it first; -Og cannot tell */
    while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
        who key = {.result_id = sqlite3_column_int64(st, 0)};
        const who *w = bsearch(&key, whos, n_who, sizeof *whos, by_result);
        char src[16];
        rb_col_s(st, 2, src, sizeof src);
        if (w && !add(fs, cap, w, "cycles", "cycles", src, RB_FIG_DETERMINISTIC,
                      rb_col_d(st, 1)))
            rc = rb_errf(e, RB_ENOMEM, "out of memory reading run %lld", run_id);
    }
    if (!rc && step != SQLITE_DONE)
        rc = db_fail(s, step, e);
    sqlite3_finalize(st);
    return rc;
}

/* Give the latency figure of result w (if measured) its repetitions. */
static int attach(rb_figset *fs, const who *whos, size_t n_who, long long id, const double *v,
                  int n)
{
    who key = {.result_id = id};
    const who *w = n ? bsearch(&key, whos, n_who, sizeof *whos, by_result) : NULL;
    long k = w ? w->lat : -1;
    if (k < 0 || fs->f[k].kind != RB_FIG_MEASURED)
        return 0;
    rb_figure *f = &fs->f[k];
    if (!(f->samples = malloc((size_t)n * sizeof *f->samples)))
        return -1;
    memcpy(f->samples, v, (size_t)n * sizeof *v);
    f->n = n; /* what the table holds is the truth */
    return 0;
}

/* The raw repetitions behind each measured latency (rows come ordered by
 * result, so each result's run is gathered, then attached). */
static int load_samples(rb_store *s, long long run_id, rb_figset *fs, const who *whos,
                        size_t n_who, rb_err *e)
{
    sqlite3_stmt *st;
    int rc = prep(s,
                  "SELECT s.result_id, s.value_ms FROM samples s JOIN results r ON"
                  " r.id = s.result_id WHERE r.run_id = ?1 ORDER BY s.result_id, s.rep",
                  run_id, &st, e);
    if (rc)
        return rc;
    double *buf = NULL;
    int n = 0, cap = 0, step = SQLITE_DONE;
    long long cur = -1;
    while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
        long long id = sqlite3_column_int64(st, 0);
        if (id != cur && n && attach(fs, whos, n_who, cur, buf, n))
            rc = rb_errf(e, RB_ENOMEM, "out of memory reading samples");
        if (id != cur)
            n = 0;
        cur = id;
        if (!rc && n == cap) {
            cap = cap ? 2 * cap : 1024;
            double *g = realloc(buf, (size_t)cap * sizeof *g);
            if (!g)
                rc = rb_errf(e, RB_ENOMEM, "out of memory reading samples");
            else
                buf = g;
        }
        if (!rc)
            buf[n++] = sqlite3_column_double(st, 1);
    }
    if (!rc && step != SQLITE_DONE)
        rc = db_fail(s, step, e);
    if (!rc && n && attach(fs, whos, n_who, cur, buf, n))
        rc = rb_errf(e, RB_ENOMEM, "out of memory reading samples");
    free(buf);
    sqlite3_finalize(st);
    return rc;
}

/* The text task's figures of the run: the last epoch's test accuracy and
 * macro-F1 per target, model and phase (train: the training curve's end;
 * eval: a saved model on the target). */
static int load_accuracy(rb_store *s, long long run_id, rb_figset *fs, size_t *cap, rb_err *e)
{
    if (rb_store_schema_version(s) < 2)
        return 0;
    sqlite3_stmt *st;
    int rc = prep(s,
                  "SELECT d.target, d.name, coalesce(a.numerics, d.numerics, ''), a.task, a.model,"
                  " a.phase, a.accuracy, a.macro_f1 FROM accuracy a JOIN devices d"
                  " ON d.id = a.device_id WHERE a.run_id = ?1 AND a.split = 'test' AND a.epoch ="
                  " (SELECT max(b.epoch) FROM accuracy b WHERE b.run_id = a.run_id AND"
                  " b.device_id = a.device_id AND b.task = a.task AND b.model = a.model AND"
                  " b.phase = a.phase AND b.split = 'test')",
                  run_id, &st, e);
    if (rc)
        return rc;
    int step = SQLITE_DONE; /* the loops below assign it first; -Og cannot tell */
    while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
        who w = {0};
        char task[32], model[64], phase[8];
        rb_col_s(st, 0, w.target, sizeof w.target);
        rb_col_s(st, 1, w.device, sizeof w.device);
        rb_col_s(st, 2, w.config, sizeof w.config);
        rb_col_s(st, 3, task, sizeof task);
        rb_col_s(st, 4, model, sizeof model);
        rb_col_s(st, 5, phase, sizeof phase);
        snprintf(w.workload, sizeof w.workload, "%s:%s:%s", task, model, phase);
        const char *names[2] = {"accuracy", "macro_f1"};
        for (int k = 0; k < 2 && !rc; k++) {
            double v = rb_col_d(st, 6 + k);
            if (!isfinite(v))
                continue;
            rb_figure *f = add(fs, cap, &w, names[k], "", phase, RB_FIG_DETERMINISTIC, v);
            if (!f)
                rc = rb_errf(e, RB_ENOMEM, "out of memory reading run %lld", run_id);
            else
                f->higher_is_better = 1;
        }
    }
    if (!rc && step != SQLITE_DONE)
        rc = db_fail(s, step, e);
    sqlite3_finalize(st);
    return rc;
}

/* "run 12 (nightly, 2026-12-01T10:00:00.000Z, git 1234abcd) in results.db" */
static int describe(rb_store *s, long long run_id, rb_figset *out, rb_err *e)
{
    sqlite3_stmt *st;
    int rc = prep(s, "SELECT coalesce(label, ''), started_at, coalesce(git_sha, '') FROM runs"
                     " WHERE id = ?1",
                  run_id, &st, e);
    if (rc)
        return rc;
    char label[64] = "", started[32] = "", sha[16] = "";
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        rb_col_s(st, 0, label, sizeof label);
        rb_col_s(st, 1, started, sizeof started);
        rb_col_s(st, 2, sha, sizeof sha);
    }
    sqlite3_finalize(st);
    if (step != SQLITE_ROW)
        return step == SQLITE_DONE ? rb_errf(e, RB_EINPUT, "%s has no run %lld", s->path, run_id)
                                   : db_fail(s, step, e);
    snprintf(out->what, sizeof out->what, "run %lld (%s%s%s%s%s) in %s", run_id, label,
             label[0] ? ", " : "", started, sha[0] ? ", git " : "", sha, s->path);
    snprintf(out->label, sizeof out->label, "%s", label);
    return 0;
}

int rb_figset_from_run(rb_store *s, long long run_id, int with_samples, rb_figset *out,
                       rb_err *e)
{
    memset(out, 0, sizeof *out);
    out->run_id = run_id;
    int drc = describe(s, run_id, out, e);
    if (drc)
        return drc;
    size_t cap = 0, n_who = 0;
    who *whos = NULL;
    int rc = load_results(s, run_id, out, &cap, &whos, &n_who, e);
    if (!rc)
        rc = load_cycles(s, run_id, out, &cap, whos, n_who, e);
    if (!rc && with_samples)
        rc = load_samples(s, run_id, out, whos, n_who, e);
    if (!rc)
        rc = load_accuracy(s, run_id, out, &cap, e);
    free(whos);
    if (rc) {
        rb_figset_free(out);
        return rc;
    }
    qsort(out->f, out->n, sizeof *out->f, cmp_void);
    return 0;
}

/* ---- baseline files ------------------------------------------------------------ */

static const char *kind_name(rb_fig_kind k)
{
    return k == RB_FIG_MEASURED ? "measured" : "deterministic";
}

/* A number that reads back to the same double: cJSON's printer settles for
 * 15 digits when they compare equal within an epsilon, which is not exact. */
static cJSON *exact(double v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%.17g", v);
    return cJSON_CreateRaw(buf);
}

int rb_figset_write_baseline(FILE *f, const rb_figset *fs, int all, rb_err *e)
{
    /* keys in alphabetical order (cJSON keeps insertion order), so a line
     * reads the same whoever wrote it; numbers round-trip (%.17g) */
    /* the header names the run without its date, host path or revision, so
     * regenerating an unchanged baseline changes no line (git knows when) */
    char from[96];
    snprintf(from, sizeof from, "run %lld%s%s", fs->run_id, fs->label[0] ? ", label " : "",
             fs->label);
    cJSON *h = cJSON_CreateObject();
    cJSON_AddNumberToObject(h, "rnnbench_baseline", BASELINE_VERSION);
    cJSON_AddStringToObject(h, "from", from);
    cJSON_AddStringToObject(h, "metrics", all ? "all" : "deterministic");
    cJSON_AddStringToObject(h, "update", "after an intended change: run the same matrix, then "
                                         "rnnbench export --baseline FILE");
    char *s = cJSON_PrintUnformatted(h);
    cJSON_Delete(h);
    int bad = !s || fprintf(f, "%s\n", s) < 0;
    free(s);
    for (size_t i = 0; i < fs->n && !bad; i++) {
        const rb_figure *g = &fs->f[i];
        if (g->kind == RB_FIG_MEASURED && !all)
            continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "better", g->higher_is_better ? "higher" : "lower");
        cJSON_AddStringToObject(o, "config", g->config);
        cJSON_AddStringToObject(o, "device", g->device);
        cJSON_AddStringToObject(o, "kind", kind_name(g->kind));
        cJSON_AddStringToObject(o, "metric", g->metric);
        if (g->kind == RB_FIG_MEASURED) {
            cJSON_AddNumberToObject(o, "n", g->n);
            cJSON *a = cJSON_AddArrayToObject(o, "samples");
            for (int k = 0; g->samples && k < g->n; k++)
                cJSON_AddItemToArray(a, exact(g->samples[k]));
        }
        cJSON_AddStringToObject(o, "source", g->source);
        cJSON_AddStringToObject(o, "target", g->target);
        if (g->text[0])
            cJSON_AddStringToObject(o, "text", g->text);
        cJSON_AddStringToObject(o, "unit", g->unit);
        if (isfinite(g->value))
            cJSON_AddItemToObject(o, "value", exact(g->value));
        cJSON_AddStringToObject(o, "workload", g->workload);
        s = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        bad = !s || fprintf(f, "%s\n", s) < 0;
        free(s);
    }
    if (bad || ferror(f))
        return rb_errf(e, RB_ERUNTIME, "writing the baseline failed: %s", strerror(errno));
    return 0;
}

/* A string member into buf; 0, or -1 when absent or not a string. */
static int str_of(const cJSON *o, const char *key, char *buf, size_t n, int required)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(v)) {
        buf[0] = 0;
        return required ? -1 : 0;
    }
    snprintf(buf, n, "%s", v->valuestring);
    return 0;
}

static int parse_figure(const cJSON *o, rb_figure *f, const char **bad)
{
    char kind[16] = "", better[8] = "";
    *bad = NULL;
    if (str_of(o, "target", f->target, sizeof f->target, 1))
        *bad = "target";
    else if (str_of(o, "config", f->config, sizeof f->config, 1))
        *bad = "config";
    else if (str_of(o, "workload", f->workload, sizeof f->workload, 1))
        *bad = "workload";
    else if (str_of(o, "metric", f->metric, sizeof f->metric, 1))
        *bad = "metric";
    else if (str_of(o, "kind", kind, sizeof kind, 1) ||
             (strcmp(kind, "measured") && strcmp(kind, "deterministic")))
        *bad = "kind (measured or deterministic)";
    if (*bad)
        return -1;
    str_of(o, "device", f->device, sizeof f->device, 0);
    str_of(o, "unit", f->unit, sizeof f->unit, 0);
    str_of(o, "source", f->source, sizeof f->source, 0);
    str_of(o, "text", f->text, sizeof f->text, 0);
    str_of(o, "better", better, sizeof better, 0);
    f->higher_is_better = !strcmp(better, "higher");
    f->kind = strcmp(kind, "measured") ? RB_FIG_DETERMINISTIC : RB_FIG_MEASURED;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "value");
    f->value = cJSON_IsNumber(v) ? v->valuedouble : NAN;
    if (!cJSON_IsNumber(v) && strcmp(f->metric, "status")) {
        *bad = "value";
        return -1;
    }
    if (!strcmp(f->metric, "status") && !f->text[0]) {
        *bad = "text (the status)";
        return -1;
    }
    const cJSON *smp = cJSON_GetObjectItemCaseSensitive(o, "samples");
    if (f->kind == RB_FIG_MEASURED && cJSON_IsArray(smp) && cJSON_GetArraySize(smp) > 0) {
        int n = cJSON_GetArraySize(smp);
        f->samples = malloc((size_t)n * sizeof *f->samples);
        if (!f->samples) {
            *bad = "samples (out of memory)";
            return -1;
        }
        const cJSON *x;
        cJSON_ArrayForEach(x, smp)
        {
            if (!cJSON_IsNumber(x)) {
                *bad = "samples (numbers)";
                return -1;
            }
            f->samples[f->n++] = x->valuedouble;
        }
    }
    return 0;
}

int rb_figset_from_baseline(const char *path, rb_figset *out, rb_err *e)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "r");
    if (!f)
        return rb_errf(e, RB_EINPUT, "%s: %s", path, strerror(errno));
    char *line = NULL;
    size_t lcap = 0, cap = 0;
    long lineno = 0;
    int rc = 0;
    ssize_t len;
    while (!rc && (len = getline(&line, &lcap, f)) >= 0) {
        lineno++;
        if (len <= 1 && (len == 0 || line[0] == '\n'))
            continue;
        cJSON *o = cJSON_Parse(line);
        if (!cJSON_IsObject(o)) {
            rc = rb_errf(e, RB_EINPUT, "%s:%ld: not a JSON object (a baseline has one per line)",
                         path, lineno);
        } else if (lineno == 1) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "rnnbench_baseline");
            const cJSON *from = cJSON_GetObjectItemCaseSensitive(o, "from");
            const cJSON *which = cJSON_GetObjectItemCaseSensitive(o, "metrics");
            out->no_measured = !cJSON_IsString(which) || strcmp(which->valuestring, "all");
            if (!cJSON_IsNumber(v))
                rc = rb_errf(e, RB_EINPUT, "%s: not an rnnbench baseline (its first line lacks "
                                           "\"rnnbench_baseline\"; `rnnbench export --baseline` "
                                           "writes them)",
                             path);
            else if (v->valueint != BASELINE_VERSION)
                rc = rb_errf(e, RB_EINPUT, "%s: baseline version %d, this rnnbench reads %d",
                             path, v->valueint, BASELINE_VERSION);
            else
                snprintf(out->what, sizeof out->what, "baseline %s%s%s%s", path,
                         cJSON_IsString(from) ? " (from " : "",
                         cJSON_IsString(from) ? from->valuestring : "",
                         cJSON_IsString(from) ? ")" : "");
        } else {
            rb_figure *g = push(out, &cap);
            const char *bad = NULL;
            if (!g)
                rc = rb_errf(e, RB_ENOMEM, "%s: out of memory", path);
            else if (parse_figure(o, g, &bad))
                rc = rb_errf(e, RB_EINPUT, "%s:%ld: missing or bad \"%s\"", path, lineno, bad);
        }
        cJSON_Delete(o);
    }
    free(line);
    if (!rc && ferror(f))
        rc = rb_errf(e, RB_EINPUT, "%s: read error: %s", path, strerror(errno));
    fclose(f);
    if (!rc && lineno == 0)
        rc = rb_errf(e, RB_EINPUT, "%s: empty (not an rnnbench baseline)", path);
    if (rc) {
        rb_figset_free(out);
        return rc;
    }
    qsort(out->f, out->n, sizeof *out->f, cmp_void);
    for (size_t i = 1; i < out->n; i++)
        if (!rb_figure_cmp(&out->f[i - 1], &out->f[i])) {
            rc = rb_errf(e, RB_EINPUT, "%s: %s %s %s %s appears twice", path, out->f[i].target,
                         out->f[i].config, out->f[i].workload, out->f[i].metric);
            rb_figset_free(out);
            return rc;
        }
    return 0;
}

/* One run of a database: its figures, described by id, label and date. */
int rb_figset_from_db(const char *db, const rb_report_select *sel, int with_samples,
                      rb_figset *out, rb_err *e)
{
    rb_store *st = NULL;
    long long id = 0;
    int rc = rb_store_open(&st, db, 1, e);
    if (!rc)
        rc = rb_store_select_run(st, sel, &id, e);
    if (!rc)
        rc = rb_figset_from_run(st, id, with_samples, out, e);
    rb_store_close(st);
    return rc;
}

