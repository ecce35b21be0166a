/* cmd_eval.c — `rnnbench eval`: one trained text classifier on every
 * target, in each target's number format, scored on the test split. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../workloads/utf8.h"
#include "clock.h"
#include "host.h"
#include "signals.h"
#include "../workloads/files.h"
#include "command.h"
#include "eval_model.h"
#include "task_cli.h"
#include "train_loop.h"

static const char eval_help[] =
    "Usage: rnnbench eval --model DIR [--task NAME] [--targets LIST] [--reference TARGET]\n"
    "                     [--batch N]\n"
    "       rnnbench eval --model FILE.onnx | --weights DIR  --inputs DIR [--labels FILE]\n"
    "                     [--targets LIST]\n"
    "\n"
    "Evaluate a model saved by `rnnbench train` on the test split of its task, with\n"
    "the recurrent stack on each target and the embedding and head on the host:\n"
    "fp32 on cpu and gpu, the FPGA's fixed point, the ASIC preset's datatype.  The\n"
    "data, vocabulary and split are the model's own (its textclass.ini).  Stores\n"
    "test accuracy, macro-F1, loss and agreement with the reference's predictions per\n"
    "target in the accuracy table (phase 'eval'); `rnnbench report` shows them and\n"
    "its --max-accuracy-drop uses them.  The reference (--reference, default the\n"
    "cpu's fp32) is always evaluated, first: agreement and accuracy drop are\n"
    "measured against it.\n"
    "\n"
    "On the fpga every batch runs through the bit-exact fixed-point golden model,\n"
    "and the timesteps it simulates in RTL (all of them, or a sample: --fpga-sim)\n"
    "must match it exactly, as in `rnnbench run`.\n"
    "\n"
    "An imported model (an ONNX file, or with --weights a PyTorch state_dict saved as\n"
    "one .npy per tensor) runs on --inputs: a directory holding one .npy per graph\n"
    "input, named as the input (x.npy; a state_dict: x.npy [T, B, I] and optionally\n"
    "lens.npy), or ONNX's test_data_set_N/input_K.pb directories.  Every target's\n"
    "outputs are compared with the fp64 reference's (fp32 targets against the fp32\n"
    "bound), and the reference with a set's expected outputs (output_K.pb) when it\n"
    "has them.  With --labels (class ids, an integer .npy or one per line, in the\n"
    "order of the rows of the first output over the sets) each target's accuracy,\n"
    "macro-F1 and agreement with the reference are printed and stored (task\n"
    "'imported', the model's name and hash as its model).\n"
    "\n"
    "  --model DIR         the saved model (required)\n"
    "  --model FILE        an ONNX model\n"
    "  --weights DIR       a PyTorch state_dict directory, as the model\n"
    "  --inputs DIR        the imported model's inputs (required with it)\n"
    "  --labels FILE       class ids of the inputs' rows\n"
    "  --task NAME         the task the model must be of (fortunes or synthetic; default:\n"
    "                      whichever it is)\n"
    "  --targets LIST      targets or instances (default: all; unavailable ones are\n"
    "                      reported)\n"
    "  --reference TARGET  the target (or instance) the others are compared with\n"
    "                      (default cpu)\n"
    "  --batch N           documents per forward call (default 8, which fits the\n"
    "                      small FPGA configuration's MAX_B)\n"
    "  --threads N         threads for the targets (default: all CPUs)\n"
    "  --label TEXT        label stored with the run\n";

enum {
    OPT_MODEL = RB_OPT_FIRST_FREE,
    OPT_TASK,
    OPT_TARGETS,
    OPT_REFERENCE,
    OPT_BATCH,
    OPT_THREADS,
    OPT_LABEL,
    OPT_WEIGHTS,
    OPT_INPUTS,
    OPT_LABELS
};

typedef struct eval_args {
    const char *dir, *task, *targets, *reference, *db, *label;
    const char *weights, *inputs, *labels;
    long batch, threads;
    int quiet;
    rb_cli_topts topts;
} eval_args;

static int eval_option(void *args, int opt, const char *arg, rb_err *e)
{
    eval_args *a = args;
    switch (opt) {
    case OPT_MODEL: a->dir = arg; return 0;
    case OPT_TASK: a->task = arg; return 0;
    case OPT_TARGETS: a->targets = arg; return 0;
    case OPT_REFERENCE: a->reference = arg; return 0;
    case OPT_BATCH: return rb_cli_long("batch", arg, 1, 4096, &a->batch, e);
    case OPT_THREADS: return rb_cli_long("threads", arg, 1, 4096, &a->threads, e);
    case OPT_LABEL: a->label = arg; return 0;
    case OPT_WEIGHTS: a->weights = arg; return 0;
    case OPT_INPUTS: a->inputs = arg; return 0;
    case OPT_LABELS: a->labels = arg; return 0;
    }
    return rb_errf(e, RB_EINPUT, "unknown option");
}

static const struct option eval_options[] = {{"model", required_argument, 0, OPT_MODEL},
                                             {"task", required_argument, 0, OPT_TASK},
                                             {"targets", required_argument, 0, OPT_TARGETS},
                                             {"reference", required_argument, 0, OPT_REFERENCE},
                                             {"batch", required_argument, 0, OPT_BATCH},
                                             {"threads", required_argument, 0, OPT_THREADS},
                                             {"label", required_argument, 0, OPT_LABEL},
                                             {"weights", required_argument, 0, OPT_WEIGHTS},
                                             {"inputs", required_argument, 0, OPT_INPUTS},
                                             {"labels", required_argument, 0, OPT_LABELS},
                                             {0, 0, 0, 0}};

/* An imported model: --weights, or --model naming a file (a directory
 * given to --model is a text classifier `rnnbench train` saved). */
