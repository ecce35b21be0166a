/* cli.h — what the commands share.
 *
 * The commands themselves are rb_command definitions (command.h); this is
 * what they share beyond option parsing: messages, numeric options, the
 * workload axes, the targets, files.  Commands return a process exit status
 * (command.h's RB_EXIT_*); nothing below them exits. */
#ifndef RB_CLI_H
#define RB_CLI_H

#include <getopt.h>
#include <stdio.h>

#include "../targets/target.h"
#include "../workloads/matrix.h"
#include "store.h"

#define RB_DEFAULT_DB "results.db"

/* Print "rnnbench CMD: message" (and the hint to --help for usage errors);
 * return the exit status for e->code. */
int rb_cli_fail(const char *cmd, const rb_err *e);
/* A usage error: message, "Try 'rnnbench CMD --help'.", returns 2. */
int rb_cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Whole-string numeric options within [lo, hi]; errors name the option. */
int rb_cli_long(const char *opt, const char *val, long lo, long hi, long *out, rb_err *e);
int rb_cli_double(const char *opt, const char *val, double lo, double hi, double *out, rb_err *e);
/* "0.05" or "5%" into 0.05 (>= 0). */
int rb_cli_fraction(const char *opt, const char *val, double *out, rb_err *e);

/* Workload axes as options, shared by run, list and dump. */
enum {
    RB_OPT_SEQ = 1000,
    RB_OPT_HIDDEN,
    RB_OPT_INPUT,
    RB_OPT_LAYERS,
    RB_OPT_BATCH,
    RB_OPT_CELL,
    RB_OPT_MODE,
    RB_OPT_NO_INPUT_PROJ,
    RB_OPT_MODEL,
    RB_OPT_WEIGHTS,
    RB_OPT_SCENARIO, /* the serving axes (RB_USE_SERVING), in matrix.c's order */
    RB_OPT_QPS,
    RB_OPT_STREAMS,
    RB_OPT_SLO_MS,
    RB_OPT_MAX_BATCH,
    RB_OPT_BATCH_TIMEOUT_MS,
    RB_OPT_TARGET_FIRST, /* the targets' shorthand flags, in registry order */
    RB_OPT_FIRST_FREE = RB_OPT_TARGET_FIRST + 16 /* commands number their own options from here */
};
/* One option a line (the formatter would pack them). */
/* clang-format off */
#define RB_AXIS_LONG_OPTIONS                                  \
    {"seq", required_argument, 0, RB_OPT_SEQ},                \
    {"hidden", required_argument, 0, RB_OPT_HIDDEN},          \
    {"input", required_argument, 0, RB_OPT_INPUT},            \
    {"layers", required_argument, 0, RB_OPT_LAYERS},          \
    {"batch", required_argument, 0, RB_OPT_BATCH},            \
    {"cell", required_argument, 0, RB_OPT_CELL},              \
    {"mode", required_argument, 0, RB_OPT_MODE},              \
    {"no-input-proj", no_argument, 0, RB_OPT_NO_INPUT_PROJ}, \
    {"model", required_argument, 0, RB_OPT_MODEL},            \
    {"weights", required_argument, 0, RB_OPT_WEIGHTS}
#define RB_AXIS_HELP                                                                        \
    "  --seq LIST          sequence lengths T (e.g. 25,50)\n"                               \
    "  --hidden LIST       hidden sizes H\n"                                                \
    "  --input LIST        input sizes I, or 'hidden' (default: I = H)\n"                   \
    "  --layers LIST       stacked layers L (default 1)\n"                                  \
    "  --batch LIST        batch sizes B (default 1)\n"                                     \
    "  --cell LIST         lstm, gru and/or rnn (default lstm)\n"                           \
    "  --mode LIST         infer and/or train (default infer)\n"                            \
    "  --no-input-proj     time only the recurrent part, as DeepBench does: the first\n"    \
    "                      layer's input arrives already projected (x is [T,B,G*H])\n"      \
    "  --model LIST        imported models: ONNX files (or state_dict directories); their\n" \
    "                      stack fixes cell, input, hidden and layers, and seq and batch\n"  \
    "                      where the file fixes them (rnnbench inspect shows which)\n"      \
    "  --weights DIR       a PyTorch state_dict saved as one .npy per tensor, as a model\n"  \
    "  LIST is comma- or space-separated: --batch 1,4,16 or --batch '1 4 16'\n"
#define RB_SERVING_LONG_OPTIONS                                          \
    {"scenario", required_argument, 0, RB_OPT_SCENARIO},                 \
    {"qps", required_argument, 0, RB_OPT_QPS},                           \
    {"streams", required_argument, 0, RB_OPT_STREAMS},                   \
    {"slo-ms", required_argument, 0, RB_OPT_SLO_MS},                     \
    {"max-batch", required_argument, 0, RB_OPT_MAX_BATCH},               \
    {"batch-timeout-ms", required_argument, 0, RB_OPT_BATCH_TIMEOUT_MS}
