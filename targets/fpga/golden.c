/* golden.c — the fpga accelerator's arithmetic, rule by rule from SPEC.md.
 *
 * C leaves two things the spec relies on undefined or implementation-defined:
 * shifting a negative number left (UB) and right (implementation-defined).
 * So `b << 12` is written as a multiplication and every arithmetic right
 * shift goes through asr(), which floors for either sign without relying on
 * the compiler. */
#include "golden.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tanh_lut.h"

/* floor(a / 2^s) for any sign: for a < 0, ~a = -a - 1 >= 0 and
 * floor(a / 2^s) = ~(~a >> s). */
static int64_t asr(int64_t a, int s)
{
    return a >= 0 ? a >> s : ~(~a >> s);
}

int16_t rb_fx_sat16(int64_t a)
{
    return (int16_t)(a > INT16_MAX ? INT16_MAX : a < INT16_MIN ? INT16_MIN : a);
}

int64_t rb_fx_rshr(int64_t a, int s)
{
    return asr(a + ((int64_t)1 << (s - 1)), s);
}

int16_t rb_fx_quant(double x)
{
    double r = round(x * RB_FX_ONE); /* round() is round half away from zero */
    /* clamp in double: converting an out-of-range double to an integer is UB */
    if (r != r)
        return 0;
    if (r >= INT16_MAX)
        return INT16_MAX;
    if (r <= INT16_MIN)
        return INT16_MIN;
    return (int16_t)r;
}

double rb_fx_dequant(int16_t q)
{
    return q / (double)RB_FX_ONE;
}

void rb_fx_quant_array(const float *in, int16_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = rb_fx_quant(in[i]);
}

int16_t rb_fx_tanh(int16_t x)
{
    int32_t a = x < 0 ? -(int32_t)x : x;
    if (a > 32767)
        a = 32767; /* -32768 maps like 32767 */
    int32_t i = a >> 6, f = a & 63;
    int32_t t0 = rb_tanh_lut[i], t1 = rb_tanh_lut[i + 1]; /* t1 >= t0 */
    int32_t m = t0 + (((t1 - t0) * f) >> 6);               /* Q1.15 */
    int32_t y = (m + 4) >> 3;                              /* Q3.12, 0..4096 */
    return (int16_t)(x < 0 ? -y : y);
}

int16_t rb_fx_sigmoid(int16_t x)
{
    /* sigma(x) = (tanh(x/2) + 1) / 2; x >>> 1 is floor(x / 2) */
    int32_t t = rb_fx_tanh((int16_t)asr(x, 1));
    return (int16_t)((t + RB_FX_ONE + 1) >> 1); /* the sum is 1..8193: no sign issue */
}

int16_t rb_fx_lstm_unit(const int16_t pre[4], int16_t *c)
{
    int64_t i = rb_fx_sigmoid(pre[0]), f = rb_fx_sigmoid(pre[1]);
    int64_t g = rb_fx_tanh(pre[2]), o = rb_fx_sigmoid(pre[3]);
    *c = rb_fx_sat16(rb_fx_rshr(f * *c + i * g, RB_FX_FRAC));
    return rb_fx_sat16(rb_fx_rshr(o * rb_fx_tanh(*c), RB_FX_FRAC));
}

int16_t rb_fx_preact(const int16_t *w_row, const int16_t *v, int k, int16_t bias)
{
    /* products are Q6.24; the bias is aligned to them (b << 12) */
    int64_t acc = (int64_t)bias * RB_FX_ONE;
    for (int n = 0; n < k; n++)
        acc += (int32_t)w_row[n] * (int32_t)v[n]; /* |product| <= 2^30: fits int32 */
    return rb_fx_sat16(rb_fx_rshr(acc, RB_FX_FRAC));
}

int rb_fx_k(const rb_fx_model *fx, int layer)
{
    return (layer == 0 ? fx->input : fx->hidden) + fx->hidden;
}

void rb_fx_model_free(rb_fx_model *fx)
{
    if (!fx)
        return;
    for (int l = 0; l < fx->layers; l++) {
        if (fx->w)
            free(fx->w[l]);
        if (fx->b)
            free(fx->b[l]);
    }
    free(fx->w);
    free(fx->b);
    fx->w = fx->b = NULL;
    fx->layers = 0;
}

