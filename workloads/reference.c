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
    int T, B, H, G, D;
    double *seq_in;  /* [T, B, width of this layer's input] */
    double *seq_out; /* [T, B, D*H] */
    double *h, *c;   /* [B, H] */
    double *gates;   /* [(G+2)*H]: pre-activations, and the GRU's two more rows */
} ref_work;

static double dot(const float *w, const double *v, int n)
{
    double acc = 0;
    for (int k = 0; k < n; k++)
        acc += (double)w[k] * v[k];
    return acc;
}

/* The input part of gate row r: b_ih + W_ih x, or b_ih + x itself without
 * input projection. */
static double xpart(const rb_layer *ly, int r, const double *x)
{
    return (double)ly->b_ih[r] +
           (ly->in > 0 ? dot(ly->w_ih + (size_t)r * (size_t)ly->in, x, ly->in) : x[r]);
}

/* The recurrent part of gate row r: b_hh + W_hh h. */
static double hpart(const rb_layer *ly, int r, int H, const double *h)
{
    return (double)ly->b_hh[r] + dot(ly->w_hh + (size_t)r * (size_t)H, h, H);
}

/* Pre-activations of one (t, b): b_ih + b_hh + W_ih x (or x itself without
 * input projection) + W_hh h. */
void rb_ref_preact(const rb_layer *ly, int GH, int H, const double *x, const double *h,
                   double *gates)
{
    for (int r = 0; r < GH; r++)
        gates[r] = xpart(ly, r, x) + hpart(ly, r, H, h);
}

/* ONNX's clip: bounds the input of every activation. */
static double clip(double v, double c) { return c > 0 ? (v > c ? c : v < -c ? -c : v) : v; }

void rb_ref_gru_step(const rb_model *m, const rb_layer *ly, int H, const double *x, double *h,
                     double *a, double *ghn, double *scratch)
{
    const double k = m->clip;
    for (int r = 0; r < 2 * H; r++)
        a[r] = rb_ref_sigmoid(clip(xpart(ly, r, x) + hpart(ly, r, H, h), k));
    const double *hv = h;
    if (m->reset_before) {
        for (int j = 0; j < H; j++)
            scratch[j] = a[j] * h[j];
        hv = scratch;
    }
    for (int j = 0; j < H; j++) {
        int r = 2 * H + j;
        ghn[j] = hpart(ly, r, H, hv);
        a[r] = tanh(clip(xpart(ly, r, x) + (m->reset_before ? ghn[j] : a[j] * ghn[j]), k));
    }
    for (int j = 0; j < H; j++)
        h[j] = (1 - a[H + j]) * a[2 * H + j] + a[H + j] * h[j];
}

/* The ONNX LSTM, which is PyTorch's when p is NULL, clip 0 and no coupling:
 * peepholes p (i, f, o) see c_{t-1} for the input and forget gates and the
 * new c_t for the output gate. */
static void lstm_update(const rb_model *m, const float *p, const double *g, int H, double *h,
                        double *c)
{
    double k = m->clip;
    for (int j = 0; j < H; j++) {
        double pi = p ? p[j] * c[j] : 0, pf = p ? p[H + j] * c[j] : 0;
        double i = rb_ref_sigmoid(clip(g[j] + pi, k));
        double f = m->input_forget ? 1.0 - i : rb_ref_sigmoid(clip(g[H + j] + pf, k));
        double gg = tanh(clip(g[2 * H + j], k));
        c[j] = f * c[j] + i * gg;
        double po = p ? p[2 * H + j] * c[j] : 0;
        double o = rb_ref_sigmoid(clip(g[3 * H + j] + po, k));
        h[j] = o * tanh(c[j]);
    }
}

static void rnn_update(const rb_model *m, const double *g, int H, double *h)
{
    for (int j = 0; j < H; j++)
        h[j] = tanh(clip(g[j], m->clip));
}

/* One unit (a layer, or one direction of it) over the whole sequence; its
 * output lands in columns [d*H, (d+1)*H) of seq_out. */
