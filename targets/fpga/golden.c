/* golden.c — the fpga accelerator's arithmetic, rule by rule from SPEC.md,
 * for any number format the RTL can be built with (rb_fx_fmt).
 *
 * C leaves two things the spec relies on undefined or implementation-defined:
 * shifting a negative number left (UB) and right (implementation-defined).
 * So `b << frac` is written as a multiplication and every arithmetic right
 * shift goes through asr(), which floors for either sign without relying on
 * the compiler. */
#include "golden.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tanh_lut.h"

/* floor(a / 2^s) for any sign: for a < 0, ~a = -a - 1 >= 0 and
 * floor(a / 2^s) = ~(~a >> s). */
static int64_t asr(int64_t a, int s) { return a >= 0 ? a >> s : ~(~a >> s); }

int rb_fx_fmt_check(rb_fx_fmt f, rb_err *e)
{
    if (f.bits < RB_FX_MIN_BITS || f.bits > RB_FX_MAX_BITS)
        return rb_errf(e, RB_EINPUT, "fpga number format: %d bits, expected %d to %d", f.bits,
                       RB_FX_MIN_BITS, RB_FX_MAX_BITS);
    if (f.frac < 1 || f.frac > f.bits - 2)
        return rb_errf(e, RB_EINPUT,
                       "fpga number format: %d fraction bits of %d, expected 1 to %d (1.0 must be "
                       "representable)",
                       f.frac, f.bits, f.bits - 2);
    return 0;
}

const char *rb_fx_fmt_name(rb_fx_fmt f, char *buf, size_t len)
{
    snprintf(buf, len, "Q%d.%d", f.bits - 1 - f.frac, f.frac);
    return buf;
}

int32_t rb_fx_max(rb_fx_fmt f) { return (int32_t)((1u << (f.bits - 1)) - 1u); }

int32_t rb_fx_min(rb_fx_fmt f) { return -rb_fx_max(f) - 1; }

int32_t rb_fx_one(rb_fx_fmt f) { return (int32_t)1 << f.frac; }

double rb_fx_quality_bound_lsb(rb_cell c)
{
    return c == RB_CELL_LSTM  ? RB_FX_QUALITY_BOUND_LSTM_LSB
           : c == RB_CELL_GRU ? RB_FX_QUALITY_BOUND_GRU_LSB
                              : RB_FX_QUALITY_BOUND_RNN_LSB;
}

int16_t rb_fx_sat(rb_fx_fmt f, int64_t a)
{
    int64_t hi = rb_fx_max(f), lo = rb_fx_min(f);
    return (int16_t)(a > hi ? hi : a < lo ? lo : a);
}

int64_t rb_fx_rshr(int64_t a, int s) { return asr(a + ((int64_t)1 << (s - 1)), s); }

int16_t rb_fx_quant(rb_fx_fmt f, double x)
{
    double r = round(x * rb_fx_one(f)); /* round() is round half away from zero */
    /* clamp in double: converting an out-of-range double to an integer is UB */
    if (r != r)
        return 0;
    if (r >= rb_fx_max(f))
        return (int16_t)rb_fx_max(f);
    if (r <= rb_fx_min(f))
        return (int16_t)rb_fx_min(f);
    return (int16_t)r;
}

double rb_fx_dequant(rb_fx_fmt f, int16_t q) { return q / (double)rb_fx_one(f); }

void rb_fx_quant_array(rb_fx_fmt f, const float *in, int16_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = rb_fx_quant(f, in[i]);
}

/* SPEC.md, tanh_q: the table T holds tanh(k/64) in Q1.15 for k = 0..512.
 * A format with frac fraction bits and ib = bits-1-frac integer bits uses
 * its part [0, 2^tr), tr = min(ib, 3), at 2^seg segments per unit, seg =
 * min(frac, 6): the table index of |x| is (a >> s) << (6 - seg) and its
 * low s = frac - seg bits interpolate.  Q3.12: tr 3, seg 6, s 6. */
