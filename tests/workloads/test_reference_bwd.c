/* test_reference_bwd.c — the reference backward against finite differences
 * and a hand-derived case; the optimizer and the benchmark loss against
 * their formulas; the flat parameter layout. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../workloads/loss.h"
#include "../../workloads/model.h"
#include "../../workloads/npy.h"
#include "../../workloads/optim.h"
#include "../../workloads/params.h"
#include "../../workloads/reference.h"
#include "../../workloads/rng.h"
#include "../rb_test.h"
#include "../rb_test_workload.h"
#include "../rb_torch_cases.h"

typedef struct fd_case {
    const char *what;
    rb_cell cell;
    int T, B, I, H, L, proj, with_h0;
} fd_case;

static const fd_case cases[] = {
    {"lstm 1 layer", RB_CELL_LSTM, 4, 2, 3, 5, 1, 1, 0},
    {"lstm 2 layers h0/c0", RB_CELL_LSTM, 3, 2, 4, 3, 2, 1, 1},
    {"lstm 3 layers B=1", RB_CELL_LSTM, 3, 1, 2, 3, 3, 1, 0},
    {"lstm no input proj h0/c0", RB_CELL_LSTM, 3, 2, 3, 3, 2, 0, 1},
    {"rnn 2 layers", RB_CELL_RNN, 5, 2, 3, 4, 2, 1, 0},
    {"rnn h0, T=1", RB_CELL_RNN, 1, 3, 4, 3, 1, 1, 1},
    {"rnn no input proj", RB_CELL_RNN, 4, 2, 4, 4, 2, 0, 0},
    {"gru 1 layer", RB_CELL_GRU, 4, 2, 3, 5, 1, 1, 0},
    {"gru 2 layers h0", RB_CELL_GRU, 3, 2, 4, 3, 2, 1, 1},
    {"gru no input proj h0", RB_CELL_GRU, 3, 2, 3, 3, 2, 0, 1},
};

static void fill(float *p, size_t n, rb_rng *r, float k)
{
    for (size_t i = 0; i < n; i++)
        p[i] = rb_rng_uniform(r, -k, k);
}

/* sum(r . y): a loss whose gradient w.r.t. y is r. */
static double lin_loss(const rb_model *m, const rb_batch *b, const double *r, double *y)
{
    rb_err e = {0};
    if (rb_ref_forward(m, b, y, NULL, NULL, &e))
        return NAN;
    double s = 0;
    for (size_t i = 0; i < (size_t)b->seq * b->batch * m->hidden; i++)
        s += r[i] * y[i];
    return s;
}

/* Central difference of the loss in *p, using the step the float really took. */
static double central(const rb_model *m, const rb_batch *b, const double *r, double *y, float *p)
{
    const float keep = *p;
    const float up = keep + 1e-3f, down = keep - 1e-3f;
    *p = up;
    double lu = lin_loss(m, b, r, y);
    *p = down;
    double ld = lin_loss(m, b, r, y);
    *p = keep;
    return (lu - ld) / ((double)up - (double)down);
}

static float *param_ptr(rb_model *m, int l, rb_param_kind k)
{
    rb_layer *ly = &m->layer[l];
    float *p[] = {ly->w_ih, ly->w_hh, ly->b_ih, ly->b_hh};
    return p[k];
}

