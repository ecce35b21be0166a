/* figures.c — the figures of a run or a baseline file (figures.h). */
#include "figures.h"
#include "../workloads/files.h"
#include "../workloads/utf8.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>


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
    const char *target, *config, *device, *workload;
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
    f->noise = NAN;
    return f;
}

/* How compare judges figure d of result x: measured (with the raw
 * repetitions, when the figure is a statistic of them), deterministic, or
 * not at all (-1).  A timing is measured on cpu and gpu and deterministic
 * when simulated or modeled; the model's energy of a simulated or modeled
 * latency is as deterministic as the latency, a meter's is not, nor the
 * model's of a measured latency, and both are left to the latency's test. */
static int figure_kind(const rb_figdef *d, const rb_rep_result *x, int measured)
{
    switch (d->from) {
    case RB_FROM_ENERGY:
        return (!strcmp(x->energy_source, "model") || !strcmp(x->energy_source, "user")) &&
                       !measured
                   ? RB_FIG_DETERMINISTIC
                   : -1;
    case RB_FROM_REFERENCE: return RB_FIG_DETERMINISTIC;
    default: return measured ? RB_FIG_MEASURED : RB_FIG_DETERMINISTIC;
    }
}

/* One result's figures: its status, every figure of the table compare
 * pairs (with the raw repetitions behind a measured statistic), the
 * simulated cycles.  NULL when out of memory. */
static rb_figure *result_figures(rb_figset *fs, size_t *cap, const rb_report *r,
                                 const rb_rep_result *x)
{
    const rb_rep_device *d = &r->devices[x->device];
    who w = {d->target, x->numerics, d->name, x->w.key};
    int measured = !strcmp(x->latency_source, "measured");
    rb_figure *f = add(fs, cap, &w, "status", "", "", RB_FIG_DETERMINISTIC, NAN);
    if (f)
        snprintf(f->text, sizeof f->text, "%s", x->status);
    for (int i = 0; f && i < RB_N_FIGURES; i++) {
        const rb_figdef *def = &rb_figure_table[i];
        int kind = figure_kind(def, x, measured);
        if (!def->cmp || kind < 0 || !isfinite(x->fig[i]))
            continue;
        const char *source = def->from == RB_FROM_ENERGY      ? x->energy_source
                             : def->from == RB_FROM_REFERENCE ? "reference"
                                                              : x->latency_source;
        f = add(fs, cap, &w, def->name, def->unit, source, (rb_fig_kind)kind, x->fig[i]);
        if (!f)
            break;
        f->higher_is_better = def->higher;
        if (rb_figure_timed(def))
            f->n = x->reps;
        f->noise = kind == RB_FIG_MEASURED ? rb_noise_rel(x->ci_lo_ms, x->ci_hi_ms, x->median_ms)
                                           : NAN;
        if (kind == RB_FIG_MEASURED && rb_figure_timed(def) && x->n_samples) {
            if ((f->samples = malloc((size_t)x->n_samples * sizeof *f->samples))) {
                memcpy(f->samples, x->samples, (size_t)x->n_samples * sizeof *f->samples);
                f->n = x->n_samples; /* what the samples table holds is the truth */
            } else {
                f = NULL;
            }
        }
    }
    for (int k = 0; f && k < x->n_metrics; k++)
        if (!strcmp(x->metrics[k].name, "cycles"))
            f = add(fs, cap, &w, "cycles", "cycles", x->metrics[k].source, RB_FIG_DETERMINISTIC,
                    x->metrics[k].value);
    return f;
}

/* The run's text-task evaluations or training: accuracy and macro-F1 of
 * each curve's last epoch on the test split. */
static int accuracy_figures(rb_figset *fs, size_t *cap, const rb_rep_accuracy *a)
{
    char workload[160];
    snprintf(workload, sizeof workload, "%s:%s:%s", a->task, a->model, a->phase);
    who w = {a->target, a->numerics, a->device, workload};
    const char *names[2] = {"accuracy", "macro_f1"};
    const double v[2] = {a->accuracy, a->macro_f1};
    for (int k = 0; k < 2; k++) {
        if (!isfinite(v[k]))
            continue;
        rb_figure *f = add(fs, cap, &w, names[k], "", a->phase, RB_FIG_DETERMINISTIC, v[k]);
        if (!f)
            return -1;
        f->higher_is_better = 1;
    }
    return 0;
}

/* The run's warnings, and whether one says that the machine was loaded
 * (host.c's "load average ... compete for the CPU"). */