int16_t rb_fx_tanh(rb_fx_fmt f, int16_t x)
{
    const int F = f.frac, ib = f.bits - 1 - F;
    const int tr = ib < 3 ? ib : 3, seg = F < 6 ? F : 6, s = F - seg, stride = 6 - seg;
    const int32_t amax = ((int32_t)1 << (tr + F)) - 1; /* |x| saturates here */
    int32_t a = x < 0 ? -(int32_t)x : x;
    if (a > amax)
        a = amax;
    int32_t i = (a >> s) << stride, fr = a & (((int32_t)1 << s) - 1);
    int32_t t0 = rb_tanh_lut[i], t1 = rb_tanh_lut[i + (1 << stride)]; /* t1 >= t0 */
    int32_t m = t0 + (((t1 - t0) * fr) >> s);                         /* Q1.15 */
    int32_t y = (m + ((int32_t)1 << (14 - F))) >> (15 - F);           /* 0..one */
    return (int16_t)(x < 0 ? -y : y);
}

/* In output LSB, for the rules above:
 *   0.5                  the final rounding (m + half) >> (15 - F);
 *   2^(F-15) * 1.5       the table's rounding (1/2) and the interpolation's
 *                        floor (< 1) are Q1.15 LSB;
 *   2^F * h^2/8 * 0.770  the chord between table points h = 2^-SEG apart
 *                        (max |tanh''| = 4 / (3 sqrt 3)), 0 without
 *                        interpolation (S = 0: the table is read at the
 *                        input's own points);
 *   sech^2(2^TR)         |x| saturating at 2^TR - LSB, one LSB short of the
 *                        format's most negative value at worst. */
double rb_fx_tanh_err_bound(rb_fx_fmt f)
{
    const int F = f.frac, ib = f.bits - 1 - F;
    const int tr = ib < 3 ? ib : 3, seg = F < 6 ? F : 6;
    const double one = ldexp(1.0, F), h = ldexp(1.0, -seg), ch = cosh(ldexp(1.0, tr));
    double chord = F > seg ? one * h * h / 8 * 4 / (3 * sqrt(3.0)) : 0;
    return 0.5 + ldexp(1.5, F - 15) + chord + 1 / (ch * ch);
}

/* sigma(x) = (tanh_q(x >>> 1) + one + 1) >> 1: the floor of x/2 moves tanh's
 * input by up to half an LSB (slope <= 1), the halving halves that and
 * tanh's error, and the final shift floors: 0.5 + (0.5 + e_tanh) / 2. */
double rb_fx_sigmoid_err_bound(rb_fx_fmt f) { return 0.5 + (0.5 + rb_fx_tanh_err_bound(f)) / 2; }

int16_t rb_fx_sigmoid(rb_fx_fmt f, int16_t x)
{
    /* sigma(x) = (tanh(x/2) + 1) / 2; x >>> 1 is floor(x / 2) */
    int32_t t = rb_fx_tanh(f, (int16_t)asr(x, 1));
    return (int16_t)((t + rb_fx_one(f) + 1) >> 1); /* the sum is 1..2*one+1: no sign issue */
}

int16_t rb_fx_lstm_unit(rb_fx_fmt fm, const int16_t pre[4], int16_t *c)
{
    int64_t i = rb_fx_sigmoid(fm, pre[0]), f = rb_fx_sigmoid(fm, pre[1]);
    int64_t g = rb_fx_tanh(fm, pre[2]), o = rb_fx_sigmoid(fm, pre[3]);
    *c = rb_fx_sat(fm, rb_fx_rshr(f * *c + i * g, fm.frac));
    return rb_fx_sat(fm, rb_fx_rshr(o * rb_fx_tanh(fm, *c), fm.frac));
}

/* SPEC.md, gru unit.  Every product is exact and each value is rounded
 * once where it becomes a stored-width number:
 *   r, z     = sigmoid_q(pre_r), sigmoid_q(pre_z)           (0..one)
 *   n_pre    = sat(n_x + rshr(r * n_h, F))   r (.) (W_hn h + b_hn): r * n_h
 *              has 2F fraction bits and is rounded once; n_x is already F
 *   n        = tanh_q(n_pre)
 *   h'       = sat(rshr((one - z) * n + z * h, F))  both products exact,
 *              summed before the one rounding (the RTL computes the same
 *              integer as n * one + z * (h - n))
 * The sat of h' never bites: a convex combination of n and h stays in range;
 * that of n_pre does only when n_x and r * n_h add up beyond the format. */
