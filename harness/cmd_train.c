/* cmd_train.c — `rnnbench train`: train the text classifier with its
 * recurrent stack on a target, store the curve, save the model. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "../workloads/utf8.h"
#include "host.h"
#include "signals.h"
#include "../workloads/files.h"
#include "command.h"
#include "task_cli.h"
#include "train_loop.h"

static const char train_help[] =
    "Usage: rnnbench train [--task fortunes|synthetic] [--cell lstm|gru|rnn] [--target cpu|gpu]\n"
    "                      [model and training options] [-o DIR]\n"
    "\n"
    "Train a text classifier: word embedding -> LSTM or tanh-RNN stack -> last hidden\n"
    "state -> linear -> softmax, class-weighted cross-entropy, Adam with gradient\n"
    "clipping.  The recurrent stack trains on the target through its training step;\n"
    "the embedding and the head are small and run in plain C on the host.  After\n"
    "every epoch: progress on stderr, train and test accuracy, macro-F1 and loss in\n"
    "the accuracy table next to the majority-class baseline, and the model saved to\n"
    "DIR (so an interrupted training keeps its last finished epoch).\n"
    "\n"
    "Task:\n" RB_TASK_HELP "\n"
    "Model and training:\n"
    "  --cell lstm|gru|rnn recurrent cell (default lstm)\n"
    "  --target NAME       where the recurrent stack trains: cpu or gpu (default cpu;\n"
    "                      --targets is the same)\n"
    "  --hidden N          hidden size (default 64)\n"
    "  --layers N          stacked layers (default 2)\n"
    "  --embed N           embedding size, the stack's input (default 64)\n"
    "  --batch N           documents per step (default 32)\n"
    "  --epochs N          passes over the training split (default 10)\n"
    "  --lr X              Adam's learning rate (default 0.002)\n"
    "  --clip X            largest gradient norm, per part (stack, host); 0: none\n"
    "                      (default 5)\n"
    "  --seed N            weights and the order of the documents (default 1)\n"
    "  --threads N         threads for the target (default: all CPUs)\n"
    "  -o, --output DIR    where the model goes (default models/<task>_<model>)\n"
    "  --label TEXT        label stored with the run\n";

static const char train_help_tail[] =
    "\n"
    "Evaluate the saved model on every target with `rnnbench eval --model DIR`.\n"
    "Exit status: 0 trained, 2 bad usage or input (e.g. the dataset is not installed),\n"
    "3 run-time failure or interrupted.\n";

enum {
    OPT_CELL = RB_OPT_TASK_FIRST_FREE,
    OPT_TARGET,
    OPT_HIDDEN,
    OPT_LAYERS,
    OPT_EMBED,
    OPT_BATCH,
    OPT_EPOCHS,
    OPT_LR,
    OPT_CLIP,
    OPT_SEED,
    OPT_THREADS,
    OPT_LABEL
};

typedef struct train_args {
    rb_task_args task;
    rb_tc_train_cfg cfg;
    const char *targets, *dir, *db, *label;
    long threads;
    int quiet;
    rb_cli_topts topts;
} train_args;

static int parse_long(const char *name, const char *val, long lo, long hi, int *out, rb_err *e)
{
    long v;
    int rc = rb_cli_long(name, val, lo, hi, &v, e);
    if (!rc)
        *out = (int)v;
    return rc;
}

static int train_option(void *args, int opt, const char *arg, rb_err *e)
{
    train_args *a = args;
    int rc = rb_task_option(&a->task, opt, arg, e);
    if (rc)
        return rc < 0 ? rc : 0;
    long seed;
    switch (opt) {
    case OPT_CELL:
        if (rb_cell_parse(arg, &a->cfg.cell))
            return rb_errf(e, RB_EINPUT, "--cell '%s': expected lstm, gru or rnn", arg);
        return 0;
    case OPT_TARGET: a->targets = arg; return 0;
    case OPT_HIDDEN: return parse_long("hidden", arg, 1, 8192, &a->cfg.hidden, e);
    case OPT_LAYERS: return parse_long("layers", arg, 1, 16, &a->cfg.layers, e);
    case OPT_EMBED: return parse_long("embed", arg, 1, 4096, &a->cfg.embed, e);
    case OPT_BATCH: return parse_long("batch", arg, 1, 4096, &a->cfg.batch, e);
    case OPT_EPOCHS: return parse_long("epochs", arg, 1, 100000, &a->cfg.epochs, e);
    case OPT_LR: return rb_cli_double("lr", arg, 1e-9, 10, &a->cfg.opt.lr, e);
    case OPT_CLIP: return rb_cli_double("clip", arg, 0, 1e9, &a->cfg.opt.clip, e);
    case OPT_SEED:
        if (!(rc = rb_cli_long("seed", arg, 0, 0x7fffffffL, &seed, e)))
            a->cfg.seed = (uint64_t)seed;
        return rc;
    case OPT_THREADS: return rb_cli_long("threads", arg, 1, 4096, &a->threads, e);
    case 'o': a->dir = arg; return 0;
    case OPT_LABEL: a->label = arg; return 0;
    }
    return rb_errf(e, RB_EINPUT, "unknown option");
}

static const struct option train_options[] = {
    RB_TASK_LONG_OPTIONS,
    {"cell", required_argument, 0, OPT_CELL},
    {"target", required_argument, 0, OPT_TARGET},
    {"targets", required_argument, 0, OPT_TARGET}, /* the spelling of run, list and eval */
    {"hidden", required_argument, 0, OPT_HIDDEN},
    {"layers", required_argument, 0, OPT_LAYERS},
    {"embed", required_argument, 0, OPT_EMBED},
    {"batch", required_argument, 0, OPT_BATCH},
    {"epochs", required_argument, 0, OPT_EPOCHS},
    {"lr", required_argument, 0, OPT_LR},
    {"clip", required_argument, 0, OPT_CLIP},
    {"seed", required_argument, 0, OPT_SEED},
    {"threads", required_argument, 0, OPT_THREADS},
    {"output", required_argument, 0, 'o'},
    {"label", required_argument, 0, OPT_LABEL},
    {0, 0, 0, 0}};

