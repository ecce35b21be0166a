/* test_reference.c — the fp64 reference against hand-derived values and PyTorch. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../workloads/model.h"
#include "../../workloads/npy.h"
#include "../../workloads/reference.h"
#include "../../workloads/rng.h"
#include "../rb_test.h"
#include "../rb_test_workload.h"
#include "../rb_torch_cases.h"

static double sig(double v) { return 1.0 / (1.0 + exp(-v)); }

static rb_workload wl(rb_cell cell, int T, int B, int I, int H, int L, int proj)
{
    return rb_test_workload(cell, T, B, I, H, L, proj);
}

static rb_batch batch_of(const rb_workload *w, const float *x, const float *h0, const float *c0)
{
    rb_batch b = {w->seq, w->batch, rb_workload_x_width(w), x, h0, c0, NULL};
    return b;
}

/* ---- (a) LSTM, H = I = 1, by hand ------------------------------------- */

/* Gate rows i, f, g, o.  Every weight is a short binary fraction, so the
 * float32 parameters hold exactly the values written here. */
static const float L_WIH[4] = {0.5f, -0.25f, 1.0f, 0.75f};
static const float L_WHH[4] = {0.125f, 0.25f, -0.375f, 0.5f};
static const float L_BIH[4] = {0.0625f, 0.125f, -0.125f, 0.25f};
static const float L_BHH[4] = {0.0f, 0.375f, 0.0625f, -0.125f};

static void set_lstm_1x1(rb_model *m, int layer)
{
    memcpy(m->layer[layer].w_ih, L_WIH, sizeof L_WIH);
    memcpy(m->layer[layer].w_hh, L_WHH, sizeof L_WHH);
    memcpy(m->layer[layer].b_ih, L_BIH, sizeof L_BIH);
    memcpy(m->layer[layer].b_hh, L_BHH, sizeof L_BHH);
}

/* One LSTM step for H = I = 1, written out gate by gate. */
static void lstm_1x1_step(double x, double *h, double *c)
{
    double i = sig(L_WIH[0] * x + L_BIH[0] + L_WHH[0] * *h + L_BHH[0]);
    double f = sig(L_WIH[1] * x + L_BIH[1] + L_WHH[1] * *h + L_BHH[1]);
    double g = tanh(L_WIH[2] * x + L_BIH[2] + L_WHH[2] * *h + L_BHH[2]);
    double o = sig(L_WIH[3] * x + L_BIH[3] + L_WHH[3] * *h + L_BHH[3]);
    *c = f * *c + i * g;
    *h = o * tanh(*c);
}

static void test_lstm_by_hand(void)
{
    rb_workload w = wl(RB_CELL_LSTM, 2, 2, 1, 1, 1, 1);
    rb_model m;
    rb_err e = {0};
    CHECK_INT(rb_model_alloc(&m, &w, &e), 0);
    set_lstm_1x1(&m, 0);
    /* x[t][b]: batch 0 sees 1, -0.5; batch 1 sees 0.25, 2 */
    const float x[4] = {1.0f, 0.25f, -0.5f, 2.0f};
    rb_batch in = batch_of(&w, x, NULL, NULL);
    double y[4], hn[2], cn[2];
    CHECK_INT(rb_ref_forward(&m, &in, y, hn, cn, &e), 0);

    /* worked out once with Python's math module (and nn.LSTM agrees to 1e-16) */
    CHECK_NEAR(y[0], 0.30791940173781729, 1e-15);
    CHECK_NEAR(y[2], 0.01879924785582163, 1e-15);
    CHECK_NEAR(cn[0], 0.039514076700790213, 1e-15);
    CHECK_NEAR(hn[0], y[2], 0);

    for (int b = 0; b < 2; b++) {
        double h = 0, c = 0;
        for (int t = 0; t < 2; t++) {
            lstm_1x1_step(x[t * 2 + b], &h, &c);
            CHECK_NEAR(y[t * 2 + b], h, 1e-15);
        }
        CHECK_NEAR(hn[b], h, 1e-15);
        CHECK_NEAR(cn[b], c, 1e-15);
    }
    rb_model_free(&m);
}

/* All weights zero: i = f = o = 1/2, g = 0, so c halves every step and
 * h = tanh(c) / 2 — checkable on paper. */
