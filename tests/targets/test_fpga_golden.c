/* test_fpga_golden.c — the fpga golden model against targets/fpga/SPEC.md.
 *
 * Hand cases are worked out in the comments from the spec's formulas and the
 * table (targets/fpga/tanh_lut.h), not by calling the functions under test
 * (the lstm and gru units, packing, the gru's lane rows); exhaustive checks
 * cover every Q3.12 input of the activations; the whole forward of every
 * cell is measured against the fp64 reference as a quality figure and held
 * to golden.h's bounds. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../targets/fpga/fpga.h"
#include "../../targets/fpga/golden.h"
#include "../../targets/fpga/tanh_lut.h"
#include "../../workloads/reference.h"
#include "../rb_test.h"
#include "../rb_test_workload.h"

#define Q RB_FX_Q3_12 /* the hand-worked cases below are Q3.12 unless they say */

/* The formats the tests cover: the built-in configurations' (Q3.12, and
 * small8's Q2.5) and the extremes the spec allows (N 8..16, F 1..N-2). */
static const rb_fx_fmt k_formats[] = {{16, 12}, {8, 5}, {16, 14}, {16, 1}, {8, 6}, {12, 8}, {8, 1}};
#define N_FORMATS (sizeof k_formats / sizeof k_formats[0])

static void test_rshr_sat_quant(void)
{
    /* rshr(a, 12): add 2048, floor-divide by 4096 — halves go towards +inf */
    CHECK_INT(rb_fx_rshr(6144, 12), 2);   /* 1.5 -> 2 */
    CHECK_INT(rb_fx_rshr(2048, 12), 1);   /* 0.5 -> 1 */
    CHECK_INT(rb_fx_rshr(2047, 12), 0);   /* 0.4998 -> 0 */
    CHECK_INT(rb_fx_rshr(-2048, 12), 0);  /* -0.5 -> 0, not -1 */
    CHECK_INT(rb_fx_rshr(-2049, 12), -1); /* -0.5002 -> -1 */
    CHECK_INT(rb_fx_rshr(-6144, 12), -1); /* -1.5 -> -1 */
    CHECK_INT(rb_fx_rshr(-6145, 12), -2);
    CHECK_INT(rb_fx_rshr(-4096, 12), -1); /* exact */
    CHECK_INT(rb_fx_rshr(-1, 1), 0);      /* -0.5 -> 0 */
    CHECK_INT(rb_fx_rshr(-3, 1), -1);     /* -1.5 -> -1 */
    CHECK_INT(rb_fx_rshr(3, 1), 2);       /* 1.5 -> 2 */
    CHECK_INT(rb_fx_rshr((int64_t)1 << 46, 12), (int64_t)1 << 34);
    CHECK_INT(rb_fx_rshr(-((int64_t)1 << 46), 12), -((int64_t)1 << 34));

    CHECK_INT(rb_fx_sat(Q, 32767), 32767);
    CHECK_INT(rb_fx_sat(Q, 32768), 32767);
    CHECK_INT(rb_fx_sat(Q, -32768), -32768);
    CHECK_INT(rb_fx_sat(Q, -32769), -32768);
    CHECK_INT(rb_fx_sat(Q, INT64_MAX), 32767);
    CHECK_INT(rb_fx_sat(Q, INT64_MIN), -32768);
    CHECK_INT(rb_fx_sat(Q, -5), -5);

    /* quant: x * 4096 rounded half away from zero, then saturated */
    CHECK_INT(rb_fx_quant(Q, 1.0), 4096);
    CHECK_INT(rb_fx_quant(Q, -1.0), -4096);
    CHECK_INT(rb_fx_quant(Q, 0.5 / 4096), 1);   /* +0.5 LSB -> 1 */
    CHECK_INT(rb_fx_quant(Q, -0.5 / 4096), -1); /* -0.5 LSB -> -1 (away), unlike rshr */
    CHECK_INT(rb_fx_quant(Q, 2.5 / 4096), 3);   /* not to even */
    CHECK_INT(rb_fx_quant(Q, -2.5 / 4096), -3);
    CHECK_INT(rb_fx_quant(Q, 0.49 / 4096), 0);
    CHECK_INT(rb_fx_quant(Q, -0.49 / 4096), 0);
    CHECK_INT(rb_fx_quant(Q, 8.0 - 1.0 / 4096), 32767);
    CHECK_INT(rb_fx_quant(Q, 8.0 - 0.5 / 4096), 32767); /* 32767.5 -> 32768 -> saturates */
    CHECK_INT(rb_fx_quant(Q, 8.0), 32767);
    CHECK_INT(rb_fx_quant(Q, -8.0), -32768);
    CHECK_INT(rb_fx_quant(Q, -8.0 - 0.5 / 4096), -32768);
    CHECK_INT(rb_fx_quant(Q, 1e30), 32767);
    CHECK_INT(rb_fx_quant(Q, -1e30), -32768);
    CHECK_INT(rb_fx_quant(Q, INFINITY), 32767);
    CHECK_INT(rb_fx_quant(Q, -INFINITY), -32768);
    CHECK_INT(rb_fx_quant(Q, NAN), 0);
    CHECK(rb_fx_dequant(Q, -32768) == -8.0);
    CHECK(rb_fx_dequant(Q, 32767) == 8.0 - 1.0 / 4096);
    CHECK(rb_fx_dequant(Q, 1) == 1.0 / 4096);

    float in[4] = {0.25f, -0.25f, 9.0f, -1.0f / 8192};
    int16_t out[4];
    rb_fx_quant_array(Q, in, out, 4);
    CHECK_INT(out[0], 1024);
    CHECK_INT(out[1], -1024);
    CHECK_INT(out[2], 32767);
    CHECK_INT(out[3], -1);
}

/* The spec's table, recomputed here: min(32767, round_half_away(tanh(k/64) * 32768)). */
static int spec_table(int k)
{
    double v = round(tanh(k / 64.0) * 32768.0);
    return v > 32767 ? 32767 : (int)v;
}

static void test_tables(void)
{
    int agree = 1;
    for (int k = 0; k < RB_TANH_LUT_N; k++)
        agree &= rb_tanh_lut[k] == spec_table(k);
    CHECK(agree);
    CHECK_INT(RB_TANH_LUT_N, 513);
    CHECK_INT(rb_tanh_lut[64], 24956); /* tanh(1) * 32768 = 24955.9 */

    /* the RTL's copy: every "16'd<n>" after the tanh_lut function's header
     * (the case labels are 10'd, the default 16'h) */
    const char *path = RB_FIXTURES "/../../targets/fpga/rtl/tanh_lut.svh";
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    if (!f)
        return;
    static char text[1 << 16];
    size_t len = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[len] = 0;
    CHECK(len < sizeof text - 1);
    const char *p = strstr(text, "function automatic logic [15:0] tanh_lut");
    CHECK(p != NULL);
    int n = 0, same = 1;
    for (p = p ? strstr(p, "16'd") : NULL; p; p = strstr(p, "16'd")) {
        p += 4;
        long v = strtol(p, NULL, 10);
        if (n < RB_TANH_LUT_N)
            same &= v == rb_tanh_lut[n] && v == spec_table(n);
        n++;
    }
    CHECK_INT(n, RB_TANH_LUT_N);
    CHECK(same);
}

