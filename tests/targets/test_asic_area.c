/* test_asic_area.c — the asic target's area model (asic_area.c).
 *
 * The coefficients and the closed-form cases are worked out by hand in the
 * comments from MODEL.md's "Area", not by calling the code under test; the
 * model must grow with every part it counts; and it is set beside two
 * published designs: TPU v1, which its overhead factors are fitted to, and
 * Eyeriss, which they are not. */
#include <stdio.h>
#include <string.h>

#include "../../targets/asic/asic.h"
#include "../rb_test.h"

/* a preset with only what the area model reads */
static rb_asic_preset bare(int rows, int cols, rb_asic_dtype dt, int acc_bits, double node_nm)
{
    rb_asic_preset p;
    memset(&p, 0, sizeof p);
    p.rows = rows;
    p.cols = cols;
    p.num.dtype = dt;
    p.num.acc_bits = acc_bits;
    p.node_nm = node_nm;
    p.vdd = 0.9;
    return p;
}

static double rel(double a, double b) { return fabs(a - b) / fabs(b); }

/* Horowitz's 45 nm areas (um^2) with asic_energy.c's rules, by hand:
 *   int8 x int8 + 32-bit add     282 + 137                     = 419
 *   int8 + 16-bit add            282 + 36 + 8 * 101 / 24        = 351.6667
 *   int16 (w^2: 4 x 282) + 32    1128 + 137                    = 1265
 *   int16 + 48-bit add           1128 + 36 + 40 * 101 / 24      = 1332.3333
 *   fp16 + fp16 / + fp32         1640 + 1360 / 1640 + 4184     = 3000 / 5824
 *   bf16: 1640 (8/11)^2 = 867.4380, 1360 * 8 / 11 = 989.0909
 *     + fp32 add                 867.4380 + 4184               = 5051.4380
 *     + bf16 add                 867.4380 + 989.0909           = 1856.5289
 *   fp32                         7700 + 4184                   = 11884
 *   vector lane                  7700 + 4184                   = 11884
 *   SRAM bit                     0.346 / 0.45                  = 0.768889 */
static void test_coefficients(void)
{
    static const struct {
        rb_asic_dtype dt;
        int acc;
        double um2;
    } cases[] = {
        {RB_ASIC_INT8, 32, 419},
        {RB_ASIC_INT8, 16, 282 + 36 + 8 * 101.0 / 24},
        {RB_ASIC_INT16, 32, 1265},
        {RB_ASIC_INT16, 48, 1128 + 36 + 40 * 101.0 / 24},
        {RB_ASIC_FP16, 16, 3000},
        {RB_ASIC_FP16, 32, 5824},
        {RB_ASIC_BF16, 32, 1640 * 64.0 / 121 + 4184},
        {RB_ASIC_BF16, 16, 1640 * 64.0 / 121 + 1360 * 8.0 / 11},
        {RB_ASIC_FP32, 32, 11884},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rb_asic_numerics n = {.dtype = cases[i].dt, .acc_bits = cases[i].acc};
        CHECK_NEAR(rb_asic_a45_mac_um2(&n), cases[i].um2, 1e-9);
    }
    CHECK_NEAR(1640 * 64.0 / 121, 867.4380, 1e-4);
    CHECK_NEAR(rb_asic_a45_vector_lane_um2(), 11884, 0);
    CHECK_NEAR(rb_asic_a45_sram_bit_um2(), 0.346 / 0.45, 1e-15);
    /* the add line against the table's own 16-bit entry, 67: 4 % over */
    rb_asic_numerics i16 = {.dtype = RB_ASIC_INT8, .acc_bits = 16};
    CHECK(rel(rb_asic_a45_mac_um2(&i16) - 282, 67) < 0.05);
    CHECK_NEAR(rb_asic_area_node_scale(45), 1, 0);
    CHECK_NEAR(rb_asic_area_node_scale(90), 4, 1e-15);
    CHECK_NEAR(rb_asic_area_node_scale(22.5), 0.25, 1e-15);
    CHECK_NEAR(rb_asic_area_node_scale(28), 784.0 / 2025, 1e-15);
}

/* The overhead factors from TPU v1's floor plan, by hand:
 *   logic: Matrix Multiply Unit 0.24 x 331 = 79.44 mm^2; bare
 *     65 536 x 419 um^2 = 27.459584 mm^2 x (28/45)^2 = 0.3871605 -> 10.63126 mm^2;
 *     79.44 / 10.63126 = 7.4723
 *   SRAM: Unified Buffer + Accumulators (0.29 + 0.06) x 331 = 115.85 mm^2;
 *     bare 28 MiB = 234 881 024 bits x 0.768889 um^2 = 180.5974 mm^2
 *     x 0.3871605 = 69.9202 mm^2; 115.85 / 69.9202 = 1.6569 */
