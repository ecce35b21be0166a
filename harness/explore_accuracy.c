/* explore_accuracy.c — what a number format does to a model's accuracy:
 * a trained text-classification model on its test split, or an imported
 * model on labelled inputs, with the recurrent stack computed in the format
 * (explore_accuracy.h). */
#include "explore_accuracy.h"

#include <stdlib.h>
#include <string.h>

#include "../workloads/reference.h"
#include "train_loop.h"

/* The stack's forward in one format: its emulation and buffers, grown to
 * the largest call. */
typedef struct fmt_fwd {
    const rb_model *m;
    int fpga;
    rb_fx_model fx; /* fpga: the golden model, bit for bit the RTL's outputs */
    rb_asic_numerics num;
    rb_asic_qmodel *q; /* asic: the emulated datatype, prepared for q_T x q_B */
    int q_T, q_B;
    int16_t *xq, *yq;
    size_t cap_x, cap_y;
    double *yd; /* the fp64 reference (format < 0) */
    size_t cap_d;
    int ref;
} fmt_fwd;

static int grow(void **p, size_t *cap, size_t n, size_t size)
{
    if (n <= *cap)
        return 0;
    void *q = realloc(*p, n * size);
    if (!q)
        return -1;
    *p = q;
    *cap = n;
    return 0;
}

static int forward(void *ctx, const rb_batch *in, float *y, rb_err *e)
{
    fmt_fwd *c = ctx;
    const rb_model *m = c->m;
    size_t ny = (size_t)in->seq * (size_t)in->batch * (size_t)(m->dirs > 1 ? 2 : 1) * m->hidden;
    size_t nx = (size_t)in->seq * (size_t)in->batch * (size_t)in->width;
    if (c->ref) {
        if (grow((void **)&c->yd, &c->cap_d, ny, sizeof *c->yd))
            return rb_errf(e, RB_ENOMEM, "out of memory");
        int rc = rb_ref_forward(m, in, c->yd, NULL, NULL, e);
        for (size_t i = 0; !rc && i < ny; i++)
            y[i] = (float)c->yd[i];
        return rc;
    }
    if (!c->fpga) {
        if (!c->q || in->seq > c->q_T || in->batch > c->q_B) {
            rb_asic_qmodel_free(c->q);
            c->q = NULL;
            int rc = rb_asic_qmodel_new(&c->q, m, &c->num, in->seq, in->batch, e);
            if (rc)
                return rc;
            c->q_T = in->seq;
            c->q_B = in->batch;
        }
        return rb_asic_forward(c->q, in, y, e);
    }
    if (in->lens || in->h0 || in->c0)
        return rb_errf(e, RB_EUNAVAIL,
                       "the fpga's golden model runs whole sequences from zero states: row "
                       "lengths and initial states are not in its arithmetic");
    if (grow((void **)&c->xq, &c->cap_x, nx, sizeof *c->xq) ||
        grow((void **)&c->yq, &c->cap_y, ny, sizeof *c->yq))
        return rb_errf(e, RB_ENOMEM, "out of memory");
    rb_fx_quant_array(c->fx.fmt, in->x, c->xq, nx);
    int rc = rb_fx_forward(&c->fx, in->seq, in->batch, c->xq, NULL, NULL, c->yq, NULL, NULL, e);
    for (size_t i = 0; !rc && i < ny; i++)
        y[i] = (float)rb_fx_dequant(c->fx.fmt, c->yq[i]);
    return rc;
}

static void fwd_free(fmt_fwd *c)
{
    free(c->xq);
    free(c->yq);
    free(c->yd);
    rb_fx_model_free(&c->fx);
    rb_asic_qmodel_free(c->q);
}

static int fwd_init(fmt_fwd *c, const rb_model *m, const rb_explore_spec *sp, double format,
                    rb_err *e)
{
    memset(c, 0, sizeof *c);
    c->m = m;
    c->fpga = sp->target == RB_XT_FPGA;
    c->ref = format < 0;
    if (c->ref)
        return 0;
    if (c->fpga)
        return rb_fx_model_from(&c->fx, m, (rb_fx_fmt){(int)format / 100, (int)format % 100}, e);
    /* the candidates' numerics: the base preset's, in this datatype
     * (rb_explore_asic_preset's rule for the accumulator) */
    rb_explore_cand c0 = {.ax = {.rows = 1, .cols = 1, .dtype = (rb_asic_dtype)format}};
    rb_asic_preset p;
    rb_explore_asic_preset(sp, &c0, &p);
    c->num = p.num;
    return 0;
}

int rb_explore_accuracy(const rb_task_saved *s, const rb_explore_spec *sp, double format, int batch,
                        rb_tc_scores *sc, rb_err *e)
{
    const rb_tc_data *d = &s->d;
    fmt_fwd c;
    int rc = fwd_init(&c, &s->m, sp, format, e);
    int *pred = rc ? NULL : malloc((d->n_test ? d->n_test : 1) * sizeof *pred);
    double loss;
    if (!rc && !pred)
        rc = rb_errf(e, RB_ENOMEM, "out of memory evaluating the model");
    if (!rc)
        rc = rb_tc_evaluate_with(forward, &c, d, &s->h, s->m.hidden, batch, pred, &loss, e);
    if (!rc)
        rb_tc_score_test(d, pred, sc);
    free(pred);
    fwd_free(&c);
    return rc;
}

int rb_explore_accuracy_imported(rb_eval_set *set, const rb_explore_spec *sp, double format,
                                 rb_tc_scores *sc, rb_err *e)
{
    if (format < 0)
        return rb_eval_set_score(set, NULL, NULL, sc, e);
    fmt_fwd c;
    int rc = fwd_init(&c, rb_eval_set_model(set), sp, format, e);
    if (!rc)
        rc = rb_eval_set_score(set, forward, &c, sc, e);
    fwd_free(&c);
    return rc;
}
