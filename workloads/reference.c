/* reference.c — the fp64 reference forward pass and the error measures.
 *
 * Deliberately naive: one dot product per gate row, in the textbook order,
 * so that a reader can check it against the PyTorch documentation line by
 * line.  Speed is irrelevant next to trust. */
#include "reference.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

double rb_ref_sigmoid(double v) { return 1.0 / (1.0 + exp(-v)); }

/* State and scratch for one pass; every array is fp64. */
typedef struct ref_work {
    int T, B, H, G;
    double *seq_in;  /* [T, B, width of this layer's input] */
    double *seq_out; /* [T, B, H] */
    double *h, *c;   /* [B, H] */
    double *gates;   /* [G*H] */
} ref_work;

/* Pre-activations of one (t, b): b_ih + b_hh + W_ih x (or x itself without
 * input projection) + W_hh h. */
void rb_ref_preact(const rb_layer *ly, int GH, int H, const double *x, const double *h,
                   double *gates)
{
    for (int r = 0; r < GH; r++) {
        double acc = (double)ly->b_ih[r] + (double)ly->b_hh[r];
        if (ly->in > 0) {
            const float *w = ly->w_ih + (size_t)r * (size_t)ly->in;
            for (int k = 0; k < ly->in; k++)
                acc += (double)w[k] * x[k];
        } else {
            acc += x[r];
        }
        const float *u = ly->w_hh + (size_t)r * (size_t)H;
        for (int k = 0; k < H; k++)
            acc += (double)u[k] * h[k];
        gates[r] = acc;
    }
}

static void lstm_update(const double *g, int H, double *h, double *c)
{
    for (int j = 0; j < H; j++) {
        double i = rb_ref_sigmoid(g[j]);
        double f = rb_ref_sigmoid(g[H + j]);
        double gg = tanh(g[2 * H + j]);
        double o = rb_ref_sigmoid(g[3 * H + j]);
        c[j] = f * c[j] + i * gg;
        h[j] = o * tanh(c[j]);
    }
}

static void rnn_update(const double *g, int H, double *h)
{
    for (int j = 0; j < H; j++)
        h[j] = tanh(g[j]);
}

static void run_layer(const rb_model *m, int l, const rb_batch *in, ref_work *w, int x_width)
{
    const rb_layer *ly = &m->layer[l];
    size_t BH = (size_t)w->B * (size_t)w->H;
    for (size_t k = 0; k < BH; k++) {
        w->h[k] = in->h0 ? in->h0[(size_t)l * BH + k] : 0.0;
        w->c[k] = in->c0 ? in->c0[(size_t)l * BH + k] : 0.0;
    }
    for (int t = 0; t < w->T; t++) {
        for (int b = 0; b < w->B; b++) {
            double *h = w->h + (size_t)b * w->H, *c = w->c + (size_t)b * w->H;
            const double *x = w->seq_in + ((size_t)t * w->B + b) * (size_t)x_width;
            rb_ref_preact(ly, w->G * w->H, w->H, x, h, w->gates);
            if (m->cell == RB_CELL_LSTM)
                lstm_update(w->gates, w->H, h, c);
            else
                rnn_update(w->gates, w->H, h);
            memcpy(w->seq_out + ((size_t)t * w->B + b) * w->H, h, (size_t)w->H * sizeof *h);
        }
    }
}

int rb_ref_check_batch(const rb_model *m, const rb_batch *in, int width, const double *y, rb_err *e)
{
    if (!y)
        return rb_errf(e, RB_EINPUT, "reference: no output buffer");
    if (!m->layer || m->layers <= 0 || m->hidden <= 0)
        return rb_errf(e, RB_EINPUT, "reference: model is not allocated");
    if (!in->x || in->seq <= 0 || in->batch <= 0)
        return rb_errf(e, RB_EINPUT, "reference: empty input (seq %d, batch %d)", in->seq,
                       in->batch);
    if (in->width != width)
        return rb_errf(e, RB_EINPUT, "reference: input width %d, but the model expects %d%s",
                       in->width, width, m->input_proj ? "" : " (G*H, no input projection)");
    return 0;
}

