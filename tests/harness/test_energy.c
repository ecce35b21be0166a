/* Energy meters.  RAPL against a fake powercap tree: package zones summed,
 * subzones ignored, wrap-around handled, unreadable trees explained.  The
 * chooser per device type.  NVML when the library is absent, and against
 * fake_nvml.c (when the build provides it as RB_FAKE_NVML): counter read
 * exactly, power sampling integrated, devices found by bus id or name, read
 * errors reported.  rb_measure's order of preference: target, meter, model. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../harness/energy.h"
#include "../../harness/measure.h"
#include "../rb_test.h"

static char root[256];

static void put(const char *zone, const char *file, const char *value)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", root, zone);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/%s/%s", root, zone, file);
    FILE *f = fopen(p, "w");
    fputs(value, f);
    fclose(f);
}

static void test_rapl(void)
{
    char why[256] = "";
    rb_rapl r;
    CHECK_INT(rb_rapl_open(&r, "/nonexistent/powercap", why, sizeof why), 0);
    CHECK_STR_HAS(why, "RAPL not exposed");

    CHECK_INT(rb_rapl_open(&r, root, why, sizeof why), 0);
    CHECK_STR_HAS(why, "no RAPL package zones");

    put("intel-rapl:0", "energy_uj", "1000000\n");
    put("intel-rapl:0", "max_energy_range_uj", "262143328850\n");
    put("intel-rapl:1", "energy_uj", "262143000000\n"); /* about to wrap */
    put("intel-rapl:1", "max_energy_range_uj", "262143328850\n");
    put("intel-rapl:0:0", "energy_uj", "5\n"); /* a core subzone: must not be added */
    put("intel-rapl:0:0", "max_energy_range_uj", "262143328850\n");
    CHECK_INT(rb_rapl_open(&r, root, why, sizeof why), 2);
    CHECK_INT(rb_rapl_start(&r), 0);
    put("intel-rapl:0", "energy_uj", "3500000\n"); /* +2.5 J */
    put("intel-rapl:1", "energy_uj", "671150\n");  /* wrapped: +328850 + 671150 = 1.0 J */
    CHECK_NEAR(rb_rapl_stop(&r), 3.5, 1e-9);
}

/* The chooser on a cpu, with the powercap root injected as the harness documents. */
static void test_chooser_cpu(void)
{
    char why[512] = "";
    rb_energy_meter m;
    rb_device_info cpu = {
        .name = "AMD EPYC 7B13 (2 threads)", .type = "cpu", .energy_counters = RB_ENERGY_RAPL};

    setenv("RB_POWERCAP_ROOT", "/nonexistent/powercap", 1);
    CHECK_INT(rb_energy_meter_for(&cpu, &m, why, sizeof why), 0);
    CHECK(m.source == NULL);
    CHECK_STR_HAS(why, "/nonexistent/powercap");
    CHECK_STR_HAS(why, "RAPL not exposed");
    rb_energy_meter_close(&m); /* no meter: still safe */

    setenv("RB_POWERCAP_ROOT", root, 1);
    put("intel-rapl:0", "energy_uj", "1000000\n");
    put("intel-rapl:1", "energy_uj", "2000000\n");
    CHECK_INT(rb_energy_meter_for(&cpu, &m, why, sizeof why), 1);
    CHECK_STR_HAS(m.source, "rapl");
    CHECK_STR_HAS(m.detail, "2 package zones");
    CHECK_INT(m.sample_period_ms, 0);
    CHECK_INT(m.start(&m), 0);
    put("intel-rapl:0", "energy_uj", "1250000\n"); /* +0.25 J */
    put("intel-rapl:1", "energy_uj", "2500000\n"); /* +0.5 J */
    CHECK_NEAR(m.stop(&m), 0.75, 1e-9);
    rb_energy_meter_close(&m);
    CHECK(m.source == NULL && m.state == NULL);
    unsetenv("RB_POWERCAP_ROOT");

    /* The counters decide, not the type: an OpenCL CPU device (PoCL) behind the
     * gpu target is measured by RAPL; a "cpu" that reads no counter is not. */
    setenv("RB_POWERCAP_ROOT", root, 1);
    rb_device_info pocl = {.name = "pthread (OpenCL cpu device, not a GPU)",
                           .type = "gpu",
                           .energy_counters = RB_ENERGY_RAPL};
    CHECK_INT(rb_energy_meter_for(&pocl, &m, why, sizeof why), 1);
    CHECK_STR_HAS(m.source, "rapl");
    rb_energy_meter_close(&m);
    rb_device_info mute = {.name = "AMD EPYC 7B13 (2 threads)", .type = "cpu"};
    CHECK_INT(rb_energy_meter_for(&mute, &m, why, sizeof why), 0);
    CHECK_STR_HAS(why, "reads no energy counter");
    unsetenv("RB_POWERCAP_ROOT");

    /* No counter at all: no meter, and the reason says what would have worked. */
    rb_device_info fpga = {.name = "simulated Alveo U250", .type = "fpga"};
    CHECK_INT(rb_energy_meter_for(&fpga, &m, why, sizeof why), 0);
    CHECK_STR_HAS(why, "no energy meter for this fpga");
}

