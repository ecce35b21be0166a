/* cpu_train.c — one training step on the CPU: forward keeping what BPTT
 * needs, the host loss, backpropagation through time, clipping and Adam.
 *
 * The backward mirrors the forward's plan: per layer, one fused
 * elementwise pass per step (cpu_cell.c) and one small product carrying
 * the gradient to h_{t-1}; the weight gradients are then three big GEMMs
 * over all T*B positions at once (dW_hh, dW_ih, and the bias as a GEMV with
 * a vector of ones), as cuDNN and oneDNN do, instead of T rank-B updates. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../workloads/params.h"
#include "cpu.h"

struct cpu_train {
    float *grads, *m, *v; /* [n_params] gradients and Adam's moments, params.h layout */
    float *act;           /* [L][T*B, G*H] activated gates of every step */
    float *cs;            /* [L][T*B, H] LSTM cell states */
    float *hs;            /* [L][T*B, H] every layer's outputs */
    float *dA;            /* [T*B, G*H] gradient at the gate pre-activations of one layer */
    float *dY[2];         /* [T*B, H] gradient at a layer's output, ping-pong */
    float *dh, *dc;       /* [B, H] gradients reaching h_{t-1}, c_{t-1} */
    float *ones;          /* [T*B] for the bias gradient as a GEMV */
    long step;            /* Adam's step count */
};

void rb_cpu_train_free(cpu_state *s)
{
    cpu_train *tr = s->train;
    if (!tr)
        return;
    float *all[] = {tr->grads, tr->m,     tr->v,     tr->act, tr->cs, tr->hs,
                    tr->dA,    tr->dY[0], tr->dY[1], tr->dh,  tr->dc, tr->ones};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        free(all[i]);
    free(tr);
    s->train = NULL;
}

int rb_cpu_train_alloc(cpu_state *s, rb_err *e)
{
    cpu_train *tr = calloc(1, sizeof *tr);
    if (!tr)
        return rb_errf(e, RB_ENOMEM, "cpu: out of memory for training state");
    s->train = tr;
    size_t P = s->n_params, TB = (size_t)s->T * s->B, H = (size_t)s->H, GH = (size_t)s->G * H,
           L = (size_t)s->L, BH = (size_t)s->B * H;
    if (!(tr->grads = rb_cpu_falloc(P)) || !(tr->m = rb_cpu_falloc(P)) ||
        !(tr->v = rb_cpu_falloc(P)) || !(tr->act = rb_cpu_falloc(L * TB * GH)) ||
        (s->cell == RB_CELL_LSTM && !(tr->cs = rb_cpu_falloc(L * TB * H))) ||
        !(tr->hs = rb_cpu_falloc(L * TB * H)) || !(tr->dA = rb_cpu_falloc(TB * GH)) ||
        !(tr->dY[0] = rb_cpu_falloc(TB * H)) || !(tr->dY[1] = rb_cpu_falloc(TB * H)) ||
        !(tr->dh = rb_cpu_falloc(BH)) || !(tr->dc = rb_cpu_falloc(BH)) ||
        !(tr->ones = rb_cpu_falloc(TB)))
        return rb_errf(e, RB_ENOMEM,
                       "cpu: out of memory for training state (%.1f MiB of activations, "
                       "gradients and optimizer moments)",
                       4.0 * (3 * P + L * TB * (GH + 2 * H) + TB * (GH + 2 * H + 1)) / 1048576.0);
    for (size_t k = 0; k < TB; k++)
        tr->ones[k] = 1.0f;
    return 0;
}

/* dh[B, H] = dA_t[B, G*H] x W_hh: the gradient reaching h_{t-1}. */
static void to_prev_h(const cpu_state *s, const float *w_hh, const float *dAt, float *dh)
{
    const int H = s->H, GH = s->G * s->H, B = s->B;
    if (B == 1)
        cblas_sgemv(CblasRowMajor, CblasTrans, GH, H, 1.0f, w_hh, H, dAt, 1, 0.0f, dh, 1);
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, H, GH, 1.0f, dAt, GH, w_hh, H,
                    0.0f, dh, H);
}

/* Layer l backwards: dY [T*B, H] in; weight gradients into tr->grads; dX
 * [T*B, in] (or [T*B, G*H] without input projection) out unless NULL.  x,
 * h0, c0 are what the layer's forward read. */
