/* test_cpu.c — the CPU target against the fp64 reference, and the checked
 * wrappers and registry around every target. */
#include <stdlib.h>

#include "../../targets/target.h"
#include "../../workloads/npy.h"
#include "../../workloads/reference.h"
#include "../../workloads/rng.h"
#include "../rb_test.h"

typedef struct shape {
    const char *what;
    rb_cell cell;
    int T, B, I, H, L;
    int proj;    /* input projection in layer 0 */
    int with_h0; /* pass random h0 (and c0 for the LSTM) */
} shape;

static const shape shapes[] = {
    {"lstm B=1", RB_CELL_LSTM, 5, 1, 32, 32, 1, 1, 0},
    {"lstm T=1", RB_CELL_LSTM, 1, 3, 16, 16, 1, 1, 0},
    {"lstm 3 layers", RB_CELL_LSTM, 4, 2, 24, 24, 3, 1, 0},
    {"lstm I<H, H%8!=0", RB_CELL_LSTM, 6, 2, 10, 20, 1, 1, 0},
    {"lstm I>H", RB_CELL_LSTM, 6, 3, 40, 12, 2, 1, 0},
    {"lstm h0/c0", RB_CELL_LSTM, 5, 2, 8, 16, 2, 1, 1},
    {"lstm no input proj", RB_CELL_LSTM, 5, 2, 16, 16, 2, 0, 0},
    {"lstm no input proj, h0/c0, B=1", RB_CELL_LSTM, 4, 1, 8, 8, 1, 0, 1},
    {"rnn B=1", RB_CELL_RNN, 7, 1, 9, 17, 1, 1, 0},
    {"rnn 2 layers I<H", RB_CELL_RNN, 7, 2, 9, 17, 2, 1, 0},
    {"rnn I>H h0", RB_CELL_RNN, 5, 3, 33, 8, 2, 1, 1},
    {"rnn no input proj", RB_CELL_RNN, 6, 2, 12, 12, 2, 0, 0},
    /* several W_hh row chunks per step, the last one partial */
    {"lstm H=600 B=3 chunked", RB_CELL_LSTM, 3, 3, 300, 600, 1, 1, 0},
    {"lstm T=25 B=4 H=256", RB_CELL_LSTM, 25, 4, 256, 256, 1, 1, 0},
};

static rb_workload make_workload(const shape *s)
{
    rb_workload w = {0};
    w.cell = s->cell;
    w.mode = RB_MODE_INFER;
    w.seq = s->T;
    w.batch = s->B;
    w.input = s->I;
    w.hidden = s->H;
    w.layers = s->L;
    w.input_proj = s->proj;
    rb_workload_make_key(&w);
    return w;
}

/* Everything one comparison needs, built from a seed. */
typedef struct fixture {
    rb_workload w;
    rb_model m;
    float *x, *h0, *c0, *y;
    double *ref;
    rb_batch batch;
    rb_tensor out;
    size_t n; /* T*B*H */
} fixture;

static float *random_floats(size_t n, uint64_t seed)
{
    float *p = malloc(n * sizeof *p);
    rb_rng r = {seed};
    for (size_t i = 0; i < n && p; i++)
        p[i] = rb_rng_uniform(&r, -1.0f, 1.0f);
    return p;
}