static void test_nvml_absent(void)
{
    char why[512] = "";
    rb_energy_meter m;
    rb_device_info gpu = {.name = "NVIDIA H100 80GB HBM3",
                          .type = "gpu",
                          .bus_id = "00000000:65:00.0",
                          .energy_counters = RB_ENERGY_NVML};
    setenv("RB_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1", 1);
    CHECK_INT(rb_energy_meter_nvml(&gpu, &m, why, sizeof why), 0);
    CHECK(m.source == NULL);
    CHECK_STR_HAS(why, "NVML not available");
    CHECK_STR_HAS(why, "libnvidia-ml.so.1");
    /* The chooser sends an NVIDIA device to NVML, and passes its reason on. */
    CHECK_INT(rb_energy_meter_for(&gpu, &m, why, sizeof why), 0);
    CHECK_STR_HAS(why, "libnvidia-ml.so.1");

    /* A library without NVML's entry points (driver too old, wrong file). */
    setenv("RB_NVML_LIBRARY", "libm.so.6", 1);
    CHECK_INT(rb_energy_meter_nvml(&gpu, &m, why, sizeof why), 0);
    CHECK_STR_HAS(why, "has no nvmlInit_v2");
    unsetenv("RB_NVML_LIBRARY");

    /* The default library name, where this host really has no NVIDIA driver. */
    if (access("/dev/nvidiactl", F_OK)) {
        CHECK_INT(rb_energy_meter_nvml(&gpu, &m, why, sizeof why), 0);
        CHECK_STR_HAS(why, "libnvidia-ml.so.1");
    }
}