static int imported(const eval_args *a)
{
    struct stat st;
    return a->weights || (a->dir && !stat(a->dir, &st) && !S_ISDIR(st.st_mode));
}

/* RB_CLI_GO, or the exit status to return at once (--help, usage error). */
static int parse_args(eval_args *a, int argc, char **argv)
{
    a->targets = "all";
    a->reference = "cpu";
    a->batch = 8;
    a->threads = rb_host_default_threads();
    rb_cli_common com;
    int next, st = rb_cli_parse(&rb_command_eval, argc, argv, a, &com, &next);
    if (st != RB_CLI_GO)
        return st;
    if (!a->dir && !a->weights)
        return rb_cli_usage("eval", "--model is required (a directory `rnnbench train` wrote, "
                                    "or an ONNX file), or --weights DIR");
    if (a->dir && a->weights)
        return rb_cli_usage("eval", "--model and --weights name the model twice: give one");
    if (imported(a) && !a->inputs)
        return rb_cli_usage("eval", "an imported model needs --inputs DIR");
    if (!imported(a) && (a->inputs || a->labels))
        return rb_cli_usage("eval", "--inputs and --labels are for an imported model (an ONNX "
                                    "file or --weights); a trained classifier has its test split");
    a->db = com.db;
    a->quiet = com.quiet;
    a->topts = com.topts;
    return RB_CLI_GO;
}

static char *config_json(const eval_args *a, const rb_task_saved *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "command", "eval");
    cJSON_AddStringToObject(o, "model_dir", a->dir);
    cJSON_AddStringToObject(o, "task", s->meta.task);
    cJSON_AddStringToObject(o, "targets", a->targets);
    cJSON_AddStringToObject(o, "reference", a->reference);
    cJSON_AddNumberToObject(o, "batch", (double)a->batch);
    cJSON_AddNumberToObject(o, "epoch", s->meta.epoch);
    char *j = rb_json_utf8(cJSON_PrintUnformatted(o));
    cJSON_Delete(o);
    return j;
}

/* The reference first (what agreement and accuracy drop are measured
 * against), then the others as given, each instance once. */
