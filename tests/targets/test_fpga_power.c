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
    int n = rb_fpga_resources("small", m, RB_DEVICE_MAX_RESOURCES, &e);
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
    CHECK_INT(rb_fpga_resources("small", m, RB_DEVICE_MAX_RESOURCES, &e), RB_EUNAVAIL);
    CHECK_STR_HAS(e.msg, "synth.sh small");

    /* provenance lines are skipped, counts kept in file order */
    write_file("t1.resources", "# comment\nconfig=t1\nyosys=Yosys 0.23\nLUT=1200\nFF=800\n"
                               "BRAM36=4.5\nmap.u_wmem=RAMB36E1:4\n");
    CHECK_INT(rb_fpga_resources("t1", m, RB_DEVICE_MAX_RESOURCES, &e), 3);
    CHECK(!strcmp(m[0].name, "LUT") && m[0].value == 1200);
    CHECK(!strcmp(m[1].name, "FF") && m[1].value == 800);
    CHECK(!strcmp(m[2].name, "BRAM36") && m[2].value == 4.5);
    CHECK(!strcmp(m[2].source, "synthesized"));
    CHECK_INT(rb_fpga_resources("t1", m, 2, &e), RB_EINPUT); /* no room: refused, not truncated */

    write_file("t2.resources", "LUT=12x\n");
    CHECK_INT(rb_fpga_resources("t2", m, RB_DEVICE_MAX_RESOURCES, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "t2.resources:1");
    write_file("t3.resources", "config=t3\n");
    CHECK_INT(rb_fpga_resources("t3", m, RB_DEVICE_MAX_RESOURCES, &e), RB_EINPUT);
    /* a configuration name is not a path */
    CHECK_INT(rb_fpga_resources("../t1", m, RB_DEVICE_MAX_RESOURCES, &e), RB_EINPUT);
    CHECK_INT(rb_fpga_resources("", m, RB_DEVICE_MAX_RESOURCES, &e), RB_EINPUT);
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
    char how[96];
    /* 7 series (no URAM entry), 100 MHz, a = 0.125, coefficients k + a*c in uW/MHz:
     *   LUT    1000 x (0     + 0.125 x 0.40) =  50
     *   FF     2000 x (0.015 + 0.125 x 0.10) =  55
     *   DSP      10 x (0     + 0.125 x 20  ) =  25
     *   BRAM36    4 x (0     + 0.125 x 60  ) =  30
     *   LUTRAM, CARRY: not in the model (LUTRAM is part of LUT)
     *   sum 160 uW/MHz x 100 MHz = 16000 uW = 0.016 W; + 0.12 W static = 0.136 W */
    rb_metric a[] = {res("LUT", 1000), res("LUTRAM", 400), res("FF", 2000), res("DSP", 10),
                     res("BRAM36", 4), res("CARRY", 99)};
    int na = (int)(sizeof a / sizeof a[0]);
    CHECK_NEAR(rb_fpga_power_w(a, na, 100, 0.125, how, sizeof how), 0.136, 1e-12);
    CHECK_STR_HAS(how, "model: 0.12 W static + 0.016 W dyn");
    CHECK_STR_HAS(how, "100 MHz 12.5% toggle");
    /* activity 0: only the flip-flops' clock load, 2000 x 0.015 x 100 = 3000 uW */
    CHECK_NEAR(rb_fpga_power_w(a, na, 100, 0, NULL, 0), 0.123, 1e-12);

    /* UltraScale+ (a URAM entry), 100 MHz, a = 0.125:
     *   LUT    1000 x (0      + 0.125 x 0.20) =  25
     *   FF     2000 x (0.0075 + 0.125 x 0.05) =  27.5
     *   DSP      10 x (0      + 0.125 x 10  ) =  12.5
     *   BRAM36    4 x (0      + 0.125 x 30  ) =  15
     *   URAM      2 x (0      + 0.125 x 80  ) =  20
     *   sum 100 uW/MHz x 100 MHz = 0.01 W; + 3.0 W static = 3.01 W */
    rb_metric b[] = {res("LUT", 1000), res("FF", 2000), res("DSP", 10), res("BRAM36", 4),
                     res("URAM", 2)};
    int nb = (int)(sizeof b / sizeof b[0]);
    CHECK_NEAR(rb_fpga_power_w(b, nb, 100, 0.125, how, sizeof how), 3.01, 1e-12);
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
    int n = rb_fpga_resources("small", m, RB_DEVICE_MAX_RESOURCES, &e);
    CHECK(n > 0);
    if (n <= 0)
        return;
    int up_clock = 1, up_act = 1;
    for (double f = 50; f < 500; f += 50)
        up_clock &= rb_fpga_power_w(m, n, f + 50, RB_FPGA_DEFAULT_ACTIVITY, NULL, 0) >
                    rb_fpga_power_w(m, n, f, RB_FPGA_DEFAULT_ACTIVITY, NULL, 0);
    for (double a = 0; a < 0.95; a += 0.1)
        up_act &= rb_fpga_power_w(m, n, 200, a + 0.1, NULL, 0) > rb_fpga_power_w(m, n, 200, a, NULL, 0);
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
    const char *names[] = {"t1.resources", "t2.resources", "t3.resources"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/%s", tmpdir, names[i]);
        unlink(path);
    }
    rmdir(tmpdir);
    return rb_test_done("test_fpga_power");
}