static void test_factors(void)
{
    CHECK_NEAR(rb_asic_area_logic_factor(), 7.4723, 1e-4);
    CHECK_NEAR(rb_asic_area_sram_factor(), 1.6569, 1e-4);
    printf("  overhead factors (TPU v1 fit): logic x%.4f, SRAM x%.4f\n",
           rb_asic_area_logic_factor(), rb_asic_area_sram_factor());
}

/* A 4x4 int8 array with 32-bit accumulators at 45 nm, 2 vector lanes,
 * 1 KiB + 2 KiB + 1 KiB of memory:
 *   MAC array  16 x 419 um^2 x logic factor
 *   vector      2 x 11 884 um^2 x logic factor
 *   SRAM       4096 bytes x 8 x 0.346 / 0.45 um^2 x SRAM factor
 * and the same at 90 nm and 16 nm: x (90/45)^2 = 4 and x (16/45)^2. */
static void test_closed_form(void)
{
    const double kl = rb_asic_area_logic_factor(), ks = rb_asic_area_sram_factor();
    rb_asic_preset p = bare(4, 4, RB_ASIC_INT8, 32, 45);
    p.vector_lanes = 2;
    p.weight_sram_bytes = 1024;
    p.act_sram_bytes = 2048;
    p.acc_sram_bytes = 1024;
    rb_asic_area a;
    rb_asic_area_of(&p, &a);
    const double mac = 16 * (282 + 137) * 1e-6 * kl;
    const double vec = 2 * (7700 + 4184) * 1e-6 * kl;
    const double sram = 4096 * 8 * 0.346 / 0.45 * 1e-6 * ks;
    CHECK(rel(a.mac_array_mm2, mac) < 1e-12);
    CHECK(rel(a.vector_mm2, vec) < 1e-12);
    CHECK(rel(a.sram_mm2, sram) < 1e-12);
    CHECK(rel(a.total_mm2, mac + vec + sram) < 1e-12);
    CHECK_STR_HAS(a.how, "horowitz45");
    CHECK_STR_HAS(a.how, "0.346");
    CHECK_STR_HAS(a.how, "TPU v1");
    CHECK_STR_HAS(a.how, "45 nm");

    rb_asic_area b;
    p.node_nm = 90;
    rb_asic_area_of(&p, &b);
    CHECK(rel(b.mac_array_mm2, 4 * mac) < 1e-12);
    CHECK(rel(b.vector_mm2, 4 * vec) < 1e-12);
    CHECK(rel(b.sram_mm2, 4 * sram) < 1e-12);
    p.node_nm = 16;
    rb_asic_area_of(&p, &b);
    CHECK(rel(b.total_mm2, (mac + vec + sram) * 256 / 2025) < 1e-12);
    CHECK_STR_HAS(b.how, "16 nm");

    /* no vector unit, no memory: the array alone */
    p = bare(4, 4, RB_ASIC_INT8, 32, 45);
    rb_asic_area_of(&p, &b);
    CHECK_NEAR(b.vector_mm2, 0, 0);
    CHECK_NEAR(b.sram_mm2, 0, 0);
    CHECK(rel(b.total_mm2, mac) < 1e-12);
    printf("  4x4 int8/int32 at 45 nm, 2 lanes, 4 KiB: array %.5f + vector %.5f + SRAM %.5f = "
           "%.5f mm^2\n",
           a.mac_array_mm2, a.vector_mm2, a.sram_mm2, a.total_mm2);
}