/* RB_CLI_GO, or the exit status to return at once (--help, usage error). */
static int parse_args(train_args *a, int argc, char **argv)
{
    rb_task_args_init(&a->task);
    a->cfg = (rb_tc_train_cfg){.cell = RB_CELL_LSTM,
                               .hidden = 64,
                               .layers = 2,
                               .embed = 64,
                               .batch = 32,
                               .epochs = 10,
                               .seed = 1};
    rb_optim_default(&a->cfg.opt);
    a->cfg.opt.lr = 2e-3;
    a->targets = "cpu";
    a->threads = rb_host_default_threads();
    rb_cli_common com;
    int next, st = rb_cli_parse(&rb_command_train, argc, argv, a, &com, &next);
    if (st != RB_CLI_GO)
        return st;
    a->db = com.db;
    a->quiet = com.quiet;
    a->topts = com.topts;
    return RB_CLI_GO;
}

static char *config_json(const train_args *a, const char *model, const char *dir)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "command", "train");
    cJSON_AddStringToObject(o, "task", a->task.task);
    cJSON_AddStringToObject(o, "model", model);
    cJSON_AddStringToObject(o, "cell", rb_cell_name(a->cfg.cell));
    cJSON_AddNumberToObject(o, "hidden", a->cfg.hidden);
    cJSON_AddNumberToObject(o, "layers", a->cfg.layers);
    cJSON_AddNumberToObject(o, "embed", a->cfg.embed);
    cJSON_AddNumberToObject(o, "tokens", a->task.o.seq);
    cJSON_AddNumberToObject(o, "batch", a->cfg.batch);
    cJSON_AddNumberToObject(o, "epochs", a->cfg.epochs);
    cJSON_AddNumberToObject(o, "lr", a->cfg.opt.lr);
    cJSON_AddNumberToObject(o, "clip", a->cfg.opt.clip);
    cJSON_AddNumberToObject(o, "seed", (double)a->cfg.seed);
    cJSON_AddNumberToObject(o, "split_seed", (double)a->task.o.seed);
    cJSON_AddStringToObject(o, "target", a->targets);
    cJSON_AddStringToObject(o, "output", dir);
    char *s = rb_json_utf8(cJSON_PrintUnformatted(o));
    cJSON_Delete(o);
    return s;
}

