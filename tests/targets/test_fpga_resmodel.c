/* test_fpga_resmodel.c — the fpga resource model against the Yosys
 * syntheses it is fitted to (targets/fpga/synth/sweep/) and against two it
 * never saw: the committed `small` (weight memory 128 Ki values, between
 * the sweep's 64 Ki and 256 Ki) and `small8` (Q2.5 with twice the input
 * and output buffers, which the model does not see). */
#include <math.h>
#include <stdio.h>

#include "../../targets/fpga/fpga_resmodel.h"
#include "../rb_test.h"

#define SYNTH RB_FIXTURES "/../../targets/fpga/synth"

static void held_out(const rb_fpga_resmodel *m, const char *name, double tol, double bram_tol)
{
    char path[512];
    snprintf(path, sizeof path, SYNTH "/%s.resources", name);
    rb_fpga_shape p;
    double y[RB_NRES];
    rb_err e = {0};
    CHECK_INT(rb_fpga_summary_read(path, &p, y, &e), 0);
    for (int r = 0; r < RB_NRES; r++) {
        double v = rb_fpga_resmodel_predict(m, &p, r), rel = fabs(v - y[r]) / y[r];
        printf("  %-6s %-6s synthesized %8.1f, estimated %8.1f (%+.1f %%)\n", name,
               rb_fpga_res_names[r], y[r], v, 100 * (v - y[r]) / y[r]);
        CHECK(rel <= (r == RB_RES_BRAM36 ? bram_tol : tol));
    }
}

int main(void)
{
    rb_fpga_resmodel m;
    rb_err e = {0};
    int rc = rb_fpga_resmodel_fit(SYNTH "/sweep", &m, &e);
    if (rc)
        fprintf(stderr, "%s\n", e.msg);
    CHECK_INT(rc, 0);
    CHECK_INT(m.n, 16);
    /* the fit's own error: within 4 % on every synthesis, per resource */
    for (int r = 0; r < RB_NRES; r++) {
        printf("  fit %-6s: max error %.1f %%\n", rb_fpga_res_names[r], 100 * m.max_rel_err[r]);
        CHECK(m.max_rel_err[r] <= 0.04);
    }
    /* DSPs exactly: 3 + 0.5 per lane + 5/32 per lane and bit (3 per lane at
     * 16 bits, 1.75 at 8, as every synthesis of the sweep has them) */
    rb_fpga_shape s = {64, 16, 65536};
    CHECK_NEAR(rb_fpga_resmodel_predict(&m, &s, RB_RES_DSP), 195, 1e-6);
    s.data_w = 8;
    CHECK_NEAR(rb_fpga_resmodel_predict(&m, &s, RB_RES_DSP), 115, 1e-6);
    held_out(&m, "small", 0.02, 0.02);
    held_out(&m, "small8", 0.03, 0.10);
    /* refusals: no directory, too few syntheses */
    CHECK_INT(rb_fpga_resmodel_fit("/nonexistent", &m, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "sweep.sh");
    CHECK_INT(rb_fpga_resmodel_fit(SYNTH, &m, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "too few");
    return rb_test_done("test_fpga_resmodel");
}
