/* test_fpga_power.c — the fpga target's resource loader and power model.
 *
 * The committed summary (targets/fpga/synth/small.resources) is read back and
 * compared with the file's own lines; the power of a made-up design is worked
 * out by hand below from the coefficient table of fpga_power.c (and
 * synth/README.md), not by calling the code under test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../targets/fpga/fpga_power.h"
#include "../rb_test.h"

static char tmpdir[64];

static void write_file(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void test_committed_small(void)
{
    unsetenv("RB_FPGA_SYNTH_DIR");
    rb_metric m[RB_DEVICE_MAX_RESOURCES];
    rb_err e = {0};
    int n = rb_fpga_resources("small", NULL, m, RB_DEVICE_MAX_RESOURCES, &e);
    if (n < 0)
        fprintf(stderr, "%s\n", e.msg);
    CHECK(n >= 5);

    /* the file's upper-case KEY=number lines, read here independently */
    FILE *f = fopen(RB_SOURCE_DIR "/targets/fpga/synth/small.resources", "r");
    CHECK(f != NULL);
    if (!f || n < 0)
        return;
    char line[512], key[64];
    double v;
    int k = 0, same = 1;
    while (fgets(line, sizeof line, f)) {
        if (line[0] < 'A' || line[0] > 'Z' || sscanf(line, "%63[A-Z0-9_]=%lf", key, &v) != 2)
            continue;
        same &= k < n && !strcmp(m[k].name, key) && m[k].value == v &&
                !strcmp(m[k].source, "synthesized") && !strcmp(m[k].unit, "");
        k++;
    }
    fclose(f);
    CHECK_INT(k, n);
    CHECK(same);
    /* the accelerator has all of these, and its weights are in block RAM */
    const char *want[] = {"LUT", "FF", "DSP", "BRAM36"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int found = 0;
        for (int j = 0; j < n; j++)
            found |= !strcmp(m[j].name, want[i]) && m[j].value > 0;
        CHECK(found);
    }
    /* 7 series has no UltraRAM, so the small summary has no URAM line */
    for (int j = 0; j < n; j++)
        CHECK(strcmp(m[j].name, "URAM") != 0);
}