static void test_finite_differences(void)
{
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const fd_case *fc = &cases[c];
        rb_workload w = rb_test_workload(fc->cell, fc->T, fc->B, fc->I, fc->H, fc->L, fc->proj);
        rb_model m;
        rb_err e = {0};
        CHECK_INT(rb_model_alloc(&m, &w, &e), 0);
        /* larger than the default init, so the gates are far from linear */
        rb_rng rng = {c + 11};
        for (int l = 0; l < m.layers; l++)
            for (int k = RB_P_W_IH; k <= RB_P_B_HH; k++)
                fill(param_ptr(&m, l, (rb_param_kind)k), rb_param_count(&m, l, (rb_param_kind)k),
                     &rng, 0.8f);
        size_t X = (size_t)rb_workload_x_width(&w), TB = (size_t)w.seq * w.batch,
               LBH = (size_t)w.layers * w.batch * w.hidden, n = TB * w.hidden;
        float *x = malloc(TB * X * sizeof *x), *h0 = NULL, *c0 = NULL;
        fill(x, TB * X, &rng, 1.0f);
        if (fc->with_h0) {
            h0 = malloc(LBH * sizeof *h0);
            fill(h0, LBH, &rng, 0.9f);
            if (fc->cell == RB_CELL_LSTM) {
                c0 = malloc(LBH * sizeof *c0);
                fill(c0, LBH, &rng, 0.9f);
            }
        }
        rb_batch b = {w.seq, w.batch, (int)X, x, h0, c0, NULL};
        double *r = malloc(n * sizeof *r), *y = malloc(n * sizeof *y);
        for (size_t i = 0; i < n; i++)
            r[i] = rb_rng_uniform(&rng, -1.0f, 1.0f);
        size_t P = rb_param_total(&m);
        double *g = malloc(P * sizeof *g), *dx = malloc(TB * X * sizeof *dx);
        for (size_t i = 0; i < P; i++)
            g[i] = 99; /* padding must come back zero */
        CHECK_INT(rb_ref_backward(&m, &b, r, g, dx, &e), 0);

        double worst = 0, gmax = 0;
        size_t checked = 0;
        for (int l = 0; l < m.layers; l++)
            for (int k = RB_P_W_IH; k <= RB_P_B_HH; k++) {
                size_t cnt = rb_param_count(&m, l, (rb_param_kind)k),
                       off = rb_param_off(&m, l, (rb_param_kind)k);
                float *p = param_ptr(&m, l, (rb_param_kind)k);
                for (size_t i = 0; i < cnt; i++) {
                    double fd = central(&m, &b, r, y, &p[i]);
                    double d = fabs(fd - g[off + i]);
                    worst = d > worst ? d : worst;
                    gmax = fabs(g[off + i]) > gmax ? fabs(g[off + i]) : gmax;
                    checked++;
                }
            }
        for (size_t i = 0; i < TB * X; i++) {
            double d = fabs(central(&m, &b, r, y, &x[i]) - dx[i]);
            worst = d > worst ? d : worst;
        }
        size_t pad_nonzero = 0, used = 0;
        for (int l = 0; l < m.layers; l++)
            for (int k = RB_P_W_IH; k <= RB_P_B_HH; k++)
                used += rb_param_count(&m, l, (rb_param_kind)k);
        for (size_t i = 0; i < P; i++)
            pad_nonzero += g[i] != 0;
        /* central differences with h = 1e-3 are good to ~h^2 times the
         * third derivative: 1e-6 here, against gradients of order 1 */
        if (worst > 2e-5 || gmax < 0.05)
            fprintf(stderr, "%s: worst |fd - bwd| = %.3g over %zu parameters, max |g| %.3g\n",
                    fc->what, worst, checked, gmax);
        CHECK(worst < 2e-5);
        CHECK(gmax > 0.05);
        CHECK(pad_nonzero <= used);
        /* the two bias gradients are the same sum, except in the GRU's n
         * rows, where b_hn is scaled by r and b_in is not */
        for (int l = 0; l < m.layers; l++) {
            size_t nb = rb_param_count(&m, l, RB_P_B_IH), same = fc->cell == RB_CELL_GRU ? nb / 3 * 2 : nb;
            const double *gi = g + rb_param_off(&m, l, RB_P_B_IH),
                         *gh = g + rb_param_off(&m, l, RB_P_B_HH);
            CHECK(!memcmp(gi, gh, same * sizeof *g));
            for (size_t k = same; k < nb; k++)
                CHECK(fabs(gh[k]) < fabs(gi[k]) || gi[k] == 0); /* |r| < 1 */
        }
        free(x);
        free(h0);
        free(c0);
        free(r);
        free(y);
        free(g);
        free(dx);
        rb_model_free(&m);
    }
}

/* T = 1, H = I = 1 tanh RNN by hand: y = tanh(w x + u h0 + b1 + b2), so
 * dL/dw = r (1 - y^2) x, dL/du = r (1 - y^2) h0, dL/db = r (1 - y^2),
 * dL/dx = r (1 - y^2) w. */