int rb_fx_model_from(rb_fx_model *fx, const rb_model *m, rb_err *e)
{
    memset(fx, 0, sizeof *fx);
    if (!m->input_proj)
        return rb_errf(e, RB_EUNAVAIL, "the fpga accelerator has no mode without input projection");
    if (m->input <= 0 || m->hidden <= 0 || m->layers <= 0)
        return rb_errf(e, RB_EINPUT, "fpga golden model: sizes must be positive (I %d, H %d, L %d)",
                       m->input, m->hidden, m->layers);
    int G = rb_cell_gates(m->cell), H = m->hidden;
    /* the spec sizes the accumulator for K <= 65536; beyond it the RTL could wrap */
    if ((m->input > m->hidden ? m->input : m->hidden) > RB_FX_MAX_K - H)
        return rb_errf(e, RB_EUNAVAIL,
                       "the fpga accelerator's accumulator is specified for I + H and 2H <= %d "
                       "(I %d, H %d)",
                       RB_FX_MAX_K, m->input, H);
    fx->cell = m->cell;
    fx->input = m->input;
    fx->hidden = H;
    fx->gates = G;
    fx->w = calloc((size_t)m->layers, sizeof *fx->w);
    fx->b = calloc((size_t)m->layers, sizeof *fx->b);
    if (!fx->w || !fx->b) {
        free(fx->w);
        free(fx->b);
        fx->w = fx->b = NULL;
        return rb_errf(e, RB_ENOMEM, "fpga golden model: cannot allocate %d layers", m->layers);
    }
    fx->layers = m->layers; /* from here rb_fx_model_free cleans up */
    size_t rows = (size_t)G * (size_t)H;
    for (int l = 0; l < m->layers; l++) {
        const rb_layer *ly = &m->layer[l];
        size_t in = (size_t)ly->in, K = (size_t)rb_fx_k(fx, l);
        fx->w[l] = malloc(rows * K * sizeof **fx->w);
        fx->b[l] = malloc(rows * sizeof **fx->b);
        if (!fx->w[l] || !fx->b[l]) {
            rb_fx_model_free(fx);
            return rb_errf(e, RB_ENOMEM, "fpga golden model: cannot allocate %zu x %zu weights",
                           rows, K);
        }
        for (int j = 0; j < H; j++)
            for (int g = 0; g < G; g++) {
                size_t p = (size_t)j * G + g, r = (size_t)g * H + j; /* packed p <- PyTorch r */
                int16_t *dst = fx->w[l] + p * K;
                rb_fx_quant_array(ly->w_ih + r * in, dst, in);
                rb_fx_quant_array(ly->w_hh + r * H, dst + in, (size_t)H);
                fx->b[l][p] = rb_fx_quant((double)ly->b_ih[r] + (double)ly->b_hh[r]);
            }
    }
    return 0;
}

/* One layer, one timestep, every batch row: v rows hold [x_t ; h_{t-1}]
 * (K apart), h and c rows are updated in place (H apart).  All
 * pre-activations are computed before any state changes, so h_{t-1} is the
 * same for every unit. */
static void layer_step(const rb_fx_model *fx, int l, int B, const int16_t *v, int16_t *pre,
                       int16_t *h, int16_t *c)
{
    int G = fx->gates, H = fx->hidden, K = rb_fx_k(fx, l);
    size_t rows = (size_t)G * H;
    for (size_t p = 0; p < rows; p++) {
        const int16_t *w = fx->w[l] + p * K;
        for (int b = 0; b < B; b++)
            pre[(size_t)b * rows + p] = rb_fx_preact(w, v + (size_t)b * K, K, fx->b[l][p]);
    }
    for (int b = 0; b < B; b++)
        for (int j = 0; j < H; j++) {
            const int16_t *pj = pre + (size_t)b * rows + (size_t)j * G; /* gate-interleaved */
            size_t s = (size_t)b * H + j;
            h[s] = fx->cell == RB_CELL_LSTM ? rb_fx_lstm_unit(pj, &c[s]) : rb_fx_tanh(pj[0]);
        }
}

int rb_fx_forward(const rb_fx_model *fx, int T, int B, const int16_t *x, const int16_t *h0,
                  const int16_t *c0, int16_t *y, int16_t *h_n, int16_t *c_n, rb_err *e)
{
    if (T < 0 || B <= 0 || (T > 0 && !x))
        return rb_errf(e, RB_EINPUT, "fpga golden model: bad batch (T %d, B %d%s)", T, B,
                       x ? "" : ", no input");
    int L = fx->layers, H = fx->hidden, I = fx->input, G = fx->gates;
    int Kmax = (I > H ? I : H) + H; /* the widest [x; h] of any layer */
    size_t LBH = (size_t)L * B * H, BH = (size_t)B * H;
    int16_t *h = calloc(LBH, sizeof *h), *c = calloc(LBH, sizeof *c);
    int16_t *v = malloc((size_t)B * Kmax * sizeof *v);
    int16_t *pre = malloc((size_t)B * G * H * sizeof *pre);
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