#ifdef RB_FAKE_NVML
static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void test_nvml_fake(void)
{
    char why[512] = "";
    rb_energy_meter m;
    setenv("RB_NVML_LIBRARY", RB_FAKE_NVML, 1);
    unsetenv("FAKE_NVML_ENERGY");
    unsetenv("FAKE_NVML_FAIL_AFTER");

    /* By bus id; the counter advances 1000 mJ per read, so every interval is exactly 1 J. */
    rb_device_info h100 = {.name = "NVIDIA H100 80GB HBM3",
                           .type = "gpu",
                           .bus_id = "00000000:65:00.0",
                           .energy_counters = RB_ENERGY_NVML};
    CHECK_INT(rb_energy_meter_for(&h100, &m, why, sizeof why), 1);
    CHECK_STR_HAS(m.source, "nvml");
    CHECK_STR_HAS(m.detail, "nvml: total energy counter of NVIDIA H100 80GB HBM3");
    CHECK_STR_HAS(m.detail, "00000000:65:00.0");
    CHECK_INT(m.sample_period_ms, 0);
    for (int i = 0; i < 2; i++) {
        CHECK_INT(m.start(&m), 0);
        CHECK_NEAR(m.stop(&m), 1.0, 0);
    }
    rb_energy_meter_close(&m);

    /* By name (no bus id), either way round, found through the vendor in extra_json. */
    rb_device_info p100 = {.name = "Tesla P100-PCIE-16GB (OpenCL 3.0 CUDA)",
                           .type = "gpu",
                           .extra_json = "{\"vendor\": \"NVIDIA Corporation\"}",
                           .energy_counters = RB_ENERGY_NVML};
    CHECK_INT(rb_energy_meter_for(&p100, &m, why, sizeof why), 1);
    CHECK_STR_HAS(m.detail, "Tesla P100-PCIE-16GB (matched by name)");
    CHECK_INT(m.start(&m), 0);
    CHECK_NEAR(m.stop(&m), 1.0, 0);
    rb_energy_meter_close(&m);

    /* Two identical boards and no bus id: refused rather than guessed. */
    rb_device_info ambiguous = {
        .name = "NVIDIA H100 80GB HBM3", .type = "gpu", .energy_counters = RB_ENERGY_NVML};
    CHECK_INT(rb_energy_meter_for(&ambiguous, &m, why, sizeof why), 0);
    CHECK_STR_HAS(why, "2 NVML devices match");
    rb_device_info absent = {
        .name = "NVIDIA A100-SXM4-40GB", .type = "gpu", .energy_counters = RB_ENERGY_NVML};
    CHECK_INT(rb_energy_meter_for(&absent, &m, why, sizeof why), 0);
    CHECK_STR_HAS(why, "none of the 3 NVML devices matches 'NVIDIA A100-SXM4-40GB'");
    rb_device_info wrong_bus = {.name = "NVIDIA H100 80GB HBM3",
                                .type = "gpu",
                                .bus_id = "00000000:99:00.0",
                                .energy_counters = RB_ENERGY_NVML};
    CHECK_INT(rb_energy_meter_for(&wrong_bus, &m, why, sizeof why), 0);
    CHECK_STR_HAS(why, "NVML has no device at PCI 00000000:99:00.0: Not Found");
    CHECK_STR_HAS(why, "by name: 2 NVML devices match");
    /* a bus id NVML does not know, but a name only one board has: found by
     * name, and the detail says the address did not match */
    rb_device_info p100_bus = {.name = "Tesla P100-PCIE-16GB",
                               .type = "gpu",
                               .bus_id = "00000000:00:00.6",
                               .energy_counters = RB_ENERGY_NVML};
    CHECK_INT(rb_energy_meter_for(&p100_bus, &m, why, sizeof why), 1);
    CHECK_STR_HAS(m.detail, "matched by name; NVML has no device at PCI 00000000:00:00.6");
    rb_energy_meter_close(&m);

    /* A read error at stop: < 0, so the harness falls back to the model.
     * Reads: probe 1, start 2, stop 3 (fails). */
    setenv("FAKE_NVML_FAIL_AFTER", "2", 1);
    CHECK_INT(rb_energy_meter_for(&h100, &m, why, sizeof why), 1);
    CHECK_INT(m.start(&m), 0);
    CHECK(m.stop(&m) < 0);
    rb_energy_meter_close(&m);
    unsetenv("FAKE_NVML_FAIL_AFTER");

    /* No energy counter (pre-Volta): 50 W sampled every 10 ms over ~200 ms. */
    setenv("FAKE_NVML_ENERGY", "unsupported", 1);
    CHECK_INT(rb_energy_meter_for(&h100, &m, why, sizeof why), 1);
    CHECK_STR_HAS(m.detail, "nvml: power sampled every 10 ms");
    CHECK_STR_HAS(m.detail, "no energy counter: Not Supported");
    CHECK_NEAR(m.sample_period_ms, 10, 0);
    double t0 = mono_s();
    CHECK_INT(m.start(&m), 0);
    struct timespec nap = {0, 200 * 1000000L};
    nanosleep(&nap, NULL);
    double j = m.stop(&m), dt = mono_s() - t0;
    CHECK(dt >= 0.2);
    CHECK_NEAR(j, 50.0 * dt, 0.1 * 50.0 * dt);
    CHECK(m.n_samples >= 5 && m.n_samples <= 25);
    rb_energy_meter_close(&m);

    /* A sampling meter whose board is lost mid-interval: probe 1, start 2, thread 3 fails. */
    setenv("FAKE_NVML_FAIL_AFTER", "2", 1);
    CHECK_INT(rb_energy_meter_for(&h100, &m, why, sizeof why), 1);
    CHECK_INT(m.start(&m), 0);
    nanosleep(&nap, NULL);
    CHECK(m.stop(&m) < 0);
    rb_energy_meter_close(&m);
    /* Closed while running: close joins the sampler itself. */
    unsetenv("FAKE_NVML_FAIL_AFTER");
    CHECK_INT(rb_energy_meter_for(&h100, &m, why, sizeof why), 1);
    CHECK_INT(m.start(&m), 0);
    rb_energy_meter_close(&m);
    unsetenv("FAKE_NVML_ENERGY");

    /* Neither energy nor power readable: no meter, both reasons given. */
    setenv("FAKE_NVML_ENERGY", "unsupported", 1);
    setenv("FAKE_NVML_FAIL_AFTER", "0", 1);
    CHECK_INT(rb_energy_meter_for(&h100, &m, why, sizeof why), 0);
    CHECK_STR_HAS(why, "neither energy (Not Supported) nor power (GPU is lost)");
    unsetenv("FAKE_NVML_ENERGY");
    unsetenv("FAKE_NVML_FAIL_AFTER");
    unsetenv("RB_NVML_LIBRARY");
}
#endif