static void test_lstm_zero_weights(void)
{
    rb_workload w = wl(RB_CELL_LSTM, 3, 1, 2, 1, 1, 1);
    rb_model m;
    rb_err e = {0};
    CHECK_INT(rb_model_alloc(&m, &w, &e), 0); /* zeroed */
    const float x[6] = {5, -7, 3, 1, -2, 9};  /* irrelevant: W_ih = 0 */
    const float h0[1] = {0.9f}, c0[1] = {1.0f};
    rb_batch in = batch_of(&w, x, h0, c0);
    double y[3], cn[1];
    CHECK_INT(rb_ref_forward(&m, &in, y, NULL, cn, &e), 0);
    CHECK_NEAR(y[0], 0.5 * tanh(0.5), 1e-16);
    CHECK_NEAR(y[1], 0.5 * tanh(0.25), 1e-16);
    CHECK_NEAR(y[2], 0.5 * tanh(0.125), 1e-16);
    CHECK_NEAR(cn[0], 0.125, 0);
    rb_model_free(&m);
}

/* ---- (b) tanh RNN ----------------------------------------------------- */

static void test_rnn_by_hand(void)
{
    rb_workload w = wl(RB_CELL_RNN, 3, 1, 1, 1, 1, 1);
    rb_model m;
    rb_err e = {0};
    CHECK_INT(rb_model_alloc(&m, &w, &e), 0);
    m.layer[0].w_ih[0] = 0.75f;
    m.layer[0].w_hh[0] = -0.5f;
    m.layer[0].b_ih[0] = 0.125f;
    m.layer[0].b_hh[0] = -0.25f;
    const float x[3] = {1.0f, -0.5f, 0.25f};
    rb_batch in = batch_of(&w, x, NULL, NULL);
    double y[3], hn[1], cn[1] = {-42};
    CHECK_INT(rb_ref_forward(&m, &in, y, hn, cn, &e), 0);
    CHECK_NEAR(y[0], 0.55459972234938226, 1e-15);
    CHECK_NEAR(y[1], -0.65115416417410477, 1e-15);
    CHECK_NEAR(y[2], 0.36970131395465794, 1e-15);
    CHECK_NEAR(y[0], tanh(0.75 * 1.0 + 0.125 - 0.25), 1e-16);
    CHECK_NEAR(y[1], tanh(0.75 * -0.5 + 0.125 - 0.5 * y[0] - 0.25), 1e-16);
    CHECK_NEAR(hn[0], y[2], 0);
    CHECK_NEAR(cn[0], -42, 0); /* an RNN has no cell state: c_n untouched */
    rb_model_free(&m);

    /* H = 2, I = 1, one step from a given h0: two rows written out */
    w = wl(RB_CELL_RNN, 1, 1, 1, 2, 1, 1);
    CHECK_INT(rb_model_alloc(&m, &w, &e), 0);
    const float wih[2] = {0.5f, -1.0f}, whh[4] = {0.25f, 0.5f, -0.75f, 0.125f};
    const float bih[2] = {0.1f, 0.2f}, bhh[2] = {-0.3f, 0.05f};
    memcpy(m.layer[0].w_ih, wih, sizeof wih);
    memcpy(m.layer[0].w_hh, whh, sizeof whh);
    memcpy(m.layer[0].b_ih, bih, sizeof bih);
    memcpy(m.layer[0].b_hh, bhh, sizeof bhh);
    const float x1[1] = {0.8f}, h0[2] = {0.3f, -0.6f};
    in = batch_of(&w, x1, h0, NULL);
    double y2[2];
    CHECK_INT(rb_ref_forward(&m, &in, y2, NULL, NULL, &e), 0);
    double X = x1[0], a = h0[0], b = h0[1];
    CHECK_NEAR(y2[0], tanh(wih[0] * X + bih[0] + whh[0] * a + whh[1] * b + bhh[0]), 1e-16);
    CHECK_NEAR(y2[1], tanh(wih[1] * X + bih[1] + whh[2] * a + whh[3] * b + bhh[1]), 1e-16);
    rb_model_free(&m);
}

/* ---- (b2) GRU ---------------------------------------------------------- */

/* H = I = 1, two steps from h0, every weight distinct: the formulas of
 * PyTorch's nn.GRU documentation written out, and ONNX's
 * linear_before_reset = 0 (r scales h before W_hn, so b_hn escapes it). */
