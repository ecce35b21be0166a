/* test_gpu.c — the OpenCL target on whatever device the ICD loader offers
 * (PoCL's CPU device in CI): the same battery and PyTorch fixtures as the cpu
 * target, device selection, honest labelling, a broken kernel source
 * failing a load with its build log instead of crashing, and the GRU paths
 * only this target has. */
#include <stdlib.h>
#include <unistd.h>

#include "battery.h"

#ifdef RB_HAVE_OPENCL
static void test_probe(void)
{
    rb_target t;
    rb_err e = {0};
    rb_target_init(&t, rb_target_find("gpu"), 0);
    int rc = rb_target_probe(&t, &e);
    if (rc)
        fprintf(stderr, "gpu probe: %s\n", e.msg);
    CHECK_INT(rc, 0);
    CHECK(t.info.peak_flops > 1e8);
    CHECK_STR_HAS(t.info.extra_json, "\"peak_flops_source\":\"measured: probe.cl peak_fma");
    CHECK_STR_HAS(t.info.extra_json, "\"compute_units\":");
    CHECK(!strcmp(t.info.numerics, "fp32"));
    /* a CPU behind OpenCL is labelled as one, never as a GPU */
    if (!strcmp(t.info.type, "cpu"))
        CHECK_STR_HAS(t.info.name, "not a GPU");
    else
        CHECK(!strcmp(t.info.type, "gpu") || !strcmp(t.info.type, "accelerator"));
    CHECK(t.info.power_w > 0);
    CHECK_STR_HAS(t.info.power_source, "model:");
    rb_device_info devs[16];
    CHECK(rb_target_enumerate(&t, devs, 16, &e) >= 1);
    rb_target_close(&t);
    CHECK(t.session == NULL);
}

