/* cmd_list.c — `rnnbench list`: which targets can run here (or why not), and
 * which points a matrix expands to. */
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "host.h"

static const char list_help[] =
    "Usage: rnnbench list [--targets LIST] [--matrix FILE] [axis options]\n"
    "\n"
    "Probe the targets and print each one's status: the device it found, or why it\n"
    "is unavailable.  Then print the workload points the matrix expands to (the\n"
    "default matrix, FILE, or the axis options) with FLOPs and estimated memory.\n"
    "\n"
    "  --targets LIST      targets to probe (default: all)\n"
    "  --matrix FILE       workload matrix (INI)\n" RB_AXIS_HELP
    "  --threads N         threads the targets would use (default: all CPUs)\n"
    "  -h, --help          this text\n";

enum { OPT_TARGETS = RB_OPT_FIRST_FREE, OPT_MATRIX, OPT_THREADS };

static void print_device(const rb_device_info *d)
{
    printf("%s [%s", d->name, d->numerics[0] ? d->numerics : "?");
    if (d->peak_flops > 0)
        printf(", peak ~%.0f GFLOP/s", d->peak_flops * 1e-9);
    printf("]\n");
}

static void list_targets(const rb_target_ops **ops, int n, int threads, const rb_cli_topts *topts)
{
    printf("%-6s %-10s %-12s %s\n", "target", "method", "status", "device / reason");
    for (int i = 0; i < n; i++) {
        rb_target t;
        rb_err e = {0};
        rb_cli_target_init(&t, ops[i], threads, topts);
        if (rb_target_probe(&t, &e)) {
            printf("%-6s %-10s %-12s %s\n", ops[i]->name, ops[i]->method, "unavailable", e.msg);
            continue;
        }
        printf("%-6s %-10s %-12s ", ops[i]->name, ops[i]->method, "available");
        print_device(&t.info);
        /* Adapters with a choice of devices list them all, in --gpu-device order. */
        rb_device_info devs[16];
        int nd = rb_target_enumerate(&t, devs, 16, &e);
        for (int k = 0; nd > 1 && k < nd && k < 16; k++) {
            printf("%-6s %-10s %-12s   #%d ", "", "", "", k);
            print_device(&devs[k]);
        }
        rb_target_close(&t);
    }
}

static int rb_cmd_list(int argc, char **argv)
{
    static const struct option opts[] = {RB_AXIS_LONG_OPTIONS,
                                         {"targets", required_argument, 0, OPT_TARGETS},
                                         {"matrix", required_argument, 0, OPT_MATRIX},
                                         {"threads", required_argument, 0, OPT_THREADS},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *targets = NULL, *matrix = NULL;
    rb_cli_topts topts = {0};
    struct option all[64];
    rb_cli_axes axes;
    rb_cli_axes_init(&axes);
    rb_err e = {0};
    long threads = rb_host_ncpus();
    int c, rc = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", rb_cli_options(opts, all, 64), NULL)) != -1) {
        if ((rc = rb_cli_axis_option(&axes, c, optarg, &e)) < 0 ||
            (!rc && (rc = rb_cli_target_option(&topts, c, optarg, &e)) < 0))
            return rb_cli_fail("list", &e);
        if (rc)
            continue;
        switch (c) {
        case OPT_TARGETS: targets = optarg; break;
        case OPT_MATRIX: matrix = optarg; break;
        case OPT_THREADS:
            if (rb_cli_long("threads", optarg, 1, 4096, &threads, &e))
                return rb_cli_fail("list", &e);
            break;
        case 'h':
            fputs(list_help, stdout);
            rb_cli_target_help(stdout);
            return 0;
        default: return rb_cli_usage("list", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return rb_cli_usage("list", "unexpected argument '%s'", argv[optind]);

    const rb_target_ops *ops[16];
    int n;
    rb_matrix m = {0};
    char source[1024];
    if (rb_cli_targets(targets, ops, &n, 16, &e) ||
        rb_cli_workloads(matrix, &axes, &m, source, sizeof source, &e))
        return rb_cli_fail("list", &e);

    list_targets(ops, n, (int)threads, &topts);
    char mem[32];
    double flops = 0;
    printf("\n%zu workload points from %s:\n", m.n, source);
    printf("%-44s %12s %12s\n", "workload", "GFLOP/call", "est. memory");
    for (size_t i = 0; i < m.n; i++) {
        const rb_workload *w = &m.points[i];
        flops += rb_workload_flops(w);
        printf("%-44s %12.4g %12s\n", w->key, rb_workload_flops(w) * 1e-9,
               rb_fmt_bytes((double)rb_workload_mem_bytes(w), mem, sizeof mem));
    }
    printf("total %.3f GFLOP per pass over the matrix\n", flops * 1e-9);
    rb_matrix_free(&m);
    return 0;
}

const rb_command rb_command_list = {
    .name = "list",
    .summary = "show targets (available or why not) and the points a matrix expands to",
    .main = rb_cmd_list,
};
