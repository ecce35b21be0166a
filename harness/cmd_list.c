/* cmd_list.c — `rnnbench list`: which targets can run here (or why not), and
 * which points a matrix expands to. */
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "host.h"

static const char list_help[] =
    "Usage: rnnbench list [--targets LIST] [--matrix FILE] [axis options]\n"
    "       rnnbench list --figures\n"
    "\n"
    "Probe the targets and print each one's status: the device it found, or why it\n"
    "is unavailable.  Then print the workload points the matrix expands to (the\n"
    "default matrix, FILE, or the axis options) with FLOPs and estimated memory.\n"
    "\n"
    "  --targets LIST      targets to probe (default: all)\n"
    "  --matrix FILE       workload matrix (INI)\n"
    "  --threads N         threads the targets would use (default: all CPUs)\n"
    "  --figures           list the figures every result holds instead: their column,\n"
    "                      unit, how they are obtained, better direction and what\n"
    "                      `compare` allows them\n";

enum { OPT_TARGETS = RB_OPT_FIRST_FREE, OPT_MATRIX, OPT_THREADS, OPT_FIGURES };

/* The figure table (reports/figure_table.h), for people. */
static void list_figures(void)
{
    /* one per RB_FROM_* (reports/figure_table.h), in its order */
    static const char *const from[] = {"quantile", "repetitions", "one call",
                                       "energy",   "reference",   "serving load"};
    _Static_assert(sizeof from / sizeof *from == RB_FROM_SERVING + 1, "a name per RB_FROM_*");
    printf("%-16s %-8s %-12s %-6s %-11s %-22s %s\n", "figure", "unit", "obtained", "better",
           "short name", "compare", "what");
    for (int i = 0; i < RB_N_FIGURES; i++) {
        const rb_figdef *d = &rb_figure_table[i];
        char how[32], cmp[40] = "not compared";
        if (d->from == RB_FROM_QUANTILE)
            snprintf(how, sizeof how, "q %g", d->q);
        else
            snprintf(how, sizeof how, "%s", from[d->from]);
        if (d->cmp && d->tol_abs > 0)
            snprintf(cmp, sizeof cmp, "%g%% + %g", 100 * d->tol_rel, d->tol_abs);
        else if (d->cmp)
            snprintf(cmp, sizeof cmp, "%g relative", d->tol_rel);
        printf("%-16s %-8s %-12s %-6s %-11s %-22s %s\n", d->name, d->unit[0] ? d->unit : "-", how,
               d->higher ? "higher" : "lower", d->alias ? d->alias : "-", cmp, d->help);
    }
    printf("\nEvery figure is a column of results (and v_results) in the database, of\n"
           "`report --csv` and `--json`; NULL / empty when not known, never 0.  compare's\n"
           "tolerance applies when a figure is deterministic (simulated, modeled, error);\n"
           "measured ones are judged by --threshold and the U test.  history --metric\n"
           "takes a figure or its short name.\n");
}

static void print_device(const rb_device_info *d)
{
    printf("%s [%s", d->name, d->numerics[0] ? d->numerics : "?");
    if (d->peak_flops > 0)
        printf(", peak ~%.0f GFLOP/s", d->peak_flops * 1e-9);
    printf("]\n");
}

static void list_targets(const rb_instance *in, int n, int threads)
{
    int wd = 6; /* the widest instance name */
    for (int i = 0; i < n; i++) {
        char name[RB_INSTANCE_NAME_MAX];
        int l = (int)strlen(rb_instance_name(&in[i], name, sizeof name));
        wd = l > wd ? l : wd;
    }
    printf("%-*s %-10s %-12s %s\n", wd, "target", "method", "status", "device / reason");
    for (int i = 0; i < n; i++) {
        rb_target t;
        rb_err e = {0};
        rb_target_init_instance(&t, &in[i], threads);
        if (rb_target_probe(&t, &e)) {
            printf("%-*s %-10s %-12s %s\n", wd, t.instance, in[i].ops->method, "unavailable",
                   e.msg);
            continue;
        }
        printf("%-*s %-10s %-12s ", wd, t.instance, in[i].ops->method, "available");
        print_device(&t.info);
        /* Adapters with a choice of devices list them all, in gpu:INDEX order. */
        rb_device_info devs[16];
        int nd = rb_target_enumerate(&t, devs, 16, &e);
        for (int k = 0; nd > 1 && k < nd && k < 16; k++) {
            printf("%-*s %-10s %-12s   #%d ", wd, "", "", "", k);
            print_device(&devs[k]);
        }
        rb_target_close(&t);
    }
}