static void test_gru_by_hand(void)
{
    for (int before = 0; before < 2; before++) {
        rb_workload w = wl(RB_CELL_GRU, 2, 1, 1, 1, 1, 1);
        if (before)
            w.features = RB_FEAT_RESET_BEFORE;
        rb_model m;
        rb_err e = {0};
        CHECK_INT(rb_model_alloc(&m, &w, &e), 0);
        CHECK_INT(m.reset_before, before);
        CHECK_INT((int)rb_model_features(&m), before ? RB_FEAT_RESET_BEFORE : 0);
        const float wih[3] = {0.5f, -0.75f, 1.25f}, whh[3] = {-0.5f, 0.25f, 0.875f};
        const float bih[3] = {0.125f, -0.25f, 0.375f}, bhh[3] = {0.0625f, 0.5f, -0.625f};
        memcpy(m.layer[0].w_ih, wih, sizeof wih);
        memcpy(m.layer[0].w_hh, whh, sizeof whh);
        memcpy(m.layer[0].b_ih, bih, sizeof bih);
        memcpy(m.layer[0].b_hh, bhh, sizeof bhh);
        const float x[2] = {0.8f, -0.3f}, h0[1] = {0.4f};
        rb_batch in = batch_of(&w, x, h0, NULL);
        double y[2], hn[1];
        CHECK_INT(rb_ref_forward(&m, &in, y, hn, NULL, &e), 0);
        double h = h0[0];
        for (int t = 0; t < 2; t++) {
            double X = x[t];
            double r = 1 / (1 + exp(-(wih[0] * X + bih[0] + whh[0] * h + bhh[0])));
            double z = 1 / (1 + exp(-(wih[1] * X + bih[1] + whh[1] * h + bhh[1])));
            double rec = before ? whh[2] * (r * h) + bhh[2] : r * (whh[2] * h + bhh[2]);
            double n = tanh(wih[2] * X + bih[2] + rec);
            h = (1 - z) * n + z * h;
            CHECK_NEAR(y[t], h, 1e-15);
        }
        CHECK_NEAR(hn[0], h, 0);
        rb_model_free(&m);
    }
    /* the two forms differ here (b_hn != 0): a mix-up cannot pass both */
    CHECK(fabs(0.375 - 0.625 * 0.5 - (0.375 - 0.625)) > 0.1);
    /* linear_before_reset is the GRU's alone */
    rb_workload w = wl(RB_CELL_LSTM, 2, 1, 1, 1, 1, 1);
    w.features = RB_FEAT_RESET_BEFORE;
    rb_model m;
    rb_err e = {0};
    CHECK_INT(rb_model_alloc(&m, &w, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "only in a GRU");
}

/* ---- (c) without input projection ------------------------------------ */

/* x' = W_ih x fed to a model without W_ih must give the same output.  W_ih,
 * x and the biases are small binary fractions, so W_ih x and every partial
 * sum are exact in double and the two paths agree bit for bit. */
static void test_no_input_proj(void)
{
    for (int cell = 0; cell < RB_CELL_COUNT; cell++) {
        const int T = 3, B = 2, I = 3, H = 4, L = 2, G = rb_cell_gates((rb_cell)cell);
        rb_workload wa = wl((rb_cell)cell, T, B, I, H, L, 1);
        rb_workload wb = wl((rb_cell)cell, T, B, I, H, L, 0);
        rb_model a, b;
        rb_err e = {0};
        CHECK_INT(rb_model_alloc(&a, &wa, &e), 0);
        CHECK_INT(rb_model_alloc(&b, &wb, &e), 0);
        CHECK(b.layer[0].w_ih == NULL && b.layer[0].in == 0);
        CHECK_INT(rb_workload_x_width(&wb), G * H);
        rb_model_init_seeded(&a, 11);
        rb_rng r = {5};
        for (int k = 0; k < G * H; k++) {
            a.layer[0].b_ih[k] = (float)((int)(rb_rng_next(&r) % 33) - 16) / 32.0f;
            a.layer[0].b_hh[k] = (float)((int)(rb_rng_next(&r) % 33) - 16) / 32.0f;
            for (int j = 0; j < I; j++)
                a.layer[0].w_ih[k * I + j] = (float)((int)(rb_rng_next(&r) % 17) - 8) / 16.0f;
        }
        size_t gh = (size_t)G * H;
        for (int l = 0; l < L; l++) {
            memcpy(b.layer[l].w_hh, a.layer[l].w_hh, gh * H * sizeof(float));
            memcpy(b.layer[l].b_ih, a.layer[l].b_ih, gh * sizeof(float));
            memcpy(b.layer[l].b_hh, a.layer[l].b_hh, gh * sizeof(float));
            if (l > 0)
                memcpy(b.layer[l].w_ih, a.layer[l].w_ih, gh * H * sizeof(float));
        }
        float x[3 * 2 * 3], xp[3 * 2 * 16];
        for (int k = 0; k < T * B * I; k++)
            x[k] = (float)((int)(rb_rng_next(&r) % 17) - 8) / 8.0f;
        for (int tb = 0; tb < T * B; tb++)
            for (size_t k = 0; k < gh; k++) {
                float s = 0;
                for (int j = 0; j < I; j++)
                    s += a.layer[0].w_ih[k * I + j] * x[tb * I + j]; /* exact */
                xp[tb * gh + k] = s;
            }
        rb_batch ia = batch_of(&wa, x, NULL, NULL), ib = batch_of(&wb, xp, NULL, NULL);
        double ya[3 * 2 * 4], yb[3 * 2 * 4], ha[2 * 2 * 4], hb[2 * 2 * 4];
        CHECK_INT(rb_ref_forward(&a, &ia, ya, ha, NULL, &e), 0);
        CHECK_INT(rb_ref_forward(&b, &ib, yb, hb, NULL, &e), 0);
        CHECK(!memcmp(ya, yb, sizeof ya));
        CHECK(!memcmp(ha, hb, sizeof ha));
        double sum = 0;
        for (int k = 0; k < T * B * H; k++)
            sum += fabs(ya[k]);
        CHECK(sum > 0.1); /* not a trivially zero output */

        /* the width is checked: x of width I is refused by the no-projection model */
        ib.width = I;
        CHECK_INT(rb_ref_forward(&b, &ib, yb, NULL, NULL, &e), RB_EINPUT);
        CHECK_STR_HAS(e.msg, "width 3");
        rb_model_free(&a);
        rb_model_free(&b);
    }
}

/* ---- (d) two layers and an initial state, by hand ---------------------- */

static void test_two_layers(void)
{
    rb_workload w = wl(RB_CELL_LSTM, 1, 1, 1, 1, 2, 1);
    rb_model m;
    rb_err e = {0};
    CHECK_INT(rb_model_alloc(&m, &w, &e), 0);
    CHECK_INT(m.layer[1].in, 1);
    set_lstm_1x1(&m, 0);
    set_lstm_1x1(&m, 1);
    const float x[1] = {0.7f}, h0[2] = {0.2f, -0.4f}, c0[2] = {-0.5f, 0.9f};
    rb_batch in = batch_of(&w, x, h0, c0);
    double y[1], hn[2], cn[2];
    CHECK_INT(rb_ref_forward(&m, &in, y, hn, cn, &e), 0);

    double h_a = h0[0], c_a = c0[0];
    lstm_1x1_step(x[0], &h_a, &c_a);
    double h_b = h0[1], c_b = c0[1];
    lstm_1x1_step(h_a, &h_b, &c_b); /* layer 1 reads layer 0's fp64 output */
    CHECK_NEAR(y[0], h_b, 1e-16);
    CHECK_NEAR(hn[0], h_a, 1e-16);
    CHECK_NEAR(cn[0], c_a, 1e-16);
    CHECK_NEAR(hn[1], h_b, 1e-16);
    CHECK_NEAR(cn[1], c_b, 1e-16);

    /* the initial state matters */
    double y0[1];
    in.h0 = in.c0 = NULL;
    CHECK_INT(rb_ref_forward(&m, &in, y0, NULL, NULL, &e), 0);
    CHECK(fabs(y0[0] - y[0]) > 1e-3);
    rb_model_free(&m);
}

/* A seeded 3-layer stack equals three 1-layer stacks chained, up to the
 * fp32 rounding the chain needs between layers. */
static void test_stack_composes(void)
{
    const int T = 4, B = 3, I = 5, H = 6, L = 3;
    rb_workload w = wl(RB_CELL_LSTM, T, B, I, H, L, 1);
    rb_model m;
    rb_err e = {0};
    CHECK_INT(rb_model_alloc(&m, &w, &e), 0);
    rb_model_init_seeded(&m, 3);
    float *x = rb_make_input(&w, 4, &e);
    float h0[3 * 3 * 6], c0[3 * 3 * 6];
    rb_rng r = {9};
    for (int k = 0; k < L * B * H; k++) {
        h0[k] = rb_rng_uniform(&r, -1, 1);
        c0[k] = rb_rng_uniform(&r, -1, 1);
    }
    rb_batch in = batch_of(&w, x, h0, c0);
    double y[4 * 3 * 6], hn[3 * 3 * 6], cn[3 * 3 * 6];
    CHECK_INT(rb_ref_forward(&m, &in, y, hn, cn, &e), 0);

    float cur[4 * 3 * 6 + 4 * 3 * 5];
    memcpy(cur, x, sizeof(float) * (size_t)(T * B * I));
    double ys[4 * 3 * 6], hs[3 * 6], cs[3 * 6];
    double worst = 0;
    for (int l = 0; l < L; l++) {
        rb_workload w1 = wl(RB_CELL_LSTM, T, B, l ? H : I, H, 1, 1);
        rb_model one = m;
        one.layers = 1;
        one.input = w1.input;
        one.layer = &m.layer[l];
        rb_batch b1 = batch_of(&w1, cur, h0 + l * B * H, c0 + l * B * H);
        CHECK_INT(rb_ref_forward(&one, &b1, ys, hs, cs, &e), 0);
        for (int k = 0; k < B * H; k++) {
            worst = fmax(worst, fabs(hs[k] - hn[l * B * H + k]));
            worst = fmax(worst, fabs(cs[k] - cn[l * B * H + k]));
        }
        for (int k = 0; k < T * B * H; k++)
            cur[k] = (float)ys[k];
    }
    for (int k = 0; k < T * B * H; k++)
        worst = fmax(worst, fabs(ys[k] - y[k]));
    CHECK(worst < 1e-6);
    CHECK(worst > 0); /* the stack did not round between layers; the chain did */
    free(x);
    rb_model_free(&m);
}

/* ---- (e) PyTorch fixtures --------------------------------------------- */


static int load_f32(const char *dir, const char *name, size_t want, rb_npy *a)
{
    char path[1024];
    rb_err e = {0};
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int rc = rb_npy_read_f32(path, a, 0, &e);
    if (rc)
        fprintf(stderr, "%s\n", e.msg);
    CHECK_INT(rc, 0);
    CHECK_INT(a->count, want);
    return rc == 0 && a->count == want ? 0 : -1;
}

static int load_f64(const char *dir, const char *name, size_t want, rb_npy *a)
{
    char path[1024];
    rb_err e = {0};
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int rc = rb_npy_read_f64(path, a, 0, &e);
    if (rc)
        fprintf(stderr, "%s\n", e.msg);
    CHECK_INT(rc, 0);
    CHECK_INT(a->count, want);
    return rc == 0 && a->count == want ? 0 : -1;
}

static double max_diff64(const double *a, const double *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs(a[i] - b[i]));
    return m;
}

