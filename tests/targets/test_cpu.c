/* test_cpu.c — the CPU target against the fp64 reference and PyTorch (the
 * shared battery), and the checked wrappers and registry around every target. */
#include "battery.h"

static int run_cpu(fixture *f, int threads, rb_err *e)
{
    return run_target("cpu", "", f, threads, e);
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
    CHECK_STR_HAS(t.info.extra_json, "\"kernels\":\"");
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
    CHECK_STR_HAS(e.msg, "[T, B, D*H]");
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

    /* a NaN in the input reaches the output as NaN (what the reference check
     * reports), and the vectorised exp turns it into no signed overflow: the
     * sanitizer build checks the second (issue 14, item 7) */
    float keep = f.x[0];
    f.x[0] = NAN;
    CHECK_INT(rb_target_forward(&t, &f.batch, &f.out, &smp, &e), 0);
    CHECK(isnan(f.y[0]));
    f.x[0] = keep;

    /* a good forward resets the sample: no device time, no energy */
    smp.device_s = 5;
    smp.n_metrics = 3;
    CHECK_INT(rb_target_forward(&t, &f.batch, &f.out, &smp, &e), 0);
    CHECK(smp.device_s < 0);
    CHECK(smp.energy_j < 0);
    CHECK(max_abs(f.y, f.n) > 1e-3);

    /* training needs a load for training, and a loss */
    rb_train_io io = {.loss = rb_mse_loss};
    rb_optim_default(&io.opt);
    CHECK_INT(rb_target_train_step(&t, &f.batch, &io, &smp, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "was loaded for inference");
    CHECK_INT(rb_target_params(&t, NULL, NULL, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "loaded for training");
    rb_workload wt = f.w;
    wt.mode = RB_MODE_TRAIN;
    CHECK_INT(rb_target_load(&t, &f.m, &wt, &e), 0);
    io.loss = NULL;
    CHECK_INT(rb_target_train_step(&t, &f.batch, &io, &smp, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "without a loss");
    io.loss = rb_mse_loss;
    io.opt.lr = 0;
    CHECK_INT(rb_target_train_step(&t, &f.batch, &io, &smp, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "bad optimizer settings");
    rb_optim_default(&io.opt);
    CHECK_INT(rb_target_train_step(&t, &bb, &io, &smp, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "was loaded for");
    /* a loss that fails fails the step, with its message */
    CHECK_INT(rb_target_train_step(&t, &f.batch, &io, &smp, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "mse loss: no target");

    rb_target_unload(&t);
    CHECK(!t.loaded);
    CHECK(t.priv == NULL);
    rb_target_unload(&t); /* idempotent */
    CHECK_INT(rb_target_forward(&t, &f.batch, &f.out, &smp, &e), RB_EINPUT);
    fixture_free(&f);
}

/* An adapter compiled without its dependency: the shipped ones when this
 * build lacks OpenCL or Verilator, and always one made here, so the checked
 * wrappers' refusal is tested in every build. */
static const rb_target_ops k_fake_ops = {
    .name = "fake",
    .method = RB_SRC_MEASURED,
    .description = "a target built without its library",
    .unavailable = "built without libfake (install it and rebuild)",
};

static void test_unavailable(void)
{
    static const struct {
        const char *name, *reason;
    } cases[] = {
#ifndef RB_HAVE_OPENCL
        {"gpu", "built without OpenCL/CLBlast"},
#endif
#ifndef RB_HAVE_VERILATOR
        {"fpga", "built without Verilator"},
#endif
        {"fake", "built without libfake"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const rb_target_ops *ops =
            strcmp(cases[k].name, "fake") ? rb_target_find(cases[k].name) : &k_fake_ops;
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

/* Shapes that walk the recurrent kernel's edges: full micro-tiles and each
 * partial one (B against MR = 6, 3, 2), panels whose last units end inside
 * a vector (H against 16 and 8 units per LSTM panel, 64 and 32 per RNN
 * panel), and layers big enough to split across two threads (G*H*H*B above
 * the serial limit), with row lengths and the imported models' extensions
 * on the split path. */
static const feat_shape tile_shapes[] = {
    {{"lstm B=7 H=17 h0/c0", RB_CELL_LSTM, 4, 7, 9, 17, 1, 1, 1}, 1, 0},
    {{"lstm B=13 H=40 2 layers", RB_CELL_LSTM, 3, 13, 40, 40, 2, 1, 0}, 1, 0},
    {{"rnn B=6 H=70 h0", RB_CELL_RNN, 4, 6, 20, 70, 1, 1, 1}, 1, 0},
    {{"rnn B=11 H=300 split", RB_CELL_RNN, 3, 11, 30, 300, 1, 1, 0}, 1, 0},
    {{"lstm B=9 H=130 split, lengths", RB_CELL_LSTM, 6, 9, 20, 130, 1, 1, 1}, 1, RB_FEAT_SEQ_LENS},
    {{"lstm B=5 H=130 split, bidir peep clip lengths", RB_CELL_LSTM, 5, 5, 12, 130, 2, 1, 1},
     2,
     RB_FEAT_BIDIR | RB_FEAT_PEEPHOLES | RB_FEAT_CLIP | RB_FEAT_SEQ_LENS},
    {{"lstm B=8 H=128 split, reverse input_forget", RB_CELL_LSTM, 4, 8, 16, 128, 1, 1, 0},
     1,
     RB_FEAT_REVERSE | RB_FEAT_INPUT_FORGET},
};

/* Each compilation of the recurrent kernel (option isa) on the battery, the
 * kernel's edge shapes and a training step.  One this CPU cannot run must
 * be refused as unavailable, by probe, and is then skipped. */
static void test_kernels(void)
{
    const char *isas[] = {"isa=avx512", "isa=avx2", "isa=generic"};
    for (size_t i = 0; i < sizeof isas / sizeof isas[0]; i++) {
        rb_target t;
        rb_err e = {0};
        init_target(&t, "cpu", isas[i], 1);
        int rc = rb_target_probe(&t, &e);
        rb_target_close(&t);
        if (rc) {
            printf("  cpu %s: skipped: %s\n", isas[i], e.msg);
            CHECK_INT(rc, RB_EUNAVAIL);
            CHECK(strcmp(isas[i], "isa=generic") != 0); /* every CPU runs that one */
            continue;
        }
        battery_against_reference("cpu", isas[i]);
        battery_train("cpu", isas[i]);
        for (size_t k = 0; k < sizeof tile_shapes / sizeof tile_shapes[0]; k++) {
            const feat_shape *fs = &tile_shapes[k];
            fixture f;
            CHECK_INT(fixture_init_feat(&f, &fs->s, fs->dirs, fs->feat, 3000 + k), 0);
            CHECK_INT(run_target("cpu", isas[i], &f, 2, &e), 0);
            rb_errstat st;
            rb_compare(f.y, f.ref, f.n, &st);
            double tol = rb_fp32_tolerance(&f.w, 0);
            printf("  cpu %s %-44s max_rel %.2e (tol %.2e)\n", isas[i], fs->s.what, st.max_rel,
                   tol);
            CHECK(within_tolerance(&st, tol));
            CHECK(max_abs(f.y, f.n) > 1e-3);
            fixture_free(&f);
        }
    }
    /* cpu:onednn has its own kernels */
    rb_target t;
    rb_err e = {0};
    init_target(&t, "cpu", "backend=onednn", 1);
    rb_target_set_opt(&t, "isa", "avx2");
    CHECK_INT(rb_target_probe(&t, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "isa");
    rb_target_close(&t);
}

/* Three training steps in a row, without dx: each step's gradients against
 * the reference backward at the weights the step before left, so gradients
 * piling up across steps or weights repacked wrong after an update show. */
static void test_train_steps(const char *selector)
{
    const shape s = {"steps", RB_CELL_LSTM, 5, 2, 12, 16, 2, 1, 1};
    fixture f;
    rb_err e = {0};
    CHECK_INT(fixture_init(&f, &s, 91), 0);
    rb_workload w = f.w;
    w.mode = RB_MODE_TRAIN;
    rb_workload_make_key(&w);
    size_t P = rb_param_total(&f.m);
    float *target = rb_make_train_target(&w, 91, &e), *wk = malloc(P * sizeof *wk),
          *g = malloc(P * sizeof *g);
    double *gref = malloc(P * sizeof *gref), *dy = malloc(f.n * sizeof *dy);
    rb_mse ctx = {target, f.n};
    rb_train_io io = {.loss = rb_mse_loss, .ctx = &ctx};
    rb_optim_default(&io.opt);
    io.opt.lr = 0.02; /* steps that move the weights well past fp32 noise */
    rb_target t;
    rb_sample smp;
    init_target(&t, "cpu", selector, 2);
    int rc = target && wk && g && gref && dy ? rb_target_probe(&t, &e) : RB_ENOMEM;
    if (!rc)
        rc = rb_target_load(&t, &f.m, &w, &e);
    for (int k = 0; k < 3 && !rc; k++) {
        rc = rb_target_params(&t, wk, NULL, &e);
        if (!rc)
            rc = rb_target_train_step(&t, &f.batch, &io, &smp, &e);
        if (!rc)
            rc = rb_target_params(&t, NULL, g, &e);
        if (rc)
            break;
        rb_model_unflatten(&f.m, wk);
        CHECK_INT(rb_ref_forward(&f.m, &f.batch, f.ref, NULL, NULL, &e), 0);
        for (size_t i = 0; i < f.n; i++)
            dy[i] = (f.ref[i] - target[i]) / (double)f.n;
        CHECK_INT(rb_ref_backward(&f.m, &f.batch, dy, gref, NULL, &e), 0);
        rb_errstat st;
        rb_grad_compare(&f.m, g, gref, &st);
        double tol = rb_fp32_grad_tolerance(&w);
        printf("  cpu%s%s train step %d: grad %.2e (tol %.2e) |g| %.3g\n", *selector ? " " : "",
               selector, k + 1, st.max_rel, tol, io.grad_norm);
        CHECK_INT(st.nonfinite, 0);
        CHECK(st.max_rel <= tol);
    }
    CHECK_INT(rc, 0);
    if (rc)
        fprintf(stderr, "cpu%s%s train steps: %s\n", *selector ? " " : "", selector, e.msg);
    rb_target_close(&t);
    free(target);
    free(wk);
    free(g);
    free(gref);
    free(dy);
    fixture_free(&f);
}

#ifdef RB_HAVE_ONEDNN
/* --dry-run on cpu:onednn: a training point with an input projection is
 * estimated, one without is unsupported in load's words. */
static void test_onednn_work(void)
{
    rb_target t;
    rb_err e = {0};
    init_target(&t, "cpu", "backend=onednn", 1);
    CHECK_INT(rb_target_probe(&t, &e), 0);
    CHECK(rb_target_can_train(&t));
    rb_workload proj = rb_workload_of(RB_CELL_LSTM, RB_MODE_TRAIN, 4, 2, 8, 8, 1, 1),
                noproj = rb_workload_of(RB_CELL_RNN, RB_MODE_TRAIN, 4, 2, 8, 8, 1, 0);
    rb_call_work c;
    CHECK_INT(rb_target_work(&t, &proj, &c, &e), 0);
    CHECK(c.flops > 0);
    CHECK_INT(rb_target_work(&t, &noproj, &c, &e), RB_EUNAVAIL);
    CHECK_STR_HAS(e.msg, "unsupported: no input projection");
    rb_target_close(&t);
}
#else
/* Built without oneDNN: cpu:onednn exists and says what to install. */
static void test_onednn_unavailable(void)
{
    rb_target t;
    rb_err e = {0};
    rb_target_init(&t, rb_target_find("cpu"), 1);
    rb_target_set_opt(&t, "backend", "onednn");
    CHECK_INT(rb_target_probe(&t, &e), RB_EUNAVAIL);
    CHECK_STR_HAS(e.msg, "libdnnl-dev");
    rb_target_close(&t);
}
#endif

int main(void)
{
    test_registry();
    test_sample();
    test_unavailable();
    test_probe_info();
    test_wrappers();
    test_threads();
    battery_against_reference("cpu", "");
    battery_stateful("cpu", "");
    battery_torch_fixtures("cpu", "");
    battery_train("cpu", "");
    test_train_steps("");
    test_kernels();
    /* cpu:onednn, oneDNN's primitives: the same battery, PyTorch's outputs
     * and training against the reference backward; features and a stack
     * without input projection refused by name */
#ifdef RB_HAVE_ONEDNN
    battery_reference("cpu", "backend=onednn", BATTERY_REFUSES_NOPROJ);
    battery_torch_fixtures("cpu", "backend=onednn");
    battery_train_flags("cpu", "backend=onednn", BATTERY_REFUSES_NOPROJ);
    test_train_steps("backend=onednn");
    test_onednn_work();
#else
    test_onednn_unavailable();
#endif
    return rb_test_done("test_cpu");
}
