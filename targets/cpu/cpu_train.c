/* cpu_train.c — one training step on the CPU: forward keeping what BPTT
 * needs, the host loss, backpropagation through time, clipping and Adam.
 *
 * The backward mirrors the forward's plan, on the same kernel (cpu_rec.h)
 * and the same threads: per layer, one elementwise pass per step
 * (cpu_cell.c) and one product carrying the gradient to h_{t-1}, on W_hh
 * packed once per update; the weight gradients are then big products over
 * all T*B positions at once (dW_hh, dW_ih, the bias as sums), as cuDNN and
 * oneDNN do, instead of T rank-B updates, and dX one more.  Each thread owns
 * a range of units: its share of the step's elementwise pass reads only the
 * part of dh its own share of the product wrote, so one barrier per step
 * suffices. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../workloads/params.h"
#include "cpu.h"

/* Rows of T*B per chunk of a weight gradient's sum.  dW = dA^T x [h or x]
 * sums over all T*B rows; in one pass each panel of the right operand
 * (T*B x NR floats) outgrows L2 and the left operand, read transposed from
 * dA, is streamed from memory once per panel — measured 0.78x oneDNN at
 * T = 150, B = 32.  In chunks, a chunk's panel stays in L2 and its slice of
 * dA in L3 while it is reused. */
#define GRAD_CHUNK 512

/* Floats of one row of stored activations: the LSTM's four gates, the
 * GRU's r, z, n and W_hn h + b_hn; the RNN's output is its activation. */
static size_t act_width(const cpu_state *s) { return (s->cell == RB_CELL_RNN ? 1 : 4) * (size_t)s->H; }

struct cpu_train {
    float *grads, *m, *v;   /* [n_params] gradients and Adam's moments, params.h layout */
    float *act;             /* [L][T*B, AW] activated gates of every step (act_width) */
    float *cs;              /* [L][T*B, H] LSTM cell states */
    float *hs;              /* [L][T*B, H] every layer's outputs */
    float *dA;              /* [T*B, G*H] gradient at the gate pre-activations of one layer */
    float *dAh;             /* GRU: [T*B, 3H] the same at the recurrent side's (cpu.h) */
    float *dY[2];           /* [T*B, H] gradient at a layer's output, ping-pong */
    float *dh, *dc;         /* [B, H] gradients reaching h_{t-1}, c_{t-1} */
    float *pk_h, *pk_x;     /* a chunk of [h0; h_0..h_{T-2}] and of the layer's input, packed */
    float **wt_hh, **wt_ih; /* [L] each layer's W_hh and W_ih packed for dh and dX */
    long step;              /* Adam's step count */
};

void rb_cpu_train_free(cpu_state *s)
{
    cpu_train *tr = s->train;
    if (!tr)
        return;
    float *all[] = {tr->grads, tr->m,     tr->v,  tr->act, tr->cs,   tr->hs,   tr->dA,
                    tr->dAh,   tr->dY[0], tr->dY[1], tr->dh, tr->dc, tr->pk_h, tr->pk_x};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        free(all[i]);
    for (int l = 0; l < s->L && tr->wt_hh; l++) {
        free(tr->wt_hh[l]);
        free(tr->wt_ih[l]);
    }
    free(tr->wt_hh);
    free(tr->wt_ih);
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
    const rb_rec_kernel *k = s->kernel;
    int in_max = 0; /* widest layer input with a projection */
    for (int l = 0; l < s->L; l++)
        in_max = s->layer[l].in > in_max ? s->layer[l].in : in_max;
    size_t wts = 0;
    int ok =
        (tr->wt_hh = calloc(L, sizeof *tr->wt_hh)) && (tr->wt_ih = calloc(L, sizeof *tr->wt_ih));
    for (int l = 0; ok && l < s->L; l++) {
        int in = s->layer[l].in;
        wts += rb_cpu_rec_packed_size(k, 1, s->H, (int)GH) +
               (in ? rb_cpu_rec_packed_size(k, 1, in, (int)GH) : 0);
        ok = (tr->wt_hh[l] = rb_cpu_falloc(rb_cpu_rec_packed_size(k, 1, s->H, (int)GH))) &&
             (!in || (tr->wt_ih[l] = rb_cpu_falloc(rb_cpu_rec_packed_size(k, 1, in, (int)GH))));
    }
    int kc = TB < GRAD_CHUNK ? (int)TB : GRAD_CHUNK;
    size_t pk_h = rb_cpu_rec_packed_size(k, 1, s->H, kc),
           pk_x = in_max ? rb_cpu_rec_packed_size(k, 1, in_max, kc) : 0;
    if (!ok || !(tr->grads = rb_cpu_falloc(P)) || !(tr->m = rb_cpu_falloc(P)) ||
        !(tr->v = rb_cpu_falloc(P)) || !(tr->act = rb_cpu_falloc(L * TB * act_width(s))) ||
        (s->cell == RB_CELL_GRU && !(tr->dAh = rb_cpu_falloc(TB * GH))) ||
        (s->cell == RB_CELL_LSTM && !(tr->cs = rb_cpu_falloc(L * TB * H))) ||
        !(tr->hs = rb_cpu_falloc(L * TB * H)) || !(tr->dA = rb_cpu_falloc(TB * GH)) ||
        !(tr->dY[0] = rb_cpu_falloc(TB * H)) || !(tr->dY[1] = rb_cpu_falloc(TB * H)) ||
        !(tr->dh = rb_cpu_falloc(BH)) || !(tr->dc = rb_cpu_falloc(BH)) ||
        !(tr->pk_h = rb_cpu_falloc(pk_h)) || (pk_x && !(tr->pk_x = rb_cpu_falloc(pk_x))))
        return rb_errf(e, RB_ENOMEM,
                       "cpu: out of memory for training state (%.1f MiB of activations, "
                       "gradients, optimizer moments and packed operands)",
                       4.0 *
                           (3 * P + L * TB * (act_width(s) + 2 * H) + 2 * TB * (GH + H) + wts +
                            pk_h + pk_x) /
                           1048576.0);
    rb_cpu_train_pack(s);
    return 0;
}