/* What every epoch does: store the curve, save the model, say how it went. */
typedef struct epoch_ctx {
    const train_args *a;
    const rb_tc_data *d;
    rb_tc_meta meta;
    const char *model, *dir, *numerics;
    rb_store *st;
    int64_t run_id, device_id;
    rb_tc_scores baseline;
    rb_tc_epoch last;
} epoch_ctx;

static int on_epoch(void *ctx, const rb_tc_epoch *ep, const rb_model *m, const rb_tc_head *h,
                    rb_err *e)
{
    epoch_ctx *c = ctx;
    rb_accuracy_row tr = {c->d->task,
                          c->model,
                          rb_cell_name(m->cell),
                          "train",
                          "train",
                          c->numerics,
                          ep->epoch,
                          (long)ep->train.n,
                          ep->train.accuracy,
                          ep->train.macro_f1,
                          ep->train_loss,
                          -1,
                          -1,
                          -1};
    rb_accuracy_row te = {c->d->task,
                          c->model,
                          rb_cell_name(m->cell),
                          "train",
                          "test",
                          c->numerics,
                          ep->epoch,
                          (long)ep->test.n,
                          ep->test.accuracy,
                          ep->test.macro_f1,
                          ep->test_loss,
                          c->baseline.accuracy,
                          c->baseline.macro_f1,
                          -1};
    int rc = rb_store_accuracy(c->st, c->run_id, c->device_id, &tr, e);
    if (!rc)
        rc = rb_store_accuracy(c->st, c->run_id, c->device_id, &te, e);
    c->meta.epoch = ep->epoch;
    /* the epoch's files all together, or none of them: a kill mid-save
     * keeps the last finished epoch's model whole (workloads/files.h) */
    char stage[4096];
    if (!rc)
        rc = rb_mkdir_p(c->dir, e);
    if (!rc)
        rc = rb_dir_stage(c->dir, stage, sizeof stage, e);
    if (!rc)
        rc = rb_model_save_npy(m, stage, e);
    if (!rc)
        rc = rb_tc_save(stage, h, c->d, &c->meta, e);
    if (!rc)
        rc = rb_dir_commit(c->dir, e);
    if (!c->a->quiet)
        fprintf(stderr,
                "epoch %d/%d  train loss %.4f acc %.3f F1 %.3f | test loss %.4f acc %.3f F1 "
                "%.3f  (%.1f s)\n",
                ep->epoch, ep->epochs, ep->train_loss, ep->train.accuracy, ep->train.macro_f1,
                ep->test_loss, ep->test.accuracy, ep->test.macro_f1, ep->seconds);
    c->last = *ep;
    return rc;
}

static void fill_meta(rb_tc_meta *m, const train_args *a, const rb_tc_data *d)
{
    memset(m, 0, sizeof *m);
    snprintf(m->task, sizeof m->task, "%s", d->task);
    snprintf(m->cell, sizeof m->cell, "%s", rb_cell_name(a->cfg.cell));
    m->hidden = a->cfg.hidden;
    m->layers = a->cfg.layers;
    m->embed = a->cfg.embed;
    m->seq = d->seq;
    m->n_classes = d->n_classes;
    memcpy(m->class_names, d->class_names, sizeof m->class_names);
    snprintf(m->categories, sizeof m->categories, "%s",
             a->task.o.categories ? a->task.o.categories : "");
    m->split_seed = a->task.o.seed;
    m->test_frac = a->task.o.test_frac;
    m->max_per_class = a->task.o.max_per_class;
    if (!strcmp(d->task, "synthetic")) {
        m->synth_classes = a->task.synth_classes;
        m->synth_docs = a->task.synth_docs;
    }
}