static void test_tanh(void)
{
    CHECK_INT(rb_fx_tanh(Q, 0), 0); /* T[0] = 0, (0 + 4) >> 3 = 0 */
    /* x = 4096 (1.0): i = 64, f = 0, m = T[64] = 24956, (24956 + 4) >> 3 = 3120
     * (tanh(1) * 4096 = 3119.5) */
    CHECK_INT(rb_fx_tanh(Q, 4096), 3120);
    CHECK_INT(rb_fx_tanh(Q, -4096), -3120);
    /* x = 5000: i = 78, f = 8, T[78] = 27502, T[79] = 27651;
     * m = 27502 + ((149 * 8) >> 6) = 27502 + (1192 >> 6 = 18) = 27520;
     * (27520 + 4) >> 3 = 3440 (tanh(1.2207) * 4096 = 3440.2) */
    CHECK_INT(rb_fx_tanh(Q, 5000), 3440);
    CHECK_INT(rb_fx_tanh(Q, -5000), -3440);
    /* x = 100: i = 1, f = 36, T[1] = 512, T[2] = 1024;
     * m = 512 + ((512 * 36) >> 6) = 800; (800 + 4) >> 3 = 100 */
    CHECK_INT(rb_fx_tanh(Q, 100), 100);
    /* x = 1: m = (512 * 1) >> 6 = 8; (8 + 4) >> 3 = 1 */
    CHECK_INT(rb_fx_tanh(Q, 1), 1);
    /* x = 32767: i = 511, f = 63, T[511] = T[512] = 32767 (the table saturates
     * from k = 342), m = 32767, (32767 + 4) >> 3 = 4096; -32768 maps like 32767 */
    CHECK_INT(rb_fx_tanh(Q, 32767), 4096);
    CHECK_INT(rb_fx_tanh(Q, -32767), -4096);
    CHECK_INT(rb_fx_tanh(Q, -32768), -4096);
}

static void test_sigmoid(void)
{
    /* sigma(0): tanh_q(0) = 0, (0 + 4097) >> 1 = 2048 */
    CHECK_INT(rb_fx_sigmoid(Q, 0), 2048);
    /* x = 1, -1: x >>> 1 = 0, -1; tanh_q(-1) = -1; (4096 >> 1) = 2048 both */
    CHECK_INT(rb_fx_sigmoid(Q, 1), 2048);
    CHECK_INT(rb_fx_sigmoid(Q, -1), 2048);
    /* x = 4096: tanh_q(2048): i = 32, f = 0, T[32] = 15143, (15147 >> 3) = 1893;
     * (1893 + 4097) >> 1 = 2995 (sigma(1) * 4096 = 2994.4) */
    CHECK_INT(rb_fx_sigmoid(Q, 4096), 2995);
    /* x = -4096: tanh_q(-2048) = -1893; (-1893 + 4097) >> 1 = 1102 (1101.6) */
    CHECK_INT(rb_fx_sigmoid(Q, -4096), 1102);
    /* x = 32767: x >>> 1 = 16383, i = 255, f = 63, T[255] = 32745, T[256] = 32746,
     * m = 32745 + (63 >> 6 = 0), (32749 >> 3) = 4093; (4093 + 4097) >> 1 = 4095 */
    CHECK_INT(rb_fx_sigmoid(Q, 32767), 4095);
    /* x = -32768: x >>> 1 = -16384, i = 256, f = 0: -(32750 >> 3) = -4093; 4 >> 1 = 2 */
    CHECK_INT(rb_fx_sigmoid(Q, -32768), 2);
}

/* Every input of every covered format: tanh_q odd and monotone, both in
 * range and within their documented error of the real functions. */
static void test_activations_all_formats(void)
{
    for (size_t fi = 0; fi < N_FORMATS; fi++) {
        rb_fx_fmt f = k_formats[fi];
        CHECK_INT(rb_fx_fmt_check(f, NULL), 0);
        const int lo = rb_fx_min(f), hi = rb_fx_max(f), one = rb_fx_one(f);
        int odd = 1, mono = 1, range = 1;
        double worst_t = 0, worst_s = 0;
        for (int x = lo; x <= hi; x++) {
            int y = rb_fx_tanh(f, (int16_t)x), s = rb_fx_sigmoid(f, (int16_t)x);
            if (x > lo) {
                odd &= rb_fx_tanh(f, (int16_t)-x) == -y;
                mono &= y >= rb_fx_tanh(f, (int16_t)(x - 1));
                mono &= s >= rb_fx_sigmoid(f, (int16_t)(x - 1));
            }
            range &= y >= -one && y <= one && s >= 0 && s <= one;
            double et = fabs(y - tanh((double)x / one) * one);
            double es = fabs(s - one / (1.0 + exp(-(double)x / one)));
            worst_t = et > worst_t ? et : worst_t;
            worst_s = es > worst_s ? es : worst_s;
        }
        char name[16];
        double bt = rb_fx_tanh_err_bound(f), bs = rb_fx_sigmoid_err_bound(f);
        printf("  %-6s tanh_q max error %.4f LSB, sigmoid_q %.4f LSB (bounds %.2f, %.2f)\n",
               rb_fx_fmt_name(f, name, sizeof name), worst_t, worst_s, bt, bs);
        CHECK(odd);
        CHECK(mono);
        CHECK(range);
        CHECK(worst_t <= bt);
        CHECK(worst_s <= bs);
        if (f.bits == 16 && f.frac == 12) { /* Q3.12's measured figures */
            CHECK(worst_t <= RB_FX_TANH_MAX_ERR);
            CHECK(worst_s <= RB_FX_SIGMOID_MAX_ERR);
            CHECK(bt < 0.8 && bs < 1.15);
        }
    }
}

/* small8's Q2.5 by hand (SPEC.md: N 8, F 5, IB 2: TR 2, SEG 5, S 0, P 2 —
 * no interpolation, every other table entry), and the formats the spec
 * refuses. */