void rb_cpu_train_pack(cpu_state *s)
{
    const int GH = s->G * s->H;
    for (int l = 0; l < s->L; l++) {
        const cpu_layer *ly = &s->layer[l];
        int ph = rb_cpu_rec_panels(s->kernel, 1, s->H);
        rb_cpu_rec_pack_t(s->kernel, s->H, GH, NULL, 0, ly->w_hh, s->train->wt_hh[l], 0, ph);
        if (ly->in)
            rb_cpu_rec_pack_t(s->kernel, ly->in, GH, NULL, 0, ly->w_ih, s->train->wt_ih[l], 0,
                              rb_cpu_rec_panels(s->kernel, 1, ly->in));
    }
}

/* What every thread of one layer's backward reads. */
typedef struct bwd_job {
    cpu_state *s;
    int l;
    const float *x, *h0, *c0; /* what the layer's forward read */
    const float *dY;          /* [T*B, H] the gradient at its output */
    float *dX;                /* [T*B, in] (or [T*B, G*H]) the one at its input, or NULL */
} bwd_job;

/* out [rows, N] = a [rows, K] (or a^T, a being [K, rows], when at) x (the
 * [K, N] matrix packed in w), panels p0 .. p1-1 of N; added to out when add. */
static void product(const cpu_state *s, int rows, int N, int K, const float *a, int at,
                    const float *w, float *out, int add, int p0, int p1)
{
    rb_rec_step st = {
        .B = rows, .H = N, .G = 1, .K = K, .w = w, .h = a, .at = at, .out = out, .add = add};
    s->kernel->step(&st, p0, p1);
}

/* out [G*H, N] = dA^T x M, M being [T*B, N]: its first head_rows rows from
 * head (zeros when NULL), the rest from rest; panels p0 .. p1-1 of N, each
 * chunk of M packed into pk (a buffer per operand: the threads' shares of
 * the two operands' panels differ). */
static void weight_grad(const cpu_state *s, const float *dA, int N, const float *head,
                        int head_rows, const float *rest, float *pk, float *out, int p0, int p1)
{
    const int GH = s->G * s->H, TB = s->T * s->B;
    for (int c0 = 0; c0 < TB; c0 += GRAD_CHUNK) {
        int kc = TB - c0 < GRAD_CHUNK ? TB - c0 : GRAD_CHUNK;
        int hr = head_rows - c0 < 0 ? 0 : head_rows - c0 < kc ? head_rows - c0 : kc;
        rb_cpu_rec_pack_t(s->kernel, N, kc, head ? head + (size_t)c0 * N : NULL, hr,
                          rest + (size_t)(c0 + hr - head_rows) * N, pk, p0, p1);
        product(s, GH, N, kc, dA + (size_t)c0 * GH, 1, pk, out, c0 > 0, p0, p1);
    }
}