static void test_rnn_by_hand(void)
{
    rb_workload w = rb_test_workload(RB_CELL_RNN, 1, 1, 1, 1, 1, 1);
    rb_model m;
    rb_err e = {0};
    CHECK_INT(rb_model_alloc(&m, &w, &e), 0);
    m.layer[0].w_ih[0] = 0.5f;
    m.layer[0].w_hh[0] = -0.25f;
    m.layer[0].b_ih[0] = 0.125f;
    m.layer[0].b_hh[0] = 0.0625f;
    float x = 0.75f, h0 = -0.5f;
    rb_batch b = {1, 1, 1, &x, &h0, NULL, NULL};
    double r = 0.8, g[64], dx;
    CHECK_INT(rb_param_total(&m) <= 64, 1);
    CHECK_INT(rb_ref_backward(&m, &b, &r, g, &dx, &e), 0);
    double y = tanh(0.5 * 0.75 + 0.25 * 0.5 + 0.125 + 0.0625), d = r * (1 - y * y);
    CHECK_NEAR(g[rb_param_off(&m, 0, RB_P_W_IH)], d * 0.75, 1e-15);
    CHECK_NEAR(g[rb_param_off(&m, 0, RB_P_W_HH)], d * -0.5, 1e-15);
    CHECK_NEAR(g[rb_param_off(&m, 0, RB_P_B_IH)], d, 1e-15);
    CHECK_NEAR(g[rb_param_off(&m, 0, RB_P_B_HH)], d, 1e-15);
    CHECK_NEAR(dx, d * 0.5, 1e-15);
    rb_model_free(&m);
}

static void test_layout(void)
{
    rb_workload w = rb_test_workload(RB_CELL_LSTM, 2, 2, 5, 3, 3, 1);
    rb_model m;
    rb_err e = {0};
    CHECK_INT(rb_model_alloc(&m, &w, &e), 0);
    /* 12 x 5 = 60 -> 64; 12 x 3 = 36 -> 48; 12 -> 16 twice; later layers 48 + 48 + 16 + 16 */
    CHECK_INT(rb_param_off(&m, 0, RB_P_W_IH), 0);
    CHECK_INT(rb_param_off(&m, 0, RB_P_W_HH), 64);
    CHECK_INT(rb_param_off(&m, 0, RB_P_B_IH), 112);
    CHECK_INT(rb_param_off(&m, 0, RB_P_B_HH), 128);
    CHECK_INT(rb_param_off(&m, 1, RB_P_W_IH), 144);
    CHECK_INT(rb_param_off(&m, 2, RB_P_W_IH), 272);
    CHECK_INT(rb_param_off(&m, 2, RB_P_B_HH), 272 + 112);
    CHECK_INT(rb_param_total(&m), 272 + 128);
    rb_model_init_seeded(&m, 3);
    float *flat = malloc(rb_param_total(&m) * sizeof *flat);
    rb_model_flatten(&m, flat);
    CHECK(flat[rb_param_off(&m, 1, RB_P_W_HH) + 7] == m.layer[1].w_hh[7]);
    CHECK(flat[rb_param_off(&m, 0, RB_P_W_IH) + 60] == 0); /* padding */
    flat[rb_param_off(&m, 2, RB_P_B_IH) + 11] = 42;
    rb_model_unflatten(&m, flat);
    CHECK(m.layer[2].b_ih[11] == 42);
    free(flat);
    rb_model_free(&m);

    /* without input projection layer 0 has no weight_ih at all */
    w = rb_test_workload(RB_CELL_RNN, 2, 2, 5, 3, 2, 0);
    CHECK_INT(rb_model_alloc(&m, &w, &e), 0);
    CHECK_INT(rb_param_count(&m, 0, RB_P_W_IH), 0);
    CHECK_INT(rb_param_off(&m, 0, RB_P_W_HH), 0);
    CHECK_INT(rb_param_off(&m, 1, RB_P_W_IH), 16 + 16 + 16);
    rb_model_free(&m);
}