/* Each target kind among the instances once: its options and the instances
 * it offers, from its own table. */
static void list_target_options(const rb_instance *in, int n)
{
    printf("\nInstances: TARGET[:NAME][?KEY=VALUE[&KEY=VALUE...]] in --targets, e.g.\n"
           "  --targets 'cpu,fpga:small,fpga:large?clock_mhz=250,asic:edge-npu'\n");
    for (int i = 0; i < n; i++) {
        int seen = 0;
        for (int k = 0; k < i; k++)
            seen |= in[k].ops == in[i].ops;
        if (seen)
            continue;
        const rb_target_ops *ops = in[i].ops;
        printf("\n%s: %s\n", ops->name, ops->description);
        if (!ops->options || !ops->options[0].name) {
            printf("  no options\n");
            continue;
        }
        rb_cli_target_options_help(stdout, ops);
        for (const rb_target_option *o = ops->options; o->name; o++) {
            char names[512];
            if (o->positional && o->offers && o->offers(names, sizeof names)[0])
                printf("  instances: %s:{%s}\n", ops->name, names);
        }
    }
}

typedef struct list_args {
    const char *targets, *matrix;
    long threads;
    int figures;
} list_args;

static int list_option(void *args, int opt, const char *arg, rb_err *e)
{
    list_args *a = args;
    switch (opt) {
    case OPT_TARGETS: a->targets = arg; return 0;
    case OPT_MATRIX: a->matrix = arg; return 0;
    case OPT_THREADS: return rb_cli_long("threads", arg, 1, 4096, &a->threads, e);
    case OPT_FIGURES: a->figures = 1; return 0;
    }
    return rb_errf(e, RB_EINPUT, "unknown option");
}

static int list_main(int argc, char **argv)
{
    list_args a = {NULL, NULL, rb_host_default_threads(), 0};
    rb_cli_common com;
    int next, st = rb_cli_parse(&rb_command_list, argc, argv, &a, &com, &next);
    if (st != RB_CLI_GO)
        return st;
    if (a.figures) {
        list_figures();
        return ferror(stdout) ? RB_EXIT_FAILURE : RB_EXIT_OK;
    }

    rb_err e = {0};
    rb_instance in[16];
    int n;
    rb_matrix m = {0};
    char source[1024];
    if (rb_cli_instances("--targets", a.targets, &com.topts, in, &n, 16, &e) ||
        rb_cli_workloads(a.matrix, &com.axes, &m, source, sizeof source, &e))
        return rb_cli_fail("list", &e);

    list_targets(in, n, (int)a.threads);
    list_target_options(in, n);
    char mem[32];
    double flops = 0;
    printf("\n%zu workload points from %s:\n", m.n, source);
    int kw = rb_cli_key_width(&m, 44);
    printf("%-*s %12s %12s\n", kw, "workload", "GFLOP/call", "est. memory");
    for (size_t i = 0; i < m.n; i++) {
        const rb_workload *w = &m.points[i];
        flops += rb_workload_flops(w);
        printf("%-*s %12.4g %12s\n", kw, w->key, rb_workload_flops(w) * 1e-9,
               rb_fmt_bytes((double)rb_workload_mem_bytes(w), mem, sizeof mem));
    }
    printf("total %.3f GFLOP per pass over the matrix\n", flops * 1e-9);
    rb_matrix_free(&m);
    return RB_EXIT_OK;
}

static const struct option list_options[] = {{"targets", required_argument, 0, OPT_TARGETS},
                                             {"matrix", required_argument, 0, OPT_MATRIX},
                                             {"threads", required_argument, 0, OPT_THREADS},
                                             {"figures", no_argument, 0, OPT_FIGURES},
                                             {0, 0, 0, 0}};

const rb_command rb_command_list = {
    .name = "list",
    .summary = "show targets (available or why not) and the points a matrix expands to",
    .help = list_help,
    .uses = RB_USE_AXES | RB_USE_SERVING | RB_USE_TARGET_FLAGS,
    .options = list_options,
    .option = list_option,
    .main = list_main,
};
