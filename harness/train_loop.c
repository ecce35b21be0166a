/* train_loop.c — epochs of the text classifier through a target (train_loop.h). */
#include "train_loop.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../workloads/params.h"
#include "clock.h"
#include "signals.h"

void rb_tc_model_name(const rb_tc_train_cfg *c, int seq, char *buf, size_t n)
{
    snprintf(buf, n, "%s_h%d_l%d_e%d_t%d", rb_cell_name(c->cell), c->hidden, c->layers, c->embed,
             seq);
}

/* Buffers one pass over a split needs. */
typedef struct pass {
    rb_tc_batch b;
    float *y;  /* [T, B, H] */
    float *dx; /* [T, B, E], training only */
    size_t *idx;
} pass;

static void pass_free(pass *p)
{
    rb_tc_batch_free(&p->b);
    free(p->y);
    free(p->dx);
    free(p->idx);
}

static int pass_alloc(pass *p, const rb_tc_data *d, int B, int E, int H, int training, rb_err *e)
{
    memset(p, 0, sizeof *p);
    size_t TB = (size_t)d->seq * (size_t)B, n = d->n_train > d->n_test ? d->n_train : d->n_test;
    int rc = rb_tc_batch_alloc(&p->b, d->seq, B, E, e);
    if (rc)
        return rc;
    p->y = malloc(TB * (size_t)H * sizeof *p->y);
    p->dx = training ? malloc(TB * (size_t)E * sizeof *p->dx) : NULL;
    p->idx = malloc((n ? n : 1) * sizeof *p->idx);
    if (!p->y || (training && !p->dx) || !p->idx) {
        pass_free(p);
        return rb_errf(e, RB_ENOMEM, "textclass: out of memory for a batch of %d", B);
    }
    return 0;
}

/* Forward every document of docs[0..n) in batches; predictions into pred. */
/* The recurrent stack's forward on the target t (loaded): an rb_tc_forward_fn. */
static int target_forward(void *ctx, const rb_batch *in, float *y, rb_err *e)
{
    rb_target *t = ctx;
    rb_tensor out = {y, 3, {(size_t)in->seq, (size_t)in->batch, (size_t)t->workload.hidden, 0}};
    return rb_target_forward(t, in, &out, NULL, e);
}

static int predict_split(rb_tc_forward_fn fwd, void *ctx, const rb_tc_head *h, pass *p,
                         const rb_tc_doc *docs, size_t n, int B, int *pred, double *loss,
                         rb_err *e)
{
    double sum = 0, wsum = 0;
    for (size_t i = 0; i < n; i++)
        p->idx[i] = i;
    for (size_t k = 0; k < n; k += (size_t)B) {
        if (rb_interrupted())
            return rb_errf(e, RB_EINTR, "interrupted");
        int rows = n - k < (size_t)B ? (int)(n - k) : B;
        rb_tc_batch_fill(&p->b, h, docs, p->idx + k, rows);
        rb_batch in = {p->b.T, B, h->E, p->b.x, NULL, NULL, NULL};
        int rc = fwd(ctx, &in, p->y, e);
        if (rc)
            return rc;
        rb_tc_predict(h, &p->b, p->y);
        /* b.loss is a weighted mean over the batch: weigh it back up */
        sum += p->b.loss * p->b.weight;
        wsum += p->b.weight;
        memcpy(pred + k, p->b.pred, (size_t)rows * sizeof *pred);
    }
    *loss = wsum > 0 ? sum / wsum : 0;
    return 0;
}

static void score(const rb_tc_doc *docs, size_t n, const int *pred, int C, rb_tc_scores *s)
{
    int *truth = malloc((n ? n : 1) * sizeof *truth);
    if (!truth) {
        memset(s, 0, sizeof *s);
        return;
    }
    for (size_t i = 0; i < n; i++)
        truth[i] = docs[i].label;
    rb_tc_score(truth, pred, n, C, s);
    free(truth);
}

void rb_tc_score_test(const rb_tc_data *d, const int *pred, rb_tc_scores *s)
{
    score(d->test, d->n_test, pred, d->n_classes, s);
}

/* One epoch of training steps in a seeded order; the predictions of each
 * step (made before its update) into pred[doc]. */