static void test_format_q2_5(void)
{
    const rb_fx_fmt f = {8, 5};
    char name[16];
    CHECK_STR_HAS(rb_fx_fmt_name(f, name, sizeof name), "Q2.5");
    CHECK_INT(rb_fx_one(f), 32);
    CHECK_INT(rb_fx_max(f), 127);
    CHECK_INT(rb_fx_min(f), -128);
    CHECK_INT(rb_fx_sat(f, 128), 127);
    CHECK_INT(rb_fx_sat(f, -129), -128);
    CHECK_INT(rb_fx_quant(f, 1.0), 32);
    CHECK_INT(rb_fx_quant(f, -0.5 / 32), -1); /* half away from zero */
    CHECK_INT(rb_fx_quant(f, 4.0), 127);      /* range [-4, 4 - 1/32] */
    CHECK_INT(rb_fx_quant(f, -4.1), -128);
    CHECK(rb_fx_dequant(f, -128) == -4.0);
    /* tanh_q(32 = 1.0): i = 32 << 1 = 64, T[64] = 24956, (24956 + 2^9) >> 10 = 24
     * (tanh(1) * 32 = 24.37) */
    CHECK_INT(rb_fx_tanh(f, 32), 24);
    CHECK_INT(rb_fx_tanh(f, -32), -24);
    /* 5 (0.15625): T[10] = 5079, (5079 + 512) >> 10 = 5 (4.96) */
    CHECK_INT(rb_fx_tanh(f, 5), 5);
    /* -128: |x| saturates to 2^(2+5) - 1 = 127, T[254] = 32745, 33257 >> 10 = 32: -1.0 */
    CHECK_INT(rb_fx_tanh(f, -128), -32);
    /* sigmoid_q(32): tanh_q(16): T[32] = 15143, (15655 >> 10) = 15; (15 + 33) >> 1 = 24
     * (sigma(1) * 32 = 23.39: 0.61 LSB off, inside the bound) */
    CHECK_INT(rb_fx_sigmoid(f, 32), 24);
    /* sigmoid_q(-128): tanh_q(-64): T[128] = 31589, 32101 >> 10 = 31; (-31 + 33) >> 1 = 1 */
    CHECK_INT(rb_fx_sigmoid(f, -128), 1);
    /* lstm unit, pre = (1.0, 0, 0.5, -1.0) as in Q3.12 above, c = 1.5 (48):
     *   i = 24, f = sigmoid_q(0) = (0 + 33) >> 1 = 16, g = tanh_q(16) = 15,
     *   o = sigmoid_q(-32) = (-15 + 33) >> 1 = 9;
     *   c' = rshr(16*48 + 24*15, 5) = (768 + 360 + 16) >> 5 = 35 (1.09);
     *   tanh_q(35): T[70] = 26157, (26669 >> 10) = 26;
     *   h' = rshr(9*26, 5) = (234 + 16) >> 5 = 7 (0.219; Q3.12 gave 877/4096 = 0.214) */
    int16_t pre[4] = {32, 0, 16, -32}, c = 48;
    CHECK_INT(rb_fx_lstm_unit(f, pre, &c), 7);
    CHECK_INT(c, 35);
    /* preact: 1.0 * 2.0 - 0.5 * 0.5 + bias 0.25 = 2.0, products with 10
     * fraction bits: 32*64 - 16*16 + 8*32 = 2048, rshr(2048, 5) = 64 */
    int16_t w[2] = {32, -16}, v[2] = {64, 16};
    CHECK_INT(rb_fx_preact(f, w, v, 2, 8), 64);
    int16_t wm[2] = {127, 127}, vm[2] = {127, 127};
    CHECK_INT(rb_fx_preact(f, wm, vm, 2, 127), 127); /* saturates */

    rb_err e = {0};
    static const rb_fx_fmt bad[] = {{7, 5}, {17, 12}, {16, 0}, {16, 15}, {8, 7}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_INT(rb_fx_fmt_check(bad[i], &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "1.0 must be representable");
}

static void test_lstm_unit(void)
{
    /* pre = (1.0, 0, 0.5, -1.0), c = 1.5:
     *   i = sigmoid_q(4096) = 2995, f = sigmoid_q(0) = 2048,
     *   g = tanh_q(2048) = 1893 (T[32] = 15143, 15147 >> 3), o = sigmoid_q(-4096) = 1102;
     *   f*c + i*g = 2048*6144 + 2995*1893 = 12582912 + 5669535 = 18252447;
     *   c' = (18252447 + 2048) >> 12 = 4456 (4456.66; float: 0.75 + 0.7311*0.4621 = 1.0878)
     *   tanh_q(4456): i = 69, f = 40, T[69] = 25969, T[70] = 26157,
     *     m = 25969 + ((188*40 = 7520) >> 6 = 117) = 26086, (26090 >> 3) = 3261;
     *   h' = (1102*3261 + 2048) >> 12 = (3593622 + 2048) >> 12 = 877 */
    int16_t pre1[4] = {4096, 0, 2048, -4096}, c = 6144;
    CHECK_INT(rb_fx_lstm_unit(Q, pre1, &c), 877);
    CHECK_INT(c, 4456);

    /* negative halves: pre = 0 everywhere, c = -4097:
     *   i = f = o = 2048, g = 0; f*c = -8390656; (-8390656 + 2048) >> 12 = -2048
     *   exactly (-2048.5 rounds up to -2048);
     *   tanh_q(-2048) = -1893; 2048 * -1893 = -3876864, (+2048) >> 12 =
     *   floor(-945.996) = -946 (-946.5 rounds up to -946) */
    int16_t pre0[4] = {0, 0, 0, 0};
    c = -4097;
    CHECK_INT(rb_fx_lstm_unit(Q, pre0, &c), -946);
    CHECK_INT(c, -2048);

    /* saturating cell: every gate at +max, c = 32000 (7.81):
     *   i = f = o = sigmoid_q(32767) = 4095, g = tanh_q(32767) = 4096;
     *   4095*32000 + 4095*4096 = 147813120, (+2048) >> 12 = 36087 -> sat 32767;
     *   tanh_q(32767) = 4096, h' = (4095*4096 + 2048) >> 12 = 4095 (4095.5 up) */
    int16_t pre_hi[4] = {32767, 32767, 32767, 32767};
    c = 32000;
    CHECK_INT(rb_fx_lstm_unit(Q, pre_hi, &c), 4095);
    CHECK_INT(c, 32767);
    /* and towards -8: g = tanh_q(-32768) = -4096, c = -32000:
     *   -147813120 + 2048 = -147811072, floor(/4096) = -36087 -> sat -32768;
     *   h' = (4095 * -4096 + 2048) >> 12 = floor(-4094.5) = -4095 */
    int16_t pre_lo[4] = {32767, 32767, -32768, 32767};
    c = -32000;
    CHECK_INT(rb_fx_lstm_unit(Q, pre_lo, &c), -4095);
    CHECK_INT(c, -32768);

    /* preact: 3.0 * 2.0 - 1.0 * 0.5 + bias 0.25 in Q6.24:
     *   12288*8192 - 4096*2048 + 1024*4096 = 100663296 - 8388608 + 4194304 = 96468992;
     *   (96468992 + 2048) >> 12 = 23552 (5.75) */
    int16_t w[2] = {3 * 4096, -4096}, v[2] = {2 * 4096, 2048};
    CHECK_INT(rb_fx_preact(Q, w, v, 2, 1024), 23552);
    /* saturation both ways, and a negative half: -0.5 LSB + bias 0 -> 0 */
    int16_t wmax[2] = {32767, 32767}, vmax[2] = {32767, 32767}, vmin[2] = {-32768, -32768};
    CHECK_INT(rb_fx_preact(Q, wmax, vmax, 2, 32767), 32767);
    CHECK_INT(rb_fx_preact(Q, wmax, vmin, 2, -32768), -32768);
    int16_t wh[1] = {-1}, vh[1] = {2048};
    CHECK_INT(rb_fx_preact(Q, wh, vh, 1, 0), 0);
    vh[0] = 2049;
    CHECK_INT(rb_fx_preact(Q, wh, vh, 1, 0), -1);
}

/* The gru unit (SPEC.md): pre = {r, z, n_x, n_h}, h = h_{t-1}. */
static void test_gru_unit(void)
{
    /* pre = (1.0, 0, 0.5, -1.0), h = 1.5:
     *   r = sigmoid_q(4096) = 2995, z = sigmoid_q(0) = 2048 (as in the lstm's case);
     *   r * n_h = 2995 * -4096 = -12267520, rshr(., 12) = floor(-12265472 / 4096)
     *   = floor(-2994.5) = -2995; n_pre = 2048 - 2995 = -947;
     *   tanh_q(-947): i = 14, f = 51, T[14] = 7056, T[15] = 7542,
     *     m = 7056 + ((486 * 51 = 24786) >> 6 = 387) = 7443, (7447 >> 3) = 930: n = -930;
     *   (4096 - 2048) * -930 + 2048 * 6144 = -1904640 + 12582912 = 10678272 = 2607 * 4096,
     *   so h' = 2607; float: 0.5 * tanh(0.5 - 0.7311) + 0.75 = 0.6364 = 2607.0 / 4096 */
    int16_t pre1[4] = {4096, 0, 2048, -4096};
    CHECK_INT(rb_fx_gru_unit(Q, pre1, 6144), 2607);
    /* r scales only n_h: the same with n_h = 0 is tanh_q(0.5) = 1893 mixed
     * half and half with 1.5: 2048 * 1893 + 2048 * 6144 = 16459776 (4018.5),
     * (+2048) >> 12 = 4019 */
    int16_t pre2[4] = {4096, 0, 2048, 0};
    CHECK_INT(rb_fx_gru_unit(Q, pre2, 6144), 4019);
    /* negative halves: pre = (0, 0, 0, -1 LSB), h = -1 LSB: r = z = 2048;
     *   r * n_h = -2048, rshr = floor(0 / 4096) = 0 (-0.5 rounds up): n = 0;
     *   2048 * 0 + 2048 * -1 = -2048, rshr = 0 (-0.5 up again) */
    int16_t pre0[4] = {0, 0, 0, -1};
    CHECK_INT(rb_fx_gru_unit(Q, pre0, -1), 0);
    /* saturating: pre = (+max, -max, +max, +max), h = -8:
     *   r = sigmoid_q(32767) = 4095, z = sigmoid_q(-32768) = 2;
     *   r * n_h = 4095 * 32767 = 134180865, rshr = 32759; n_pre = sat(32767 + 32759)
     *   = 32767, n = tanh_q(32767) = 4096;
     *   4094 * 4096 + 2 * -32768 = 16703488, (+2048) >> 12 = 4078 */
    int16_t pre_hi[4] = {32767, -32768, 32767, 32767};
    CHECK_INT(rb_fx_gru_unit(Q, pre_hi, -32768), 4078);
    /* z near one keeps h: pre = (-1.0, 1.0, -0.5, 2.0), h = -0.5:
     *   r = sigmoid_q(-4096) = 1102, z = sigmoid_q(4096) = 2995;
     *   r * n_h = 1102 * 8192 = 9027584, rshr = 2204; n_pre = -2048 + 2204 = 156;
     *   tanh_q(156): i = 2, f = 28, T[2] = 1024, T[3] = 1535,
     *     m = 1024 + ((511 * 28 = 14308) >> 6 = 223) = 1247, (1251 >> 3) = 156;
     *   1101 * 156 + 2995 * -2048 = 171756 - 6133760 = -5962004,
     *   (+2048) >> 12 = floor(-1455.07) = -1456 */
    int16_t pre3[4] = {-4096, 4096, -2048, 8192};
    CHECK_INT(rb_fx_gru_unit(Q, pre3, -2048), -1456);
    /* Q2.5: pre = (1.0, 0, 0.5, -1.0), h = 1.5 (48): r = 24, z = 16 (test_format_q2_5);
     *   24 * -32 = -768, rshr(., 5) = -24; n_pre = 16 - 24 = -8;
     *   tanh_q(-8): T[16] = 8025, (8025 + 512) >> 10 = 8: n = -8;
     *   16 * -8 + 16 * 48 = 640, (640 + 16) >> 5 = 20 (0.625; Q3.12 gave 0.636) */
    const rb_fx_fmt q25 = {8, 5};
    int16_t pre8[4] = {32, 0, 16, -32};
    CHECK_INT(rb_fx_gru_unit(q25, pre8, 48), 20);
}

static rb_workload workload(rb_cell cell, int T, int B, int I, int H, int L)
{
    return rb_test_workload(cell, T, B, I, H, L, 1);
}

/* Two layers of every weight a distinct Q3.12 code: w_ih = +code, w_hh =
 * -code, b_ih a code of its own; b_hh 0.25 LSB (so b_ih + b_hh quantizes
 * back to b_ih's code), or with bhh_codes a code of its own too (the gru's
 * n row keeps b_hn apart). */
static void distinct_codes(rb_model *m, int G, int H, int bhh_codes)
{
    for (int l = 0; l < 2; l++) {
        rb_layer *ly = &m->layer[l];
        for (int r = 0; r < G * H; r++) {
            for (int k = 0; k < ly->in; k++)
                ly->w_ih[r * ly->in + k] = (float)(1 + l * 512 + r * 32 + k) / 4096;
            for (int k = 0; k < H; k++)
                ly->w_hh[r * H + k] = -(float)(1 + l * 512 + r * 32 + 16 + k) / 4096;
            ly->b_ih[r] = (float)(l * 64 + r) / 4096;
            ly->b_hh[r] = bhh_codes ? (float)(1000 + l * 64 + r) / 4096 : 0.25f / 4096;
        }
    }
}

static void test_packing(void)
{
    for (int cell = 0; cell < 2; cell++) {
        rb_workload w = workload(cell ? RB_CELL_RNN : RB_CELL_LSTM, 1, 1, 3, 2, 2);
        rb_model m;
        rb_err e = {0};
        CHECK_INT(rb_model_alloc(&m, &w, &e), 0);
        int G = cell ? 1 : 4, H = 2;
        /* b_ih + b_hh = code + 0.25 LSB, which quantizes back to code */
        distinct_codes(&m, G, H, 0);
        rb_fx_model fx;
        CHECK_INT(rb_fx_model_from(&fx, &m, Q, &e), 0);
        CHECK_INT(fx.gates, G);
        CHECK_INT(rb_fx_k(&fx, 0), 3 + 2);
        CHECK_INT(rb_fx_k(&fx, 1), 2 + 2);
        int ok = 1;
        for (int l = 0; l < 2 && fx.w; l++) {
            int I = l ? H : 3, K = I + H;
            for (int j = 0; j < H; j++)
                for (int g = 0; g < G; g++) {
                    int p = j * G + g, r = g * H + j;
                    for (int k = 0; k < I; k++)
                        ok &= fx.w[l][p * K + k] == 1 + l * 512 + r * 32 + k;
                    for (int k = 0; k < H; k++)
                        ok &= fx.w[l][p * K + I + k] == -(1 + l * 512 + r * 32 + 16 + k);
                    ok &= fx.b[l][p] == l * 64 + r;
                }
        }
        CHECK(ok);
        /* lstm, layer 0, packed row 1 = unit 0's forget gate = PyTorch row H (2) */
        if (!cell && fx.w) {
            CHECK_INT(fx.w[0][1 * 5 + 0], 1 + 2 * 32);
            CHECK_INT(fx.b[0][1], 2);
        }
        rb_fx_model_free(&fx);
        rb_fx_model_free(&fx); /* idempotent */
        rb_model_free(&m);
    }

    /* a bias sum quantizes once, in double: 0.25 + 0.25 LSB = 0.5 LSB -> 1 (away from 0) */
    rb_workload w = workload(RB_CELL_RNN, 1, 1, 1, 1, 1);
    rb_model m;
    rb_fx_model fx;
    rb_err e = {0};
    CHECK_INT(rb_model_alloc(&m, &w, &e), 0);
    m.layer[0].b_ih[0] = -0.25f / 4096;
    m.layer[0].b_hh[0] = -0.25f / 4096;
    CHECK_INT(rb_fx_model_from(&fx, &m, Q, &e), 0);
    if (fx.b)
        CHECK_INT(fx.b[0][0], -1);
    rb_fx_model_free(&fx);
    /* no input projection: unavailable, with the adapter's message */
    m.input_proj = 0;
    CHECK_INT(rb_fx_model_from(&fx, &m, Q, &e), RB_EUNAVAIL);
    CHECK_STR_HAS(e.msg, "no mode without input projection");
    rb_fx_model_free(&fx);
    rb_model_free(&m);
}

/* The gru's packing: rows r, z, n of unit j at 3j..3j+2 like the lstm's
 * gates; the n row's bias is b_in alone and b_hn is kept apart (bn), since
 * r scales W_hn h + b_hn.  The RTL's lane rows (fpga_hw.h): 4 per unit, r,
 * z, then the n row twice, once with its recurrent columns zeroed (bias
 * b_in), once with its input columns zeroed (bias b_hn). */
static void test_gru_packing(void)
{
    const int I = 3, H = 2, G = 3;
    rb_workload w = workload(RB_CELL_GRU, 1, 1, I, H, 2);
    rb_model m;
    rb_err e = {0};
    CHECK_INT(rb_model_alloc(&m, &w, &e), 0);
    distinct_codes(&m, G, H, 1);
    rb_fx_model fx;
    CHECK_INT(rb_fx_model_from(&fx, &m, Q, &e), 0);
    CHECK_INT(fx.gates, 3);
    CHECK(fx.bn != NULL);
    int ok = 1;
    for (int l = 0; l < 2 && fx.w && fx.bn; l++) {
        int in = l ? H : I, K = in + H;
        for (int j = 0; j < H; j++) {
            for (int g = 0; g < G; g++) {
                int p = j * G + g, r = g * H + j;
                for (int k = 0; k < in; k++)
                    ok &= fx.w[l][p * K + k] == 1 + l * 512 + r * 32 + k;
                for (int k = 0; k < H; k++)
                    ok &= fx.w[l][p * K + in + k] == -(1 + l * 512 + r * 32 + 16 + k);
                /* r, z: b_ih + b_hh; n: b_in alone */
                ok &= fx.b[l][p] == (g < 2 ? 1000 + 2 * (l * 64 + r) : l * 64 + r);
            }
            ok &= fx.bn[l][j] == 1000 + l * 64 + 2 * H + j; /* b_hn */
        }
    }
    CHECK(ok);
    /* unit 1's n row is PyTorch row 2H + 1 = 5: b_in 5, b_hn 1005 */
    if (fx.bn) {
        CHECK_INT(fx.b[0][1 * 3 + 2], 5);
        CHECK_INT(fx.bn[0][1], 1005);
    }
    /* the lane rows, layer 0 (K = 5, input columns 0..2), unit 1: lanes 4..7 */
    CHECK_INT(rb_fpga_lane_rows(RB_CELL_GRU), 4);
    CHECK_INT(rb_fpga_lane_rows(RB_CELL_LSTM), 4);
    CHECK_INT(rb_fpga_lane_rows(RB_CELL_RNN), 1);
    if (fx.bn) {
        int lane_ok = 1;
        for (int k = 0; k < 5; k++) {
            lane_ok &= rb_fpga_lane_weight(&fx, 0, 4, k) == fx.w[0][3 * 5 + k]; /* r */
            lane_ok &= rb_fpga_lane_weight(&fx, 0, 5, k) == fx.w[0][4 * 5 + k]; /* z */
            lane_ok &= rb_fpga_lane_weight(&fx, 0, 6, k) == (k < 3 ? fx.w[0][5 * 5 + k] : 0);
            lane_ok &= rb_fpga_lane_weight(&fx, 0, 7, k) == (k < 3 ? 0 : fx.w[0][5 * 5 + k]);
        }
        CHECK(lane_ok);
        /* n_x of unit 1 in the first input column: W_in[1][0] = row 5, code 1 + 5*32 */
        CHECK_INT(rb_fpga_lane_weight(&fx, 0, 6, 0), 161);
        /* n_h of unit 1 in the first recurrent column: -(1 + 5*32 + 16) */
        CHECK_INT(rb_fpga_lane_weight(&fx, 0, 7, 3), -177);
        CHECK_INT(rb_fpga_lane_bias(&fx, 0, 4), 1000 + 2 * 1);
        CHECK_INT(rb_fpga_lane_bias(&fx, 0, 5), 1000 + 2 * 3);
        CHECK_INT(rb_fpga_lane_bias(&fx, 0, 6), 5);
        CHECK_INT(rb_fpga_lane_bias(&fx, 0, 7), 1005);
        /* 4 lane rows per unit: H = 2 -> 8 rows, one block of small's 16 lanes */
        const rb_fpga_hw *hw = rb_fpga_hw_find("small");
        CHECK_INT(rb_fpga_row_blocks(hw, &fx), 1);
        CHECK_INT(rb_fpga_weight_words(hw, &fx), 5 + 4);
    }
    rb_fx_model_free(&fx);
    /* reset_before (ONNX linear_before_reset = 0) has no rule in SPEC.md */
    m.reset_before = 1;
    CHECK_INT(rb_fx_model_from(&fx, &m, Q, &e), RB_EUNAVAIL);
    CHECK_STR_HAS(e.msg, "unsupported: linear_before_reset=0");
    rb_fx_model_free(&fx);
    rb_model_free(&m);
}

/* One seeded case run through the golden model and the fp64 reference. */
typedef struct qcase {
    rb_cell cell;
    int T, B, I, H, L, with_state;
} qcase;

static double golden_vs_reference(rb_fx_fmt f, const qcase *q, uint64_t seed, double *max_ref)
{
    rb_workload w = workload(q->cell, q->T, q->B, q->I, q->H, q->L);
    rb_model m;
    rb_fx_model fx;
    rb_err e = {0};
    CHECK_INT(rb_model_alloc(&m, &w, &e), 0);
    rb_model_init_seeded(&m, seed);
    CHECK_INT(rb_fx_model_from(&fx, &m, f, &e), 0);
    float *x = rb_make_input(&w, seed + 1, &e);
    size_t nx = (size_t)q->T * q->B * q->I, ny = (size_t)q->T * q->B * q->H;
    size_t ns = (size_t)q->L * q->B * q->H;
    float *h0 = NULL, *c0 = NULL;
    int16_t *xq = malloc(nx * sizeof *xq), *yq = malloc(ny * sizeof *yq);
    int16_t *h0q = NULL, *c0q = NULL;
    double *ref = malloc(ny * sizeof *ref);
    if (q->with_state) {
        /* states in (-1, 1) like the inputs, from another seed */
        rb_workload ws = workload(q->cell, q->L, q->B, q->H, q->H, 1);
        h0 = rb_make_input(&ws, seed + 2, &e);
        c0 = rb_make_input(&ws, seed + 3, &e);
        h0q = malloc(ns * sizeof *h0q);
        c0q = malloc(ns * sizeof *c0q);
        rb_fx_quant_array(f, h0, h0q, ns);
        rb_fx_quant_array(f, c0, c0q, ns);
    }
    rb_fx_quant_array(f, x, xq, nx);
    rb_batch in = {q->T, q->B, q->I, x, h0, q->cell == RB_CELL_LSTM ? c0 : NULL, NULL};
    CHECK_INT(rb_ref_forward(&m, &in, ref, NULL, NULL, &e), 0);
    CHECK_INT(rb_fx_forward(&fx, q->T, q->B, xq, h0q, c0q, yq, NULL, NULL, &e), 0);
    double worst = 0, big = 0;
    for (size_t k = 0; k < ny; k++) {
        double d = fabs(rb_fx_dequant(f, yq[k]) - ref[k]);
        worst = d > worst ? d : worst;
        big = fabs(ref[k]) > big ? fabs(ref[k]) : big;
    }
    *max_ref = big; /* largest |ref|: the error's scale */
    free(x);
    free(h0);
    free(c0);
    free(xq);
    free(yq);
    free(h0q);
    free(c0q);
    free(ref);
    rb_fx_model_free(&fx);
    rb_model_free(&m);
    return worst;
}

static void test_quality(void)
{
    static const qcase cases[] = {
        {RB_CELL_LSTM, 1, 1, 3, 2, 1, 0},      {RB_CELL_LSTM, 50, 1, 32, 64, 1, 0},
        {RB_CELL_LSTM, 10, 2, 40, 24, 3, 1},   {RB_CELL_LSTM, 50, 3, 100, 200, 2, 0},
        {RB_CELL_LSTM, 25, 4, 128, 256, 1, 0}, {RB_CELL_LSTM, 50, 4, 256, 128, 3, 1},
        {RB_CELL_RNN, 50, 2, 16, 64, 1, 0},    {RB_CELL_RNN, 30, 4, 256, 96, 3, 1},
        {RB_CELL_RNN, 50, 1, 200, 256, 2, 0},  {RB_CELL_RNN, 5, 3, 7, 5, 1, 1},
        {RB_CELL_GRU, 1, 1, 3, 2, 1, 0},       {RB_CELL_GRU, 50, 2, 32, 64, 1, 0},
        {RB_CELL_GRU, 10, 3, 40, 24, 3, 1},    {RB_CELL_GRU, 25, 4, 128, 256, 1, 0},
        {RB_CELL_GRU, 50, 2, 200, 128, 2, 1},  {RB_CELL_GRU, 30, 1, 256, 96, 3, 0},
        {RB_CELL_GRU, 5, 3, 7, 5, 1, 1},       {RB_CELL_GRU, 50, 4, 256, 200, 2, 1},
    };
    double worst_lsb[RB_CELL_COUNT] = {0};
    /* Q3.12, the format the bound was measured for, on every case; the
     * built-in 8-bit format and a 12-bit one on the same cases, to show the
     * bound in LSB carries over (the quantization noise model behind it
     * scales with the LSB). */
    static const rb_fx_fmt fmts[] = {{16, 12}, {8, 5}, {12, 8}};
    for (size_t fi = 0; fi < sizeof fmts / sizeof fmts[0]; fi++) {
        rb_fx_fmt f = fmts[fi];
        char name[16];
        double lsb = 1.0 / rb_fx_one(f);
        for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
            const qcase *q = &cases[k];
            double big;
            double err = golden_vs_reference(f, q, 77 + k, &big);
            printf("  quality %-6s %-4s T=%-2d B=%d I=%-3d H=%-3d L=%d%s: max |y - ref| = %.6f "
                   "(%.1f LSB, max |ref| %.3f)\n",
                   rb_fx_fmt_name(f, name, sizeof name), rb_cell_name(q->cell), q->T, q->B, q->I,
                   q->H, q->L, q->with_state ? " h0/c0" : "      ", err, err / lsb, big);
            double bound = lsb * rb_fx_quality_bound_lsb(q->cell);
            worst_lsb[q->cell] = fmax(worst_lsb[q->cell], err / lsb);
            CHECK(err <= bound);
            CHECK(big > 0.02); /* the outputs are not trivially small */
        }
    }
    printf("  quality bounds: lstm %.1f LSB, rnn %.1f LSB, gru %.1f LSB; worst seen %.1f, %.1f, "
           "%.1f\n",
           RB_FX_QUALITY_BOUND_LSTM_LSB, RB_FX_QUALITY_BOUND_RNN_LSB, RB_FX_QUALITY_BOUND_GRU_LSB,
           worst_lsb[RB_CELL_LSTM], worst_lsb[RB_CELL_RNN], worst_lsb[RB_CELL_GRU]);
}

/* Weights x32 (H = 16 inits them in U(-1/4, 1/4), so they reach +-8 where
 * quant clamps them) and inputs x8: pre-activations saturate on both sides;
 * nothing may overflow (UBSan) and every output must stay in range. */
static void test_saturation(void)
{
    for (int cell = 0; cell < RB_CELL_COUNT; cell++) { /* lstm, rnn, gru */
        rb_workload w = workload((rb_cell)cell, 6, 2, 24, 16, 2);
        rb_model m;
        rb_fx_model fx;
        rb_err e = {0};
        CHECK_INT(rb_model_alloc(&m, &w, &e), 0);
        rb_model_init_seeded(&m, 5 + cell);
        int G = rb_cell_gates((rb_cell)cell);
        for (int l = 0; l < w.layers; l++) {
            rb_layer *ly = &m.layer[l];
            for (size_t k = 0; k < (size_t)G * 16 * ly->in; k++)
                ly->w_ih[k] *= 32;
            for (size_t k = 0; k < (size_t)G * 16 * 16; k++)
                ly->w_hh[k] *= 32;
            for (size_t k = 0; k < (size_t)G * 16; k++)
                ly->b_ih[k] *= 32;
        }
        CHECK_INT(rb_fx_model_from(&fx, &m, Q, &e), 0);
        float *x = rb_make_input(&w, 9, &e);
        size_t nx = (size_t)6 * 2 * 24, ny = (size_t)6 * 2 * 16, ns = (size_t)2 * 2 * 16;
        int16_t *xq = malloc(nx * sizeof *xq), *y = malloc(ny * sizeof *y);
        int16_t hn[2 * 2 * 16], cn[2 * 2 * 16];
        for (size_t k = 0; k < nx; k++)
            x[k] *= 8; /* (-8, 8) */
        rb_fx_quant_array(Q, x, xq, nx);
        /* pre-activations of layer 0, t = 0, batch row 0, h0 = 0: count saturations */
        int K = rb_fx_k(&fx, 0), sat_hi = 0, sat_lo = 0;
        int16_t v[40] = {0};
        memcpy(v, xq, 24 * sizeof *v);
        for (int p = 0; p < G * 16; p++) {
            int16_t pre = rb_fx_preact(Q, fx.w[0] + (size_t)p * K, v, K, fx.b[0][p]);
            sat_hi += pre == 32767;
            sat_lo += pre == -32768;
        }
        printf("  saturation %s: %d of %d pre-activations at +max, %d at -max\n",
               rb_cell_name(w.cell), sat_hi, G * 16, sat_lo);
        CHECK(sat_hi > 0 && sat_lo > 0);
        for (size_t k = 0; k < ns; k++)
            cn[k] = 12345; /* the rnn must leave c_n alone */
        CHECK_INT(rb_fx_forward(&fx, 6, 2, xq, NULL, NULL, y, hn, cn, &e), 0);
        int in_range = 1, pos = 0, neg = 0;
        for (size_t k = 0; k < ny; k++) {
            in_range &= y[k] >= -4096 && y[k] <= 4096; /* |o * tanh(c)|, a mix of n and h: <= 1 */
            pos += y[k] > 2048;
            neg += y[k] < -2048;
        }
        CHECK(in_range);
        CHECK(pos > 0 && neg > 0);
        if (cell)
            CHECK_INT(cn[0], 12345);
        free(x);
        free(xq);
        free(y);
        rb_fx_model_free(&fx);
        rb_model_free(&m);
    }

    /* The widest accumulator the spec allows: K = 65536 (I = 65535, H = 1),
     * every weight -8 and every input -8: each product is +2^30, the sum 2^46
     * must neither overflow nor wrap (UBSan), and saturates to +max. */
    rb_workload w = workload(RB_CELL_LSTM, 1, 1, 65535, 1, 1);
    rb_model m;
    rb_fx_model fx;
    rb_err e = {0};
    CHECK_INT(rb_model_alloc(&m, &w, &e), 0);
    for (size_t k = 0; k < (size_t)4 * 65535; k++)
        m.layer[0].w_ih[k] = -8.0f;
    for (int k = 0; k < 4; k++) {
        m.layer[0].w_hh[k] = -8.0f;
        m.layer[0].b_ih[k] = 7.0f;
        m.layer[0].b_hh[k] = 7.0f; /* 14 -> saturates to 32767 */
    }
    CHECK_INT(rb_fx_model_from(&fx, &m, Q, &e), 0);
    CHECK_INT(rb_fx_k(&fx, 0), 65536);
    int16_t *xq = malloc(65535 * sizeof *xq), h0 = -32768, c0 = 0, y = 0, hn = 0, cn = 0;
    for (int k = 0; k < 65535; k++)
        xq[k] = -32768;
    if (fx.w) {
        int16_t v[1] = {-32768};
        CHECK_INT(rb_fx_preact(Q, fx.w[0], xq, 65535, 32767), 32767);
        CHECK_INT(rb_fx_preact(Q, fx.w[0], v, 1, 0), 32767); /* 2^30 >> 12 = 2^18 */
    }
    CHECK_INT(rb_fx_forward(&fx, 1, 1, xq, &h0, &c0, &y, &hn, &cn, &e), 0);
    /* all gates at +max: i = f = o = 4095, g = 4096; c' = rshr(4095*4096, 12) = 4095,
     * tanh_q(4095): i = 63, f = 63, T[63] = 24738, T[64] = 24956,
     *   m = 24738 + ((218 * 63) >> 6 = 214) = 24952, (24956 >> 3) = 3119;
     * h' = rshr(4095 * 3119, 12) = (12772305 + 2048) >> 12 = 3118 */
    CHECK_INT(cn, 4095);
    CHECK_INT(y, 3118);
    CHECK_INT(hn, y);
    free(xq);
    rb_fx_model_free(&fx);
    /* one column wider is outside the specified accumulator */
    rb_model_free(&m);
    w = workload(RB_CELL_RNN, 1, 1, 65536, 1, 1);
    CHECK_INT(rb_model_alloc(&m, &w, &e), 0);
    CHECK_INT(rb_fx_model_from(&fx, &m, Q, &e), RB_EUNAVAIL);
    rb_fx_model_free(&fx);
    rb_model_free(&m);
}

/* Same inputs, same bits; and a run split at any timestep, continued from
 * h_n/c_n, gives the bits of one run (what the adapter's sampled mode needs). */
static void test_determinism(void)
{
    for (int cell = 0; cell < RB_CELL_COUNT; cell++) { /* lstm, rnn, gru */
        int T = 9, B = 3, I = 11, H = 13, L = 2;
        rb_workload w = workload((rb_cell)cell, T, B, I, H, L);
        rb_model m;
        rb_fx_model a, b;
        rb_err e = {0};
        CHECK_INT(rb_model_alloc(&m, &w, &e), 0);
        rb_model_init_seeded(&m, 42 + cell);
        CHECK_INT(rb_fx_model_from(&a, &m, Q, &e), 0);
        CHECK_INT(rb_fx_model_from(&b, &m, Q, &e), 0);
        float *x = rb_make_input(&w, 43, &e);
        size_t nx = (size_t)T * B * I, ny = (size_t)T * B * H, ns = (size_t)L * B * H;
        int16_t xq[9 * 3 * 11], y1[9 * 3 * 13], y2[9 * 3 * 13], y3[9 * 3 * 13];
        int16_t h1[2 * 3 * 13], c1[2 * 3 * 13], h2[2 * 3 * 13], c2[2 * 3 * 13];
        int16_t hm[2 * 3 * 13], cm[2 * 3 * 13];
        rb_fx_quant_array(Q, x, xq, nx);
        memset(c1, 0, sizeof c1);
        memset(c2, 0, sizeof c2);
        CHECK_INT(rb_fx_forward(&a, T, B, xq, NULL, NULL, y1, h1, c1, &e), 0);
        CHECK_INT(rb_fx_forward(&b, T, B, xq, NULL, NULL, y2, h2, c2, &e), 0);
        CHECK(memcmp(y1, y2, ny * sizeof *y1) == 0);
        CHECK(memcmp(h1, h2, ns * sizeof *h1) == 0);
        CHECK(memcmp(c1, c2, ns * sizeof *c1) == 0);
        /* the last layer's final h is the last output row */
        CHECK(memcmp(h1 + (size_t)(L - 1) * B * H, y1 + (size_t)(T - 1) * B * H,
                     (size_t)B * H * sizeof *h1) == 0);
        /* split at t = 4 */
        int t0 = 4;
        memset(cm, 0, sizeof cm);
        CHECK_INT(rb_fx_forward(&a, t0, B, xq, NULL, NULL, y3, hm, cm, &e), 0);
        CHECK_INT(rb_fx_forward(&a, T - t0, B, xq + (size_t)t0 * B * I, hm, cm,
                                y3 + (size_t)t0 * B * H, h2, c2, &e),
                  0);
        CHECK(memcmp(y1, y3, ny * sizeof *y1) == 0);
        CHECK(memcmp(h1, h2, ns * sizeof *h1) == 0);
        CHECK(memcmp(c1, c2, ns * sizeof *c1) == 0);
        /* T = 0 hands the initial state back */
        CHECK_INT(rb_fx_forward(&a, 0, B, NULL, h1, c1, NULL, h2, c2, &e), 0);
        CHECK(memcmp(h1, h2, ns * sizeof *h1) == 0);
        /* bad batches are input errors */
        CHECK_INT(rb_fx_forward(&a, T, 0, xq, NULL, NULL, y3, NULL, NULL, &e), RB_EINPUT);
        CHECK_INT(rb_fx_forward(&a, T, B, NULL, NULL, NULL, y3, NULL, NULL, &e), RB_EINPUT);
        free(x);
        rb_fx_model_free(&a);
        rb_fx_model_free(&b);
        rb_model_free(&m);
    }
}

/* ---- directions: reversed units and bidirectional layers ------------------ */

/* A seeded stack with directions (dirs 2) or reversed units (rev: a bit per
 * unit of a one-direction stack), its quantized x, h0, c0 and the fp64
 * reference.  Everything freed by dcase_free. */
typedef struct dcase {
    const char *what;
    rb_cell cell;
    int T, B, I, H, L, dirs;
    unsigned rev; /* one direction: bit u set = unit u reversed */
    int with_state;
} dcase;

typedef struct dfix {
    rb_workload w;
    rb_model m;
    rb_fx_model fx;
    float *x, *h0, *c0;
    int16_t *xq, *h0q, *c0q;
    double *ref;
    size_t nx, ns, ny;
} dfix;

static int dfix_init(dfix *f, const dcase *c, rb_fx_fmt fmt, uint64_t seed)
{
    rb_err e = {0};
    memset(f, 0, sizeof *f);
    f->w = workload(c->cell, c->T, c->B, c->I, c->H, c->L);
    f->w.dirs = c->dirs;
    f->w.features = c->dirs == 2 ? RB_FEAT_BIDIR : c->rev ? RB_FEAT_REVERSE : 0;
    rb_workload_make_key(&f->w);
    if (rb_model_alloc(&f->m, &f->w, &e))
        return -1;
    rb_model_init_seeded(&f->m, seed);
    for (int u = 0; c->dirs != 2 && u < c->L; u++)
        f->m.layer[u].reverse = (c->rev >> u) & 1;
    if (rb_fx_model_from(&f->fx, &f->m, fmt, &e))
        return -1;
    f->nx = (size_t)c->T * c->B * c->I;
    f->ns = (size_t)c->L * c->dirs * c->B * c->H;
    f->ny = (size_t)c->T * c->B * c->dirs * c->H;
    f->x = rb_make_input(&f->w, seed + 1, &e);
    f->xq = malloc(f->nx * sizeof *f->xq);
    f->ref = malloc(f->ny * sizeof *f->ref);
    if (!f->x || !f->xq || !f->ref)
        return -1;
    rb_fx_quant_array(fmt, f->x, f->xq, f->nx);
    if (c->with_state) {
        rb_workload ws = workload(c->cell, c->L * c->dirs, c->B, c->H, c->H, 1);
        f->h0 = rb_make_input(&ws, seed + 2, &e);
        f->c0 = rb_make_input(&ws, seed + 3, &e);
        f->h0q = malloc(f->ns * sizeof *f->h0q);
        f->c0q = malloc(f->ns * sizeof *f->c0q);
        if (!f->h0 || !f->c0 || !f->h0q || !f->c0q)
            return -1;
        rb_fx_quant_array(fmt, f->h0, f->h0q, f->ns);
        rb_fx_quant_array(fmt, f->c0, f->c0q, f->ns);
    }
    rb_batch in = {c->T, c->B, c->I, f->x, f->h0, c->cell == RB_CELL_LSTM ? f->c0 : NULL, NULL};
    return rb_ref_forward(&f->m, &in, f->ref, NULL, NULL, &e) ? -1 : 0;
}

static void dfix_free(dfix *f)
{
    rb_fx_model_free(&f->fx);
    rb_model_free(&f->m);
    free(f->x);
    free(f->h0);
    free(f->c0);
    free(f->xq);
    free(f->h0q);
    free(f->c0q);
    free(f->ref);
}

static const dcase k_dcases[] = {
    {"lstm reverse", RB_CELL_LSTM, 12, 3, 20, 24, 2, 1, 0x3, 1},
    {"lstm bidirectional", RB_CELL_LSTM, 12, 3, 20, 24, 2, 2, 0, 1},
    {"lstm bidirectional 3 layers", RB_CELL_LSTM, 10, 2, 40, 64, 3, 2, 0, 0},
    {"lstm reverse, forward, reverse", RB_CELL_LSTM, 9, 2, 16, 32, 3, 1, 0x5, 1},
    {"rnn reverse", RB_CELL_RNN, 20, 2, 16, 48, 2, 1, 0x3, 0},
    {"rnn bidirectional", RB_CELL_RNN, 20, 2, 16, 48, 2, 2, 0, 1},
    {"rnn forward, reverse", RB_CELL_RNN, 8, 3, 7, 5, 2, 1, 0x2, 1},
    {"gru reverse", RB_CELL_GRU, 12, 3, 20, 24, 2, 1, 0x3, 1},
    {"gru bidirectional", RB_CELL_GRU, 12, 3, 20, 24, 2, 2, 0, 1},
    {"gru bidirectional 3 layers", RB_CELL_GRU, 10, 2, 40, 64, 3, 2, 0, 0},
    {"gru forward, reverse", RB_CELL_GRU, 8, 3, 7, 5, 2, 1, 0x2, 1},
};
#define N_DCASES (sizeof k_dcases / sizeof k_dcases[0])

/* Units of a bidirectional stack: packed per unit, the second of each layer
 * reversed, later layers K = 2H + H; the features the cell has no rule for
 * are refused by name. */
static void test_directions_packing(void)
{
    rb_workload w = workload(RB_CELL_LSTM, 3, 2, 5, 4, 2);
    w.dirs = 2;
    w.features = RB_FEAT_BIDIR;
    rb_model m;
    rb_fx_model fx;
    rb_err e = {0};
    CHECK_INT(rb_model_alloc(&m, &w, &e), 0);
    rb_model_init_seeded(&m, 3);
    CHECK_INT(rb_fx_model_from(&fx, &m, Q, &e), 0);
    CHECK_INT(rb_fx_dirs(&fx), 2);
    CHECK_INT(rb_fx_units(&fx), 4);
    CHECK(!rb_fx_is_plain(&fx));
    CHECK_INT(rb_fx_k(&fx, 0), 5 + 4);
    CHECK_INT(rb_fx_k(&fx, 1), 5 + 4);
    CHECK_INT(rb_fx_k(&fx, 2), 8 + 4);
    CHECK_INT(rb_fx_k(&fx, 3), 8 + 4);
    for (int u = 0; u < 4 && fx.reverse; u++)
        CHECK_INT(fx.reverse[u], u % 2);
    /* unit 3 (layer 1, reverse direction), packed row 1 = PyTorch row H:
     * its first weight is weight_ih_l1_reverse[4][0] */
    if (fx.w)
        CHECK_INT(fx.w[3][12], rb_fx_quant(Q, m.layer[3].w_ih[4 * 8]));
    /* the plan: two passes per layer, the second of each reversed */
    fpga_pass pass[4];
    CHECK_INT(rb_fpga_plan(&fx, pass), 4);
    for (int k = 0; k < 4; k++) {
        CHECK_INT(pass[k].layer0, k / 2);
        CHECK_INT(pass[k].layers, 1);
        CHECK_INT(pass[k].dir, k % 2);
        CHECK_INT(pass[k].reverse, k % 2);
        CHECK_INT(pass[k].width, k < 2 ? 5 : 8);
        CHECK(rb_fx_is_plain(&pass[k].view));
        CHECK_INT(rb_fx_k(&pass[k].view, 0), rb_fx_k(&fx, k));
    }
    rb_fx_model_free(&fx);
    rb_model_free(&m);

    /* one direction: runs of layers going the same way make one pass each */
    w = workload(RB_CELL_RNN, 3, 2, 5, 4, 4);
    w.features = RB_FEAT_REVERSE;
    CHECK_INT(rb_model_alloc(&m, &w, &e), 0);
    CHECK_INT(rb_fx_model_from(&fx, &m, Q, &e), 0);
    CHECK_INT(rb_fpga_plan(&fx, pass), 1); /* all reversed: the whole stack, reversed */
    CHECK_INT(pass[0].layers, 4);
    CHECK_INT(pass[0].reverse, 1);
    rb_fx_model_free(&fx);
    m.layer[2].reverse = 0;
    CHECK_INT(rb_fx_model_from(&fx, &m, Q, &e), 0);
    CHECK_INT(rb_fpga_plan(&fx, pass), 3); /* layers 0-1 reversed, 2 forward, 3 reversed */
    CHECK_INT(pass[0].layers, 2);
    CHECK_INT(pass[1].layer0, 2);
    CHECK_INT(pass[1].reverse, 0);
    CHECK_INT(pass[2].layer0, 3);
    CHECK_INT(pass[2].width, 4);
    rb_fx_model_free(&fx);
    rb_model_free(&m);

    /* no rule for these in SPEC.md */
    static const unsigned none[] = {RB_FEAT_PEEPHOLES, RB_FEAT_CLIP, RB_FEAT_INPUT_FORGET};
    for (int k = 0; k < 3; k++) {
        w = workload(RB_CELL_LSTM, 3, 2, 5, 4, 1);
        w.features = none[k];
        CHECK_INT(rb_model_alloc(&m, &w, &e), 0);
        m.clip = none[k] == RB_FEAT_CLIP ? 1.0f : 0.0f;
        m.input_forget = none[k] == RB_FEAT_INPUT_FORGET;
        CHECK_INT(rb_fx_model_from(&fx, &m, Q, &e), RB_EUNAVAIL);
        char want[64];
        snprintf(want, sizeof want, "unsupported: %s", rb_feature_name(none[k]));
        CHECK_STR_HAS(e.msg, want);
        rb_fx_model_free(&fx);
        rb_model_free(&m);
    }
}

/* Reversed and bidirectional stacks: the passes the adapter runs on the RTL
 * (rb_fpga_passes_forward: reversing and concatenating on the host) give
 * the bits of the literal semantics (rb_fx_forward, unit by unit), and the
 * golden model's error against the fp64 reference stays within the plain
 * stack's bound, in LSB, for every format the quality test covers. */
static void test_directions(void)
{
    static const rb_fx_fmt fmts[] = {{16, 12}, {8, 5}, {12, 8}};
    for (size_t fi = 0; fi < sizeof fmts / sizeof fmts[0]; fi++) {
        const rb_fx_fmt f = fmts[fi];
        const double lsb = 1.0 / rb_fx_one(f);
        char name[16];
        for (size_t k = 0; k < N_DCASES; k++) {
            const dcase *c = &k_dcases[k];
            dfix d;
            rb_err e = {0};
            CHECK_INT(dfix_init(&d, c, f, 500 + k), 0);
            int16_t *y = malloc(d.ny * sizeof *y), *yp = malloc(d.ny * sizeof *yp);
            int16_t *hn = malloc(d.ns * sizeof *hn), *cn = malloc(d.ns * sizeof *cn);
            CHECK_INT(rb_fx_forward(&d.fx, c->T, c->B, d.xq, d.h0q, d.c0q, y, hn, cn, &e), 0);
            fpga_pass pass[16];
            fpga_bufs bufs;
            int n = rb_fpga_plan(&d.fx, pass);
            CHECK_INT(rb_fpga_bufs_alloc(&bufs, &d.fx, pass, n, c->T, c->B, &e), 0);
            CHECK_INT(rb_fpga_passes_forward(&d.fx, pass, n, c->T, c->B, d.xq, d.h0q, d.c0q, yp,
                                             &bufs, NULL, NULL, &e),
                      0);
            CHECK(memcmp(y, yp, d.ny * sizeof *y) == 0);
            rb_fpga_bufs_free(&bufs);
            /* the last layer's units end where they run out of steps: the
             * forward one at t = T-1, a reversed one at t = 0 */
            const int D = c->dirs, H = c->H;
            const size_t BH = (size_t)c->B * H;
            int ends = 1;
            for (int dd = 0; dd < D; dd++) {
                int u = (c->L - 1) * D + dd, t = d.fx.reverse[u] ? 0 : c->T - 1;
                for (int b = 0; b < c->B; b++)
                    ends &= !memcmp(hn + (size_t)u * BH + (size_t)b * H,
                                    y + ((size_t)t * c->B + b) * D * H + (size_t)dd * H,
                                    (size_t)H * sizeof *y);
            }
            CHECK(ends);
            double worst = 0, big = 0;
            for (size_t i = 0; i < d.ny; i++) {
                double err = fabs(rb_fx_dequant(f, y[i]) - d.ref[i]);
                worst = err > worst ? err : worst;
                big = fabs(d.ref[i]) > big ? fabs(d.ref[i]) : big;
            }
            double bound = lsb * rb_fx_quality_bound_lsb(c->cell);
            printf("  directions %-6s %-31s T=%-2d B=%d I=%-2d H=%-2d L=%d, %d passes: "
                   "max |y - ref| = %.6f (%.1f LSB, bound %.0f LSB), passes %s literal\n",
                   rb_fx_fmt_name(f, name, sizeof name), c->what, c->T, c->B, c->I, c->H, c->L, n,
                   worst, worst / lsb, bound / lsb,
                   memcmp(y, yp, d.ny * sizeof *y) ? "DIFFER from" : "==");
            CHECK(worst <= bound);
            CHECK(big > 0.02);
            free(y);
            free(yp);
            free(hn);
            free(cn);
            dfix_free(&d);
        }
    }
}

int main(void)
{
    test_rshr_sat_quant();
    test_tables();
    test_tanh();
    test_sigmoid();
    test_activations_all_formats();
    test_format_q2_5();
    test_lstm_unit();
    test_gru_unit();
    test_packing();
    test_gru_packing();
    test_quality();
    test_saturation();
    test_determinism();
    test_directions_packing();
    test_directions();
    return rb_test_done("test_fpga_golden");
}
