/* cmd_history.c — `rnnbench history`: one figure of one target and workload
 * across the benchmark runs of a database, and the runs where it stepped. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "../workloads/utf8.h"
#include "compare.h"
#include "regress_stats.h"
#include "store_report.h"

static const char history_help[] =
    "Usage: rnnbench history --target NAME --workload KEY [--metric M] [--config NUMERICS]\n"
    "                        [--threshold 5%] [--db FILE] [--format table|md|json]\n"
    "\n"
    "The trend of one figure across the runs of the database (results that ran ok,\n"
    "in run order), with step detection: piecewise-constant levels fitted to the\n"
    "series (as asv does), a step kept where the level moves by more than\n"
    "--threshold and more than the series' own noise, each named by the run where\n"
    "it happened.\n"
    "\n"
    "  --target NAME       a target or instance: cpu, fpga:large, ... (required)\n"
    "  --workload KEY      canonical workload key, e.g. lstm_infer_t25_b1_i512_h512_l1\n"
    "                      (required; `rnnbench query` lists them)\n"
    "  --metric M          a figure of the results (median_ms, p10_ms, first_ms, ...:\n"
    "                      `rnnbench list --figures`), a short name: median (default),\n"
    "                      p90, p99, mean, throughput, gflops, energy, err (max |y - ref|),\n"
    "                      or cycles; for a served point also p99.9, qps (achieved) and\n"
    "                      max-qps (the largest rate within the bound)\n"
    "  --config NUMERICS   only results in this number format (default: one series\n"
    "                      per format the target ran in)\n"
    "  --threshold X       smallest step that counts, 5% or 0.05 (default 5%)\n";

static const char history_tail[] =
    "\n"
    "Exit status: 0 shown, 2 bad usage or nothing to show, 3 a database error.\n";

enum { OPT_TARGET = RB_OPT_FIRST_FREE, OPT_WORKLOAD, OPT_METRIC, OPT_CONFIG, OPT_THRESHOLD };

typedef rb_history_point point;

static int load_points(const char *db, const char *target, const char *workload, int metric,
                       const char *config, point **out, size_t *n, rb_err *e)
{
    rb_store *s = NULL;
    int rc = rb_store_open(&s, db, 1, e);
    if (!rc)
        rc = rb_store_history(s, target, workload, metric, config, out, n, e);
    rb_store_close(s);
    return rc;
}

#define MAX_STEPS 32

/* s from the database in a table column of width w (cut to it, padded),
 * control characters shown as '?' (rb_term_text), then a space. */
static void column(FILE *f, const char *s, int w)
{
    char cut[64];
    snprintf(cut, sizeof cut, "%.*s", w, s);
    rb_term_text(f, cut);
    fprintf(f, "%*s ", w - (int)strlen(cut), "");
}

/* One series (one number format): its points, and the steps found in it. */
static void write_series(FILE *f, rb_cmp_format fmt, const char *target, const char *workload,
                         int metric, const point *p, size_t n, double threshold, cJSON *json)
{
    double *v = malloc((n ? n : 1) * sizeof *v);
    rb_step steps[MAX_STEPS];
    size_t ns = 0;
    if (v) {
        for (size_t i = 0; i < n; i++)
            v[i] = p[i].value;
        ns = rb_detect_steps(v, n, threshold, steps, MAX_STEPS);
    }
    free(v);
    const char *m = rb_history_metric_name(metric), *unit = rb_history_metric_unit(metric);
    if (json) {
        cJSON *s = cJSON_CreateObject();
        cJSON_AddStringToObject(s, "target", target);
        cJSON_AddStringToObject(s, "config", p[0].config);
        cJSON_AddStringToObject(s, "workload", workload);
        cJSON_AddStringToObject(s, "metric", m);
        cJSON_AddStringToObject(s, "unit", unit);
        cJSON *pts = cJSON_AddArrayToObject(s, "points");
        for (size_t i = 0; i < n; i++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "run", (double)p[i].run);
            cJSON_AddStringToObject(o, "started_at", p[i].started);
            cJSON_AddStringToObject(o, "label", p[i].label);
            cJSON_AddStringToObject(o, "git_sha", p[i].sha);
            cJSON_AddNumberToObject(o, "value", p[i].value);
            cJSON_AddNumberToObject(o, "reps", p[i].n);
            cJSON_AddItemToArray(pts, o);
        }
        cJSON *sa = cJSON_AddArrayToObject(s, "steps");
        for (size_t k = 0; k < ns; k++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "run", (double)p[steps[k].at].run);
            cJSON_AddNumberToObject(o, "before", steps[k].before);
            cJSON_AddNumberToObject(o, "after", steps[k].after);
            cJSON_AddNumberToObject(o, "change", steps[k].after / steps[k].before - 1);
            cJSON_AddItemToArray(sa, o);
        }
        cJSON_AddItemToArray(json, s);
        return;
    }
    int md = fmt == RB_CMP_FMT_MD;
    void (*text)(FILE *, const char *) = md ? rb_md_text : rb_term_text;
    fprintf(f, "%s%s of ", md ? "### " : "", m);
    text(f, target);
    fputs(" (", f);
    text(f, p[0].config);
    fputs(md ? ") on `" : ") on ", f);
    text(f, workload);
    fprintf(f,
            md ? "`: %zu run%s\n\n| run | started | label | git | %s | reps | step |\n"
                 "|---|---|---|---|---|---|---|\n"
               : ": %zu run%s\n%-6s %-24s %-16s %-12s %12s %5s  %s\n",
            n, n == 1 ? "" : "s", md ? unit : "run", "started", "label", "git", md ? "" : unit,
            "reps", "step");
    for (size_t i = 0; i < n; i++) {
        char note[96] = "";
        for (size_t k = 0; k < ns; k++)
            if (steps[k].at == i)
                snprintf(note, sizeof note, "step %+.1f%% (%.4g -> %.4g)%s",
                         100 * (steps[k].after / steps[k].before - 1), steps[k].before,
                         steps[k].after,
                         (steps[k].after > steps[k].before) != rb_history_metric_higher(metric)
                             ? ": worse"
                             : ": better");
        if (md) {
            fprintf(f, "| %lld | ", p[i].run);
            rb_md_text(f, p[i].started);
            fputs(" | ", f);
            rb_md_text(f, p[i].label);
            fputs(" | ", f);
            rb_md_text(f, p[i].sha);
            fprintf(f, " | %.6g | %d | %s |\n", p[i].value, p[i].n, note);
        } else {
            fprintf(f, "%-6lld ", p[i].run);
            column(f, p[i].started, 24);
            column(f, p[i].label, 16);
            column(f, p[i].sha, 12);
            fprintf(f, "%12.6g %5d  %s\n", p[i].value, p[i].n, note);
        }
    }
    fprintf(f, md ? "\n%zu step%s (threshold %g%%).\n\n" : "%zu step%s (threshold %g%%)\n\n", ns,
            ns == 1 ? "" : "s", 100 * threshold);
}