#define RB_SERVING_HELP                                                                      \
    "  --scenario LIST     serve queries instead of timing single calls (MLPerf's names):\n" \
    "                      single-stream (one at a time; p90), multi-stream (a query of\n"  \
    "                      --streams samples every --slo-ms; p99), server (Poisson\n"        \
    "                      arrivals at --qps, and the largest rate whose p99 meets\n"        \
    "                      --slo-ms), offline (all at once; throughput), streaming\n"        \
    "                      (one timestep per call, state kept; latency per step), or none\n"\
    "  --qps LIST          server: offered queries per second (omitted: only the\n"          \
    "                      largest rate within --slo-ms is searched); streaming: steps\n"    \
    "                      per second of each stream (default 100)\n"                        \
    "  --streams LIST      multi-stream: samples per query (default 8); streaming:\n"        \
    "                      concurrent streams, batched per step (default 1)\n"               \
    "  --slo-ms LIST       the p99 latency bound, ms (multi-stream: also the interval;\n"    \
    "                      default 50 there; streaming: one step's interval)\n"              \
    "  --max-batch LIST    the server batches up to this many queries (default 8; offline\n" \
    "                      32; multi-stream: --streams; single-stream 1)\n"                  \
    "  --batch-timeout-ms LIST\n"                                                            \
    "                      a batch closes when full or when its oldest query has waited\n"   \
    "                      this long (default 0: a free server takes what is queued)\n"      \
    "  A served query is one sequence (batch 1); cpu and gpu are measured under a real\n"   \
    "  load generator, fpga and asic by an event simulation of the same server.\n"
/* clang-format on */

typedef struct rb_cli_axes {
    rb_axes axes;
    int given;      /* any axis option seen */
    int input_proj; /* 0 after --no-input-proj */
} rb_cli_axes;

void rb_cli_axes_init(rb_cli_axes *a);
/* If opt is an axis option, apply it and return 1 (or a negative code on a
 * bad value, e filled); return 0 if opt is not an axis option. */
int rb_cli_axis_option(rb_cli_axes *a, int opt, const char *val, rb_err *e);

/* workloads/default.ini, found in the working directory or the source tree. */
const char *rb_cli_default_matrix(char *buf, size_t n);
/* The points to run: the matrix file (command-line axes override its axes),
 * or the axes alone, or the default matrix.  *source names where they came from. */
int rb_cli_workloads(const char *matrix, const rb_cli_axes *a, rb_matrix *m, char *source,
                     size_t source_len, rb_err *e);
/* The largest model file an import may read: a third of the memory
 * available (reading holds the file, its decoded message and the weights). */
long rb_cli_model_max_bytes(void);
/* The width of the workload column: the longest key, at least min (an
 * imported model's keys carry its name and hash). */
int rb_cli_key_width(const rb_matrix *m, int min);
/* Refuse points whose estimated memory exceeds what the host has available. */
int rb_cli_check_memory(const rb_matrix *m, rb_err *e);

/* Shorthand flags (--fpga-config ...) as given: "target.key=value" each.
 * Shared by run, list, dump, train and eval; stored with a run so --resume
 * uses the same. */
typedef struct rb_cli_topts {
    int n;
    char item[RB_TARGET_MAX_OPTS][256];
} rb_cli_topts;

/* If opt is a target's shorthand flag (getopt value from rb_cli_options),
 * check and record it and return 1 (negative, e filled, on a bad value);
 * 0 if opt is not one. */
int rb_cli_target_option(rb_cli_topts *o, int opt, const char *val, rb_err *e);
/* The shorthand flags' lines of --help, from the registry. */
void rb_cli_target_help(FILE *f);
/* One target's options as KEY=META lines (`rnnbench list`). */
void rb_cli_target_options_help(FILE *f, const rb_target_ops *ops);
/* getopt_long table: the command's own options followed by every target's
 * shorthand flag. */
struct option *rb_cli_options(const struct option *own, struct option *buf, size_t cap);

/* "cpu,fpga:large,'asic:x.ini?clock_mhz=500'" or "all" (one default instance
 * per target) into instances, shorthand flags applied to the instances that
 * do not set those options; instances with the same canonical name are one.
 * RB_EINPUT naming the option (what: "--targets") and the bad spec. */
int rb_cli_instances(const char *what, const char *list, const rb_cli_topts *o, rb_instance *out,
                     int *n, int max, rb_err *e);

/* Store a probed target (instance) as a device of run_id. */
int rb_cli_store_device(rb_store *st, int64_t run_id, const rb_target *t, int64_t *device_id,
                        rb_err *e);

/* Write a file through a temporary one beside it, renamed into place, so a
 * reader (a browser, git, CI) never sees it half-written: write(f, ctx, e)
 * fills it; on any failure the temporary file is removed and path is left
 * as it was.  The file is made 0644 (mkstemp's 0600 is not for sharing).  A path
 * that exists and is not a regular file (a device, a FIFO, a directory, a
 * symbolic link) is refused untouched. */
int rb_cli_write_atomic(const char *path, int (*write)(FILE *f, void *ctx, rb_err *e), void *ctx,
                        rb_err *e);

/* "rnnbench <argv joined by spaces>", as stored with a run; caller frees. */
char *rb_cli_command_line(int argc, char **argv);

/* "12.3 MiB" */
const char *rb_fmt_bytes(double bytes, char *buf, size_t n);

#endif