/* --- rb_measure with a scripted meter and a target of known latency --------- */

enum { WARMUP = 2, REPS = 5 };
static int calls;           /* forward calls so far */
static double own_energy_j; /* >= 0: the target reports its own energy */

static int fake_probe(rb_target *t, rb_device_info *out, rb_err *e)
{
    snprintf(out->type, sizeof out->type, "gpu");
    snprintf(out->numerics, sizeof out->numerics, "fixed q8.8"); /* no fp32 bound to meet */
    out->power_w = 100;
    return 0;
}

static int fake_load(rb_target *t, const rb_model *m, const rb_workload *w, rb_err *e) { return 0; }

static int fake_forward(rb_target *t, const rb_batch *in, rb_tensor *out, rb_sample *s, rb_err *e)
{
    calls++;
    for (size_t i = 0; i < rb_tensor_count(out); i++)
        out->data[i] = 0;
    s->device_s = 0.002; /* 2 ms, so the model's energy is exactly 100 W x 2 ms */
    if (own_energy_j >= 0) {
        s->energy_j = own_energy_j;
        s->energy_source = RB_ESRC_MODEL;
    }
    return 0;
}

static void fake_unload(rb_target *t) {}

static const rb_target_ops fake_ops = {.name = "fake",
                                       .method = RB_SRC_SIMULATED,
                                       .description = "test target",
                                       .probe = fake_probe,
                                       .load = fake_load,
                                       .forward = fake_forward,
                                       .unload = fake_unload,
                                       .cells = RB_CELLS_ALL};

typedef struct scripted {
    double joules; /* what stop returns */
    int calls_at_start, calls_at_stop;
} scripted;

static int scripted_start(rb_energy_meter *m)
{
    ((scripted *)m->state)->calls_at_start = calls;
    return 0;
}

static double scripted_stop(rb_energy_meter *m)
{
    scripted *s = m->state;
    s->calls_at_stop = calls;
    return s->joules;
}

static const rb_metric *metric(const rb_result *r, const char *name)
{
    for (int i = 0; i < r->n_metrics; i++)
        if (!strcmp(r->metrics[i].name, name))
            return &r->metrics[i];
    return NULL;
}

