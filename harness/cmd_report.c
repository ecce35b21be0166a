/* cmd_report.c — `rnnbench report`: one run of results.db into a decision,
 * as HTML, Markdown, CSV or JSON (reports/).  Read-only on the database;
 * -o FILE is written to a temporary file next to it and renamed into place,
 * so an interrupted or failed report never leaves half a file. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "store_report.h"

static const char report_help[] =
    "Usage: rnnbench report [--format html|md|csv|json] [-o FILE] [--db PATH]\n"
    "                       [--run ID[,ID...]] [--label L[,L...]] [--latest]\n"
    "                       [--objective latency|throughput|energy|perf-per-watt]\n"
    "                       [--slo-ms X] [--max-power-w W] [--max-memory MB] [--max-error E]\n"
    "                       [--max-accuracy-drop D] [--reference TARGET] [--qps Q]\n"
    "\n"
    "Turn one run of the results database into a decision: per workload, the\n"
    "targets ranked under the objective and constraints, each with a reason from\n"
    "the numbers, and the target to recommend over the whole matrix.  Measured\n"
    "results whose 95% intervals overlap are ties; a ranking that rests on a\n"
    "simulated or modeled figure says so.  The text-classification task's\n"
    "training curves and accuracy per target (`rnnbench train` / `eval`, runs of\n"
    "their own) come from the newest runs that have them.\n"
    "\n"
    "Formats (--format NAME, or --NAME):\n"
    "  html                one self-contained page with charts (the default)\n"
    "  md                  a summary for a CI job or a pull-request comment\n"
    "  csv                 one row per result with every stored figure\n"
    "  json                the same as JSON, with the recommendation\n"
    "\n"
    "  -o, --output FILE   write there (default: standard output)\n"
    "  --run ID            this run; a list (--run 3,5) combines runs made on other\n"
    "                      days or machines: each device is named with its run\n"
    "  --label L           the newest run with this label (a list: each)\n"
    "  --latest            the newest run (the default)\n"
    "                      --run, --label and --latest add up, in the order given\n"
    "  --objective OBJ     what to optimise: latency (median per call, the default),\n"
    "                      throughput (sequences/s), energy (J per sequence) or\n"
    "                      perf-per-watt (GFLOP/s per W)\n"
    "  --slo-ms X          exclude targets whose p99 latency exceeds X ms\n"
    "  --max-power-w W     exclude targets whose average power exceeds W watts\n"
    "  --max-memory MB     exclude targets whose peak memory exceeds MB megabytes (the\n"
    "                      target's own figure, else the process's peak RSS)\n"
    "  --max-error E       exclude targets whose max |y - ref| exceeds E\n"
    "  --max-accuracy-drop D\n"
    "                      exclude targets whose text-classification test accuracy\n"
    "                      (newest `rnnbench eval`) is more than D (a fraction, e.g.\n"
    "                      0.01) below the reference's accuracy, or was not evaluated\n"
    "  --reference TARGET  the target (or instance) accuracy drops are measured\n"
    "                      against: the one `rnnbench eval --reference` used\n"
    "                      (default cpu)\n"
    "  --qps Q             serving: plan for Q queries/s: how many devices of each\n"
    "                      target serve it within its server result's p99 bound, and\n"
    "                      the energy per 1000 queries (results of --scenario server)\n";

static const char report_tail[] =
    "\n"
    "Example:\n"
    "  rnnbench report --format html -o report.html --objective energy --slo-ms 5\n";

enum {
    OPT_HTML = RB_OPT_FIRST_FREE,
    OPT_MD,
    OPT_CSV,
    OPT_JSON,
    OPT_RUN,
    OPT_LABEL,
    OPT_LATEST,
    OPT_OBJ,
    OPT_SLO,
    OPT_POWER,
    OPT_MEMORY,
    OPT_ERR,
    OPT_ACC,
    OPT_REF,
    OPT_QPS
};

typedef struct report_out {
    const rb_report_writer *wr;
    const rb_report *r;
    const rb_recommendation *rec;
} report_out;

static int write_report(FILE *f, void *ctx, rb_err *e)
{
    const report_out *o = ctx;
    return o->wr->write(f, o->r, o->rec, e);
}

/* Standard output, or path through a temporary file renamed into place. */
static int write_to(const char *path, const rb_report_writer *wr, const rb_report *r,
                    const rb_recommendation *rec, rb_err *e)
{
    report_out o = {wr, r, rec};
    if (path && strcmp(path, "-"))
        return rb_cli_write_atomic(path, write_report, &o, e);
    int rc = write_report(stdout, &o, e);
    if (!rc && fflush(stdout))
        rc = rb_errf(e, RB_ERUNTIME, "report: writing standard output: %s", strerror(errno));
    return rc;
}