static void backward_layer(cpu_state *s, int l, const float *x, const float *h0, const float *c0,
                           const float *dY, float *dX)
{
    cpu_train *tr = s->train;
    const cpu_layer *ly = &s->layer[l];
    const int H = s->H, B = s->B, GH = s->G * H, TB = s->T * B, BH = B * H;
    const float *act = tr->act + (size_t)l * TB * GH, *hs = tr->hs + (size_t)l * TB * H;
    const float *cs = tr->cs ? tr->cs + (size_t)l * TB * H : NULL;
    memset(tr->dh, 0, (size_t)BH * sizeof *tr->dh);
    memset(tr->dc, 0, (size_t)BH * sizeof *tr->dc);

    if (s->rec_threads != s->threads)
        openblas_set_num_threads(s->rec_threads);
    for (int t = s->T - 1; t >= 0; t--) {
        const float *dYt = dY + (size_t)t * BH;
        float *dAt = tr->dA + (size_t)t * B * GH;
        if (s->cell == RB_CELL_LSTM) {
            const float *c_prev = t ? cs + (size_t)(t - 1) * BH : (c0 ? c0 : s->zeros);
            rb_cpu_lstm_bwd(B, H, dYt, tr->dh, act + (size_t)t * B * GH, cs + (size_t)t * BH,
                            c_prev, tr->dc, dAt);
        } else {
            rb_cpu_rnn_bwd(B, H, dYt, tr->dh, hs + (size_t)t * BH, dAt);
        }
        if (t > 0)
            to_prev_h(s, ly->w_hh, dAt, tr->dh);
    }
    if (s->rec_threads != s->threads)
        openblas_set_num_threads(s->threads);

    float *g_ih = tr->grads + ly->off[RB_P_W_IH], *g_hh = tr->grads + ly->off[RB_P_W_HH],
          *g_bih = tr->grads + ly->off[RB_P_B_IH], *g_bhh = tr->grads + ly->off[RB_P_B_HH];
    /* dW_hh = sum_t dA_t^T h_{t-1}: steps 1.. against outputs 0..T-2 in one
     * GEMM, step 0 against h0 (nothing when h0 is zero) */
    if (s->T > 1)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, GH, H, TB - B, 1.0f,
                    tr->dA + (size_t)B * GH, GH, hs, H, 0.0f, g_hh, H);
    else
        memset(g_hh, 0, (size_t)GH * H * sizeof *g_hh);
    if (h0)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, GH, H, B, 1.0f, tr->dA, GH, h0, H,
                    1.0f, g_hh, H);
    if (ly->in)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, GH, ly->in, TB, 1.0f, tr->dA, GH, x,
                    ly->in, 0.0f, g_ih, ly->in);
    cblas_sgemv(CblasRowMajor, CblasTrans, TB, GH, 1.0f, tr->dA, GH, tr->ones, 1, 0.0f, g_bih, 1);
    memcpy(g_bhh, g_bih, (size_t)GH * sizeof *g_bhh);
    if (!dX)
        return;
    if (ly->in)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, TB, ly->in, GH, 1.0f, tr->dA, GH,
                    ly->w_ih, ly->in, 0.0f, dX, ly->in);
    else /* x was the pre-activation itself */
        memcpy(dX, tr->dA, (size_t)TB * GH * sizeof *dX);
}

/* Layer l's slice of a [L, B, H] initial state, or NULL. */
static const float *layer_state(const float *p, int l, size_t BH)
{
    return p ? p + (size_t)l * BH : NULL;
}

int rb_cpu_train_step(rb_target *t, const rb_batch *in, rb_train_io *io, rb_sample *smp, rb_err *e)
{
    cpu_state *s = t->priv;
    cpu_train *tr = s ? s->train : NULL;
    if (!tr)
        return rb_errf(e, RB_ERUNTIME, "cpu: train_step without training state");
    rb_cpu_claim_threads(s);
    const size_t TB = (size_t)s->T * s->B, H = (size_t)s->H, GH = (size_t)s->G * H,
                 BH = (size_t)s->B * H;
    const int lstm = s->cell == RB_CELL_LSTM;
    const float *c0 = lstm ? in->c0 : NULL;

    for (int l = 0; l < s->L; l++)
        rb_cpu_run_layer(s, l, l ? tr->hs + (size_t)(l - 1) * TB * H : in->x,
                         layer_state(in->h0, l, BH), layer_state(c0, l, BH), NULL,
                         tr->hs + (size_t)l * TB * H, tr->act + (size_t)l * TB * GH,
                         lstm ? tr->cs + (size_t)l * TB * H : NULL);

    int rc = io->loss(io->ctx, tr->hs + (size_t)(s->L - 1) * TB * H, tr->dY[0], &io->loss_value, e);
    if (rc) {
        rb_err_prefix(e, "cpu: loss: ");
        return rc;
    }
    const float *dY = tr->dY[0];
    for (int l = s->L - 1; l >= 0; l--) {
        float *dX = l ? tr->dY[dY == tr->dY[0]] : io->dx;
        backward_layer(s, l, l ? tr->hs + (size_t)(l - 1) * TB * H : in->x,
                       layer_state(in->h0, l, BH), layer_state(c0, l, BH), dY, dX);
        dY = dX;
    }

    io->grad_norm = rb_grad_norm(tr->grads, s->n_params);
    if (!isfinite(io->grad_norm))
        return rb_errf(e, RB_ERUNTIME,
                       "cpu: training diverged: the gradient norm is %g at step %ld (loss %g); "
                       "lower the learning rate",
                       io->grad_norm, tr->step + 1, io->loss_value);
    tr->step++;
    rb_adam_step(&io->opt, tr->step, rb_clip_scale(&io->opt, io->grad_norm), s->params, tr->grads,
                 tr->m, tr->v, s->n_params);
    rb_cpu_weights_changed(s);
    rb_sample_metric(smp, "loss", io->loss_value, "", RB_SRC_MEASURED);
    rb_sample_metric(smp, "grad_norm", io->grad_norm, "", RB_SRC_MEASURED);
    return 0;
}

int rb_cpu_params(rb_target *t, float *weights, float *grads, rb_err *e)
{
    cpu_state *s = t->priv;
    if (!s || !s->train)
        return rb_errf(e, RB_ERUNTIME, "cpu: params without training state");
    if (weights)
        memcpy(weights, s->params, s->n_params * sizeof *weights);
    if (grads)
        memcpy(grads, s->train->grads, s->n_params * sizeof *grads);
    return 0;
}