static int train_epoch(rb_target *t, const rb_tc_data *d, const rb_tc_train_cfg *c, int epoch,
                       rb_tc_head *h, pass *p, int *pred, double *loss, rb_err *e)
{
    const int B = c->batch;
    rb_tc_shuffle(p->idx, d->n_train, c->seed + 0x9E37u * (uint64_t)epoch);
    rb_tc_step step = {h, &p->b};
    rb_train_io io = {.loss = rb_tc_loss, .ctx = &step, .dx = p->dx, .opt = c->opt};
    double sum = 0, wsum = 0;
    for (size_t k = 0; k < d->n_train; k += (size_t)B) {
        if (rb_interrupted())
            return rb_errf(e, RB_EINTR, "interrupted in epoch %d", epoch);
        int rows = d->n_train - k < (size_t)B ? (int)(d->n_train - k) : B;
        rb_tc_batch_fill(&p->b, h, d->train, p->idx + k, rows);
        rb_batch in = {d->seq, B, c->embed, p->b.x, NULL, NULL, NULL};
        int rc = rb_target_train_step(t, &in, &io, NULL, e);
        if (rc)
            return rc;
        rb_tc_head_update(h, &p->b, p->dx, &c->opt);
        for (int r = 0; r < rows; r++)
            pred[p->idx[k + r]] = p->b.pred[r];
        sum += p->b.loss * p->b.weight;
        wsum += p->b.weight;
    }
    *loss = wsum > 0 ? sum / wsum : 0;
    return 0;
}

/* The weights the target holds now, into m. */
static int fetch_weights(rb_target *t, rb_model *m, float *flat, rb_err *e)
{
    int rc = rb_target_params(t, flat, NULL, e);
    if (!rc)
        rb_model_unflatten(m, flat);
    return rc;
}

int rb_tc_train(rb_target *t, const rb_tc_data *d, const rb_tc_train_cfg *c, rb_model *m,
                rb_tc_head *h, rb_tc_epoch_fn fn, void *ctx, rb_err *e)
{
    memset(m, 0, sizeof *m);
    memset(h, 0, sizeof *h);
    if (!d->n_train || !d->n_test)
        return rb_errf(e, RB_EINPUT, "textclass: an empty split (%zu train, %zu test documents)",
                       d->n_train, d->n_test);
    /* the recurrent stack: T tokens, B documents, I = the embedding */
    rb_workload w =
        rb_workload_of(c->cell, RB_MODE_TRAIN, d->seq, c->batch, c->embed, c->hidden, c->layers, 1);
    int rc = rb_model_alloc(m, &w, e);
    if (rc)
        return rc;
    rb_model_init_seeded(m, c->seed);
    if ((rc = rb_tc_head_init(h, d, c->embed, c->hidden, c->seed, e)))
        return rc;
    pass p;
    if ((rc = pass_alloc(&p, d, c->batch, c->embed, c->hidden, 1, e)))
        return rc;
    int *train_pred = malloc(d->n_train * sizeof *train_pred),
        *test_pred = malloc(d->n_test * sizeof *test_pred);
    float *flat = malloc(rb_param_total(m) * sizeof *flat);
    if (!train_pred || !test_pred || !flat)
        rc = rb_errf(e, RB_ENOMEM, "textclass: out of memory for predictions");
    if (!rc)
        rc = rb_target_load(t, m, &w, e);
    for (int ep = 1; ep <= c->epochs && !rc; ep++) {
        rb_tc_epoch st = {.epoch = ep, .epochs = c->epochs};
        double t0 = rb_now_s();
        rc = train_epoch(t, d, c, ep, h, &p, train_pred, &st.train_loss, e);
        if (!rc)
            rc = predict_split(target_forward, t, h, &p, d->test, d->n_test, c->batch, test_pred,
                               &st.test_loss, e);
        if (!rc)
            rc = fetch_weights(t, m, flat, e);
        if (rc)
            break;
        st.seconds = rb_now_s() - t0;
        score(d->train, d->n_train, train_pred, d->n_classes, &st.train);
        score(d->test, d->n_test, test_pred, d->n_classes, &st.test);
        if (fn)
            rc = fn(ctx, &st, m, h, e);
    }
    rb_target_unload(t);
    pass_free(&p);
    free(train_pred);
    free(test_pred);
    free(flat);
    return rc;
}

int rb_tc_evaluate_with(rb_tc_forward_fn fwd, void *ctx, const rb_tc_data *d,
                        const rb_tc_head *h, int H, int batch, int *pred, double *loss,
                        rb_err *e)
{
    pass p;
    int rc = pass_alloc(&p, d, batch, h->E, H, 0, e);
    if (!rc)
        rc = predict_split(fwd, ctx, h, &p, d->test, d->n_test, batch, pred, loss, e);
    pass_free(&p);
    return rc;
}

int rb_tc_evaluate(rb_target *t, const rb_tc_data *d, const rb_model *m, const rb_tc_head *h,
                   int batch, int *pred, double *loss, rb_err *e)
{
    rb_workload w =
        rb_workload_of(m->cell, RB_MODE_INFER, d->seq, batch, h->E, m->hidden, m->layers, 1);
    int rc = rb_target_load(t, m, &w, e);
    if (!rc)
        rc = rb_tc_evaluate_with(target_forward, t, d, h, m->hidden, batch, pred, loss, e);
    rb_target_unload(t);
    return rc;
}
