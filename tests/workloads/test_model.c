/* test_model.c — allocation, seeded init, names, .npy save/load, inputs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../workloads/model.h"
#include "../../workloads/npy.h"
#include "../../workloads/rng.h"
#include "../rb_test.h"

/* The absurd-size test expects malloc to fail, not ASan to abort. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "allocator_may_return_null=1"; }

static char tmpdir[] = "/tmp/rb_test_model_XXXXXX";

static int mkdir_p(const char *dir) { return mkdir(dir, 0700); }

static rb_workload wl(rb_cell cell, int I, int H, int L, int proj)
{
    rb_workload w;
    memset(&w, 0, sizeof w);
    w.cell = cell;
    w.seq = 3;
    w.batch = 2;
    w.input = I;
    w.hidden = H;
    w.layers = L;
    w.input_proj = proj;
    rb_workload_make_key(&w);
    return w;
}

static size_t model_floats(const rb_model *m, float **parts, size_t *lens)
{
    size_t n = 0, gh = (size_t)rb_cell_gates(m->cell) * m->hidden;
    for (int l = 0; l < m->layers; l++) {
        const rb_layer *ly = &m->layer[l];
        if (ly->w_ih) {
            parts[n] = ly->w_ih;
            lens[n++] = gh * ly->in;
        }
        parts[n] = ly->w_hh;
        lens[n++] = gh * m->hidden;
        parts[n] = ly->b_ih;
        lens[n++] = gh;
        parts[n] = ly->b_hh;
        lens[n++] = gh;
    }
    return n;
}

static int models_equal(const rb_model *a, const rb_model *b)
{
    float *pa[64], *pb[64];
    size_t la[64], lb[64];
    size_t na = model_floats(a, pa, la), nb = model_floats(b, pb, lb);
    if (na != nb)
        return 0;
    for (size_t i = 0; i < na; i++)
        if (la[i] != lb[i] || memcmp(pa[i], pb[i], la[i] * sizeof(float)))
            return 0;
    return 1;
}

static void test_alloc_layout(void)
{
    rb_workload w = wl(RB_CELL_LSTM, 7, 5, 3, 1);
    rb_model m;
    rb_err e = {0};
    CHECK_INT(rb_model_alloc(&m, &w, &e), 0);
    CHECK_INT(m.cell, RB_CELL_LSTM);
    CHECK_INT(m.input, 7);
    CHECK_INT(m.hidden, 5);
    CHECK_INT(m.layers, 3);
    CHECK_INT(m.input_proj, 1);
    CHECK_INT(m.layer[0].in, 7);
    CHECK_INT(m.layer[1].in, 5);
    CHECK_INT(m.layer[2].in, 5);
    /* zeroed */
    float *p[64];
    size_t len[64];
    size_t n = model_floats(&m, p, len), nz = 0, total = 0;
    CHECK_INT(n, 12);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < len[i]; k++, total++)
            nz += p[i][k] != 0;
    CHECK_INT(nz, 0);
    CHECK_INT(total, 20 * 7 + 20 * 5 + 40 + 2 * (20 * 5 + 20 * 5 + 40));
    rb_model_free(&m);
    CHECK(m.layer == NULL && m.layers == 0);
    rb_model_free(&m); /* twice is harmless */

    w = wl(RB_CELL_RNN, 3, 4, 2, 0);
    CHECK_INT(rb_model_alloc(&m, &w, &e), 0);
    CHECK_INT(m.input_proj, 0);
    CHECK(m.layer[0].w_ih == NULL);
    CHECK_INT(m.layer[0].in, 0);
    CHECK(m.layer[1].w_ih != NULL);
    CHECK_INT(m.layer[1].in, 4);
    rb_model_free(&m);
}