/* Thread tid of n: BPTT over its units, then its share of the weight
 * gradients and of dX. */
static void backward_steps(void *arg, int tid, int n)
{
    const bwd_job *j = arg;
    cpu_state *s = j->s;
    cpu_train *tr = s->train;
    const cpu_layer *ly = &s->layer[j->l];
    const rb_rec_kernel *k = s->kernel;
    const int H = s->H, B = s->B, GH = s->G * H, TB = s->T * B, BH = B * H, NR = 4 * k->vw;
    const size_t AW = act_width(s);
    const float *act = tr->act + (size_t)j->l * TB * AW, *hs = tr->hs + (size_t)j->l * TB * H;
    /* the recurrent side's gradient: the input side's but in the GRU */
    float *dAh = tr->dAh ? tr->dAh : tr->dA;
    const float *cs = tr->cs ? tr->cs + (size_t)j->l * TB * H : NULL;
    /* units: this thread's panels of every product whose columns are units */
    const int PH = rb_cpu_rec_panels(k, 1, H);
    const int ph0 = rb_cpu_share(PH, tid, n), ph1 = rb_cpu_share(PH, tid + 1, n);
    const int u0 = ph0 * NR, u1 = ph1 * NR < H ? ph1 * NR : H;

    for (int t = s->T - 1; t >= 0; t--) {
        const float *dYt = j->dY + (size_t)t * BH;
        float *dAt = tr->dA + (size_t)t * B * GH, *dAht = dAh + (size_t)t * B * GH;
        const int gru = s->cell == RB_CELL_GRU;
        if (s->cell == RB_CELL_LSTM) {
            const float *c_prev = t ? cs + (size_t)(t - 1) * BH : (j->c0 ? j->c0 : s->zeros);
            rb_cpu_lstm_bwd(B, H, u0, u1, dYt, tr->dh, act + (size_t)t * B * AW,
                            cs + (size_t)t * BH, c_prev, tr->dc, dAt);
        } else if (gru) {
            const float *h_prev = t ? hs + (size_t)(t - 1) * BH : (j->h0 ? j->h0 : s->zeros);
            rb_cpu_gru_bwd(B, H, u0, u1, dYt, tr->dh, act + (size_t)t * B * AW, h_prev, dAt, dAht);
        } else {
            rb_cpu_rnn_bwd(B, H, u0, u1, dYt, tr->dh, hs + (size_t)t * BH, dAt);
        }
        if (n > 1)
            rb_cpu_pool_barrier(s->pool); /* the product reads all of dA_t */
        /* dh [B, H] = dA_t x W_hh: the gradient reaching h_{t-1} (the GRU's
         * adds to the direct part z (.) dh its pass left there) */
        if (t > 0)
            product(s, B, H, GH, dAht, 0, tr->wt_hh[j->l], tr->dh, gru, ph0, ph1);
    }

    /* the weight gradients: dA is their left operand as it is, read
     * transposed; each thread packs the panels of the right operands it
     * multiplies itself, so no barrier */
    const int in = ly->in, PI = in ? rb_cpu_rec_panels(k, 1, in) : 0;
    const int pi0 = rb_cpu_share(PI, tid, n), pi1 = rb_cpu_share(PI, tid + 1, n);
    float *g_ih = tr->grads + ly->off[RB_P_W_IH], *g_hh = tr->grads + ly->off[RB_P_W_HH],
          *g_bih = tr->grads + ly->off[RB_P_B_IH], *g_bhh = tr->grads + ly->off[RB_P_B_HH];
    /* dW_hh = sum_t dA_t^T h_{t-1}, h_{-1} = h0 (zeros without) */
    weight_grad(s, dAh, H, j->h0, B, hs, tr->pk_h, g_hh, ph0, ph1);
    if (in) {
        weight_grad(s, tr->dA, in, NULL, 0, j->x, tr->pk_x, g_ih, pi0, pi1);
        if (j->dX)
            product(s, TB, in, GH, tr->dA, 0, tr->wt_ih[j->l], j->dX, 0, pi0, pi1);
    } else if (j->dX) { /* x was the pre-activation itself */
        size_t r0 = rb_cpu_share(TB, tid, n), r1 = rb_cpu_share(TB, tid + 1, n);
        memcpy(j->dX + r0 * GH, tr->dA + r0 * GH, (r1 - r0) * GH * sizeof *j->dX);
    }
    /* the bias: column sums of dA, rows in the inner loop so it vectorizes */
    const int r0 = rb_cpu_share(GH, tid, n), r1 = rb_cpu_share(GH, tid + 1, n);
    memset(g_bih + r0, 0, (size_t)(r1 - r0) * sizeof *g_bih);
    for (int q = 0; q < TB; q++)
        for (int r = r0; r < r1; r++)
            g_bih[r] += tr->dA[(size_t)q * GH + r];
    if (dAh == tr->dA) {
        memcpy(g_bhh + r0, g_bih + r0, (size_t)(r1 - r0) * sizeof *g_bhh);
        return;
    }
    memset(g_bhh + r0, 0, (size_t)(r1 - r0) * sizeof *g_bhh);
    for (int q = 0; q < TB; q++)
        for (int r = r0; r < r1; r++)
            g_bhh[r] += dAh[(size_t)q * GH + r];
}