/* Adam's first steps by hand: step 1 moves every parameter by lr * g/(|g|+eps'). */
static void test_adam(void)
{
    rb_optim o;
    rb_optim_default(&o);
    CHECK_NEAR(o.lr, 1e-3, 0);
    float p[3] = {1, -2, 0.5f}, g[3] = {0.1f, -3, 0}, m[3] = {0}, v[3] = {0};
    rb_adam_step(&o, 1, 1.0f, p, g, m, v, 3);
    CHECK_NEAR(p[0], 1 - 1e-3 * 0.1 / (0.1 + 1e-8), 1e-7);
    CHECK_NEAR(p[1], -2 + 1e-3, 1e-7);
    CHECK_NEAR(p[2], 0.5, 0);
    /* step 2 with the same gradient: still lr per step (m/sqrt(v) = sign) */
    rb_adam_step(&o, 2, 1.0f, p, g, m, v, 3);
    CHECK_NEAR(p[1], -2 + 2e-3, 1e-6);
    CHECK_NEAR(m[1], -3 * (0.1 * 0.9 + 0.1), 1e-6);
    /* clipping: norm 5 and 10 against a limit of 5 */
    CHECK_NEAR(rb_clip_scale(&o, 5.0), 1.0, 1e-6);
    CHECK_NEAR(rb_clip_scale(&o, 10.0), 0.5, 1e-6);
    o.clip = 0;
    CHECK_NEAR(rb_clip_scale(&o, 1e9), 1.0, 0);
    float gn[2] = {3, 4};
    CHECK_NEAR(rb_grad_norm(gn, 2), 5.0, 1e-12);
}

static void test_mse(void)
{
    float y[4] = {1, 0, -1, 0.5f}, t[4] = {0, 0, 1, 0.5f}, dy[4];
    rb_mse ctx = {t, 4};
    double loss;
    rb_err e = {0};
    CHECK_INT(rb_mse_loss(&ctx, y, dy, &loss, &e), 0);
    CHECK_NEAR(loss, 0.5 * (1 + 4) / 4, 1e-12);
    CHECK_NEAR(dy[0], 0.25, 1e-7);
    CHECK_NEAR(dy[2], -0.5, 1e-7);
    CHECK_NEAR(dy[3], 0, 0);
    rb_mse none = {NULL, 0};
    CHECK_INT(rb_mse_loss(&none, y, dy, &loss, &e), RB_EINPUT);
    rb_workload w = rb_test_workload(RB_CELL_LSTM, 3, 2, 4, 5, 1, 1);
    float *a = rb_make_train_target(&w, 7, &e), *b = rb_make_train_target(&w, 7, &e);
    CHECK(a && b && !memcmp(a, b, 30 * sizeof *a));
    float lo = 1, hi = -1;
    for (int i = 0; a && i < 30; i++) {
        lo = a[i] < lo ? a[i] : lo;
        hi = a[i] > hi ? a[i] : hi;
    }
    CHECK(lo >= -0.5f && hi < 0.5f && hi - lo > 0.5f);
    free(a);
    free(b);
}

/* The reference backward against PyTorch's autograd in fp64 on the
 * committed fixtures (scripts/make-torch-fixtures.py, an independent tool). */
static double *read64(const char *dir, const char *name, size_t want, rb_npy *a)
{
    char path[1024];
    rb_err e = {0};
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int rc = rb_npy_read_f64(path, a, 0, &e);
    CHECK_INT(rc, 0);
    CHECK_INT(a->count, want);
    return !rc && a->count == want ? a->f64 : NULL;
}