static void free_work(ref_work *w)
{
    free(w->seq_in);
    free(w->seq_out);
    free(w->h);
    free(w->c);
    free(w->gates);
}

int rb_ref_forward(const rb_model *m, const rb_batch *in, double *y, double *h_n, double *c_n,
                   rb_err *e)
{
    int G = rb_cell_gates(m->cell), H = m->hidden;
    int width0 = m->input_proj ? m->input : G * H;
    int rc = rb_ref_check_batch(m, in, width0, y, e);
    if (rc != 0)
        return rc;

    ref_work w = {.T = in->seq, .B = in->batch, .H = H, .G = G};
    size_t TB = (size_t)w.T * (size_t)w.B, BH = (size_t)w.B * (size_t)H;
    size_t maxw = (size_t)(width0 > H ? width0 : H);
    if (TB > SIZE_MAX / sizeof(double) / maxw)
        return rb_errf(e, RB_ENOMEM, "reference: [%d, %d, %zu] does not fit in memory", w.T, w.B,
                       maxw);
    w.seq_in = malloc(TB * maxw * sizeof(double));
    w.seq_out = malloc(TB * (size_t)H * sizeof(double));
    w.h = malloc(BH * sizeof(double));
    w.c = malloc(BH * sizeof(double));
    w.gates = malloc((size_t)G * (size_t)H * sizeof(double));
    if (!w.seq_in || !w.seq_out || !w.h || !w.c || !w.gates) {
        free_work(&w);
        return rb_errf(e, RB_ENOMEM, "reference: cannot allocate %zu bytes of fp64 work space",
                       (TB * (maxw + (size_t)H) + 2 * BH + (size_t)G * H) * sizeof(double));
    }

    for (size_t k = 0; k < TB * (size_t)width0; k++)
        w.seq_in[k] = in->x[k];
    for (int l = 0; l < m->layers; l++) {
        run_layer(m, l, in, &w, l == 0 ? width0 : H);
        if (h_n)
            memcpy(h_n + (size_t)l * BH, w.h, BH * sizeof(double));
        if (c_n && m->cell == RB_CELL_LSTM)
            memcpy(c_n + (size_t)l * BH, w.c, BH * sizeof(double));
        /* The next layer reads this layer's fp64 output, never a rounded copy. */
        double *t = w.seq_in;
        w.seq_in = w.seq_out;
        w.seq_out = t;
    }
    memcpy(y, w.seq_in, TB * (size_t)H * sizeof(double));
    free_work(&w);
    return 0;
}

void rb_compare(const float *y, const double *ref, size_t n, rb_errstat *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        double abs_err, rel_err;
        if (!isfinite(y[i]) || !isfinite(ref[i])) {
            if (!isfinite(y[i]))
                out->nonfinite++;
            abs_err = rel_err = INFINITY;
        } else {
            abs_err = fabs((double)y[i] - ref[i]);
            rel_err = fabs(ref[i]) > RB_REL_FLOOR ? abs_err / fabs(ref[i]) : abs_err;
        }
        if (abs_err > out->max_abs)
            out->max_abs = abs_err;
        if (rel_err > out->max_rel) {
            out->max_rel = rel_err;
            out->worst = i;
        }
    }
}

double rb_fp32_tolerance(const rb_workload *w, int bwd)
{
    /* Without input projection the first layer's only dot product is W_hh h
     * (x is added, not multiplied), so the longest is that of later layers. */
    double I = w->input_proj ? (double)w->input : (double)w->hidden;
    double H = w->hidden;
    double acc_dim = (I > H ? I : H) + H;
    double n_iter = (double)w->seq * (double)w->layers;
    double lg = ceil(log2(acc_dim * n_iter));
    if (!(lg >= 1.0))
        lg = 1.0;
    return 4.0 * (1 + (bwd ? 1 : 0)) * lg * FLT_EPSILON;
}