static int rb_cmd_train(int argc, char **argv)
{
    static const char *cmd = "train";
    train_args a;
    memset(&a, 0, sizeof a);
    rb_err e = {0};
    int rc = parse_args(&a, argc, argv);
    if (rc != RB_CLI_GO)
        return rc;

    rb_instance in[4];
    int n = 0;
    rc = rb_cli_instances("--target", a.targets, &a.topts, in, &n, 4, &e);
    if (!rc && n != 1)
        rc = rb_errf(&e, RB_EINPUT, "--target: train uses one target (cpu or gpu), got %d", n);
    rb_tc_data d = {0};
    if (!rc)
        rc = rb_task_load(&a.task, &d, &e);
    if (rc) {
        rb_tc_data_free(&d);
        return rb_cli_fail(cmd, &e);
    }
    rb_target t;
    rb_target_init_instance(&t, &in[0], (int)a.threads);
    if ((rc = rb_target_probe(&t, &e)) == 0 && !rb_target_can_train(&t))
        rc = rb_errf(&e, RB_EINPUT, "target %s does not train (train on cpu or gpu)", t.instance);
    if (rc) {
        rb_tc_data_free(&d);
        rb_target_close(&t);
        return rb_cli_fail(cmd, &e);
    }

    char model[64], dirbuf[512];
    rb_tc_model_name(&a.cfg, d.seq, model, sizeof model);
    const char *dir = a.dir;
    if (!dir) {
        snprintf(dirbuf, sizeof dirbuf, "models/%s_%s", d.task, model);
        dir = dirbuf;
    }
    if (!a.quiet)
        rb_task_describe(&d, stderr);
    epoch_ctx c = {.a = &a, .d = &d, .model = model, .dir = dir, .numerics = t.info.numerics};
    fill_meta(&c.meta, &a, &d);
    rb_tc_majority(&d, &c.baseline);
    char *cfg = config_json(&a, model, dir);
    rb_target *tp = &t;
    rc = rb_task_run_begin(a.db, a.label, argc, argv, cfg, &tp, 1, &c.st, &c.run_id, &c.device_id,
                           &e);
    free(cfg);
    rb_model m = {0};
    rb_tc_head h = {0};
    if (!rc) {
        if (!a.quiet)
            fprintf(stderr, "rnnbench train: run %lld: %s on %s (%s), %d epochs, into %s\n",
                    (long long)c.run_id, model, t.info.name, t.info.numerics, a.cfg.epochs, dir);
        rb_signals_install();
        rc = rb_tc_train(&t, &d, &a.cfg, &m, &h, on_epoch, &c, &e);
        rb_err fe = {0};
        const char *status = rc == RB_EINTR ? "interrupted" : rc ? "failed" : "complete";
        if (rb_store_run_finish(c.st, c.run_id, status, &fe) && !rc) {
            e = fe;
            rc = fe.code;
        }
    }
    if (!rc) {
        printf("trained %s on %s: test accuracy %.3f, macro-F1 %.3f (majority-class baseline "
               "%.3f, %.3f) after %d epochs\n",
               model, t.instance, c.last.test.accuracy, c.last.test.macro_f1, c.baseline.accuracy,
               c.baseline.macro_f1, c.last.epoch);
        printf("model saved in %s (run %lld in %s)\n", dir, (long long)c.run_id, a.db);
    } else if (rc == RB_EINTR) {
        fprintf(stderr, "rnnbench train: interrupted; %s\n",
                c.last.epoch ? "the model of the last finished epoch is saved"
                             : "no epoch "
                               "finished");
        if (c.last.epoch)
            fprintf(stderr, "rnnbench train: epoch %d's model is in %s\n", c.last.epoch, dir);
    }
    rb_model_free(&m);
    rb_tc_head_free(&h);
    rb_tc_data_free(&d);
    rb_target_close(&t);
    rb_store_close(c.st);
    if (rc == RB_EINTR)
        return RB_EXIT_FAILURE;
    return rc ? rb_cli_fail(cmd, &e) : 0;
}

const rb_command rb_command_train = {
    .name = "train",
    .summary = "train the text classifier (LSTM, GRU or RNN) on a target; save the model",
    .help = train_help,
    .help_tail = train_help_tail,
    .uses = RB_USE_DB | RB_USE_QUIET | RB_USE_TARGET_FLAGS,
    .options = train_options,
    .shortopts = "o:",
    .option = train_option,
    .main = rb_cmd_train,
};