static void test_loader_errors(void)
{
    rb_metric m[RB_DEVICE_MAX_RESOURCES];
    rb_err e = {0};
    setenv("RB_FPGA_SYNTH_DIR", tmpdir, 1);

    /* missing file: unavailable, and the message says how to make it */
    CHECK_INT(rb_fpga_resources("small", NULL, m, RB_DEVICE_MAX_RESOURCES, &e), RB_EUNAVAIL);
    CHECK_STR_HAS(e.msg, "synth.sh small");

    /* provenance lines are skipped, counts kept in file order */
    write_file("t1.resources", "# comment\nconfig=t1\nyosys=Yosys 0.23\nLUT=1200\nFF=800\n"
                               "BRAM36=4.5\nmap.u_wmem=RAMB36E1:4\n");
    CHECK_INT(rb_fpga_resources("t1", NULL, m, RB_DEVICE_MAX_RESOURCES, &e), 3);
    CHECK(!strcmp(m[0].name, "LUT") && m[0].value == 1200);
    CHECK(!strcmp(m[1].name, "FF") && m[1].value == 800);
    CHECK(!strcmp(m[2].name, "BRAM36") && m[2].value == 4.5);
    CHECK(!strcmp(m[2].source, "synthesized"));
    CHECK_INT(rb_fpga_resources("t1", NULL, m, 2, &e),
              RB_EINPUT); /* no room: refused, not truncated */
    /* a summary of other parameters than the caller's is refused, naming both */
    write_file("t4.resources", "config=t4\nparams=DATA_W=16 FRAC=12 LANES=16\nLUT=5\n");
    CHECK_INT(rb_fpga_resources("t4", "DATA_W=16 FRAC=12 LANES=16", m, RB_DEVICE_MAX_RESOURCES, &e),
              1);
    CHECK_INT(rb_fpga_resources("t4", "DATA_W=12 FRAC=8 LANES=16", m, RB_DEVICE_MAX_RESOURCES, &e),
              RB_EUNAVAIL);
    CHECK_STR_HAS(e.msg, "synthesized for other hardware (DATA_W=16 FRAC=12 LANES=16)");
    CHECK_STR_HAS(e.msg,
                  "RB_SYNTH_PARAMS='DATA_W=12 FRAC=8 LANES=16' targets/fpga/synth/synth.sh t4");

    write_file("t2.resources", "LUT=12x\n");
    CHECK_INT(rb_fpga_resources("t2", NULL, m, RB_DEVICE_MAX_RESOURCES, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "t2.resources:1");
    write_file("t3.resources", "config=t3\n");
    CHECK_INT(rb_fpga_resources("t3", NULL, m, RB_DEVICE_MAX_RESOURCES, &e), RB_EINPUT);
    /* a configuration name is not a path */
    CHECK_INT(rb_fpga_resources("../t1", NULL, m, RB_DEVICE_MAX_RESOURCES, &e), RB_EINPUT);
    CHECK_INT(rb_fpga_resources("", NULL, m, RB_DEVICE_MAX_RESOURCES, &e), RB_EINPUT);
    unsetenv("RB_FPGA_SYNTH_DIR");
}

static rb_metric res(const char *name, double v)
{
    rb_metric m;
    memset(&m, 0, sizeof m);
    snprintf(m.name, sizeof m.name, "%s", name);
    m.value = v;
    snprintf(m.source, sizeof m.source, "synthesized");
    return m;
}

static void test_power_by_hand(void)
{
    char how[128];
    /* The coefficients, re-derived here from the published figures fpga_power.c
     * cites (uW/MHz):
     *   LUT c  Virtex-II CLB 5.9 x (60 % routing + 16 % logic) / 8 LUTs / 12.5 %
     *          = 4.484, x 28/150 x (1.00/1.5)^2 = 0.372006 (7 series)
     *   FF k   5.9 x 14 % clocking / 8 FFs = 0.10325, x the same = 0.0085659
     *   BRAM c Virtex-5 39 mW / 2 blocks / 300 MHz / 50 % = 130, x 28/65 = 56
     *   DSP c  20 (estimate) */
    const double xc7_v2 = 28.0 / 150 * (1.0 / 1.5) * (1.0 / 1.5), xc7_v5 = 28.0 / 65;
    const double lut = 4.484 * xc7_v2, ff = 0.10325 * xc7_v2, bram = 130 * xc7_v5;
    CHECK_NEAR(lut, 0.372006, 1e-6);
    CHECK_NEAR(ff, 0.0085659, 1e-7);
    CHECK_NEAR(bram, 56.0, 1e-9);
    /* 7 series (no URAM entry), 100 MHz, a = 0.125:
     *   LUT    1000 x 0.125 x 0.372006 = 46.5007
     *   FF     2000 x 0.0085659        = 17.1319  (clock load, every cycle)
     *   DSP      10 x 0.125 x 20       = 25
     *   BRAM36    4 x 0.125 x 56       = 28
     *   LUTRAM, CARRY: not in the model (LUTRAM is part of LUT)
     *   sum 116.633 uW/MHz x 100 MHz = 0.0116633 W; + 0.12 W static */
    rb_metric a[] = {res("LUT", 1000), res("LUTRAM", 400), res("FF", 2000),
                     res("DSP", 10),   res("BRAM36", 4),   res("CARRY", 99)};
    int na = (int)(sizeof a / sizeof a[0]);
    double dyn_a = (1000 * 0.125 * lut + 2000 * ff + 10 * 0.125 * 20 + 4 * 0.125 * bram) * 100e-6;
    CHECK_NEAR(dyn_a, 0.0116633, 1e-7);
    CHECK_NEAR(rb_fpga_power_w(a, na, 100, 0.125, how, sizeof how), 0.12 + dyn_a, 1e-12);
    CHECK_STR_HAS(how, "model: 0.12 W static + 0.0117 W dyn");
    CHECK_STR_HAS(how, "100 MHz 12.5% toggle");
    CHECK_STR_HAS(how, "est.");
    /* activity 0: only the flip-flops' clock load, 2000 x 0.0085659 x 100 uW */
    CHECK_NEAR(rb_fpga_power_w(a, na, 100, 0, NULL, 0), 0.12 + 2000 * ff * 100e-6, 1e-12);

    /* UltraScale+ (a URAM entry): 16 nm at 0.85 V, so from Virtex-II
     * x 16/150 x (0.85/1.5)^2, from Virtex-5 x 16/65 x 0.85^2, DSP from 7 series
     * x 16/28 x 0.85^2; URAM = 4 BRAM36 (estimate); static 850 mW per
     * (1143.45 - 103.32) k logic cells x 3780 k = 3.0890 W.  100 MHz, a = 0.125. */
    const double up_v2 = 16.0 / 150 * (0.85 / 1.5) * (0.85 / 1.5), up_v5 = 16.0 / 65 * 0.85 * 0.85;
    const double up_dsp = 20 * 16.0 / 28 * 0.85 * 0.85, up_bram = 130 * up_v5;
    const double up_static = 0.850 / (1143.45 - 103.32) * 3780;
    CHECK_NEAR(up_static, 3.0890, 1e-4);
    rb_metric b[] = {res("LUT", 1000), res("FF", 2000), res("DSP", 10), res("BRAM36", 4),
                     res("URAM", 2)};
    int nb = (int)(sizeof b / sizeof b[0]);
    double dyn_b = (1000 * 0.125 * 4.484 * up_v2 + 2000 * 0.10325 * up_v2 + 10 * 0.125 * up_dsp +
                    4 * 0.125 * up_bram + 2 * 0.125 * 4 * up_bram) *
                   100e-6;
    CHECK_NEAR(dyn_b, 0.0071273, 1e-6);
    CHECK_NEAR(rb_fpga_power_w(b, nb, 100, 0.125, how, sizeof how), up_static + dyn_b, 1e-12);
    CHECK_STR_HAS(how, "UltraScale+");

    /* no resources: static power only */
    CHECK_NEAR(rb_fpga_power_w(NULL, 0, 200, 0.5, NULL, 0), 0.12, 1e-12);
    /* invalid arguments */
    CHECK(rb_fpga_power_w(a, na, 0, 0.125, NULL, 0) < 0);
    CHECK(rb_fpga_power_w(a, na, -5, 0.125, NULL, 0) < 0);
    CHECK(rb_fpga_power_w(a, na, 100, -0.1, NULL, 0) < 0);
    CHECK(rb_fpga_power_w(a, na, 100, 1.5, NULL, 0) < 0);
    CHECK(rb_fpga_power_w(NULL, 3, 100, 0.125, NULL, 0) < 0);
    /* a tiny buffer is truncated, not overrun */
    char small[8];
    CHECK(rb_fpga_power_w(a, na, 100, 0.125, small, sizeof small) > 0);
    CHECK_INT((long)strlen(small), 7);
}

static void test_monotone(void)
{
    rb_metric m[RB_DEVICE_MAX_RESOURCES];
    rb_err e = {0};
    int n = rb_fpga_resources("small", NULL, m, RB_DEVICE_MAX_RESOURCES, &e);
    CHECK(n > 0);
    if (n <= 0)
        return;
    int up_clock = 1, up_act = 1;
    for (double f = 50; f < 500; f += 50)
        up_clock &= rb_fpga_power_w(m, n, f + 50, RB_FPGA_DEFAULT_ACTIVITY, NULL, 0) >
                    rb_fpga_power_w(m, n, f, RB_FPGA_DEFAULT_ACTIVITY, NULL, 0);
    for (double a = 0; a < 0.95; a += 0.1)
        up_act &=
            rb_fpga_power_w(m, n, 200, a + 0.1, NULL, 0) > rb_fpga_power_w(m, n, 200, a, NULL, 0);
    CHECK(up_clock);
    CHECK(up_act);
    CHECK(RB_FPGA_DEFAULT_ACTIVITY == 0.125); /* UG440's default toggle rate */
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rb_fpga_power.XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_committed_small();
    test_loader_errors();
    test_power_by_hand();
    test_monotone();
    const char *names[] = {"t1.resources", "t2.resources", "t3.resources", "t4.resources"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/%s", tmpdir, names[i]);
        unlink(path);
    }
    rmdir(tmpdir);
    return rb_test_done("test_fpga_power");
}