/* Whatever the preset, more of anything it counts is more area. */
static void test_monotone(void)
{
    rb_asic_preset p = bare(16, 16, RB_ASIC_INT8, 32, 28);
    p.vector_lanes = 16;
    p.weight_sram_bytes = 65536;
    p.act_sram_bytes = 65536;
    p.acc_sram_bytes = 16384;
    rb_asic_area a0, a;
    rb_asic_area_of(&p, &a0);
    rb_asic_preset q = p;
    q.rows = 32;
    rb_asic_area_of(&q, &a);
    CHECK(a.mac_array_mm2 > a0.mac_array_mm2 && a.total_mm2 > a0.total_mm2);
    q = p;
    q.cols = 17;
    rb_asic_area_of(&q, &a);
    CHECK(a.total_mm2 > a0.total_mm2);
    q = p;
    q.vector_lanes = 32;
    rb_asic_area_of(&q, &a);
    CHECK(a.vector_mm2 > a0.vector_mm2 && a.total_mm2 > a0.total_mm2);
    double *const mem[] = {&q.weight_sram_bytes, &q.act_sram_bytes, &q.acc_sram_bytes};
    for (int i = 0; i < 3; i++) {
        q = p;
        *mem[i] += 1024;
        rb_asic_area_of(&q, &a);
        CHECK(a.sram_mm2 > a0.sram_mm2 && a.total_mm2 > a0.total_mm2);
        CHECK_NEAR(a.mac_array_mm2, a0.mac_array_mm2, 0);
    }
    q = p;
    q.node_nm = 40;
    rb_asic_area_of(&q, &a);
    CHECK(a.total_mm2 > a0.total_mm2);
    /* wider arithmetic: int8 < int16 < bf16 < fp16 < fp32 (32-bit accumulation) */
    const rb_asic_dtype order[] = {RB_ASIC_INT8, RB_ASIC_INT16, RB_ASIC_BF16, RB_ASIC_FP16,
                                   RB_ASIC_FP32};
    double last = 0;
    for (int i = 0; i < 5; i++) {
        q = p;
        q.num.dtype = order[i];
        rb_asic_area_of(&q, &a);
        CHECK(a.mac_array_mm2 > last);
        last = a.mac_array_mm2;
    }
    /* and a wider accumulator */
    q = p;
    q.num.acc_bits = 48;
    rb_asic_area_of(&q, &a);
    CHECK(a.mac_array_mm2 > a0.mac_array_mm2);
}

/* TPU v1 (Jouppi et al., ISCA 2017): die <= 331 mm^2 in 28 nm; the floor
 * plan's Matrix Multiply Unit 24 %, Unified Buffer 29 %, Accumulators 6 %.
 * The factors are fitted to the first and to the sum of the other two, so
 * the shipped preset (which has the paper's 256x256 int8/int32 array, 28 nm,
 * 24 MiB + 4 MiB) must come out at exactly those areas: that holds the
 * preset and the fit to the same design.  What the fit does not force:
 *   - each memory on its own against its floor-plan share.  One SRAM factor
 *     for both gives the Unified Buffer 99.30 mm^2 (published 95.99, x1.034)
 *     and the accumulators 16.55 (19.86, x0.833): the accumulator RAMs are
 *     less dense per bit.  Held to within 25 %: one factor per class can
 *     promise no better, and a cell or efficiency error that differed by
 *     memory would show here;
 *   - the whole: the model counts a part of the die (no I/O, control,
 *     activation pipeline beyond the fp32 lanes), so it must stay under
 *     331 mm^2 and above the 59 % it was fitted to. */
static void test_tpu_v1(void)
{
    rb_asic_preset p;
    rb_err e = {0};
    CHECK_INT(rb_asic_preset_load("tpu-v1", &p, &e), 0);
    rb_asic_area a;
    rb_asic_area_of(&p, &a);
    const double die = 331, mmu = 0.24 * die, ub = 0.29 * die, acc = 0.06 * die;
    CHECK(rel(a.mac_array_mm2, mmu) < 1e-12);
    CHECK(rel(a.sram_mm2, ub + acc) < 1e-12);
    CHECK(a.total_mm2 < die && a.total_mm2 > mmu + ub + acc);
    /* vector unit: 256 lanes x 11 884 um^2 x 0.3871605 x 7.4723 = 8.80 mm^2 */
    CHECK_NEAR(a.vector_mm2, 8.80, 0.01);
    CHECK_STR_HAS(a.how, "28 nm");

    rb_asic_preset q = p;
    q.acc_sram_bytes = 0;
    rb_asic_area u;
    rb_asic_area_of(&q, &u);
    q = p;
    q.act_sram_bytes = 0;
    rb_asic_area c;
    rb_asic_area_of(&q, &c);
    CHECK_NEAR(u.sram_mm2 / ub, 1.0345, 1e-3);
    CHECK_NEAR(c.sram_mm2 / acc, 0.8334, 1e-3);
    CHECK(u.sram_mm2 / ub > 0.8 && u.sram_mm2 / ub < 1.25);
    CHECK(c.sram_mm2 / acc > 0.8 && c.sram_mm2 / acc < 1.25);
    printf("  tpu-v1: array %.2f mm^2 (published 24 %% of 331: %.2f, x%.3f), SRAM %.2f "
           "(29 %% + 6 %%: %.2f, x%.3f)\n",
           a.mac_array_mm2, mmu, a.mac_array_mm2 / mmu, a.sram_mm2, ub + acc,
           a.sram_mm2 / (ub + acc));
    printf("  tpu-v1 inside the fit: Unified Buffer %.2f (%.2f, x%.3f), accumulators %.2f "
           "(%.2f, x%.3f)\n",
           u.sram_mm2, ub, u.sram_mm2 / ub, c.sram_mm2, acc, c.sram_mm2 / acc);
    printf("  tpu-v1: vector %.2f, total %.2f mm^2 = %.1f %% of the <= 331 mm^2 die\n",
           a.vector_mm2, a.total_mm2, 100 * a.total_mm2 / die);
}