/* by index, by a unique piece of the name, and two kinds of bad selector */
static void test_select(void)
{
    rb_target t;
    rb_err e = {0};
    rb_target_init(&t, rb_target_find("gpu"), 0);
    rb_target_set_opt(&t, "device", "0");
    CHECK_INT(rb_target_probe(&t, &e), 0);
    rb_device_info devs[16];
    int n = rb_target_enumerate(&t, devs, 16, &e);
    char first[64];
    /* "Device name (platform ...)": the first word of device #0's name */
    snprintf(first, sizeof first, "%.*s", (int)strcspn(devs[0].name, " ("), devs[0].name);
    rb_target_close(&t);

    rb_target_set_opt(&t, "device", first);
    int rc = rb_target_probe(&t, &e);
    if (rc)
        fprintf(stderr, "select '%s': %s\n", first, e.msg);
    CHECK_INT(rc, n == 1 ? 0 : rc); /* unique only when there is one device */
    rb_target_close(&t);

    rb_target_set_opt(&t, "device", "no-such-device-xyz");
    CHECK_INT(rb_target_probe(&t, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "matches no OpenCL device");
    CHECK_STR_HAS(e.msg, "#0 ");
    char idx[16];
    snprintf(idx, sizeof idx, "%d", n);
    rb_target_set_opt(&t, "device", idx);
    CHECK_INT(rb_target_probe(&t, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "OpenCL devices");
    CHECK(!t.available);
}

/* A kernels.cl the compiler rejects fails the load with the build log; the
 * session survives, and the real kernels work again afterwards. */
static void test_broken_kernels(void)
{
    char path[] = "/tmp/rb_broken_XXXXXX";
    int fd = mkstemp(path);
    const char *src = "__kernel void lstm_cell(__global float *p) { p[0] = undeclared_thing; }\n";
    CHECK(fd >= 0 && write(fd, src, strlen(src)) == (ssize_t)strlen(src));
    close(fd);

    const shape s = {"broken", RB_CELL_LSTM, 2, 1, 4, 4, 1, 1, 0};
    fixture f;
    rb_err e = {0};
    CHECK_INT(fixture_init(&f, &s, 5), 0);
    setenv("RB_GPU_KERNELS", path, 1);
    rb_target t;
    rb_target_init(&t, rb_target_find("gpu"), 0);
    CHECK_INT(rb_target_probe(&t, &e), 0); /* the probe kernel is separate */
    CHECK_INT(rb_target_load(&t, &f.m, &f.w, &e), RB_ERUNTIME);
    CHECK_STR_HAS(e.msg, "kernels.cl failed to build");
    CHECK_STR_HAS(e.msg, "build log:");
    CHECK_STR_HAS(e.msg, "undeclared_thing");
    CHECK(!t.loaded);
    rb_target_close(&t);

    setenv("RB_GPU_KERNELS", "/nonexistent/kernels.cl", 1);
    CHECK_INT(rb_target_probe(&t, &e), 0);
    CHECK_INT(rb_target_load(&t, &f.m, &f.w, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "/nonexistent/kernels.cl");
    rb_target_close(&t);

    unsetenv("RB_GPU_KERNELS");
    CHECK_INT(run_target("gpu", "", &f, 0, &e), 0);
    rb_errstat st;
    rb_compare(f.y, f.ref, f.n, &st);
    CHECK(within_tolerance(&st, rb_fp32_tolerance(&f.w, 0)));
    fixture_free(&f);
    unlink(path);
}

/* GRU paths of the gpu's own that the battery's shapes leave out:
 * reset_before's split product as GEMVs (B = 1) writing rec's n columns
 * apart from its r and z columns, with clip and a reversed unit; a plain
 * reversed unit, whose kernel reads h_{t+1} from the output; reset_before
 * over more steps at a wider H; a bidirectional layer at B = 1. */
static void test_gru_paths(void)
{
    static const feat_shape cases[] = {
        {{"gru lbr=0 B=1 h0", RB_CELL_GRU, 5, 1, 8, 12, 2, 1, 1}, 1, RB_FEAT_RESET_BEFORE},
        {{"gru lbr=0 clip reverse B=1", RB_CELL_GRU, 4, 1, 6, 10, 1, 1, 0},
         1,
         RB_FEAT_RESET_BEFORE | RB_FEAT_CLIP | RB_FEAT_REVERSE},
        {{"gru reverse h0 (plain kernel)", RB_CELL_GRU, 6, 3, 9, 12, 2, 1, 1}, 1, RB_FEAT_REVERSE},
        {{"gru lbr=0 T=12 B=4 H=72 h0", RB_CELL_GRU, 12, 4, 40, 72, 1, 1, 1},
         1,
         RB_FEAT_RESET_BEFORE},
        {{"gru bidir B=1 no proj h0", RB_CELL_GRU, 4, 1, 8, 8, 1, 0, 1}, 2, RB_FEAT_BIDIR},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const feat_shape *fs = &cases[k];
        fixture f;
        rb_err e = {0};
        CHECK_INT(fixture_init_feat(&f, &fs->s, fs->dirs, fs->feat, 5000 + k), 0);
        int rc = run_target("gpu", "", &f, 0, &e);
        CHECK_INT(rc, 0);
        if (rc)
            fprintf(stderr, "gpu %s: %s\n", fs->s.what, e.msg);
        rb_errstat st;
        rb_compare(f.y, f.ref, f.n, &st);
        double tol = rb_fp32_tolerance(&f.w, 0);
        printf("  gpu %-32s %-36s max_rel %.2e (tol %.2e)\n", fs->s.what, f.w.key, st.max_rel, tol);
        CHECK_INT(st.nonfinite, 0);
        CHECK(within_tolerance(&st, tol));
        CHECK(max_abs(f.y, f.n) > 1e-3);
        fixture_free(&f);
    }
    /* one step: dW_hh is h0's term alone, from the recurrent side's gradient */
    const shape one = {"gru T=1 B=1 h0", RB_CELL_GRU, 1, 1, 8, 8, 1, 1, 1};
    train_one("gpu", "", &one, 5100, 0);
}

/* Reported per call: the device's own span and the bytes moved. */
static void test_metrics(void)
{
    const shape s = {"metrics", RB_CELL_RNN, 3, 2, 5, 6, 2, 1, 1};
    fixture f;
    rb_err e = {0};
    CHECK_INT(fixture_init(&f, &s, 9), 0);
    rb_target t;
    rb_sample smp;
    rb_target_init(&t, rb_target_find("gpu"), 0);
    CHECK_INT(rb_target_probe(&t, &e), 0);
    CHECK_INT(rb_target_load(&t, &f.m, &f.w, &e), 0);
    CHECK_INT(rb_target_forward(&t, &f.batch, &f.out, &smp, &e), 0);
    double dev = -1, load = -1, io = -1;
    for (int i = 0; i < smp.n_metrics; i++) {
        if (!strcmp(smp.metrics[i].name, "device_ms"))
            dev = smp.metrics[i].value;
        if (!strcmp(smp.metrics[i].name, "load_bytes"))
            load = smp.metrics[i].value;
        if (!strcmp(smp.metrics[i].name, "io_bytes"))
            io = smp.metrics[i].value;
    }
    CHECK(dev > 0);
    /* weights: 2 layers of W_ih [6,5]/[6,6], W_hh [6,6], bias [6], fp32 */
    CHECK_NEAR(load, 4.0 * (6 * 5 + 6 * 6 + 6 + 6 * 6 + 6 * 6 + 6), 0);
    CHECK_NEAR(io, 4.0 * (3 * 2 * 5 + 3 * 2 * 6), 0);
    CHECK(smp.device_s < 0); /* the host time is the latency; device time is a metric */
    rb_target_close(&t);
    fixture_free(&f);
}
#endif

int main(void)
{
#ifdef RB_HAVE_OPENCL
    test_probe();
    test_select();
    battery_against_reference("gpu", "");
    battery_stateful("gpu", "");
    battery_torch_fixtures("gpu", "");
    test_broken_kernels();
    test_metrics();
    battery_train("gpu", "");
    test_gru_paths();
#else
    /* built without OpenCL: the target must say so */
    rb_target t;
    rb_err e = {0};
    rb_target_init(&t, rb_target_find("gpu"), 0);
    CHECK_INT(rb_target_probe(&t, &e), RB_EUNAVAIL);
    CHECK_STR_HAS(e.msg, "built without OpenCL");
#endif
    return rb_test_done("test_gpu");
}