static void test_measure(void)
{
    rb_workload w = {.cell = RB_CELL_LSTM,
                     .mode = RB_MODE_INFER,
                     .seq = 3,
                     .batch = 2,
                     .input = 4,
                     .hidden = 5,
                     .layers = 1,
                     .input_proj = 1};
    rb_workload_make_key(&w);
    rb_err e = {0};
    rb_point pt;
    CHECK_INT(rb_point_prepare(&pt, &w, NULL, 1, 0, &e), 0);
    rb_target t;
    rb_target_init(&t, &fake_ops, 1);
    CHECK_INT(rb_target_probe(&t, &e), 0);
    rb_measure_opts o = {WARMUP, REPS, REPS, 0, 60, 0, 1, 100, 0};
    scripted sc = {4.0, -1, -1};
    rb_energy_meter m = {.source = RB_ESRC_NVML,
                         .detail = "scripted",
                         .start = scripted_start,
                         .stop = scripted_stop,
                         .state = &sc};
    rb_result r;

    /* The meter: joules / calls, started after the warm-up, stopped after the last call. */
    own_energy_j = -1;
    calls = 0;
    CHECK_INT(rb_measure(&t, &pt, &o, &m, &r, &e), 0);
    CHECK_STR_HAS(r.status, "ok");
    CHECK_INT(r.reps, REPS);
    CHECK_INT(sc.calls_at_start, WARMUP);
    CHECK_INT(sc.calls_at_stop, WARMUP + REPS);
    CHECK_NEAR(r.energy_j, 4.0 / REPS, 1e-12);
    CHECK_STR_HAS(r.energy_source, "nvml");
    const rb_metric *p = metric(&r, "meter_avg_power_w");
    CHECK(p && p->value > 0 && !strcmp(p->source, "nvml") && !strcmp(p->unit, "W"));
    CHECK(!metric(&r, "model_power_w") && !metric(&r, "meter_samples"));
    CHECK_INT(strlen(r.message), 0);
    rb_result_free(&r);

    /* A sampling meter also records how it sampled. */
    m.sample_period_ms = 10;
    m.n_samples = 42;
    CHECK_INT(rb_measure(&t, &pt, &o, &m, &r, &e), 0);
    CHECK(metric(&r, "meter_sample_period_ms") &&
          metric(&r, "meter_sample_period_ms")->value == 10);
    CHECK(metric(&r, "meter_samples") && metric(&r, "meter_samples")->value == 42);
    rb_result_free(&r);
    m.sample_period_ms = 0;

    /* A meter that fails to read: the model, and the message says so. */
    sc.joules = -1;
    CHECK_INT(rb_measure(&t, &pt, &o, &m, &r, &e), 0);
    CHECK_STR_HAS(r.status, "ok");
    CHECK_NEAR(r.energy_j, 100 * 0.002, 1e-12);
    CHECK_STR_HAS(r.energy_source, "model");
    CHECK(metric(&r, "model_power_w") && metric(&r, "model_power_w")->value == 100);
    CHECK(!metric(&r, "meter_avg_power_w"));
    CHECK_STR_HAS(r.message, "the nvml energy meter could not be read; energy is the model's");
    rb_result_free(&r);

    /* No meter at all (NULL or zeroed): the model, silently. */
    rb_energy_meter none = {0};
    CHECK_INT(rb_measure(&t, &pt, &o, NULL, &r, &e), 0);
    CHECK_STR_HAS(r.energy_source, "model");
    CHECK_INT(strlen(r.message), 0);
    rb_result_free(&r);
    CHECK_INT(rb_measure(&t, &pt, &o, &none, &r, &e), 0);
    CHECK_NEAR(r.energy_j, 0.2, 1e-12);
    rb_result_free(&r);

    /* The target's own figure wins over the meter, which is still kept as a metric. */
    sc.joules = 4.0;
    own_energy_j = 0.5;
    CHECK_INT(rb_measure(&t, &pt, &o, &m, &r, &e), 0);
    CHECK_NEAR(r.energy_j, 0.5, 1e-12);
    CHECK_STR_HAS(r.energy_source, "model");
    CHECK(metric(&r, "meter_avg_power_w") != NULL);
    rb_result_free(&r);

    rb_target_close(&t);
    rb_point_free(&pt);
}

int main(void)
{
    snprintf(root, sizeof root, "/tmp/rb_rapl_XXXXXX");
    CHECK(mkdtemp(root) != NULL);
    test_rapl();
    test_chooser_cpu();
    test_nvml_absent();
#ifdef RB_FAKE_NVML
    test_nvml_fake();
#else
    fprintf(stderr, "test_energy: fake NVML not built (RB_FAKE_NVML unset): its checks skipped\n");
#endif
    test_measure();

    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    CHECK_INT(system(cmd), 0);
    return rb_test_done("test_energy");
}