/* Eyeriss (Chen et al., IEEE JSSC 52(1), 2017), which the factors were not
 * fitted to: 168 PEs of 16-bit fixed point, 65 nm, a 108 KB global buffer,
 * a 3.5 x 3.5 = 12.25 mm^2 core.  As a preset: 12 x 14 int16 MACs with
 * 32-bit accumulation (the narrowest int16 accumulator a preset may have),
 * 108 KiB of activation memory, no vector unit.  By hand:
 *   array 168 x 1265 um^2 x (65/45)^2 = 2.0864 x 7.4723 = 3.3133 mm^2
 *   SRAM  110 592 B x 8 x 0.768889 um^2 x 2.0864 x 1.6569 = 2.3517 mm^2
 *   total 5.6649 mm^2 = 0.462 of the core.
 * The bound, 0.40 to 1.00: above 1 the model would claim more than the
 * whole core, of which it counts only a part (the PEs' scratchpads, the
 * network-on-chip and control are left out); below 0.40 lies what a wrong
 * coefficient gives — the dominant term, the MAC array, at half its area
 * (0.33), the int16 multiplier derived linearly instead of by w^2 (564 um^2:
 * 0.34), the SRAM at half (0.37); three times the MAC array (1.003) or four
 * times the SRAM (1.04) break the top.  The agreement is what it is: the
 * TPU-fitted model accounts for under half of Eyeriss's core. */
static void test_eyeriss(void)
{
    rb_asic_preset p = bare(12, 14, RB_ASIC_INT16, 32, 65);
    p.act_sram_bytes = 108 * 1024;
    rb_asic_area a;
    rb_asic_area_of(&p, &a);
    const double core = 3.5 * 3.5;
    CHECK_NEAR(a.mac_array_mm2, 3.3133, 1e-3);
    CHECK_NEAR(a.sram_mm2, 2.3517, 1e-3);
    CHECK_NEAR(a.vector_mm2, 0, 0);
    double ratio = a.total_mm2 / core;
    CHECK(ratio > 0.40 && ratio < 1.00);
    printf("  eyeriss: array %.3f + SRAM %.3f = %.3f mm^2 against a 12.25 mm^2 core: x%.3f "
           "(held to 0.40..1.00)\n",
           a.mac_array_mm2, a.sram_mm2, a.total_mm2, ratio);
}

/* The other shipped presets: no published die area to hold them to (MODEL.md),
 * so only that they come out and say how. */
static void test_other_presets(void)
{
    static const char *const names[] = {"edge-npu", "dc-bf16"};
    for (int i = 0; i < 2; i++) {
        rb_asic_preset p;
        rb_err e = {0};
        CHECK_INT(rb_asic_preset_load(names[i], &p, &e), 0);
        rb_asic_area a;
        rb_asic_area_of(&p, &a);
        CHECK(a.mac_array_mm2 > 0 && a.vector_mm2 > 0 && a.sram_mm2 > 0);
        CHECK(rel(a.total_mm2, a.mac_array_mm2 + a.vector_mm2 + a.sram_mm2) < 1e-12);
        CHECK_STR_HAS(a.how, "16 nm");
        printf("  %s: array %.3f + vector %.3f + SRAM %.3f = %.3f mm^2 (%s)\n", names[i],
               a.mac_array_mm2, a.vector_mm2, a.sram_mm2, a.total_mm2, a.how);
    }
}

int main(void)
{
    test_coefficients();
    test_factors();
    test_closed_form();
    test_monotone();
    test_tpu_v1();
    test_eyeriss();
    test_other_presets();
    return rb_test_done("test_asic_area");
}