int16_t rb_fx_gru_unit(rb_fx_fmt fm, const int16_t pre[4], int16_t h)
{
    const int64_t one = rb_fx_one(fm);
    int64_t r = rb_fx_sigmoid(fm, pre[0]), z = rb_fx_sigmoid(fm, pre[1]);
    int16_t npre = rb_fx_sat(fm, pre[2] + rb_fx_rshr(r * pre[3], fm.frac));
    int64_t n = rb_fx_tanh(fm, npre);
    return rb_fx_sat(fm, rb_fx_rshr((one - z) * n + z * h, fm.frac));
}

int16_t rb_fx_preact(rb_fx_fmt f, const int16_t *w_row, const int16_t *v, int k, int16_t bias)
{
    /* products have 2*frac fraction bits; the bias is aligned to them (b << frac) */
    int64_t acc = (int64_t)bias * rb_fx_one(f);
    for (int n = 0; n < k; n++)
        acc += (int32_t)w_row[n] * (int32_t)v[n]; /* |product| <= 2^30: fits int32 */
    return rb_fx_sat(f, rb_fx_rshr(acc, f.frac));
}

int rb_fx_dirs(const rb_fx_model *fx) { return fx->dirs == 2 ? 2 : 1; }

int rb_fx_units(const rb_fx_model *fx) { return fx->layers * rb_fx_dirs(fx); }

int rb_fx_k(const rb_fx_model *fx, int unit)
{
    int D = rb_fx_dirs(fx);
    return (unit < D ? fx->input : D * fx->hidden) + fx->hidden;
}

int rb_fx_is_plain(const rb_fx_model *fx)
{
    if (rb_fx_dirs(fx) != 1)
        return 0;
    for (int u = 0; fx->reverse && u < fx->layers; u++)
        if (fx->reverse[u])
            return 0;
    return 1;
}

void rb_fx_model_free(rb_fx_model *fx)
{
    if (!fx)
        return;
    for (int u = 0; u < rb_fx_units(fx); u++) {
        if (fx->w)
            free(fx->w[u]);
        if (fx->b)
            free(fx->b[u]);
        if (fx->bn)
            free(fx->bn[u]);
    }
    free(fx->w);
    free(fx->b);
    free(fx->bn);
    free(fx->reverse);
    fx->w = fx->b = fx->bn = NULL;
    fx->reverse = NULL;
    fx->layers = 0;
}