#define RB_REPORT_MAX_RUNS 16

typedef struct report_args {
    const char *out;
    const char *alias;                        /* --html, --md, --csv or --json: the format */
    rb_report_select sel[RB_REPORT_MAX_RUNS]; /* the runs, in the order given */
    int selections;
    char labels[2048]; /* the labels the selections point to */
    size_t labels_used;
    rb_report_opts ro;
} report_args;

/* --run 3,5 / --label a,b / --latest: each a run of the report, in order. */
static int add_selections(report_args *a, int opt, const char *arg, rb_err *e)
{
    /* labels are kept in a->labels, runs parsed from a scratch copy */
    size_t room = sizeof a->labels - a->labels_used;
    char *buf = a->labels + a->labels_used;
    if (snprintf(buf, room, "%s", opt == OPT_LATEST ? "" : arg) >= (int)room)
        return rb_errf(e, RB_EINPUT, "too many or too long run selections");
    a->labels_used += strlen(buf) + 1;
    const char *name = opt == OPT_RUN ? "run" : "label";
    char *save = NULL, *tok = opt == OPT_LATEST ? buf : strtok_r(buf, ",", &save);
    if (!tok)
        return rb_errf(e, RB_EINPUT, "--%s: empty list", name);
    for (; tok; tok = opt == OPT_LATEST ? NULL : strtok_r(NULL, ",", &save)) {
        if (a->selections == RB_REPORT_MAX_RUNS)
            return rb_errf(e, RB_EINPUT, "at most %d runs in one report", RB_REPORT_MAX_RUNS);
        rb_report_select *sel = &a->sel[a->selections++];
        memset(sel, 0, sizeof *sel);
        long v = 0;
        if (opt == OPT_RUN) {
            int rc = rb_cli_long("run", tok, 1, 0x7fffffffL, &v, e);
            if (rc)
                return rc;
            sel->run_id = v;
        } else if (opt == OPT_LABEL) {
            sel->label = tok;
        }
    }
    return 0;
}

static int report_option(void *args, int opt, const char *arg, rb_err *e)
{
    report_args *a = args;
    const char *fmt = NULL;
    int rc = 0;
    switch (opt) {
    case OPT_HTML: fmt = "html"; break;
    case OPT_MD: fmt = "md"; break;
    case OPT_CSV: fmt = "csv"; break;
    case OPT_JSON: fmt = "json"; break;
    case 'o': a->out = arg; break;
    case OPT_RUN:
    case OPT_LABEL:
    case OPT_LATEST: rc = add_selections(a, opt, arg, e); break;
    case OPT_OBJ:
        if (rb_objective_parse(arg, &a->ro.objective))
            rc = rb_errf(e, RB_EINPUT,
                         "--objective '%s': expected latency, throughput, energy "
                         "or perf-per-watt",
                         arg);
        break;
    case OPT_SLO: rc = rb_cli_double("slo-ms", arg, 1e-9, 1e12, &a->ro.slo_ms, e); break;
    case OPT_QPS: rc = rb_cli_double("qps", arg, 1e-6, 1e12, &a->ro.qps, e); break;
    case OPT_POWER:
        rc = rb_cli_double("max-power-w", arg, 1e-12, 1e9, &a->ro.max_power_w, e);
        break;
    case OPT_MEMORY:
        rc = rb_cli_double("max-memory", arg, 1e-9, 1e12, &a->ro.max_memory_mb, e);
        break;
    case OPT_ERR: rc = rb_cli_double("max-error", arg, 0, 1e12, &a->ro.max_error, e); break;
    case OPT_ACC:
        rc = rb_cli_double("max-accuracy-drop", arg, 0, 1, &a->ro.max_accuracy_drop, e);
        break;
    case OPT_REF:
        if (snprintf(a->ro.reference, sizeof a->ro.reference, "%s", arg) >=
            (int)sizeof a->ro.reference)
            rc = rb_errf(e, RB_EINPUT, "--reference: name too long");
        break;
    default: rc = rb_errf(e, RB_EINPUT, "unknown option");
    }
    if (fmt) {
        if (a->alias && strcmp(a->alias, fmt))
            return rb_errf(e, RB_EINPUT, "choose one of --html, --md, --csv, --json");
        a->alias = fmt;
    }
    return rc;
}