typedef struct history_args {
    const char *target, *workload, *config;
    int metric;
    double threshold;
} history_args;

static int history_option(void *args, int opt, const char *arg, rb_err *e)
{
    history_args *a = args;
    switch (opt) {
    case OPT_TARGET: a->target = arg; return 0;
    case OPT_WORKLOAD: a->workload = arg; return 0;
    case OPT_CONFIG: a->config = arg; return 0;
    case OPT_METRIC:
        if ((a->metric = rb_history_metric_find(arg)) >= 0)
            return 0;
        return rb_errf(e, RB_EINPUT,
                       "--metric '%s': expected a figure (`rnnbench list --figures` lists "
                       "them), a short name (median, p90, p99, mean, throughput, gflops, "
                       "energy, err) or cycles",
                       arg);
    case OPT_THRESHOLD: return rb_cli_fraction("threshold", arg, &a->threshold, e);
    }
    return rb_errf(e, RB_EINPUT, "unknown option");
}

static int history_main(int argc, char **argv)
{
    history_args a = {NULL, NULL, NULL, RB_FIG_median_ms, 0.05};
    rb_cli_common com;
    int next, st = rb_cli_parse(&rb_command_history, argc, argv, &a, &com, &next);
    if (st != RB_CLI_GO)
        return st;
    if (!a.target || !a.workload)
        return rb_cli_usage("history", "--target and --workload are required");
    rb_cmp_format fmt = RB_CMP_FMT_TABLE;
    rb_cmp_format_parse(com.format, &fmt);
    rb_err e = {0};
    point *p = NULL;
    size_t n = 0;
    int rc = load_points(com.db, a.target, a.workload, a.metric, a.config, &p, &n, &e);
    if (!rc && !n)
        rc = rb_errf(&e, RB_EINPUT, "%s has no ok result of %s on %s%s%s with a %s figure", com.db,
                     a.target, a.workload, a.config ? " in " : "", a.config ? a.config : "",
                     rb_history_metric_name(a.metric));
    if (rc) {
        free(p);
        return rb_cli_fail("history", &e);
    }
    cJSON *json = fmt == RB_CMP_FMT_JSON ? cJSON_CreateArray() : NULL;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && !strcmp(p[j].config, p[i].config))
            j++;
        write_series(stdout, fmt, a.target, a.workload, a.metric, p + i, j - i, a.threshold, json);
        i = j;
    }
    if (json) {
        char *js = rb_json_utf8(cJSON_Print(json));
        if (js)
            printf("%s\n", js);
        free(js);
        cJSON_Delete(json);
    }
    free(p);
    return ferror(stdout) ? RB_EXIT_FAILURE : RB_EXIT_OK;
}

static const struct option history_options[] = {{"target", required_argument, 0, OPT_TARGET},
                                                {"workload", required_argument, 0, OPT_WORKLOAD},
                                                {"metric", required_argument, 0, OPT_METRIC},
                                                {"config", required_argument, 0, OPT_CONFIG},
                                                {"threshold", required_argument, 0, OPT_THRESHOLD},
                                                {0, 0, 0, 0}};

/* In rb_cmp_format's order. */
static const char *const history_formats[] = {"table", "md", "json", NULL};

const rb_command rb_command_history = {
    .name = "history",
    .summary = "one figure across runs, with the runs where it stepped",
    .help = history_help,
    .help_tail = history_tail,
    .uses = RB_USE_DB | RB_USE_FORMAT,
    .formats = history_formats,
    .options = history_options,
    .option = history_option,
    .main = history_main,
};