static void test_against_torch(void)
{
    const rb_torch_case *tcases = rb_torch_cases;
    for (size_t k = 0; k < RB_N_TORCH_CASES; k++) {
        char dir[512], sub[600];
        snprintf(dir, sizeof dir, "%s/torch/%s", RB_FIXTURES, tcases[k].name);
        rb_workload w = rb_test_workload(tcases[k].cell, tcases[k].T, tcases[k].B, tcases[k].I,
                                         tcases[k].H, tcases[k].L, 1);
        size_t n = (size_t)w.seq * w.batch * w.hidden, ns = (size_t)w.layers * w.batch * w.hidden,
               nx = (size_t)w.seq * w.batch * w.input;
        rb_model m;
        rb_err e = {0};
        rb_npy x = {0}, h0 = {0}, c0 = {0}, tgt = {0}, dxt = {0};
        CHECK_INT(rb_model_alloc(&m, &w, &e), 0);
        CHECK_INT(rb_model_load_npy(&m, dir, &e), 0);
        char path[1024];
        snprintf(path, sizeof path, "%s/x.npy", dir);
        CHECK_INT(rb_npy_read_f32(path, &x, 0, &e), 0);
        snprintf(path, sizeof path, "%s/y_target.npy", dir);
        CHECK_INT(rb_npy_read_f32(path, &tgt, 0, &e), 0);
        rb_batch b = {w.seq, w.batch, w.input, x.f32, NULL, NULL, NULL};
        if (tcases[k].state) {
            snprintf(path, sizeof path, "%s/h0.npy", dir);
            CHECK_INT(rb_npy_read_f32(path, &h0, 0, &e), 0);
            b.h0 = h0.f32;
            if (w.cell == RB_CELL_LSTM) {
                snprintf(path, sizeof path, "%s/c0.npy", dir);
                CHECK_INT(rb_npy_read_f32(path, &c0, 0, &e), 0);
                b.c0 = c0.f32;
            }
            CHECK_INT(h0.count, ns);
        }
        size_t P = rb_param_total(&m);
        double *y = malloc(n * sizeof *y), *dy = malloc(n * sizeof *dy), *g = malloc(P * sizeof *g),
               *dx = malloc(nx * sizeof *dx);
        if (!x.f32 || tgt.count != n) {
            CHECK(0);
            continue;
        }
        CHECK_INT(rb_ref_forward(&m, &b, y, NULL, NULL, &e), 0);
        for (size_t i = 0; i < n; i++)
            dy[i] = (y[i] - tgt.f32[i]) / (double)n;
        CHECK_INT(rb_ref_backward(&m, &b, dy, g, dx, &e), 0);
        double worst = 0;
        snprintf(sub, sizeof sub, "%s/grad_ref", dir);
        for (int l = 0; l < m.layers; l++)
            for (int kind = RB_P_W_IH; kind <= RB_P_B_HH; kind++) {
                char name[64], file[80];
                size_t cnt = rb_param_count(&m, l, kind), off = rb_param_off(&m, l, kind);
                snprintf(file, sizeof file, "%s.npy",
                         rb_model_param_name(name, sizeof name, &m, rb_param_kind_name(kind), l));
                rb_npy t = {0};
                const double *ref = read64(sub, file, cnt, &t);
                double scale = 0, d = 0;
                for (size_t i = 0; ref && i < cnt; i++) {
                    scale = fabs(ref[i]) > scale ? fabs(ref[i]) : scale;
                    d = fabs(g[off + i] - ref[i]) > d ? fabs(g[off + i] - ref[i]) : d;
                }
                /* all zero only where nothing flows: W_hh at T = 1 from h0 = 0 */
                CHECK(scale > 0 || d == 0);
                worst = scale > 0 && d / scale > worst ? d / scale : worst;
                rb_npy_free(&t);
            }
        const double *dxr = read64(dir, "dx_ref.npy", nx, &dxt);
        double dscale = 0, dd = 0;
        for (size_t i = 0; dxr && i < nx; i++) {
            dscale = fabs(dxr[i]) > dscale ? fabs(dxr[i]) : dscale;
            dd = fabs(dx[i] - dxr[i]) > dd ? fabs(dx[i] - dxr[i]) : dd;
        }
        printf("  torch %-22s reference backward vs autograd: grad %.2e dx %.2e\n", tcases[k].name,
               worst, dscale > 0 ? dd / dscale : dd);
        /* both fp64: agreement to a few ulp of the largest gradient */
        CHECK(worst < 1e-12);
        CHECK(dscale > 0 && dd / dscale < 1e-12);
        free(y);
        free(dy);
        free(g);
        free(dx);
        rb_npy_free(&x);
        rb_npy_free(&h0);
        rb_npy_free(&c0);
        rb_npy_free(&tgt);
        rb_npy_free(&dxt);
        rb_model_free(&m);
    }
}

int main(void)
{
    test_against_torch();
    test_layout();
    test_rnn_by_hand();
    test_finite_differences();
    test_adam();
    test_mse();
    return rb_test_done("reference_bwd");
}