static int report_main(int argc, char **argv)
{
    report_args a = {.out = NULL};
    rb_report_opts_default(&a.ro);
    rb_cli_common com;
    int next, st = rb_cli_parse(&rb_command_report, argc, argv, &a, &com, &next);
    if (st != RB_CLI_GO)
        return st;
    if (!a.selections)
        a.selections = 1; /* the newest benchmark run */
    if (a.alias && com.format_given && strcmp(a.alias, com.format))
        return rb_cli_usage("report", "--%s and --format %s: choose one format", a.alias,
                            com.format);
    const rb_report_writer *wr = rb_report_writer_find(a.alias ? a.alias : com.format);

    rb_err e = {0};
    rb_store *s = NULL;
    rb_report rep = {0};
    rb_recommendation rec = {0};
    int rc = rb_store_open(&s, com.db, 1, &e);
    if (!rc)
        rc = rb_store_load_runs(s, a.sel, a.selections, &rep, &e);
    if (s)
        rb_store_close(s);
    if (!rc)
        rc = rb_recommend(&rep, &a.ro, &rec, &e);
    if (!rc)
        rc = write_to(a.out, wr, &rep, &rec, &e);
    if (!rc && !com.quiet && a.out && strcmp(a.out, "-"))
        fprintf(stderr, "rnnbench report: run %lld, %zu results: %s\n", rep.run.id, rep.n_results,
                a.out);
    rb_recommendation_free(&rec);
    rb_report_free(&rep);
    return rc ? rb_cli_fail("report", &e) : RB_EXIT_OK;
}

static const struct option report_options[] = {{"html", no_argument, 0, OPT_HTML},
                                               {"md", no_argument, 0, OPT_MD},
                                               {"csv", no_argument, 0, OPT_CSV},
                                               {"json", no_argument, 0, OPT_JSON},
                                               {"output", required_argument, 0, 'o'},
                                               {"run", required_argument, 0, OPT_RUN},
                                               {"label", required_argument, 0, OPT_LABEL},
                                               {"latest", no_argument, 0, OPT_LATEST},
                                               {"objective", required_argument, 0, OPT_OBJ},
                                               {"slo-ms", required_argument, 0, OPT_SLO},
                                               {"qps", required_argument, 0, OPT_QPS},
                                               {"max-power-w", required_argument, 0, OPT_POWER},
                                               {"max-memory", required_argument, 0, OPT_MEMORY},
                                               {"max-error", required_argument, 0, OPT_ERR},
                                               {"max-accuracy-drop", required_argument, 0, OPT_ACC},
                                               {"reference", required_argument, 0, OPT_REF},
                                               {0, 0, 0, 0}};

/* The writers' names (reports/ rb_report_writers), html first: the default. */
static const char *const report_formats[] = {"html", "md", "csv", "json", NULL};

const rb_command rb_command_report = {
    .name = "report",
    .summary = "turn a run into a decision: HTML with charts, Markdown, CSV, JSON",
    .help = report_help,
    .help_tail = report_tail,
    .uses = RB_USE_DB | RB_USE_FORMAT | RB_USE_QUIET,
    .formats = report_formats,
    .options = report_options,
    .shortopts = "o:",
    .option = report_option,
    .main = report_main,
};