static double max_diff32(const double *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs(a[i] - (double)b[i]));
    return m;
}

static void test_torch_case(const rb_torch_case *c)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/torch/%s", RB_FIXTURES, c->name);
    rb_workload w = wl(c->cell, c->T, c->B, c->I, c->H, c->L, 1);
    rb_model m;
    rb_err e = {0};
    CHECK_INT(rb_model_alloc(&m, &w, &e), 0);
    int rc = rb_model_load_npy(&m, dir, &e);
    if (rc)
        fprintf(stderr, "%s\n", e.msg);
    CHECK_INT(rc, 0);

    size_t ny = (size_t)c->T * c->B * c->H, ns = (size_t)c->L * c->B * c->H;
    int lstm = c->cell == RB_CELL_LSTM;
    rb_npy x = {0}, h0 = {0}, c0 = {0}, y32 = {0}, y64 = {0}, hn32 = {0}, hn64 = {0}, cn64 = {0};
    int ok = rc == 0 && load_f32(dir, "x.npy", (size_t)c->T * c->B * c->I, &x) == 0 &&
             load_f32(dir, "y.npy", ny, &y32) == 0 && load_f64(dir, "y_ref.npy", ny, &y64) == 0 &&
             load_f32(dir, "h_n.npy", ns, &hn32) == 0 &&
             load_f64(dir, "h_n_ref.npy", ns, &hn64) == 0;
    if (ok && lstm)
        ok = load_f64(dir, "c_n_ref.npy", ns, &cn64) == 0;
    if (ok && c->state)
        ok = load_f32(dir, "h0.npy", ns, &h0) == 0 &&
             (!lstm || load_f32(dir, "c0.npy", ns, &c0) == 0);
    if (ok) {
        rb_batch in = batch_of(&w, x.f32, h0.f32, c0.f32);
        double *y = malloc(ny * sizeof *y), *hn = malloc(ns * sizeof *hn),
               *cn = malloc(ns * sizeof *cn);
        CHECK_INT(rb_ref_forward(&m, &in, y, hn, cn, &e), 0);
        double d_y = max_diff64(y, y64.f64, ny), d_h = max_diff64(hn, hn64.f64, ns);
        double d_c = lstm ? max_diff64(cn, cn64.f64, ns) : 0;
        double d_y32 = max_diff32(y, y32.f32, ny), d_h32 = max_diff32(hn, hn32.f32, ns);
        printf(
            "  torch %-22s max abs vs fp64 y %.3g, h_n %.3g, c_n %.3g; vs fp32 y %.3g, h_n %.3g\n",
            c->name, d_y, d_h, d_c, d_y32, d_h32);
        /* same fp64 math, different summation order and libm: ~1e-16 */
        CHECK(d_y < 1e-12);
        CHECK(d_h < 1e-12);
        CHECK(d_c < 1e-12);
        /* the float32 files differ by their own rounding only */
        CHECK(d_y32 < 1e-6);
        CHECK(d_h32 < 1e-6);
        rb_errstat st;
        rb_compare(y32.f32, y, ny, &st);
        CHECK(st.max_rel <= rb_fp32_tolerance(&w, 0));
        CHECK_INT(st.nonfinite, 0);
        /* and the outputs are far from trivial */
        double mag = 0;
        for (size_t i = 0; i < ny; i++)
            mag = fmax(mag, fabs(y[i]));
        CHECK(mag > 0.1);
        free(y);
        free(hn);
        free(cn);
    }
    rb_npy_free(&x);
    rb_npy_free(&h0);
    rb_npy_free(&c0);
    rb_npy_free(&y32);
    rb_npy_free(&y64);
    rb_npy_free(&hn32);
    rb_npy_free(&hn64);
    rb_npy_free(&cn64);
    rb_model_free(&m);
}

