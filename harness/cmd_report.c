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
#include "report_load.h"

static const char report_help[] =
    "Usage: rnnbench report [--html|--md|--csv|--json] [-o FILE] [--db PATH]\n"
    "                       [--run ID | --label L | --latest]\n"
    "                       [--objective latency|throughput|energy|perf-per-watt]\n"
    "                       [--slo-ms X] [--max-power-w W] [--max-error E]\n"
    "                       [--max-accuracy-drop D]\n"
    "\n"
    "Turn one run of the results database into a decision: per workload, the\n"
    "targets ranked under the objective and constraints, each with a reason from\n"
    "the numbers, and the target to recommend over the whole matrix.  Measured\n"
    "results whose 95% intervals overlap are ties; a ranking that rests on a\n"
    "simulated or modeled figure says so.  The text-classification task's\n"
    "training curves and accuracy per target (`rnnbench train` / `eval`, runs of\n"
    "their own) come from the newest runs that have them.\n"
    "\n"
    "  --html              one self-contained page with charts (the default)\n"
    "  --md                a summary for a CI job or a pull-request comment\n"
    "  --csv               one row per result with every stored figure\n"
    "  --json              the same as JSON, with the recommendation\n"
    "  -o, --output FILE   write there (default: standard output)\n"
    "  --db PATH           results database (default ./results.db)\n"
    "  --run ID            this run\n"
    "  --label L           the newest run with this label\n"
    "  --latest            the newest run (the default)\n"
    "  --objective OBJ     what to optimise: latency (median per call, the default),\n"
    "                      throughput (sequences/s), energy (J per sequence) or\n"
    "                      perf-per-watt (GFLOP/s per W)\n"
    "  --slo-ms X          exclude targets whose p99 latency exceeds X ms\n"
    "  --max-power-w W     exclude targets whose average power exceeds W watts\n"
    "  --max-error E       exclude targets whose max |y - ref| exceeds E\n"
    "  --max-accuracy-drop D\n"
    "                      exclude targets whose text-classification test accuracy\n"
    "                      (newest `rnnbench eval`) is more than D (a fraction, e.g.\n"
    "                      0.01) below the cpu's fp32 accuracy, or was not evaluated\n"
    "  -h, --help          this text\n"
    "\n"
    "Example:\n"
    "  rnnbench report --html -o report.html --objective energy --slo-ms 5\n";

enum { OPT_HTML = RB_OPT_FIRST_FREE, OPT_MD, OPT_CSV, OPT_JSON, OPT_DB, OPT_RUN, OPT_LABEL,
       OPT_LATEST, OPT_OBJ, OPT_SLO, OPT_POWER, OPT_ERR, OPT_ACC };

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

static int rb_cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {
        {"html", no_argument, 0, OPT_HTML},       {"md", no_argument, 0, OPT_MD},
        {"csv", no_argument, 0, OPT_CSV},         {"json", no_argument, 0, OPT_JSON},
        {"output", required_argument, 0, 'o'},    {"db", required_argument, 0, OPT_DB},
        {"run", required_argument, 0, OPT_RUN},   {"label", required_argument, 0, OPT_LABEL},
        {"latest", no_argument, 0, OPT_LATEST},   {"objective", required_argument, 0, OPT_OBJ},
        {"slo-ms", required_argument, 0, OPT_SLO}, {"max-power-w", required_argument, 0, OPT_POWER},
        {"max-error", required_argument, 0, OPT_ERR},
        {"max-accuracy-drop", required_argument, 0, OPT_ACC}, {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *db = RB_DEFAULT_DB, *out = NULL, *format = NULL;
    rb_report_select sel = {0, NULL};
    int selections = 0;
    rb_report_opts ro;
    rb_report_opts_default(&ro);
    rb_err e = {0};
    long v;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
        const char *fmt = NULL;
        switch (c) {
        case OPT_HTML: fmt = "html"; break;
        case OPT_MD: fmt = "md"; break;
        case OPT_CSV: fmt = "csv"; break;
        case OPT_JSON: fmt = "json"; break;
        case 'o': out = optarg; break;
        case OPT_DB: db = optarg; break;
        case OPT_RUN:
            if (rb_cli_long("run", optarg, 1, 0x7fffffffL, &v, &e))
                return rb_cli_usage("report", "%s", e.msg);
            sel.run_id = v;
            selections++;
            break;
        case OPT_LABEL: sel.label = optarg; selections++; break;
        case OPT_LATEST: selections++; break;
        case OPT_OBJ:
            if (rb_objective_parse(optarg, &ro.objective))
                return rb_cli_usage("report", "--objective '%s': expected latency, throughput, "
                                              "energy or perf-per-watt",
                                    optarg);
            break;
        case OPT_SLO:
            if (rb_cli_double("slo-ms", optarg, 1e-9, 1e12, &ro.slo_ms, &e))
                return rb_cli_usage("report", "%s", e.msg);
            break;
        case OPT_POWER:
            if (rb_cli_double("max-power-w", optarg, 1e-12, 1e9, &ro.max_power_w, &e))
                return rb_cli_usage("report", "%s", e.msg);
            break;
        case OPT_ERR:
            if (rb_cli_double("max-error", optarg, 0, 1e12, &ro.max_error, &e))
                return rb_cli_usage("report", "%s", e.msg);
            break;
        case OPT_ACC:
            if (rb_cli_double("max-accuracy-drop", optarg, 0, 1, &ro.max_accuracy_drop, &e))
                return rb_cli_usage("report", "%s", e.msg);
            break;
        case 'h': fputs(report_help, stdout); return 0;
        default: return rb_cli_usage("report", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
        if (fmt) {
            if (format && strcmp(format, fmt))
                return rb_cli_usage("report", "choose one of --html, --md, --csv, --json");
            format = fmt;
        }
    }
    if (optind < argc)
        return rb_cli_usage("report", "unexpected argument '%s'", argv[optind]);
    if (selections > 1)
        return rb_cli_usage("report", "choose one of --run, --label, --latest");
    const rb_report_writer *wr = rb_report_writer_find(format ? format : "html");

    rb_store *st = NULL;
    rb_report rep = {0};
    rb_recommendation rec = {0};
    int rc = rb_store_open(&st, db, 1, &e);
    if (!rc)
        rc = rb_store_load_report(st, &sel, &rep, &e);
    if (st)
        rb_store_close(st);
    if (!rc)
        rc = rb_recommend(&rep, &ro, &rec, &e);
    if (!rc)
        rc = write_to(out, wr, &rep, &rec, &e);
    if (!rc && out && strcmp(out, "-"))
        fprintf(stderr, "rnnbench report: run %lld, %zu results: %s\n", rep.run.id,
                rep.n_results, out);
    rb_recommendation_free(&rec);
    rb_report_free(&rep);
    return rc ? rb_cli_fail("report", &e) : 0;
}

const rb_command rb_command_report = {
    .name = "report",
    .summary = "turn a run into a decision: HTML with charts, Markdown, CSV, JSON",
    .main = rb_cmd_report,
};