int rb_fx_model_from(rb_fx_model *fx, const rb_model *m, rb_fx_fmt f, rb_err *e)
{
    memset(fx, 0, sizeof *fx);
    int rc = rb_fx_fmt_check(f, e);
    if (rc)
        return rc;
    if (!m->input_proj)
        return rb_errf(e, RB_EUNAVAIL, "the fpga accelerator has no mode without input projection");
    if (m->input <= 0 || m->hidden <= 0 || m->layers <= 0)
        return rb_errf(e, RB_EINPUT, "fpga golden model: sizes must be positive (I %d, H %d, L %d)",
                       m->input, m->hidden, m->layers);
    /* SPEC.md has no rule for these: the cells are i, f, g, o and r, z, n
     * with r scaling W_hn h + b_hn, and nothing else */
    unsigned none = rb_model_features(m) & (RB_FEAT_PEEPHOLES | RB_FEAT_CLIP |
                                            RB_FEAT_INPUT_FORGET | RB_FEAT_RESET_BEFORE);
    if (none) {
        char names[96];
        return rb_errf(e, RB_EUNAVAIL, "unsupported: %s (the fpga accelerator's cell has none)",
                       rb_features_str(none, names, sizeof names));
    }
    int G = rb_cell_gates(m->cell), H = m->hidden, D = m->dirs == 2 ? 2 : 1;
    /* the spec sizes the accumulator for K <= 65536; beyond it the RTL could wrap */
    int widest = m->input > D * H ? m->input : D * H;
    if (widest > RB_FX_MAX_K - H)
        return rb_errf(e, RB_EUNAVAIL,
                       "the fpga accelerator's accumulator is specified for I + H and %dH <= %d "
                       "(I %d, H %d)",
                       D + 1, RB_FX_MAX_K, m->input, H);
    fx->fmt = f;
    fx->cell = m->cell;
    fx->input = m->input;
    fx->hidden = H;
    fx->gates = G;
    fx->dirs = D;
    int units = m->layers * D;
    const int gru = m->cell == RB_CELL_GRU;
    fx->w = calloc((size_t)units, sizeof *fx->w);
    fx->b = calloc((size_t)units, sizeof *fx->b);
    fx->bn = gru ? calloc((size_t)units, sizeof *fx->bn) : NULL;
    fx->reverse = calloc((size_t)units, sizeof *fx->reverse);
    if (!fx->w || !fx->b || (gru && !fx->bn) || !fx->reverse) {
        free(fx->w);
        free(fx->b);
        free(fx->bn);
        free(fx->reverse);
        fx->w = fx->b = fx->bn = NULL;
        fx->reverse = NULL;
        return rb_errf(e, RB_ENOMEM, "fpga golden model: cannot allocate %d units", units);
    }
    fx->layers = m->layers; /* from here rb_fx_model_free cleans up */
    size_t rows = (size_t)G * (size_t)H;
    for (int u = 0; u < units; u++) {
        const rb_layer *ly = &m->layer[u];
        size_t in = (size_t)ly->in, K = (size_t)rb_fx_k(fx, u);
        if (in + (size_t)H != K) {
            rb_fx_model_free(fx);
            return rb_errf(e, RB_EINPUT,
                           "fpga golden model: unit %d has %zu input columns, not %zu", u, in,
                           K - (size_t)H);
        }
        fx->reverse[u] = ly->reverse ? 1 : 0;
        fx->w[u] = malloc(rows * K * sizeof **fx->w);
        fx->b[u] = malloc(rows * sizeof **fx->b);
        if (gru)
            fx->bn[u] = malloc((size_t)H * sizeof **fx->bn);
        if (!fx->w[u] || !fx->b[u] || (gru && !fx->bn[u])) {
            rb_fx_model_free(fx);
            return rb_errf(e, RB_ENOMEM, "fpga golden model: cannot allocate %zu x %zu weights",
                           rows, K);
        }
        for (int j = 0; j < H; j++)
            for (int g = 0; g < G; g++) {
                size_t p = (size_t)j * G + g, r = (size_t)g * H + j; /* packed p <- PyTorch r */
                int16_t *dst = fx->w[u] + p * K;
                rb_fx_quant_array(f, ly->w_ih + r * in, dst, in);
                rb_fx_quant_array(f, ly->w_hh + r * H, dst + in, (size_t)H);
                /* the gru's n row: b_in with the input part, b_hn apart with
                 * the recurrent part (r multiplies it) */
                if (gru && g == 2) {
                    fx->b[u][p] = rb_fx_quant(f, ly->b_ih[r]);
                    fx->bn[u][j] = rb_fx_quant(f, ly->b_hh[r]);
                } else {
                    fx->b[u][p] = rb_fx_quant(f, (double)ly->b_ih[r] + (double)ly->b_hh[r]);
                }
            }
    }
    return 0;
}

/* layer_step (below) for the gru: per unit its r and z rows over all K
 * columns of [x_t ; h_{t-1}], and its n row in two parts: columns [0, in)
 * with b_in (n_x) and columns [in, K) with b_hn (n_h), each narrowed on its
 * own (the accelerator accumulates them in two MAC lanes).  pre holds 4
 * values per unit and batch row. */
static void gru_step(const rb_fx_model *fx, int u, int B, const int16_t *v, int16_t *pre,
                     int16_t *h)
{
    const int H = fx->hidden, K = rb_fx_k(fx, u), in = K - H;
    const rb_fx_fmt f = fx->fmt;
    for (int b = 0; b < B; b++)
        for (int j = 0; j < H; j++) {
            const int16_t *w = fx->w[u] + (size_t)j * 3 * K, *vb = v + (size_t)b * K;
            int16_t *pj = pre + ((size_t)b * H + j) * 4;
            pj[0] = rb_fx_preact(f, w, vb, K, fx->b[u][j * 3]);
            pj[1] = rb_fx_preact(f, w + K, vb, K, fx->b[u][j * 3 + 1]);
            pj[2] = rb_fx_preact(f, w + 2 * K, vb, in, fx->b[u][j * 3 + 2]);
            pj[3] = rb_fx_preact(f, w + 2 * K + in, vb + in, H, fx->bn[u][j]);
        }
    for (size_t s = 0; s < (size_t)B * H; s++)
        h[s] = rb_fx_gru_unit(f, pre + s * 4, h[s]);
}

