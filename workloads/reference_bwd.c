/* reference_bwd.c — the fp64 reference backward pass (BPTT) and gradient checks.
 *
 * As naive as the forward: it reruns the forward keeping every layer's
 * input, activated gates, cell states and outputs, then walks each layer
 * backwards in time, one (t, b) at a time, with the textbook formulas.  The
 * tests hold it against finite differences; the targets are held against it. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "params.h"
#include "reference.h"

/* What the backward needs of one layer's forward, all [T*B, ...] in fp64. */
typedef struct rec_layer {
    double *x;   /* [T*B, in_w] the layer's input */
    double *act; /* [T*B, G*H] gates after their nonlinearity (i,f,g,o; r,z,n; or h) */
    double *c;   /* [T*B, H] cell states (LSTM); W_hn h + b_hn (GRU) */
    double *h;   /* [T*B, H] outputs */
} rec_layer;

typedef struct rec {
    int T, B, H, G, L;
    rec_layer *layer;
} rec;

static void rec_free(rec *r)
{
    for (int l = 0; r->layer && l < r->L; l++) {
        free(r->layer[l].x);
        free(r->layer[l].act);
        free(r->layer[l].c);
        free(r->layer[l].h);
    }
    free(r->layer);
}

static double *dalloc(size_t n) { return calloc(n ? n : 1, sizeof(double)); }

static int rec_alloc(rec *r, const rb_model *m, int width0, rb_err *e)
{
    size_t TB = (size_t)r->T * (size_t)r->B, H = (size_t)r->H, GH = (size_t)r->G * H;
    size_t maxw = (size_t)width0 > H ? (size_t)width0 : H;
    if (TB > SIZE_MAX / sizeof(double) / (maxw + GH + 2 * H) / (size_t)m->layers)
        return rb_errf(e, RB_ENOMEM,
                       "reference backward: [%d, %d] x %d layers does not fit in "
                       "memory",
                       r->T, r->B, m->layers);
    r->layer = calloc((size_t)r->L, sizeof *r->layer);
    if (!r->layer)
        goto nomem;
    for (int l = 0; l < r->L; l++) {
        rec_layer *y = &r->layer[l];
        size_t w = l == 0 ? (size_t)width0 : H;
        if (!(y->x = dalloc(TB * w)) || !(y->act = dalloc(TB * GH)) || !(y->c = dalloc(TB * H)) ||
            !(y->h = dalloc(TB * H)))
            goto nomem;
    }
    return 0;
nomem:
    return rb_errf(e, RB_ENOMEM,
                   "reference backward: cannot allocate %zu bytes of fp64 "
                   "activations",
                   TB * (maxw + GH + 2 * H) * (size_t)m->layers * sizeof(double));
}

/* Initial state of layer l, row b (zeros without one). */
static double init_state(const float *s, int l, int b, int j, const rec *r)
{
    return s ? (double)s[((size_t)l * r->B + b) * r->H + j] : 0.0;
}

static void forward_layer(const rb_model *m, int l, const rb_batch *in, rec *r, int x_width,
                          double *gates, double *hprev, double *cprev)
{
    const rb_layer *ly = &m->layer[l];
    rec_layer *y = &r->layer[l];
    const int H = r->H, GH = r->G * H;
    for (int b = 0; b < r->B; b++) {
        for (int j = 0; j < H; j++) {
            hprev[(size_t)b * H + j] = init_state(in->h0, l, b, j, r);
            cprev[(size_t)b * H + j] = init_state(in->c0, l, b, j, r);
        }
    }
    for (int t = 0; t < r->T; t++)
        for (int b = 0; b < r->B; b++) {
            size_t row = (size_t)t * r->B + b;
            double *h = hprev + (size_t)b * H, *c = cprev + (size_t)b * H;
            double *a = y->act + row * GH;
            if (m->cell == RB_CELL_GRU) {
                rb_ref_gru_step(m, ly, H, y->x + row * x_width, h, a, y->c + row * H, gates);
                memcpy(y->h + row * H, h, (size_t)H * sizeof *h);
                continue;
            }
            rb_ref_preact(ly, GH, H, y->x + row * x_width, h, gates);
            for (int j = 0; j < H; j++) {
                if (m->cell == RB_CELL_LSTM) {
                    a[j] = rb_ref_sigmoid(gates[j]);
                    a[H + j] = rb_ref_sigmoid(gates[H + j]);
                    a[2 * H + j] = tanh(gates[2 * H + j]);
                    a[3 * H + j] = rb_ref_sigmoid(gates[3 * H + j]);
                    c[j] = a[H + j] * c[j] + a[j] * a[2 * H + j];
                    h[j] = a[3 * H + j] * tanh(c[j]);
                    y->c[row * H + j] = c[j];
                } else {
                    a[j] = h[j] = tanh(gates[j]);
                }
                y->h[row * H + j] = h[j];
            }
        }
}

/* The GRU's: dA [3H] at the input side's pre-activations (r, z, n), dAh
 * [3H] at the recurrent side's (the n row scaled by r, which multiplies
 * W_hn h + b_hn), dhp [H] the gradient reaching h_{t-1} directly (z (.) dh). */
