/* explore_accuracy.c — what a number format does to a trained model's
 * accuracy: the text-classification model `rnnbench train --save` wrote,
 * its test split predicted with the recurrent stack computed in the format
 * (explore_accuracy.h). */
#include "explore_accuracy.h"

#include <stdlib.h>
#include <string.h>

#include "../workloads/reference.h"
#include "train_loop.h"

/* One forward in a format: the stack's emulation for it, and buffers. */
typedef struct fmt_ctx {
    rb_explore_target target;
    rb_fx_model fx; /* fpga: the golden model, bit for bit the RTL's outputs */
    rb_asic_qmodel *q;
    const rb_model *m;
    int16_t *xq, *yq;
    double *yd; /* the fp64 reference */
} fmt_ctx;

static int forward(void *ctx, const rb_batch *in, float *y, rb_err *e)
{
    fmt_ctx *c = ctx;
    size_t ny = (size_t)in->seq * (size_t)in->batch * (size_t)c->m->hidden;
    if (c->q)
        return rb_asic_forward(c->q, in, y, e);
    if (c->yd) {
        int rc = rb_ref_forward(c->m, in, c->yd, NULL, NULL, e);
        for (size_t i = 0; !rc && i < ny; i++)
            y[i] = (float)c->yd[i];
        return rc;
    }
    size_t nx = (size_t)in->seq * (size_t)in->batch * (size_t)in->width;
    rb_fx_quant_array(c->fx.fmt, in->x, c->xq, nx);
    int rc = rb_fx_forward(&c->fx, in->seq, in->batch, c->xq, NULL, NULL, c->yq, NULL, NULL, e);
    for (size_t i = 0; !rc && i < ny; i++)
        y[i] = (float)rb_fx_dequant(c->fx.fmt, c->yq[i]);
    return rc;
}

int rb_explore_accuracy(const rb_task_saved *s, const rb_explore_spec *sp, double format, int batch,
                        rb_tc_scores *sc, rb_err *e)
{
    const rb_explore_target t = sp->target;
    const rb_tc_data *d = &s->d;
    const rb_model *m = &s->m;
    fmt_ctx c = {.target = t, .m = m};
    size_t nx = (size_t)d->seq * (size_t)batch * (size_t)s->h.E,
           ny = (size_t)d->seq * (size_t)batch * (size_t)m->hidden;
    int rc = 0;
    if (format < 0)
        rc = (c.yd = malloc(ny * sizeof *c.yd)) ? 0 : RB_ENOMEM;
    else if (t == RB_XT_FPGA) {
        rb_fx_fmt f = {(int)format / 100, (int)format % 100};
        rc = rb_fx_model_from(&c.fx, m, f, e);
        c.xq = malloc(nx * sizeof *c.xq);
        c.yq = malloc(ny * sizeof *c.yq);
        if (!rc && (!c.xq || !c.yq))
            rc = RB_ENOMEM;
    } else {
        /* the candidates' numerics: the base preset's, in this datatype
         * (rb_explore_asic_preset's rule for the accumulator) */
        rb_explore_cand c0 = {.ax = {.rows = 1, .cols = 1, .dtype = (rb_asic_dtype)format}};
        rb_asic_preset p;
        rb_explore_asic_preset(sp, &c0, &p);
        rb_asic_numerics num = p.num;
        rc = rb_asic_qmodel_new(&c.q, m, &num, d->seq, batch, e);
    }
    if (rc == RB_ENOMEM)
        rc = rb_errf(e, RB_ENOMEM, "out of memory evaluating the model");
    int *pred = rc ? NULL : malloc((d->n_test ? d->n_test : 1) * sizeof *pred);
    double loss;
    if (!rc && !pred)
        rc = rb_errf(e, RB_ENOMEM, "out of memory evaluating the model");
    if (!rc)
        rc = rb_tc_evaluate_with(forward, &c, d, &s->h, m->hidden, batch, pred, &loss, e);
    if (!rc)
        rb_tc_score_test(d, pred, sc);
    free(pred);
    free(c.xq);
    free(c.yq);
    free(c.yd);
    rb_fx_model_free(&c.fx);
    rb_asic_qmodel_free(c.q);
    return rc;
}