static void test_torch(void)
{
    for (size_t i = 0; i < RB_N_TORCH_CASES; i++)
        test_torch_case(&rb_torch_cases[i]);
}

/* ---- (f) error measures ------------------------------------------------ */

static void test_compare(void)
{
    rb_errstat s;
    const float y[4] = {1.0f, 0.5f, 2e-5f, -3.0f};
    const double r[4] = {1.0, 0.25, 0.0, -2.0};
    rb_compare(y, r, 4, &s);
    CHECK_NEAR(s.max_abs, 1.0, 0);
    CHECK_NEAR(s.max_rel, 0.5, 0); /* 1 / 2 beats 0.25 (absolute, |r| < 1) and 2e-5 */
    CHECK_INT(s.worst, 3);
    CHECK_INT(s.nonfinite, 0);

    /* within the output range (|r| <= RB_REL_FLOOR = 1) the absolute error counts */
    const float y2[2] = {0.5f, 3.0f};
    const double r2[2] = {0.25, 5.0};
    rb_compare(y2, r2, 2, &s);
    CHECK_NEAR(s.max_rel, 0.4, 1e-15); /* 2/5 beats 0.25 */
    CHECK_INT(s.worst, 1);
    CHECK_NEAR(s.max_abs, 2.0, 0);
    /* a near-zero reference does not blow the error up */
    const float y3[1] = {1e-7f};
    const double r3[1] = {1e-9};
    rb_compare(y3, r3, 1, &s);
    CHECK_NEAR(s.max_rel, (double)1e-7f - 1e-9, 1e-20);
    CHECK_INT(s.worst, 0);

    /* NaN and Inf poison both measures and are counted */
    const float y4[5] = {1, NAN, 2, INFINITY, -INFINITY};
    const double r4[5] = {1, 1, 2, 1, 1};
    rb_compare(y4, r4, 5, &s);
    CHECK(isinf(s.max_abs) && s.max_abs > 0);
    CHECK(isinf(s.max_rel) && s.max_rel > 0);
    CHECK_INT(s.nonfinite, 3);
    CHECK_INT(s.worst, 1);

    /* identical and empty inputs */
    rb_compare(y, (const double[4]){1.0, 0.5, (double)2e-5f, -3.0}, 4, &s);
    CHECK(s.max_abs == 0 && s.max_rel == 0 && s.nonfinite == 0);
    rb_compare(NULL, NULL, 0, &s);
    CHECK(s.max_abs == 0 && s.max_rel == 0 && s.worst == 0 && s.nonfinite == 0);
}