static void gru_backward(const rec_layer *y, int H, size_t row, const double *hp, const double *dh,
                         double *dA, double *dAh, double *dhp)
{
    const double *a = y->act + row * 3 * H, *ghn = y->c + row * H;
    for (int j = 0; j < H; j++) {
        double r = a[j], z = a[H + j], n = a[2 * H + j];
        double dn = dh[j] * (1 - z) * (1 - n * n);
        dA[2 * H + j] = dn;
        dAh[2 * H + j] = dn * r;
        dA[j] = dAh[j] = dn * ghn[j] * r * (1 - r);
        dA[H + j] = dAh[H + j] = dh[j] * (hp[j] - n) * z * (1 - z);
        dhp[j] = dh[j] * z;
    }
}

/* dA [G*H]: gradient at the gate pre-activations of (t, b), from dh (the
 * total gradient reaching h_t) and *dc (reaching c_t from step t+1, which
 * becomes the gradient reaching c_{t-1}). */
static void cell_backward(const rb_model *m, const rec_layer *y, const rec *r, const rb_batch *in,
                          int l, int t, int b, const double *dh, double *dc, double *dA)
{
    const int H = r->H, GH = r->G * H;
    size_t row = (size_t)t * r->B + b;
    const double *a = y->act + row * GH;
    for (int j = 0; j < H; j++) {
        if (m->cell == RB_CELL_RNN) {
            double h = a[j];
            dA[j] = dh[j] * (1 - h * h);
            continue;
        }
        double i = a[j], f = a[H + j], g = a[2 * H + j], o = a[3 * H + j];
        double c = y->c[row * H + j];
        double cp = t > 0 ? y->c[(row - r->B) * H + j] : init_state(in->c0, l, b, j, r);
        double tc = tanh(c);
        double dct = dc[j] + dh[j] * o * (1 - tc * tc);
        dA[j] = dct * g * i * (1 - i);
        dA[H + j] = dct * cp * f * (1 - f);
        dA[2 * H + j] = dct * i * (1 - g * g);
        dA[3 * H + j] = dh[j] * tc * o * (1 - o);
        dc[j] = dct * f;
    }
}

/* One layer backwards in time: dY [T*B, H] in, dX [T*B, in_w] out (may be
 * NULL), weight gradients accumulated into grads. */
static void backward_layer(const rb_model *m, int l, const rb_batch *in, const rec *r,
                           const double *dY, double *dX, int x_width, double *grads,
                           double *dh_next, double *dc_next, double *dA, double *dh)
{
    const rb_layer *ly = &m->layer[l];
    const rec_layer *y = &r->layer[l];
    const int H = r->H, GH = r->G * H, in_w = ly->in;
    double *gw_ih = grads + rb_param_off(m, l, RB_P_W_IH),
           *gw_hh = grads + rb_param_off(m, l, RB_P_W_HH),
           *gb_ih = grads + rb_param_off(m, l, RB_P_B_IH),
           *gb_hh = grads + rb_param_off(m, l, RB_P_B_HH);
    memset(dh_next, 0, (size_t)r->B * H * sizeof *dh_next);
    memset(dc_next, 0, (size_t)r->B * H * sizeof *dc_next);
    for (int t = r->T - 1; t >= 0; t--)
        for (int b = 0; b < r->B; b++) {
            size_t row = (size_t)t * r->B + b;
            double *dhn = dh_next + (size_t)b * H;
            for (int j = 0; j < H; j++)
                dh[j] = dY[row * H + j] + dhn[j];
            const double *x = y->x + row * x_width;
            /* h_{t-1}: the previous output, or the initial state (in dh's
             * second half) */
            const double *hp = dh + H;
            if (t > 0)
                hp = y->h + (row - r->B) * H;
            else
                for (int k = 0; k < H; k++)
                    dh[H + k] = init_state(in->h0, l, b, k, r);
            /* dAh: the gradient at the recurrent side's pre-activations,
             * the input side's except in the GRU's n row */
            const double *dAh = dA;
            if (m->cell == RB_CELL_GRU) {
                gru_backward(y, H, row, hp, dh, dA, dA + GH, dhn);
                dAh = dA + GH;
            } else {
                cell_backward(m, y, r, in, l, t, b, dh, dc_next + (size_t)b * H, dA);
                for (int k = 0; k < H; k++)
                    dhn[k] = 0;
            }
            for (int g = 0; g < GH; g++) {
                double d = dAh[g];
                const float *u = ly->w_hh + (size_t)g * H;
                for (int k = 0; k < H; k++) {
                    gw_hh[(size_t)g * H + k] += d * hp[k];
                    dhn[k] += d * u[k];
                }
                gb_hh[g] += d;
                d = dA[g];
                for (int k = 0; k < in_w; k++)
                    gw_ih[(size_t)g * in_w + k] += d * x[k];
                gb_ih[g] += d;
            }
            if (!dX)
                continue;
            double *dx = dX + row * x_width;
            if (in_w == 0) { /* x is the pre-activation itself */
                memcpy(dx, dA, (size_t)GH * sizeof *dx);
                continue;
            }
            for (int k = 0; k < in_w; k++) {
                double s = 0;
                for (int g = 0; g < GH; g++)
                    s += dA[g] * (double)ly->w_ih[(size_t)g * in_w + k];
                dx[k] = s;
            }
        }
}

