/* cmd_export.c — `rnnbench export --baseline FILE`: a run's figures as a
 * file to commit beside the code, for `rnnbench compare`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../workloads/files.h"
#include "../workloads/import/onnx_write.h"
#include "../workloads/npy.h"
#include "command.h"
#include "figures.h"
#include "task_cli.h"

static const char export_help[] =
    "Usage: rnnbench export --baseline FILE [--run ID | --label L] [--db FILE]\n"
    "                       [--metrics deterministic|all]\n"
    "       rnnbench export --onnx DIR -o FILE [--test-data OUTDIR [--batch N]]\n"
    "\n"
    "With --onnx: write the text classifier `rnnbench train` saved in DIR as an ONNX\n"
    "model (embedding, recurrent stack, last step, linear head; input \"tokens\"\n"
    "int64 [T, B], output \"logits\" [B, C]) that other runtimes read and\n"
    "`rnnbench run/eval --model` import.  --test-data writes its test split beside:\n"
    "OUTDIR/test_data_set_K/tokens.npy in batches of N documents (default 8) and\n"
    "OUTDIR/labels.npy, for `rnnbench eval --model FILE --inputs OUTDIR --labels\n"
    "OUTDIR/labels.npy`, which must score what `rnnbench eval --model DIR` scores.\n"
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

enum {
    OPT_BASELINE = RB_OPT_FIRST_FREE,
    OPT_RUN,
    OPT_LABEL,
    OPT_METRICS,
    OPT_ONNX,
    OPT_TEST_DATA,
    OPT_BATCH
};

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
    const char *onnx, *out, *test_data;
    long batch;
} export_args;

typedef struct bytes_out {
    const uint8_t *p;
    size_t n;
} bytes_out;

static int write_bytes(FILE *f, void *ctx, rb_err *e)
{
    const bytes_out *b = ctx;
    return fwrite(b->p, 1, b->n, f) == b->n ? 0 : rb_errf(e, RB_ERUNTIME, "write failed");
}

/* The model's test split as token batches and labels (textclass.h's
 * layout: left-padded, the last token at t = T-1). */
static int write_test_data(const rb_task_saved *s, const char *dir, int B, rb_err *e)
{
    int rc = rb_mkdir_p(dir, e);
    const rb_tc_data *d = &s->d;
    size_t N = d->n_test;
    int64_t *lab = malloc((N ? N : 1) * sizeof *lab), *tok = malloc((size_t)d->seq * B * 8);
    size_t *idx = malloc((size_t)B * sizeof *idx);
    rb_tc_batch b = {0};
    if (!rc && (!lab || !tok || !idx))
        rc = rb_errf(e, RB_ENOMEM, "out of memory");
    if (!rc)
        rc = rb_tc_batch_alloc(&b, d->seq, B, s->h.E, e);
    for (size_t at = 0, k = 0; !rc && at < N; at += (size_t)B, k++) {
        int n = N - at < (size_t)B ? (int)(N - at) : B;
        for (int r = 0; r < n; r++)
            idx[r] = at + (size_t)r;
        rb_tc_batch_fill(&b, &s->h, d->test, idx, n);
        for (int t = 0; t < d->seq; t++)
            for (int r = 0; r < n; r++)
                tok[(size_t)t * n + r] = b.tok[(size_t)t * B + r];
        for (int r = 0; r < n; r++)
            lab[at + (size_t)r] = d->test[at + (size_t)r].label;
        char set[4096], path[4200];
        snprintf(set, sizeof set, "%s/test_data_set_%zu", dir, k);
        snprintf(path, sizeof path, "%s/tokens.npy", set);
        size_t shape[2] = {(size_t)d->seq, (size_t)n};
        if (!(rc = rb_mkdir_out(set, 0, e)))
            rc = rb_npy_write_i64(path, tok, 2, shape, e);
    }
    if (!rc) {
        char path[4200];
        size_t shape[1] = {N};
        snprintf(path, sizeof path, "%s/labels.npy", dir);
        rc = rb_npy_write_i64(path, lab, 1, shape, e);
    }
    rb_tc_batch_free(&b);
    free(lab);
    free(tok);
    free(idx);
    return rc;
}

static int export_onnx(const export_args *a, int quiet)
{
    rb_err e = {0};
    rb_task_saved s;
    memset(&s, 0, sizeof s);
    int rc = rb_task_load_saved(a->onnx, &s, &e);
    uint8_t *buf = NULL;
    size_t len = 0;
    if (!rc) {
        rb_onnx_classifier c = {.name = s.meta.task,
                                .stack = &s.m,
                                .emb = s.h.emb,
                                .V = s.h.V,
                                .E = s.h.E,
                                .w = s.h.w,
                                .b = s.h.b,
                                .C = s.h.C,
                                .seq = s.meta.seq};
        rc = rb_onnx_pack_classifier(&c, &buf, &len, &e);
    }
    bytes_out bo = {buf, len};
    if (!rc)
        rc = rb_cli_write_atomic(a->out, write_bytes, &bo, &e);
    if (!rc && a->test_data)
        rc = write_test_data(&s, a->test_data, (int)a->batch, &e);
    if (!rc && !quiet)
        fprintf(stderr, "rnnbench export: %s (%s, %zu bytes)%s%s\n", a->out, a->onnx, len,
                a->test_data ? ", test split into " : "", a->test_data ? a->test_data : "");
    free(buf);
    rb_task_saved_free(&s);
    return rc ? rb_cli_fail("export", &e) : RB_EXIT_OK;
}

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
    case OPT_ONNX: a->onnx = arg; return 0;
    case 'o': a->out = arg; return 0;
    case OPT_TEST_DATA: a->test_data = arg; return 0;
    case OPT_BATCH: return rb_cli_long("batch", arg, 1, 4096, &a->batch, e);
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
    export_args a = {.path = NULL, .batch = 8};
    rb_cli_common com;
    int next, st = rb_cli_parse(&rb_command_export, argc, argv, &a, &com, &next);
    if (st != RB_CLI_GO)
        return st;
    if (a.onnx && a.path)
        return rb_cli_usage("export", "--onnx and --baseline write different things: give one");
    if (a.onnx && !a.out)
        return rb_cli_usage("export", "--onnx DIR needs -o FILE");
    if (!a.onnx && (a.out || a.test_data))
        return rb_cli_usage("export", "-o and --test-data go with --onnx DIR");
    if (a.onnx)
        return export_onnx(&a, com.quiet);
    if (!a.path)
        return rb_cli_usage("export", "--baseline FILE is required (or --onnx DIR -o FILE)");
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
                                               {"onnx", required_argument, 0, OPT_ONNX},
                                               {"output", required_argument, 0, 'o'},
                                               {"test-data", required_argument, 0, OPT_TEST_DATA},
                                               {"batch", required_argument, 0, OPT_BATCH},
                                               {0, 0, 0, 0}};

const rb_command rb_command_export = {
    .name = "export",
    .summary = "write a run's figures as a baseline to commit, or a trained model as ONNX",
    .help = export_help,
    .help_tail = export_tail,
    .uses = RB_USE_DB | RB_USE_QUIET,
    .options = export_options,
    .shortopts = "o:",
    .option = export_option,
    .main = export_main,
};