static void test_alloc_errors(void)
{
    rb_model m;
    rb_err e = {0};
    rb_workload w = wl(RB_CELL_LSTM, 4, 0, 1, 1);
    CHECK_INT(rb_model_alloc(&m, &w, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "hidden 0");
    w = wl(RB_CELL_LSTM, 4, 4, 0, 1);
    CHECK_INT(rb_model_alloc(&m, &w, &e), RB_EINPUT);
    w = wl(RB_CELL_LSTM, 0, 4, 1, 1);
    CHECK_INT(rb_model_alloc(&m, &w, &e), RB_EINPUT);
    w = wl(RB_CELL_LSTM, 0, 4, 1, 0); /* no projection: input is not used */
    CHECK_INT(rb_model_alloc(&m, &w, &e), 0);
    rb_model_free(&m);
    w = wl((rb_cell)7, 4, 4, 1, 1);
    CHECK_INT(rb_model_alloc(&m, &w, &e), RB_EINPUT);

    /* 4 * 2^24 rows x 2^24 columns of float: 2^52 bytes, refused cleanly */
    w = wl(RB_CELL_LSTM, 1 << 24, 1 << 24, 1, 1);
    CHECK_INT(rb_model_alloc(&m, &w, &e), RB_ENOMEM);
    CHECK_STR_HAS(e.msg, "4503599627370496 bytes");
    CHECK_STR_HAS(e.msg, "weight_ih_l0");
    CHECK(m.layer == NULL);
}

static void test_seeded(void)
{
    rb_workload w = wl(RB_CELL_LSTM, 3, 16, 2, 1);
    rb_model a, b, c;
    rb_err e = {0};
    CHECK_INT(rb_model_alloc(&a, &w, &e), 0);
    CHECK_INT(rb_model_alloc(&b, &w, &e), 0);
    CHECK_INT(rb_model_alloc(&c, &w, &e), 0);
    rb_model_init_seeded(&a, 1234);
    rb_model_init_seeded(&b, 1234);
    rb_model_init_seeded(&c, 1235);
    CHECK(models_equal(&a, &b));
    CHECK(!models_equal(&a, &c));

    /* every value in [-1/sqrt(H), 1/sqrt(H)) and the range used */
    float *p[64];
    size_t len[64];
    size_t n = model_floats(&a, p, len), total = 0;
    double k = 1.0 / sqrt(16.0), lo = 1, hi = -1, sum = 0;
    int out = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < len[i]; j++, total++) {
            double v = p[i][j];
            out += !(v >= -k && v < k);
            lo = fmin(lo, v);
            hi = fmax(hi, v);
            sum += v;
        }
    CHECK_INT(out, 0);
    CHECK(lo < -0.95 * k && hi > 0.95 * k);
    CHECK(fabs(sum / (double)total) < 0.02);

    /* the documented order: per layer w_ih, w_hh, b_ih, b_hh, row-major,
     * one stream */
    rb_rng r = {1234};
    float kf = (float)k;
    int order_ok = 1;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < len[i]; j++)
            order_ok &= p[i][j] == rb_rng_uniform(&r, -kf, kf);
    CHECK(order_ok);

    /* a known value pins the generator across machines and refactors */
    rb_rng r0 = {1234};
    CHECK(a.layer[0].w_ih[0] == rb_rng_uniform(&r0, -0.25f, 0.25f));
    rb_rng r1 = {0};
    CHECK_INT(rb_rng_next(&r1), 0xE220A8397B1DCDAFull);

    rb_model_free(&a);
    rb_model_free(&b);
    rb_model_free(&c);

    /* without input projection the stream starts at weight_hh_l0 */
    w = wl(RB_CELL_RNN, 3, 4, 1, 0);
    CHECK_INT(rb_model_alloc(&a, &w, &e), 0);
    rb_model_init_seeded(&a, 99);
    rb_rng r2 = {99};
    CHECK(a.layer[0].w_hh[0] == rb_rng_uniform(&r2, -0.5f, 0.5f));
    rb_model_free(&a);
}