static void test_tolerance(void)
{
    /* I = H = 512, T = 25, L = 1: ceil(log2(1024 * 25)) = ceil(14.64) = 15 */
    rb_workload w = wl(RB_CELL_LSTM, 25, 1, 512, 512, 1, 1);
    CHECK_NEAR(rb_fp32_tolerance(&w, 0), 4.0 * 15 * FLT_EPSILON, 1e-20);
    CHECK_NEAR(rb_fp32_tolerance(&w, 1), 8.0 * 15 * FLT_EPSILON, 1e-20);
    CHECK_NEAR(rb_fp32_tolerance(&w, 0), 7.152557373046875e-06, 1e-18);
    /* an exact power of two is not rounded up: 1024 * 32 = 2^15 */
    w = wl(RB_CELL_LSTM, 32, 4, 512, 512, 1, 1);
    CHECK_NEAR(rb_fp32_tolerance(&w, 0), 4.0 * 15 * FLT_EPSILON, 1e-20);
    /* I > H: acc_dim = I + H = 13, n_iter = 3 * 2: ceil(log2(78)) = 7 */
    w = wl(RB_CELL_RNN, 3, 1, 5 + 3, 5, 2, 1);
    CHECK_NEAR(rb_fp32_tolerance(&w, 0), 4.0 * 7 * FLT_EPSILON, 1e-20);
    /* H > I: acc_dim = 2H = 16, n_iter = 6: ceil(log2(96)) = 7 */
    w = wl(RB_CELL_LSTM, 3, 1, 5, 8, 2, 1);
    CHECK_NEAR(rb_fp32_tolerance(&w, 0), 4.0 * 7 * FLT_EPSILON, 1e-20);
    /* smallest case: acc_dim 2, n_iter 1 -> one bit */
    w = wl(RB_CELL_LSTM, 1, 1, 1, 1, 1, 1);
    CHECK_NEAR(rb_fp32_tolerance(&w, 0), 4.0 * FLT_EPSILON, 1e-20);
    /* without input projection the longest dot product is W_hh h (2H for
     * layers after the first): I does not enter */
    w = wl(RB_CELL_LSTM, 25, 1, 4096, 512, 1, 0);
    CHECK_NEAR(rb_fp32_tolerance(&w, 0), 4.0 * 15 * FLT_EPSILON, 1e-20);
}