static int eval_targets(const eval_args *a, rb_instance *in, int *n, rb_err *e)
{
    rb_instance given[8];
    int k = 0, rc = rb_cli_instances("--reference", a->reference, &a->topts, in, n, 1, e);
    if (rc)
        return rc;
    if ((rc = rb_cli_instances("--targets", a->targets, &a->topts, given, &k, 8, e)))
        return rc;
    char ref[RB_INSTANCE_NAME_MAX], name[RB_INSTANCE_NAME_MAX];
    rb_instance_name(&in[0], ref, sizeof ref);
    for (int i = 0; i < k; i++)
        if (strcmp(rb_instance_name(&given[i], name, sizeof name), ref))
            in[(*n)++] = given[i];
    return 0;
}

/* Probe every instance into t (avail[i]: usable); RB_EINPUT for a user's
 * mistake such as a bad --gpu-device, else 0. */
static int probe_all(const eval_args *a, const rb_instance *in, int n, rb_target *t, int *avail,
                     rb_err *e)
{
    int rc = 0;
    for (int i = 0; i < n; i++) {
        rb_err pe = {0};
        avail[i] = 0;
        rb_target_init_instance(&t[i], &in[i], (int)a->threads);
        if (rb_target_probe(&t[i], &pe)) {
            fprintf(stderr, "rnnbench eval: %s\n", pe.msg);
            if (pe.code == RB_EINPUT) {
                *e = pe;
                rc = pe.code;
            }
            continue;
        }
        avail[i] = 1;
    }
    return rc;
}

static int eval_imported(const eval_args *a, const rb_instance *in, int n, int argc, char **argv)
{
    rb_target t[9];
    int avail[9];
    rb_err e = {0};
    int rc = probe_all(a, in, n, t, avail, &e);
    if (!rc) {
        rb_eval_model_args m = {.model = a->weights ? a->weights : a->dir,
                                .inputs = a->inputs,
                                .labels = a->labels,
                                .db = a->db,
                                .label = a->label,
                                .quiet = a->quiet,
                                .t = t,
                                .avail = avail,
                                .n = n};
        rc = rb_eval_model(&m, argc, argv, &e);
    } else {
        rc = rb_cli_fail("eval", &e);
    }
    for (int i = 0; i < n; i++)
        rb_target_close(&t[i]);
    return rc;
}