static void test_names(void)
{
    char buf[64];
    rb_model one = {.dirs = 1}, bi = {.dirs = 2};
    CHECK(!strcmp(rb_model_param_name(buf, sizeof buf, &one, "weight_ih", 0), "weight_ih_l0"));
    CHECK(!strcmp(rb_model_param_name(buf, sizeof buf, &one, "weight_hh", 0), "weight_hh_l0"));
    CHECK(!strcmp(rb_model_param_name(buf, sizeof buf, &one, "bias_ih", 3), "bias_ih_l3"));
    CHECK(!strcmp(rb_model_param_name(buf, sizeof buf, &one, "bias_hh", 12), "bias_hh_l12"));
    /* PyTorch's names for a bidirectional stack: unit 2l + 1 is layer l's reverse half */
    CHECK(!strcmp(rb_model_param_name(buf, sizeof buf, &bi, "weight_ih", 0), "weight_ih_l0"));
    CHECK(
        !strcmp(rb_model_param_name(buf, sizeof buf, &bi, "weight_hh", 3), "weight_hh_l1_reverse"));
    char small[6];
    CHECK(rb_model_param_name(small, sizeof small, &one, "bias_hh", 1) == small);
    CHECK(!strcmp(small, "bias_"));
}

static int exists(const char *dir, const char *name)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}