static void test_errors(void)
{
    rb_workload w = wl(RB_CELL_LSTM, 2, 1, 3, 2, 1, 1);
    rb_model m;
    rb_err e = {0};
    CHECK_INT(rb_model_alloc(&m, &w, &e), 0);
    float x[6] = {0};
    double y[4];
    rb_batch in = batch_of(&w, x, NULL, NULL);
    in.width = 4;
    CHECK_INT(rb_ref_forward(&m, &in, y, NULL, NULL, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "width 4");
    CHECK_STR_HAS(e.msg, "expects 3");
    in = batch_of(&w, NULL, NULL, NULL);
    CHECK_INT(rb_ref_forward(&m, &in, y, NULL, NULL, &e), RB_EINPUT);
    in = batch_of(&w, x, NULL, NULL);
    in.seq = 0;
    CHECK_INT(rb_ref_forward(&m, &in, y, NULL, NULL, &e), RB_EINPUT);
    rb_model_free(&m);
}

int main(void)
{
    test_lstm_by_hand();
    test_lstm_zero_weights();
    test_rnn_by_hand();
    test_no_input_proj();
    test_two_layers();
    test_stack_composes();
    test_torch();
    test_gru_by_hand();
    test_compare();
    test_tolerance();
    test_errors();
    return rb_test_done("test_reference");
}