static int rb_cmd_eval(int argc, char **argv)
{
    static const char *cmd = "eval";
    eval_args a;
    memset(&a, 0, sizeof a);
    rb_err e = {0};
    int rc = parse_args(&a, argc, argv);
    if (rc != RB_CLI_GO)
        return rc;
    rb_instance in[9];
    int n = 0;
    rc = eval_targets(&a, in, &n, &e);
    if (!rc && imported(&a))
        return eval_imported(&a, in, n, argc, argv);
    rb_task_saved s;
    memset(&s, 0, sizeof s);
    if (!rc)
        rc = rb_task_load_saved(a.dir, &s, &e);
    if (!rc && a.task && strcmp(a.task, s.meta.task))
        rc = rb_errf(&e, RB_EINPUT, "--task %s, but %s is a model of the %s task", a.task, a.dir,
                     s.meta.task);
    if (rc) {
        rb_task_saved_free(&s);
        return rb_cli_fail(cmd, &e);
    }

    /* probe all; the available ones become devices of the run */
    rb_target t[9];
    int avail[9] = {0}, n_avail = 0;
    rc = probe_all(&a, in, n, t, avail, &e);
    for (int i = 0; i < n; i++)
        n_avail += avail[i];
    rb_target *run_t[9];
    int64_t dev[9] = {0};
    for (int i = 0, k = 0; i < n; i++)
        if (avail[i])
            run_t[k++] = &t[i];
    rb_store *st = NULL;
    int64_t run_id = 0;
    char *cfg = config_json(&a, &s);
    if (!rc && !avail[0])
        rc = rb_errf(&e, RB_ERUNTIME,
                     "the reference %s is unavailable: agreement and accuracy "
                     "drop are measured against it (--reference)",
                     t[0].instance);
    if (!rc)
        rc = rb_task_run_begin(a.db, a.label, argc, argv, cfg, run_t, n_avail, &st, &run_id, dev,
                               &e);
    free(cfg);

    char model[64];
    rb_tc_train_cfg mc = {
        .cell = s.m.cell, .hidden = s.meta.hidden, .layers = s.meta.layers, .embed = s.meta.embed};
    rb_tc_model_name(&mc, s.meta.seq, model, sizeof model);
    int *pred = malloc(s.d.n_test * sizeof *pred), *ref_pred = malloc(s.d.n_test * sizeof *pred);
    if (!rc && (!pred || !ref_pred))
        rc = rb_errf(&e, RB_ENOMEM, "out of memory");
    rb_tc_scores base, ref_sc = {0};
    rb_tc_majority(&s.d, &base);
    if (!rc) {
        rb_signals_install();
        printf("%s (epoch %d) on %zu test documents of %s; majority-class baseline accuracy "
               "%.3f, macro-F1 %.3f\n",
               model, s.meta.epoch, s.d.n_test, s.d.task, base.accuracy, base.macro_f1);
        printf("%-6s %-28s %9s %9s %10s %10s %9s %8s\n", "target", "numerics", "accuracy",
               "macro-F1", "agreement", "acc. drop", "loss", "time_s");
    }
    int bad = 0;
    for (int i = 0, k = 0; i < n && !rc; i++) {
        if (!avail[i])
            continue;
        int64_t device_id = dev[k++];
        rb_err te = {0};
        double loss = 0, t0 = rb_now_s();
        if (!a.quiet)
            fprintf(stderr, "rnnbench eval: %s ...\n", t[i].instance);
        int trc = rb_tc_evaluate(&t[i], &s.d, &s.m, &s.h, (int)a.batch, pred, &loss, &te);
        if (trc == RB_EINTR || rb_interrupted()) {
            rc = rb_errf(&e, RB_EINTR, "interrupted");
            break;
        }
        if (trc) {
            printf("%-6s %-28s %s\n", t[i].instance, t[i].info.numerics, te.msg);
            bad += trc != RB_EUNAVAIL && trc != RB_EINPUT;
            continue;
        }
        rb_tc_scores sc;
        rb_tc_score_test(&s.d, pred, &sc);
        if (i == 0) { /* the reference */
            memcpy(ref_pred, pred, s.d.n_test * sizeof *pred);
            ref_sc = sc;
        }
        size_t same = 0;
        for (size_t j = 0; j < s.d.n_test; j++)
            same += pred[j] == ref_pred[j];
        double agree = s.d.n_test ? (double)same / (double)s.d.n_test : 0;
        rb_accuracy_row row = {
            s.d.task,      model,      s.meta.cell, "eval",      "test", t[i].info.numerics,
            s.meta.epoch,  (long)sc.n, sc.accuracy, sc.macro_f1, loss,   base.accuracy,
            base.macro_f1, agree};
        rc = rb_store_accuracy(st, run_id, device_id, &row, &e);
        printf("%-6s %-28s %9.4f %9.4f %10.4f %+10.4f %9.4f %8.1f\n", t[i].instance,
               t[i].info.numerics, sc.accuracy, sc.macro_f1, agree, ref_sc.accuracy - sc.accuracy,
               loss, rb_now_s() - t0);
    }
    rc = rb_task_run_end(st, run_id, rc, bad, &e);
    for (int i = 0; i < n; i++)
        rb_target_close(&t[i]);
    free(pred);
    free(ref_pred);
    rb_task_saved_free(&s);
    return rb_task_exit(cmd, rc, bad, &e);
}

const rb_command rb_command_eval = {
    .name = "eval",
    .summary = "score a trained classifier on every target, in each one's number format",
    .help = eval_help,
    .uses = RB_USE_DB | RB_USE_QUIET | RB_USE_TARGET_FLAGS,
    .options = eval_options,
    .option = eval_option,
    .main = rb_cmd_eval,
};