static int fixture_init(fixture *f, const shape *s, uint64_t seed)
{
    rb_err e = {0};
    memset(f, 0, sizeof *f);
    f->w = make_workload(s);
    if (rb_model_alloc(&f->m, &f->w, &e)) {
        fprintf(stderr, "%s: %s\n", s->what, e.msg);
        return -1;
    }
    rb_model_init_seeded(&f->m, seed);
    f->x = rb_make_input(&f->w, seed + 1, &e);
    size_t LBH = (size_t)s->L * s->B * s->H;
    if (s->with_h0) {
        f->h0 = random_floats(LBH, seed + 2);
        if (s->cell == RB_CELL_LSTM)
            f->c0 = random_floats(LBH, seed + 3);
    }
    f->n = (size_t)s->T * s->B * s->H;
    f->y = calloc(f->n, sizeof *f->y);
    f->ref = calloc(f->n, sizeof *f->ref);
    f->batch = (rb_batch){s->T, s->B, rb_workload_x_width(&f->w), f->x, f->h0, f->c0};
    f->out = (rb_tensor){f->y, 3, {(size_t)s->T, (size_t)s->B, (size_t)s->H, 0}};
    if (!f->x || !f->y || !f->ref || (s->with_h0 && !f->h0))
        return -1;
    if (rb_ref_forward(&f->m, &f->batch, f->ref, NULL, NULL, &e)) {
        fprintf(stderr, "%s: reference: %s\n", s->what, e.msg);
        return -1;
    }
    return 0;
}

static void fixture_free(fixture *f)
{
    rb_model_free(&f->m);
    free(f->x);
    free(f->h0);
    free(f->c0);
    free(f->y);
    free(f->ref);
}

static double max_abs(const float *y, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fabs(y[i]) > m ? fabs(y[i]) : m;
    return m;
}

/* Is y within the fp32 tolerance of the reference?  Exactly the rule the
 * harness applies to every stored result (rb_compare's max_rel, relative to
 * max(|r|, 1), against rb_fp32_tolerance). */
static int within_tolerance(const rb_errstat *st, double tol)
{
    return st->nonfinite == 0 && st->max_rel <= tol;
}

/* Probe, load and run the cpu target with `threads`, leaving the output in f->y. */
static int run_cpu(fixture *f, int threads, rb_err *e)
{
    rb_target t;
    rb_target_init(&t, rb_target_find("cpu"), threads);
    int rc = rb_target_probe(&t, e);
    if (!rc)
        rc = rb_target_load(&t, &f->m, &f->w, e);
    rb_sample smp;
    /* twice: state must not leak from one forward into the next */
    for (int k = 0; k < 2 && !rc; k++)
        rc = rb_target_forward(&t, &f->batch, &f->out, &smp, e);
    rb_target_unload(&t);
    return rc;
}

static void test_against_reference(void)
{
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        const shape *s = &shapes[k];
        fixture f;
        rb_err e = {0};
        CHECK_INT(fixture_init(&f, s, 1000 + k), 0);
        int rc = run_cpu(&f, 2, &e);
        CHECK_INT(rc, 0);
        if (rc)
            fprintf(stderr, "%s: %s\n", s->what, e.msg);
        rb_errstat st;
        rb_compare(f.y, f.ref, f.n, &st);
        double tol = rb_fp32_tolerance(&f.w, 0), big = max_abs(f.y, f.n);
        printf("  %-32s %-36s max_rel %.2e (tol %.2e)\n", s->what, f.w.key, st.max_rel, tol);
        CHECK_INT(st.nonfinite, 0);
        CHECK(within_tolerance(&st, tol));
        CHECK(big > 1e-3);
        fixture_free(&f);
    }
}

/* One thread or two change how OpenBLAS splits the sums, not the answer. */
static void test_threads(void)
{
    const shape s = {"threads", RB_CELL_LSTM, 8, 3, 64, 96, 2, 1, 1};
    fixture f;
    rb_err e = {0};
    CHECK_INT(fixture_init(&f, &s, 77), 0);
    CHECK_INT(run_cpu(&f, 1, &e), 0);
    float *y1 = malloc(f.n * sizeof *y1);
    memcpy(y1, f.y, f.n * sizeof *y1);
    CHECK_INT(run_cpu(&f, 2, &e), 0);
    double tol = rb_fp32_tolerance(&f.w, 0), worst = 0, scale = max_abs(f.y, f.n);
    for (size_t i = 0; i < f.n; i++) {
        double d = fabs((double)y1[i] - f.y[i]);
        worst = d > worst ? d : worst;
    }
    CHECK(worst <= tol * scale);
    rb_errstat st;
    rb_compare(y1, f.ref, f.n, &st);
    CHECK(within_tolerance(&st, tol));
    rb_compare(f.y, f.ref, f.n, &st);
    CHECK(within_tolerance(&st, tol));
    free(y1);
    fixture_free(&f);
}