static void run_unit(const rb_model *m, int u, const rb_batch *in, ref_work *w, int x_width)
{
    const rb_layer *ly = &m->layer[u];
    const int d = u % w->D, yw = w->D * w->H;
    size_t BH = (size_t)w->B * (size_t)w->H;
    for (size_t k = 0; k < BH; k++) {
        w->h[k] = in->h0 ? in->h0[(size_t)u * BH + k] : 0.0;
        w->c[k] = in->c0 ? in->c0[(size_t)u * BH + k] : 0.0;
    }
    for (int s = 0; s < w->T; s++) {
        int t = ly->reverse ? w->T - 1 - s : s;
        for (int b = 0; b < w->B; b++) {
            double *h = w->h + (size_t)b * w->H, *c = w->c + (size_t)b * w->H;
            double *y = w->seq_out + ((size_t)t * w->B + b) * (size_t)yw + (size_t)d * w->H;
            if (in->lens && t >= in->lens[b]) {
                /* past the row's end: no output, the state stays */
                memset(y, 0, (size_t)w->H * sizeof *y);
                continue;
            }
            const double *x = w->seq_in + ((size_t)t * w->B + b) * (size_t)x_width;
            if (m->cell == RB_CELL_GRU) {
                double *a = w->gates, *ghn = a + 3 * w->H;
                rb_ref_gru_step(m, ly, w->H, x, h, a, ghn, ghn + w->H);
                memcpy(y, h, (size_t)w->H * sizeof *h);
                continue;
            }
            rb_ref_preact(ly, w->G * w->H, w->H, x, h, w->gates);
            if (m->cell == RB_CELL_LSTM)
                lstm_update(m, ly->p, w->gates, w->H, h, c);
            else
                rnn_update(m, w->gates, w->H, h);
            memcpy(y, h, (size_t)w->H * sizeof *h);
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
    for (int b = 0; in->lens && b < in->batch; b++)
        if (in->lens[b] < 0 || in->lens[b] > in->seq)
            return rb_errf(e, RB_EINPUT, "reference: row %d has length %d, outside 0..%d", b,
                           in->lens[b], in->seq);
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
    int G = rb_cell_gates(m->cell), H = m->hidden, D = m->dirs == 2 ? 2 : 1;
    int width0 = m->input_proj ? m->input : G * H;
    int rc = rb_ref_check_batch(m, in, width0, y, e);
    if (rc != 0)
        return rc;

    ref_work w = {.T = in->seq, .B = in->batch, .H = H, .G = G, .D = D};
    size_t TB = (size_t)w.T * (size_t)w.B, BH = (size_t)w.B * (size_t)H, DH = (size_t)D * H;
    size_t maxw = (size_t)width0 > DH ? (size_t)width0 : DH;
    if (TB > SIZE_MAX / sizeof(double) / maxw)
        return rb_errf(e, RB_ENOMEM, "reference: [%d, %d, %zu] does not fit in memory", w.T, w.B,
                       maxw);
    w.seq_in = malloc(TB * maxw * sizeof(double));
    w.seq_out = malloc(TB * DH * sizeof(double));
    w.h = malloc(BH * sizeof(double));
    w.c = malloc(BH * sizeof(double));
    w.gates = malloc((size_t)(G + 2) * (size_t)H * sizeof(double));
    if (!w.seq_in || !w.seq_out || !w.h || !w.c || !w.gates) {
        free_work(&w);
        return rb_errf(e, RB_ENOMEM, "reference: cannot allocate %zu bytes of fp64 work space",
                       (TB * (maxw + DH) + 2 * BH + (size_t)(G + 2) * H) * sizeof(double));
    }

    for (size_t k = 0; k < TB * (size_t)width0; k++)
        w.seq_in[k] = in->x[k];
    for (int l = 0; l < m->layers; l++) {
        for (int d = 0; d < D; d++) {
            int u = l * D + d;
            run_unit(m, u, in, &w, l == 0 ? width0 : (int)DH);
            if (h_n)
                memcpy(h_n + (size_t)u * BH, w.h, BH * sizeof(double));
            if (c_n && m->cell == RB_CELL_LSTM)
                memcpy(c_n + (size_t)u * BH, w.c, BH * sizeof(double));
        }
        /* The next layer reads this layer's fp64 output, never a rounded copy. */
        double *t = w.seq_in;
        w.seq_in = w.seq_out;
        w.seq_out = t;
    }
    memcpy(y, w.seq_in, TB * DH * sizeof(double));
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
    double H = w->hidden, DH = rb_workload_dirs(w) * H;
    double I = w->input_proj ? (double)w->input : DH;
    I = I > DH ? I : DH;
    double acc_dim = (I > H ? I : H) + H;
    double n_iter = (double)w->seq * (double)w->layers;
    double lg = ceil(log2(acc_dim * n_iter));
    if (!(lg >= 1.0))
        lg = 1.0;
    return 4.0 * (1 + (bwd ? 1 : 0)) * lg * FLT_EPSILON;
}