int rb_ref_backward(const rb_model *m, const rb_batch *in, const double *dy, double *grads,
                    double *dx, rb_err *e)
{
    const int G = rb_cell_gates(m->cell), H = m->hidden;
    const int width0 = m->input_proj ? m->input : G * H;
    int rc = rb_ref_check_batch(m, in, width0, dy, e);
    if (rc || !grads)
        return rc ? rc : rb_errf(e, RB_EINPUT, "reference backward: no gradient buffer");
    /* Training is the plain stack's: what imported models add is forward only. */
    unsigned f = rb_model_features(m) | (in->lens ? RB_FEAT_SEQ_LENS : 0);
    if (f) {
        char names[128];
        return rb_errf(e, RB_EUNAVAIL, "reference backward: unsupported: %s",
                       rb_features_str(f, names, sizeof names));
    }
    rec r = {.T = in->seq, .B = in->batch, .H = H, .G = G, .L = m->layers};
    if ((rc = rec_alloc(&r, m, width0, e)))
        return rc;
    size_t TB = (size_t)r.T * r.B, BH = (size_t)r.B * H, GH = (size_t)G * H;
    double *gates = dalloc(GH), *s1 = dalloc(BH), *s2 = dalloc(BH), *dA = dalloc(2 * GH),
           *dh = dalloc(2 * (size_t)H);
    double *dbuf[2] = {dalloc(TB * (size_t)H), dalloc(TB * (size_t)H)};
    if (!gates || !s1 || !s2 || !dA || !dh || !dbuf[0] || !dbuf[1]) {
        rc = rb_errf(e, RB_ENOMEM, "reference backward: out of memory");
        goto out;
    }

    for (size_t k = 0; k < TB * (size_t)width0; k++)
        r.layer[0].x[k] = in->x[k];
    for (int l = 0; l < m->layers; l++) {
        forward_layer(m, l, in, &r, l == 0 ? width0 : H, gates, s1, s2);
        if (l + 1 < m->layers)
            memcpy(r.layer[l + 1].x, r.layer[l].h, TB * (size_t)H * sizeof(double));
    }

    memset(grads, 0, rb_param_total(m) * sizeof *grads);
    const double *dY = dy;
    for (int l = m->layers - 1; l >= 0; l--) {
        /* layer l's dX is layer l-1's dY; layer 0's is the caller's dx */
        double *dX = l > 0 ? dbuf[l % 2] : dx;
        backward_layer(m, l, in, &r, dY, dX, l == 0 ? width0 : H, grads, s1, s2, dA, dh);
        dY = dX;
    }
out:
    free(gates);
    free(s1);
    free(s2);
    free(dA);
    free(dh);
    free(dbuf[0]);
    free(dbuf[1]);
    rec_free(&r);
    return rc;
}

void rb_grad_compare(const rb_model *m, const float *g, const double *ref, rb_errstat *out)
{
    memset(out, 0, sizeof *out);
    for (int l = 0; l < m->layers; l++)
        for (int k = RB_P_W_IH; k <= RB_P_B_HH; k++) {
            size_t off = rb_param_off(m, l, (rb_param_kind)k),
                   n = rb_param_count(m, l, (rb_param_kind)k);
            double scale = 0, worst = 0;
            size_t at = off;
            for (size_t i = off; i < off + n; i++)
                if (fabs(ref[i]) > scale)
                    scale = fabs(ref[i]);
            for (size_t i = off; i < off + n; i++) {
                double d = isfinite(g[i]) ? fabs((double)g[i] - ref[i]) : INFINITY;
                if (!isfinite(g[i]))
                    out->nonfinite++;
                if (d > out->max_abs)
                    out->max_abs = d;
                if (d > worst) {
                    worst = d;
                    at = i;
                }
            }
            double rel = scale > 0 ? worst / scale : worst;
            if (rel > out->max_rel) {
                out->max_rel = rel;
                out->worst = at;
            }
        }
}

double rb_fp32_grad_tolerance(const rb_workload *w)
{
    double I = w->input_proj ? (double)w->input : (double)w->hidden;
    double H = w->hidden, G = rb_cell_gates(w->cell);
    double TB = (double)w->seq * (double)w->batch;
    /* the longest sums: dW over T*B positions, dh over G*H gate rows, the
     * forward's dot products; errors carried through T steps and L layers */
    double acc = TB;
    if (G * H > acc)
        acc = G * H;
    if ((I > H ? I : H) + H > acc)
        acc = (I > H ? I : H) + H;
    double lg = ceil(log2(acc * (double)w->seq * (double)w->layers));
    if (!(lg >= 1.0))
        lg = 1.0;
    return 4.0 * 2 * lg * FLT_EPSILON;
}