/* One unit (a layer of a one-direction stack), one timestep, every batch
 * row: v rows hold [x_t ; h_{t-1}] (K apart), h and c rows are updated in
 * place (H apart).  All pre-activations are computed before any state
 * changes, so h_{t-1} is the same for every unit. */
static void layer_step(const rb_fx_model *fx, int u, int B, const int16_t *v, int16_t *pre,
                       int16_t *h, int16_t *c)
{
    if (fx->cell == RB_CELL_GRU) {
        gru_step(fx, u, B, v, pre, h);
        return;
    }
    int G = fx->gates, H = fx->hidden, K = rb_fx_k(fx, u);
    size_t rows = (size_t)G * H;
    for (size_t p = 0; p < rows; p++) {
        const int16_t *w = fx->w[u] + p * K;
        for (int b = 0; b < B; b++)
            pre[(size_t)b * rows + p] = rb_fx_preact(fx->fmt, w, v + (size_t)b * K, K, fx->b[u][p]);
    }
    for (int b = 0; b < B; b++)
        for (int j = 0; j < H; j++) {
            const int16_t *pj = pre + (size_t)b * rows + (size_t)j * G; /* gate-interleaved */
            size_t s = (size_t)b * H + j;
            h[s] = fx->cell == RB_CELL_LSTM ? rb_fx_lstm_unit(fx->fmt, pj, &c[s])
                                            : rb_fx_tanh(fx->fmt, pj[0]);
        }
}

/* Room for the pre-activations of one layer-step: G per unit, 4 for the
 * gru's r, z and n's two parts. */
static size_t pre_per_unit(const rb_fx_model *fx)
{
    return fx->cell == RB_CELL_GRU ? 4 : (size_t)fx->gates;
}

/* The plain stack, timestep-major as the RTL runs it: every layer of step t
 * before step t + 1. */
static int forward_plain(const rb_fx_model *fx, int T, int B, const int16_t *x, const int16_t *h0,
                         const int16_t *c0, int16_t *y, int16_t *h_n, int16_t *c_n, rb_err *e)
{
    int L = fx->layers, H = fx->hidden, I = fx->input;
    int Kmax = (I > H ? I : H) + H; /* the widest [x; h] of any layer */
    size_t LBH = (size_t)L * B * H, BH = (size_t)B * H;
    int16_t *h = calloc(LBH, sizeof *h), *c = calloc(LBH, sizeof *c);
    int16_t *v = malloc((size_t)B * Kmax * sizeof *v);
    int16_t *pre = malloc(BH * pre_per_unit(fx) * sizeof *pre);
    if (!h || !c || !v || !pre) {
        free(h);
        free(c);
        free(v);
        free(pre);
        return rb_errf(e, RB_ENOMEM, "fpga golden model: cannot allocate state for B %d, H %d", B,
                       H);
    }
    if (h0)
        memcpy(h, h0, LBH * sizeof *h);
    if (c0 && fx->cell == RB_CELL_LSTM)
        memcpy(c, c0, LBH * sizeof *c);
    for (int t = 0; t < T; t++) {
        for (int l = 0; l < L; l++) {
            /* layer 0 reads x_t; layer l > 0 reads layer l-1's h of this step */
            int in = l == 0 ? I : H, K = in + H;
            const int16_t *src = l == 0 ? x + (size_t)t * B * I : h + (size_t)(l - 1) * BH;
            int16_t *hl = h + (size_t)l * BH, *cl = c + (size_t)l * BH;
            for (int b = 0; b < B; b++) {
                memcpy(v + (size_t)b * K, src + (size_t)b * in, (size_t)in * sizeof *v);
                memcpy(v + (size_t)b * K + in, hl + (size_t)b * H, (size_t)H * sizeof *v);
            }
            layer_step(fx, l, B, v, pre, hl, cl);
        }
        if (y)
            memcpy(y + (size_t)t * BH, h + (size_t)(L - 1) * BH, BH * sizeof *y);
    }
    if (h_n)
        memcpy(h_n, h, LBH * sizeof *h_n);
    if (c_n && fx->cell == RB_CELL_LSTM)
        memcpy(c_n, c, LBH * sizeof *c_n);
    free(h);
    free(c);
    free(v);
    free(pre);
    return 0;
}