/* Layer l backwards: dY [T*B, H] in; weight gradients into tr->grads; dX
 * [T*B, in] (or [T*B, G*H] without input projection) out unless NULL.  x,
 * h0, c0 are what the layer's forward read. */
static void backward_layer(cpu_state *s, int l, const float *x, const float *h0, const float *c0,
                           const float *dY, float *dX)
{
    cpu_train *tr = s->train;
    const size_t BH = (size_t)s->B * s->H;
    memset(tr->dh, 0, BH * sizeof *tr->dh);
    memset(tr->dc, 0, BH * sizeof *tr->dc);
    bwd_job j = {s, l, x, h0, c0, dY, dX};
    if (s->pool)
        rb_cpu_pool_run(s->pool, backward_steps, &j);
    else
        backward_steps(&j, 0, 1);
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
    const size_t TB = (size_t)s->T * s->B, H = (size_t)s->H,
                 BH = (size_t)s->B * H;
    const int lstm = s->cell == RB_CELL_LSTM;
    const float *c0 = lstm ? in->c0 : NULL;

    for (int l = 0; l < s->L; l++)
        rb_cpu_run_layer(s, l, l ? tr->hs + (size_t)(l - 1) * TB * H : in->x,
                         layer_state(in->h0, l, BH), layer_state(c0, l, BH), NULL,
                         tr->hs + (size_t)l * TB * H, tr->act + (size_t)l * TB * act_width(s),
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

    rc = rb_cpu_adam("cpu", io, &tr->step, s->params, tr->grads, tr->m, tr->v, s->n_params, e);
    if (rc)
        return rc;
    rb_cpu_weights_changed(s);
    rb_sample_metric(smp, "loss", io->loss_value, "", RB_SRC_MEASURED);
    rb_sample_metric(smp, "grad_norm", io->grad_norm, "", RB_SRC_MEASURED);
    return 0;
}

int rb_cpu_adam(const char *who, rb_train_io *io, long *step, float *params, const float *grads,
                float *m, float *v, size_t n, rb_err *e)
{
    io->grad_norm = rb_grad_norm(grads, n);
    if (!isfinite(io->grad_norm))
        return rb_errf(e, RB_ERUNTIME,
                       "%s: training diverged: the gradient norm is %g at step %ld (loss %g); "
                       "lower the learning rate",
                       who, io->grad_norm, *step + 1, io->loss_value);
    ++*step;
    rb_adam_step(&io->opt, *step, rb_clip_scale(&io->opt, io->grad_norm), params, grads, m, v, n);
    return 0;
}

int rb_cpu_copy_params(const char *who, const float *params, const float *grads, size_t n,
                       float *weights_out, float *grads_out, rb_err *e)
{
    if (!params)
        return rb_errf(e, RB_ERUNTIME, "%s: params without training state", who);
    if (weights_out)
        memcpy(weights_out, params, n * sizeof *weights_out);
    if (grads_out)
        memcpy(grads_out, grads, n * sizeof *grads_out);
    return 0;
}

int rb_cpu_params(rb_target *t, float *weights, float *grads, rb_err *e)
{
    const cpu_state *s = t->priv;
    int ok = s && s->train;
    return rb_cpu_copy_params("cpu", ok ? s->params : NULL, ok ? s->train->grads : NULL,
                              ok ? s->n_params : 0, weights, grads, e);
}
