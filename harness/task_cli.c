/* task_cli.c — the task options, data loading and bookkeeping of train/eval. */
#include "task_cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../workloads/files.h"
#include "host.h"

void rb_task_args_init(rb_task_args *a)
{
    memset(a, 0, sizeof *a);
    a->task = "fortunes";
    rb_tc_opts_default(&a->o);
    a->synth_classes = 4;
    a->synth_docs = 800;
}

int rb_task_option(rb_task_args *a, int opt, const char *val, rb_err *e)
{
    long v;
    int rc;
    switch (opt) {
    case RB_OPT_TASK:
        if (strcmp(val, "fortunes") && strcmp(val, "synthetic"))
            return rb_errf(e, RB_EINPUT, "--task '%s': expected fortunes or synthetic", val);
        a->task = val;
        return 1;
    case RB_OPT_CATEGORIES: a->o.categories = val; return 1;
    case RB_OPT_SEQ_TOKENS:
        if ((rc = rb_cli_long("tokens", val, 1, 4096, &v, e)))
            return rc;
        a->o.seq = (int)v;
        return 1;
    case RB_OPT_MAX_PER_CLASS:
        if ((rc = rb_cli_long("max-per-class", val, 1, 1L << 30, &v, e)))
            return rc;
        a->o.max_per_class = (size_t)v;
        return 1;
    case RB_OPT_SPLIT_SEED:
        if ((rc = rb_cli_long("split-seed", val, 0, 0x7fffffffL, &v, e)))
            return rc;
        a->o.seed = (uint64_t)v;
        return 1;
    default: return 0;
    }
}

int rb_task_load(const rb_task_args *a, rb_tc_data *d, rb_err *e)
{
    if (!strcmp(a->task, "synthetic"))
        return rb_tc_make_synthetic(&a->o, a->synth_classes, (size_t)a->synth_docs, d, e);
    return rb_tc_load_fortunes(&a->o, d, e);
}

void rb_task_describe(const rb_tc_data *d, FILE *f)
{
    fprintf(f, "%s: %d classes, %zu train / %zu test documents, %d tokens each, vocabulary %d\n",
            d->task, d->n_classes, d->n_train, d->n_test, d->seq, d->vocab_size);
    for (int c = 0; c < d->n_classes; c++)
        fprintf(f, "  %-16s %5zu train %5zu test\n", d->class_names[c], d->train_count[c],
                d->test_count[c]);
    rb_tc_scores b;
    rb_tc_majority(d, &b);
    fprintf(f, "  majority-class baseline on test: accuracy %.3f, macro-F1 %.3f\n", b.accuracy,
            b.macro_f1);
}

int rb_task_run_begin(const char *db, const char *label, int argc, char **argv,
                      const char *config_json, rb_target *const *t, int n, rb_store **st,
                      int64_t *run_id, int64_t *device_id, rb_err *e)
{
    int rc = rb_store_open(st, db, 0, e);
    if (rc)
        return rc;
    char *host = rb_host_json(), *cmdline = rb_cli_command_line(argc, argv);
    rb_run_info ri = {label, RB_GIT_SHA, cmdline, host, config_json, "[]", RB_VERSION};
    rc = rb_store_run_begin(*st, &ri, run_id, e);
    free(host);
    free(cmdline);
    for (int i = 0; i < n && !rc; i++)
        rc = rb_cli_store_device(*st, *run_id, t[i], &device_id[i], e);
    return rc;
}

int rb_mkdir_p(const char *dir, rb_err *e)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return rb_errf(e, RB_EINPUT, "%s: path too long", dir);
    for (char *p = path + 1;; p++) {
        int end = !*p;
        if (*p != '/' && !end)
            continue;
        *p = 0;
        if (mkdir(path, 0777) && errno != EEXIST)
            return rb_errf(e, RB_EINPUT, "cannot create %s: %s", path, strerror(errno));
        if (end)
            return 0;
        *p = '/';
    }
}

void rb_task_saved_free(rb_task_saved *s)
{
    rb_tc_vocab_free(s->vocab, s->n_vocab);
    rb_tc_data_free(&s->d);
    rb_model_free(&s->m);
    rb_tc_head_free(&s->h);
}

int rb_task_load_saved(const char *dir, rb_task_saved *s, rb_err *e)
{
    /* a training killed while saving: finish its save, or drop it */
    int rc = rb_dir_recover(dir, e);
    if (!rc)
        rc = rb_tc_load_meta(dir, &s->meta, &s->vocab, &s->n_vocab, e);
    if (rc)
        return rc;
    rb_task_args ta;
    rb_task_args_init(&ta);
    ta.task = s->meta.task;
    ta.o.categories = s->meta.categories[0] ? s->meta.categories : NULL;
    ta.o.seq = s->meta.seq;
    ta.o.seed = s->meta.split_seed;
    ta.o.test_frac = s->meta.test_frac;
    ta.o.max_per_class = s->meta.max_per_class;
    ta.o.vocab = s->vocab;
    ta.o.n_vocab = s->n_vocab;
    ta.synth_classes = s->meta.synth_classes;
    ta.synth_docs = s->meta.synth_docs;
    if ((rc = rb_task_load(&ta, &s->d, e)))
        return rb_err_prefix(e, "%s: the model's data: ", dir);
    if (s->d.n_classes != s->meta.n_classes)
        return rb_errf(e, RB_EINPUT, "%s: the model has %d classes but its data now has %d", dir,
                       s->meta.n_classes, s->d.n_classes);
    rb_workload w;
    memset(&w, 0, sizeof w);
    if (rb_cell_parse(s->meta.cell, &w.cell))
        return rb_errf(e, RB_EINPUT, "%s/textclass.ini: unknown cell '%s'", dir, s->meta.cell);
    w.input = s->meta.embed;
    w.hidden = s->meta.hidden;
    w.layers = s->meta.layers;
    w.input_proj = 1;
    if ((rc = rb_model_alloc(&s->m, &w, e)) || (rc = rb_model_load_npy(&s->m, dir, e)))
        return rc;
    return rb_tc_load_head(dir, &s->meta, s->n_vocab, &s->h, e);
}

int rb_task_run_end(rb_store *st, int64_t run_id, int rc, int bad, rb_err *e)
{
    if (!st)
        return rc;
    rb_err fe = {0};
    const char *status = rc == RB_EINTR ? "interrupted" : rc || bad ? "failed" : "complete";
    if (rb_store_run_finish(st, run_id, status, &fe) && !rc) {
        *e = fe;
        rc = fe.code;
    }
    rb_store_close(st);
    return rc;
}

int rb_task_exit(const char *cmd, int rc, int bad, const rb_err *e)
{
    if (rc == RB_EINTR) {
        fprintf(stderr, "rnnbench %s: interrupted; finished targets are stored\n", cmd);
        return RB_EXIT_FAILURE;
    }
    if (rc)
        return rb_cli_fail(cmd, e);
    return bad ? RB_EXIT_FAILURE : RB_EXIT_OK;
}