/* Directions and reversed units, unit by unit as the reference runs them:
 * layer l's units read the whole output sequence of layer l - 1 ([T, B,
 * D*H], both directions), a reversed unit walks t = T-1 .. 0, and unit d
 * writes columns [d*H, (d+1)*H) of its layer's output.  Each step is the
 * plain path's layer_step, so the arithmetic is SPEC.md's. */
static int forward_units(const rb_fx_model *fx, int T, int B, const int16_t *x, const int16_t *h0,
                         const int16_t *c0, int16_t *y, int16_t *h_n, int16_t *c_n, rb_err *e)
{
    const int D = rb_fx_dirs(fx), H = fx->hidden, I = fx->input, DH = D * H;
    const int wmax = I > DH ? I : DH; /* the widest layer input */
    const size_t BH = (size_t)B * H, TB = (size_t)T * B;
    int16_t *seq[2] = {malloc((TB ? TB : 1) * (size_t)wmax * sizeof(int16_t)),
                       malloc((TB ? TB : 1) * (size_t)DH * sizeof(int16_t))};
    int16_t *h = malloc(BH * sizeof *h), *c = malloc(BH * sizeof *c);
    int16_t *v = malloc((size_t)B * (wmax + H) * sizeof *v);
    int16_t *pre = malloc(BH * pre_per_unit(fx) * sizeof *pre);
    int rc = 0;
    if (!seq[0] || !seq[1] || !h || !c || !v || !pre) {
        rc = rb_errf(e, RB_ENOMEM, "fpga golden model: cannot allocate %zu steps of %d values", TB,
                     wmax);
        goto out;
    }
    if (TB) /* T = 0 may come without x: the initial state is handed back */
        memcpy(seq[0], x, TB * (size_t)I * sizeof *x);
    for (int l = 0; l < fx->layers; l++) {
        const int in = l == 0 ? I : DH, K = in + H;
        const int16_t *src = seq[l % 2];
        int16_t *dst = seq[(l + 1) % 2];
        for (int d = 0; d < D; d++) {
            const int u = l * D + d, rev = fx->reverse && fx->reverse[u];
            for (size_t k = 0; k < BH; k++) {
                h[k] = h0 ? h0[(size_t)u * BH + k] : 0;
                c[k] = c0 && fx->cell == RB_CELL_LSTM ? c0[(size_t)u * BH + k] : 0;
            }
            for (int s = 0; s < T; s++) {
                const int t = rev ? T - 1 - s : s;
                for (int b = 0; b < B; b++) {
                    memcpy(v + (size_t)b * K, src + ((size_t)t * B + b) * in,
                           (size_t)in * sizeof *v);
                    memcpy(v + (size_t)b * K + in, h + (size_t)b * H, (size_t)H * sizeof *v);
                }
                layer_step(fx, u, B, v, pre, h, c);
                for (int b = 0; b < B; b++)
                    memcpy(dst + ((size_t)t * B + b) * DH + (size_t)d * H, h + (size_t)b * H,
                           (size_t)H * sizeof *h);
            }
            if (h_n)
                memcpy(h_n + (size_t)u * BH, h, BH * sizeof *h);
            if (c_n && fx->cell == RB_CELL_LSTM)
                memcpy(c_n + (size_t)u * BH, c, BH * sizeof *c);
        }
    }
    if (y)
        memcpy(y, seq[fx->layers % 2], TB * (size_t)DH * sizeof *y);
out:
    free(seq[0]);
    free(seq[1]);
    free(h);
    free(c);
    free(v);
    free(pre);
    return rc;
}

int rb_fx_forward(const rb_fx_model *fx, int T, int B, const int16_t *x, const int16_t *h0,
                  const int16_t *c0, int16_t *y, int16_t *h_n, int16_t *c_n, rb_err *e)
{
    if (T < 0 || B <= 0 || (T > 0 && !x))
        return rb_errf(e, RB_EINPUT, "fpga golden model: bad batch (T %d, B %d%s)", T, B,
                       x ? "" : ", no input");
    return rb_fx_is_plain(fx) ? forward_plain(fx, T, B, x, h0, c0, y, h_n, c_n, e)
                              : forward_units(fx, T, B, x, h0, c0, y, h_n, c_n, e);
}