static void test_save_load(void)
{
    static const struct {
        rb_cell cell;
        int I, H, L, proj;
    } cases[] = {
        {RB_CELL_LSTM, 7, 5, 3, 1},
        {RB_CELL_RNN, 3, 4, 2, 1},
        {RB_CELL_LSTM, 3, 6, 2, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char dir[600];
        snprintf(dir, sizeof dir, "%s/save%zu", tmpdir, i);
        CHECK_INT(mkdir_p(dir), 0);
        rb_workload w = wl(cases[i].cell, cases[i].I, cases[i].H, cases[i].L, cases[i].proj);
        rb_model a, b;
        rb_err e = {0};
        CHECK_INT(rb_model_alloc(&a, &w, &e), 0);
        CHECK_INT(rb_model_alloc(&b, &w, &e), 0);
        rb_model_init_seeded(&a, 77 + i);
        CHECK_INT(rb_model_save_npy(&a, dir, &e), 0);
        CHECK(!models_equal(&a, &b));
        int rc = rb_model_load_npy(&b, dir, &e);
        if (rc)
            fprintf(stderr, "%s\n", e.msg);
        CHECK_INT(rc, 0);
        CHECK(models_equal(&a, &b));

        CHECK(exists(dir, "weight_hh_l0.npy"));
        CHECK(exists(dir, "bias_ih_l0.npy"));
        CHECK(exists(dir, "bias_hh_l0.npy"));
        CHECK_INT(exists(dir, "weight_ih_l0.npy"), cases[i].proj);
        char last[64];
        snprintf(last, sizeof last, "bias_hh_l%d.npy", cases[i].L - 1);
        CHECK(exists(dir, last));
        snprintf(last, sizeof last, "bias_hh_l%d.npy", cases[i].L);
        CHECK(!exists(dir, last));

        /* PyTorch's shapes */
        int G = rb_cell_gates(cases[i].cell);
        char p[1024];
        rb_npy n;
        snprintf(p, sizeof p, "%s/weight_hh_l0.npy", dir);
        CHECK_INT(rb_npy_read_f32(p, &n, 0, &e), 0);
        CHECK_INT(n.ndim, 2);
        CHECK_INT(n.shape[0], G * cases[i].H);
        CHECK_INT(n.shape[1], cases[i].H);
        rb_npy_free(&n);
        snprintf(p, sizeof p, "%s/bias_ih_l0.npy", dir);
        CHECK_INT(rb_npy_read_f32(p, &n, 0, &e), 0);
        CHECK_INT(n.ndim, 1);
        CHECK_INT(n.shape[0], G * cases[i].H);
        rb_npy_free(&n);
        if (cases[i].proj) {
            snprintf(p, sizeof p, "%s/weight_ih_l0.npy", dir);
            CHECK_INT(rb_npy_read_f32(p, &n, 0, &e), 0);
            CHECK_INT(n.shape[1], cases[i].I);
            CHECK(!memcmp(n.f32, a.layer[0].w_ih, n.count * sizeof(float)));
            rb_npy_free(&n);
        }
        rb_model_free(&a);
        rb_model_free(&b);
    }
}

static void test_load_errors(void)
{
    char dir[600];
    snprintf(dir, sizeof dir, "%s/mismatch", tmpdir);
    CHECK_INT(mkdir_p(dir), 0);
    rb_workload w6 = wl(RB_CELL_LSTM, 4, 6, 1, 1), w5 = wl(RB_CELL_LSTM, 4, 5, 1, 1);
    rb_model a, b;
    rb_err e = {0};
    CHECK_INT(rb_model_alloc(&a, &w6, &e), 0);
    CHECK_INT(rb_model_alloc(&b, &w5, &e), 0);
    rb_model_init_seeded(&a, 1);
    CHECK_INT(rb_model_save_npy(&a, dir, &e), 0);
    CHECK_INT(rb_model_load_npy(&b, dir, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "mismatch/weight_ih_l0.npy");
    CHECK_STR_HAS(e.msg, "[24, 4]");
    CHECK_STR_HAS(e.msg, "[20, 4]");

    /* a 2-d bias, and a missing file, are named too */
    char p[1024];
    snprintf(p, sizeof p, "%s/bias_ih_l0.npy", dir);
    size_t sh[2] = {4, 6};
    CHECK_INT(rb_npy_write_f32(p, a.layer[0].b_ih, 2, sh, &e), 0);
    CHECK_INT(rb_model_load_npy(&a, dir, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "bias_ih_l0.npy: shape [4, 6], but the model needs [24]");
    snprintf(p, sizeof p, "%s/bias_ih_l0.npy", dir);
    unlink(p);
    CHECK_INT(rb_model_load_npy(&a, dir, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "bias_ih_l0.npy");
    CHECK_STR_HAS(e.msg, "No such file");

    /* float64 weights (e.g. saved from a .double() model) load, rounded */
    double d[24];
    for (int i = 0; i < 24; i++)
        d[i] = 0.1 * i;
    size_t s1 = 24;
    CHECK_INT(rb_npy_write_f64(p, d, 1, &s1, &e), 0);
    CHECK_INT(rb_model_load_npy(&a, dir, &e), 0);
    CHECK(a.layer[0].b_ih[3] == (float)0.3000000000000000444);
    CHECK(a.layer[0].b_ih[23] == (float)(0.1 * 23));
    rb_model_free(&a);
    rb_model_free(&b);
}

static void test_input(void)
{
    rb_workload w = wl(RB_CELL_LSTM, 5, 8, 1, 1);
    rb_err e = {0};
    float *x = rb_make_input(&w, 3, &e), *y = rb_make_input(&w, 3, &e),
          *z = rb_make_input(&w, 4, &e);
    size_t n = (size_t)w.seq * w.batch * 5;
    CHECK(x && y && z);
    CHECK(!memcmp(x, y, n * sizeof *x));
    CHECK(memcmp(x, z, n * sizeof *x) != 0);
    int out = 0;
    double lo = 1, hi = -1;
    for (size_t i = 0; i < n; i++) {
        out += !(x[i] >= -1 && x[i] < 1);
        lo = fmin(lo, x[i]);
        hi = fmax(hi, x[i]);
    }
    CHECK_INT(out, 0);
    CHECK(lo < -0.5 && hi > 0.5);

    /* same seed for weights and input must not give the same numbers */
    rb_model m;
    CHECK_INT(rb_model_alloc(&m, &w, &e), 0);
    rb_model_init_seeded(&m, 3);
    rb_rng r = {3};
    int same = 0;
    for (int i = 0; i < 10; i++)
        same += x[i] == rb_rng_uniform(&r, -1, 1);
    CHECK_INT(same, 0);
    float k = (float)(1.0 / sqrt(8.0));
    CHECK(x[0] * k != m.layer[0].w_ih[0]);
    rb_model_free(&m);
    free(x);
    free(y);
    free(z);

    /* without input projection x is [T, B, G*H] */
    w = wl(RB_CELL_LSTM, 5, 8, 1, 0);
    x = rb_make_input(&w, 3, &e);
    CHECK(x != NULL);
    CHECK_INT(rb_workload_x_width(&w), 32);
    free(x);

    w.seq = 0;
    CHECK(rb_make_input(&w, 3, &e) == NULL);
    CHECK_INT(e.code, RB_EINPUT);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_alloc_layout();
    test_alloc_errors();
    test_seeded();
    test_names();
    test_save_load();
    test_load_errors();
    test_input();

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", tmpdir);
    return rb_test_done("test_model");
}