static void test_probe_info(void)
{
    rb_target t;
    rb_err e = {0};
    rb_target_init(&t, rb_target_find("cpu"), 2);
    CHECK_INT(rb_target_probe(&t, &e), 0);
    CHECK(t.available);
    CHECK_STR_HAS(t.info.type, "cpu");
    CHECK_STR_HAS(t.info.numerics, "fp32");
    CHECK_STR_HAS(t.info.name, "(2 threads)");
    CHECK(t.info.peak_flops >= 0);
    CHECK_NEAR(t.info.power_w, 16.0, 1e-9);
    CHECK_STR_HAS(t.info.power_source, "model");
    CHECK(t.info.extra_json[0] == '{');
    CHECK(t.info.extra_json[strlen(t.info.extra_json) - 1] == '}');
    CHECK_STR_HAS(t.info.extra_json, "\"openblas_core\":\"");
    CHECK_STR_HAS(t.info.extra_json, "\"threads\":2");
}

static void test_wrappers(void)
{
    const shape s = {"wrappers", RB_CELL_LSTM, 3, 2, 8, 8, 1, 1, 0};
    fixture f;
    rb_err e = {0};
    CHECK_INT(fixture_init(&f, &s, 5), 0);
    rb_target t;
    rb_sample smp;
    rb_target_init(&t, rb_target_find("cpu"), 1);

    /* load before probe, forward before load */
    CHECK_INT(rb_target_load(&t, &f.m, &f.w, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "probe");
    CHECK_INT(rb_target_probe(&t, &e), 0);
    CHECK_INT(rb_target_forward(&t, &f.batch, &f.out, &smp, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "before a model was loaded");

    /* a model that does not match its workload */
    rb_workload other = f.w;
    other.hidden = 9;
    CHECK_INT(rb_target_load(&t, &f.m, &other, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "does not match");
    CHECK(!t.loaded);

    CHECK_INT(rb_target_load(&t, &f.m, &f.w, &e), 0);
    CHECK(t.loaded);
    /* loading again replaces the previous model */
    CHECK_INT(rb_target_load(&t, &f.m, &f.w, &e), 0);

    /* wrong output shape, wrong size, wrong batch */
    rb_tensor bad = f.out;
    bad.shape[2] = 7;
    CHECK_INT(rb_target_forward(&t, &f.batch, &bad, &smp, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "[T, B, H]");
    bad = f.out;
    bad.ndim = 2;
    CHECK_INT(rb_target_forward(&t, &f.batch, &bad, &smp, &e), RB_EINPUT);
    bad = f.out;
    bad.data = NULL;
    CHECK_INT(rb_target_forward(&t, &f.batch, &bad, &smp, &e), RB_EINPUT);
    rb_batch bb = f.batch;
    bb.batch = 3;
    CHECK_INT(rb_target_forward(&t, &bb, &f.out, &smp, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "was loaded for");

    /* a good forward resets the sample: no device time, no energy */
    smp.device_s = 5;
    smp.n_metrics = 3;
    CHECK_INT(rb_target_forward(&t, &f.batch, &f.out, &smp, &e), 0);
    CHECK(smp.device_s < 0);
    CHECK(smp.energy_j < 0);
    CHECK(max_abs(f.y, f.n) > 1e-3);

    CHECK_INT(rb_target_train_step(&t, &f.batch, &f.out, &smp, &e), RB_EUNAVAIL);
    CHECK_STR_HAS(e.msg, "target cpu does not support training yet");

    rb_target_unload(&t);
    CHECK(!t.loaded);
    CHECK(t.priv == NULL);
    rb_target_unload(&t); /* idempotent */
    CHECK_INT(rb_target_forward(&t, &f.batch, &f.out, &smp, &e), RB_EINPUT);
    fixture_free(&f);
}

static void test_unavailable(void)
{
    static const struct {
        const char *name, *reason;
    } cases[] = {
        {"gpu", "the OpenCL adapter is issue #4"},
        {"fpga", "the Verilator-simulated accelerator is issue #5"},
        {"asic", "the analytical model is issue #6"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const rb_target_ops *ops = rb_target_find(cases[k].name);
        CHECK(ops != NULL);
        if (!ops)
            continue;
        CHECK(ops->unavailable != NULL);
        rb_target t;
        rb_err e = {0};
        rb_sample smp;
        rb_target_init(&t, ops, 0);
        CHECK_INT(rb_target_probe(&t, &e), RB_EUNAVAIL);
        CHECK_STR_HAS(e.msg, cases[k].reason);
        CHECK_STR_HAS(e.msg, cases[k].name);
        CHECK(!t.available);
        /* every later call refuses instead of calling a NULL operation */
        CHECK_INT(rb_target_load(&t, NULL, NULL, &e), RB_EINPUT);
        CHECK_INT(rb_target_forward(&t, NULL, NULL, &smp, &e), RB_EINPUT);
        CHECK_INT(rb_target_train_step(&t, NULL, NULL, &smp, &e), RB_EUNAVAIL);
        rb_target_unload(&t);
    }
}

static void test_registry(void)
{
    CHECK_INT(rb_target_count(), 4);
    const char *order[] = {"cpu", "gpu", "fpga", "asic"};
    for (size_t i = 0; i < 4; i++) {
        const rb_target_ops *ops = rb_target_at(i);
        CHECK(ops != NULL && !strcmp(ops->name, order[i]));
        CHECK(rb_target_find(order[i]) == ops);
        CHECK(ops && ops->method && ops->description);
    }
    CHECK(rb_target_at(4) == NULL);
    CHECK(rb_target_find("tpu") == NULL);
    CHECK(rb_target_find(NULL) == NULL);
    CHECK(rb_target_find("cpu")->unavailable == NULL);
    CHECK_STR_HAS(rb_target_find("cpu")->method, RB_SRC_MEASURED);
    CHECK_STR_HAS(rb_target_find("fpga")->method, RB_SRC_SIMULATED);
    CHECK_STR_HAS(rb_target_find("asic")->method, RB_SRC_MODELED);
}

static void test_sample(void)
{
    rb_sample s;
    rb_sample_reset(&s);
    CHECK(s.device_s < 0 && s.energy_j < 0 && !s.time_source && !s.energy_source);
    CHECK_INT(s.n_metrics, 0);
    rb_sample_metric(&s, "gemm_ms", 1.5, "ms", RB_SRC_MEASURED);
    rb_sample_metric(&s, "gemm_ms", 2.5, "ms", RB_SRC_MEASURED);
    CHECK_INT(s.n_metrics, 1);
    CHECK_NEAR(s.metrics[0].value, 2.5, 0);
    for (int i = 0; i < RB_SAMPLE_MAX_METRICS + 4; i++) {
        char name[16];
        snprintf(name, sizeof name, "m%d", i);
        rb_sample_metric(&s, name, i, "", RB_SRC_MODELED);
    }
    CHECK_INT(s.n_metrics, RB_SAMPLE_MAX_METRICS);

    rb_tensor t = {NULL, 3, {2, 3, 4, 0}};
    CHECK_INT(rb_tensor_count(&t), 24);
    t.ndim = 0;
    CHECK_INT(rb_tensor_count(&t), 0);
}

/* The cpu target on the committed PyTorch fixtures: weights, inputs and
 * initial states as nn.LSTM / nn.RNN saw them, checked against PyTorch's fp64
 * output (made by scripts/make-torch-fixtures.py, an independent tool). */
static float *fixture_f32(const char *dir, const char *name, size_t want, rb_npy *a)
{
    char path[1024];
    rb_err e = {0};
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int rc = rb_npy_read_f32(path, a, 0, &e);
    CHECK_INT(rc, 0);
    CHECK_INT(a->count, want);
    return rc == 0 && a->count == want ? a->f32 : NULL;
}

static void test_torch_fixtures(void)
{
    static const struct {
        const char *name;
        rb_cell cell;
        int T, B, I, H, L, state;
    } cases[] = {
        {"lstm_t1_b1", RB_CELL_LSTM, 1, 1, 3, 2, 1, 0},
        {"lstm_t5_b3_i4_h6", RB_CELL_LSTM, 5, 3, 4, 6, 1, 0},
        {"lstm_t4_b2_i7_h5_l3", RB_CELL_LSTM, 4, 2, 7, 5, 3, 1},
        {"rnn_t6_b2_i3_h4_l2", RB_CELL_RNN, 6, 2, 3, 4, 2, 1},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char dir[512];
        snprintf(dir, sizeof dir, "%s/torch/%s", RB_FIXTURES, cases[k].name);
        rb_workload w = {cases[k].cell, RB_MODE_INFER, cases[k].T, cases[k].B, cases[k].I,
                         cases[k].H, cases[k].L, 1, ""};
        rb_workload_make_key(&w);
        size_t ny = (size_t)w.seq * w.batch * w.hidden, ns = (size_t)w.layers * w.batch * w.hidden;
        rb_model m;
        rb_err e = {0};
        rb_npy x = {0}, h0 = {0}, c0 = {0}, yt = {0};
        CHECK_INT(rb_model_alloc(&m, &w, &e), 0);
        CHECK_INT(rb_model_load_npy(&m, dir, &e), 0);
        rb_batch in = {w.seq, w.batch, w.input,
                       fixture_f32(dir, "x.npy", (size_t)w.seq * w.batch * w.input, &x), NULL, NULL};
        if (cases[k].state) {
            in.h0 = fixture_f32(dir, "h0.npy", ns, &h0);
            if (w.cell == RB_CELL_LSTM)
                in.c0 = fixture_f32(dir, "c0.npy", ns, &c0);
        }
        char path[1024];
        snprintf(path, sizeof path, "%s/y_ref.npy", dir);
        CHECK_INT(rb_npy_read_f64(path, &yt, 0, &e), 0);
        CHECK_INT(yt.count, ny);

        float *y = malloc(ny * sizeof *y);
        rb_tensor out = {y, 3, {(size_t)w.seq, (size_t)w.batch, (size_t)w.hidden, 0}};
        rb_target t;
        rb_sample smp;
        rb_target_init(&t, rb_target_find("cpu"), 2);
        int rc = rb_target_probe(&t, &e);
        if (!rc && in.x && yt.f64)
            rc = rb_target_load(&t, &m, &w, &e);
        if (!rc && in.x && yt.f64)
            rc = rb_target_forward(&t, &in, &out, &smp, &e);
        CHECK_INT(rc, 0);
        if (!rc && yt.f64) {
            rb_errstat st;
            rb_compare(y, yt.f64, ny, &st);
            printf("  torch %-22s cpu vs PyTorch max_rel %.2e (tol %.2e)\n", cases[k].name,
                   st.max_rel, rb_fp32_tolerance(&w, 0));
            CHECK(within_tolerance(&st, rb_fp32_tolerance(&w, 0)));
            CHECK(max_abs(y, ny) > 0.1);
        }
        rb_target_unload(&t);
        free(y);
        rb_npy_free(&x);
        rb_npy_free(&h0);
        rb_npy_free(&c0);
        rb_npy_free(&yt);
        rb_model_free(&m);
    }
}

int main(void)
{
    test_registry();
    test_sample();
    test_unavailable();
    test_probe_info();
    test_wrappers();
    test_threads();
    test_against_reference();
    test_torch_fixtures();
    return rb_test_done("test_cpu");
}
