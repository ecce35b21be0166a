/* cmd_export.c — `rnnbench export --baseline FILE`: a run's figures as a
 * file to commit beside the code, for `rnnbench compare`. */
#include <stdio.h>
#include <string.h>

#include "command.h"
#include "figures.h"

static const char export_help[] =
    "Usage: rnnbench export --baseline FILE [--run ID | --label L] [--db FILE]\n"
    "                       [--metrics deterministic|all]\n"
    "\n"
    "Write one run's figures as a baseline file to commit beside the code: a header\n"
    "line, then one JSON object per figure and line, keys and lines sorted, so a diff\n"
    "shows exactly which figures moved.  `rnnbench compare FILE CAND` reads it.\n"
    "\n"
    "  --baseline FILE     the file to write (replaced atomically)\n"
    "  --run ID            this run; --label L: the newest benchmark run with that\n"
    "                      label; default: the newest benchmark run\n"
    "  --metrics WHICH     deterministic (default: what does not depend on the machine's\n"
    "                      timing noise: fpga cycles and latency, asic model figures,\n"
    "                      errors, statuses, task accuracy) or all (measured latencies\n"
    "                      too, with their raw repetitions)\n";

static const char export_tail[] =
    "\n"
    "After an intended change (a faster design, a new model), run the same matrix and\n"
    "export again over the committed file, in the same commit as the change.\n";

enum { OPT_BASELINE = RB_OPT_FIRST_FREE, OPT_RUN, OPT_LABEL, OPT_METRICS };

typedef struct baseline_out {
    const rb_figset *fs;
    int all;
} baseline_out;

static int write_baseline(FILE *f, void *ctx, rb_err *e)
{
    const baseline_out *o = ctx;
    return rb_figset_write_baseline(f, o->fs, o->all, e);
}

typedef struct export_args {
    const char *path;
    rb_report_select sel;
    int all;
} export_args;

static int export_option(void *args, int opt, const char *arg, rb_err *e)
{
    export_args *a = args;
    long v;
    switch (opt) {
    case OPT_BASELINE: a->path = arg; return 0;
    case OPT_RUN: {
        int rc = rb_cli_long("run", arg, 1, 0x7fffffffL, &v, e);
        a->sel.run_id = v;
        return rc;
    }
    case OPT_LABEL: a->sel.label = arg; return 0;
    case OPT_METRICS:
        if (strcmp(arg, "deterministic") && strcmp(arg, "all"))
            return rb_errf(e, RB_EINPUT, "--metrics '%s': expected deterministic or all", arg);
        a->all = !strcmp(arg, "all");
        return 0;
    }
    return rb_errf(e, RB_EINPUT, "unknown option");
}

static int export_main(int argc, char **argv)
{
    export_args a = {.path = NULL};
    rb_cli_common com;
    int next, st = rb_cli_parse(&rb_command_export, argc, argv, &a, &com, &next);
    if (st != RB_CLI_GO)
        return st;
    if (!a.path)
        return rb_cli_usage("export", "--baseline FILE is required");
    if (a.sel.run_id && a.sel.label)
        return rb_cli_usage("export", "choose one of --run and --label");
    rb_err e = {0};
    rb_figset fs;
    int rc = rb_figset_from_db(com.db, &a.sel, a.all, &fs, &e);
    if (rc)
        return rb_cli_fail("export", &e);
    /* a committed baseline is never half-written */
    baseline_out bo = {&fs, a.all};
    rc = rb_cli_write_atomic(a.path, write_baseline, &bo, &e);
    if (!rc && !com.quiet) {
        size_t k = 0;
        for (size_t i = 0; i < fs.n; i++)
            k += a.all || fs.f[i].kind == RB_FIG_DETERMINISTIC;
        fprintf(stderr, "rnnbench export: %zu figures of %s into %s\n", k, fs.what, a.path);
    }
    rb_figset_free(&fs);
    return rc ? rb_cli_fail("export", &e) : RB_EXIT_OK;
}

static const struct option export_options[] = {{"baseline", required_argument, 0, OPT_BASELINE},
                                               {"run", required_argument, 0, OPT_RUN},
                                               {"label", required_argument, 0, OPT_LABEL},
                                               {"metrics", required_argument, 0, OPT_METRICS},
                                               {0, 0, 0, 0}};

const rb_command rb_command_export = {
    .name = "export",
    .summary = "write a run's figures as a baseline file to commit",
    .help = export_help,
    .help_tail = export_tail,
    .uses = RB_USE_DB | RB_USE_QUIET,
    .options = export_options,
    .option = export_option,
    .main = export_main,
};