static void run_warnings(rb_figset *fs, const char *json)
{
    cJSON *w = json ? cJSON_Parse(json) : NULL;
    const cJSON *it;
    size_t at = 0;
    cJSON_ArrayForEach(it, w)
    {
        if (!cJSON_IsString(it))
            continue;
        fs->loaded |= strstr(it->valuestring, "load average") != NULL;
        if (at < sizeof fs->warnings)
            at += (size_t)snprintf(fs->warnings + at, sizeof fs->warnings - at, "%s%s",
                                   at ? "; " : "", it->valuestring);
    }
    cJSON_Delete(w);
}

int rb_figset_from_report(const rb_report *r, const char *where, rb_figset *out, rb_err *e)
{
    memset(out, 0, sizeof *out);
    out->run_id = r->run.id;
    const char *label = r->run.label ? r->run.label : "",
               *sha = r->run.git_sha ? r->run.git_sha : "";
    snprintf(out->what, sizeof out->what, "run %lld (%s%s%s%s%.12s) in %s", r->run.id, label,
             label[0] ? ", " : "", r->run.started_at, sha[0] ? ", git " : "", sha, where);
    snprintf(out->label, sizeof out->label, "%s", label);
    snprintf(out->status, sizeof out->status, "%s", r->run.status);
    run_warnings(out, r->run.warnings_json);
    size_t cap = 0;
    int rc = 0;
    for (size_t i = 0; i < r->n_results && !rc; i++)
        if (!result_figures(out, &cap, r, &r->results[i]))
            rc = -1;
    for (size_t i = 0; i < r->n_accuracy && !rc; i++)
        rc = accuracy_figures(out, &cap, &r->accuracy[i]);
    if (rc) {
        rb_figset_free(out);
        return rb_errf(e, RB_ENOMEM, "out of memory reading run %lld", r->run.id);
    }
    if (out->n > 1) /* qsort must not see NULL: a run with no figure has no array */
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
    cJSON_AddStringToObject(h, "update",
                            "after an intended change: run the same matrix, then "
                            "rnnbench export --baseline FILE");
    char *s = rb_json_utf8(cJSON_PrintUnformatted(h));
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
        s = rb_json_utf8(cJSON_PrintUnformatted(o));
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
    FILE *f = rb_fopen_in(path, 1L << 30, "a baseline file", e);
    if (!f)
        return e->code;
    char *line = NULL;
    size_t lcap = 0, cap = 0;
    long lineno = 0;
    int rc = 0, header = 0; /* the first line that is not blank is the header */
    ssize_t len;
    while (!rc && (len = getline(&line, &lcap, f)) >= 0) {
        lineno++;
        if (len <= 1 && (len == 0 || line[0] == '\n'))
            continue;
        cJSON *o = cJSON_Parse(line);
        if (!cJSON_IsObject(o)) {
            rc = rb_errf(e, RB_EINPUT, "%s:%ld: not a JSON object (a baseline has one per line)",
                         path, lineno);
        } else if (!header++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "rnnbench_baseline");
            const cJSON *from = cJSON_GetObjectItemCaseSensitive(o, "from");
            const cJSON *which = cJSON_GetObjectItemCaseSensitive(o, "metrics");
            out->no_measured = !cJSON_IsString(which) || strcmp(which->valuestring, "all");
            if (!cJSON_IsNumber(v))
                rc = rb_errf(e, RB_EINPUT,
                             "%s: not an rnnbench baseline (its first line lacks "
                             "\"rnnbench_baseline\"; `rnnbench export --baseline` "
                             "writes them)",
                             path);
            else if (v->valueint != BASELINE_VERSION)
                rc = rb_errf(e, RB_EINPUT, "%s: baseline version %d, this rnnbench reads %d", path,
                             v->valueint, BASELINE_VERSION);
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
    if (out->n > 1) /* qsort must not see NULL: a run with no figure has no array */
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
int rb_figset_from_db(const char *db, const rb_report_select *sel, int with_samples, rb_figset *out,
                      rb_err *e)
{
    rb_store *st = NULL;
    rb_report r;
    rb_report_select fsel = *sel;
    fsel.figures = 1;
    fsel.samples = with_samples;
    memset(out, 0, sizeof *out);
    int rc = rb_store_open(&st, db, 1, e);
    if (!rc)
        rc = rb_store_load_report(st, &fsel, &r, e);
    rb_store_close(st);
    if (!rc) {
        rc = rb_figset_from_report(&r, db, out, e);
        rb_report_free(&r);
    }
    return rc;
}
