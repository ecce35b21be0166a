/* test_train.c — the text classifier trained through a target: the
 * synthetic rule is learnt to high accuracy in seconds (cpu, and gpu where
 * an OpenCL device is available); the per-epoch callback sees what the
 * loop promises; a saved model reloads and predicts identically; given the
 * same model, the gpu (fp32 too) agrees with the cpu on nearly every
 * prediction. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../harness/train_loop.h"
#include "../../workloads/params.h"
#include "../rb_test.h"

static char tmpdir[] = "/tmp/rb_test_train_XXXXXX";

typedef struct seen {
    int calls, last_epoch;
    double first_loss, last_loss;
    rb_tc_scores last_test;
} seen;

static int on_epoch(void *ctx, const rb_tc_epoch *ep, const rb_model *m, const rb_tc_head *h,
                    rb_err *e)
{
    seen *s = ctx;
    (void)m;
    (void)h;
    (void)e;
    s->calls++;
    CHECK_INT(ep->epoch, s->calls);
    CHECK(ep->train.n > 0 && ep->test.n > 0);
    CHECK(ep->train_loss > 0 && ep->test_loss > 0);
    if (ep->epoch == 1)
        s->first_loss = ep->train_loss;
    s->last_loss = ep->train_loss;
    s->last_epoch = ep->epoch;
    s->last_test = ep->test;
    return 0;
}

static int probe(rb_target *t, const char *name)
{
    rb_err e = {0};
    rb_target_init(t, rb_target_find(name), 2);
    if (rb_target_probe(t, &e)) {
        printf("  %s unavailable: %s\n", name, e.msg);
        return 0;
    }
    return 1;
}

static void test_learns_synthetic(const char *name)
{
    rb_target t;
    if (!probe(&t, name))
        return;
    rb_tc_opts o;
    rb_tc_opts_default(&o);
    o.seq = 24;
    rb_tc_data d;
    rb_err e = {0};
    CHECK_INT(rb_tc_make_synthetic(&o, 4, 600, &d, &e), 0);
    rb_tc_train_cfg c = {.cell = RB_CELL_LSTM,
                         .hidden = 32,
                         .layers = 1,
                         .embed = 16,
                         .batch = 32,
                         .epochs = 25,
                         .seed = 3};
    rb_optim_default(&c.opt);
    c.opt.lr = 0.01;
    rb_model m;
    rb_tc_head h;
    seen s = {0};
    int rc = rb_tc_train(&t, &d, &c, &m, &h, on_epoch, &s, &e);
    CHECK_INT(rc, 0);
    if (rc)
        fprintf(stderr, "%s: %s\n", name, e.msg);
    printf("  %s: synthetic rule, 25 epochs: loss %.3f -> %.3f, test accuracy %.3f\n", name,
           s.first_loss, s.last_loss, s.last_test.accuracy);
    CHECK_INT(s.calls, 25);
    CHECK(s.last_loss < 0.5 * s.first_loss);
    CHECK(s.last_test.accuracy >= 0.9); /* chance is 0.25 */

    /* the model as it ended evaluates to the same test predictions as the
     * loop's last epoch, and again after a save and reload */
    int *pred = malloc(d.n_test * sizeof *pred), *again = malloc(d.n_test * sizeof *again);
    double loss, loss2;
    CHECK_INT(rb_tc_evaluate(&t, &d, &m, &h, 8, pred, &loss, &e), 0);
    rb_tc_scores sc;
    rb_tc_score_test(&d, pred, &sc);
    CHECK_NEAR(sc.accuracy, s.last_test.accuracy, 1e-12);

    char dir[512];
    snprintf(dir, sizeof dir, "%s/%s", tmpdir, name);
    CHECK_INT(mkdir(dir, 0777), 0);
    rb_tc_meta meta = {.hidden = 32,
                       .layers = 1,
                       .embed = 16,
                       .seq = d.seq,
                       .n_classes = d.n_classes,
                       .split_seed = o.seed,
                       .test_frac = o.test_frac,
                       .synth_classes = 4,
                       .synth_docs = 600,
                       .epoch = 25};
    snprintf(meta.task, sizeof meta.task, "%s", d.task);
    snprintf(meta.cell, sizeof meta.cell, "lstm");
    memcpy(meta.class_names, d.class_names, sizeof meta.class_names);
    CHECK_INT(rb_model_save_npy(&m, dir, &e), 0);
    CHECK_INT(rb_tc_save(dir, &h, &d, &meta, &e), 0);
    rb_tc_meta m2;
    char **vocab = NULL;
    int nv = 0;
    rb_tc_head h2;
    rb_model mm;
    rb_workload w = {.cell = RB_CELL_LSTM, .input = 16, .hidden = 32, .layers = 1, .input_proj = 1};
    CHECK_INT(rb_tc_load_meta(dir, &m2, &vocab, &nv, &e), 0);
    CHECK_INT(rb_tc_load_head(dir, &m2, nv, &h2, &e), 0);
    CHECK_INT(rb_model_alloc(&mm, &w, &e), 0);
    CHECK_INT(rb_model_load_npy(&mm, dir, &e), 0);
    CHECK_INT(rb_tc_evaluate(&t, &d, &mm, &h2, 8, again, &loss2, &e), 0);
    CHECK(!memcmp(pred, again, d.n_test * sizeof *pred));
    CHECK_NEAR(loss2, loss, 0);

    /* the other fp32 target, given the same model, agrees on nearly every document */
    rb_target g;
    if (!strcmp(name, "cpu") && probe(&g, "gpu")) {
        CHECK_INT(rb_tc_evaluate(&g, &d, &m, &h, 8, again, &loss2, &e), 0);
        size_t same = 0;
        for (size_t i = 0; i < d.n_test; i++)
            same += pred[i] == again[i];
        printf("  gpu on the cpu's model: %zu of %zu predictions agree, loss %.6f vs %.6f\n", same,
               d.n_test, loss2, loss);
        CHECK(same >= d.n_test * 98 / 100);
        CHECK_NEAR(loss2, loss, 1e-3 * loss);
        rb_target_close(&g);
    }
    rb_tc_vocab_free(vocab, nv);
    rb_tc_head_free(&h2);
    rb_model_free(&mm);
    free(pred);
    free(again);
    rb_model_free(&m);
    rb_tc_head_free(&h);
    rb_tc_data_free(&d);
    rb_target_close(&t);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_learns_synthetic("cpu");
#ifdef RB_HAVE_OPENCL
    test_learns_synthetic("gpu");
#endif
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return rb_test_done("test_train");
}
