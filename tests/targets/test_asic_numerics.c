/* test_asic_numerics.c — the asic target's emulated datatypes (asic_numerics.h).
 *
 * Hand cases are worked out in the comments from the header's scheme and the
 * fp32 vector-unit order documented at the top of asic_numerics.c, not by
 * calling the code under test; the 16-bit float roundings are checked against
 * a second, arithmetic implementation (frexp / nearbyint / ldexp) on a sweep
 * of floats; small random models are run through a naive emulator written
 * here from the same documentation (integer sums in int64, the 16-bit
 * accumulator rounded by that second implementation) and must agree bit for
 * bit where the scheme fixes every bit; the whole forward is measured against
 * the fp64 reference as a quality figure for every numerics, and fp32
 * against the harness's fp32 bound. */
#include <float.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "../../targets/asic/asic_numerics.h"
#include "../../targets/target.h"
#include "../../workloads/reference.h"
#include "../rb_test.h"
#include "../rb_test_workload.h"

static float bits_f(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static uint32_t f_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* Same value and, for zeros, the same sign; any NaN matches any NaN. */
static int same_float(float a, float b)
{
    if (a != a || b != b)
        return a != a && b != b;
    return f_bits(a) == f_bits(b);
}

#define CHECK_F(a, b)                                                                              \
    do {                                                                                           \
        float fa_ = (a), fb_ = (b);                                                                \
        rb_test_checks++;                                                                          \
        if (!same_float(fa_, fb_)) {                                                               \
            rb_test_failures++;                                                                    \
            fprintf(stderr, "%s:%d: %s = %.9g (0x%08x), expected %.9g (0x%08x)\n", __FILE__,       \
                    __LINE__, #a, (double)fa_, f_bits(fa_), (double)fb_, f_bits(fb_));             \
        }                                                                                          \
    } while (0)

/* The second implementation of rounding to a binary format with p
 * significant bits, smallest normal 2^emin and largest finite max_fin:
 * scale to an integer number of quanta, nearbyint (ties to even), scale back. */
static double round_ref(double v, int p, int emin, double max_fin)
{
    if (v != v || v == 0 || isinf(v))
        return v;
    int e;
    frexp(v, &e); /* |v| in [2^(e-1), 2^e) */
    int qe = (e - 1 > emin ? e - 1 : emin) - (p - 1);
    double r = ldexp(nearbyint(ldexp(v, -qe)), qe);
    if (fabs(r) > max_fin)
        return copysign(INFINITY, v);
    return copysign(r, v);
}
static double ref_bf16(double v) { return round_ref(v, 8, -126, 0x1.fep127); }
static double ref_fp16(double v) { return round_ref(v, 11, -14, 65504.0); }

/* ---- names and checks ------------------------------------------------------- */

static void test_names(void)
{
    static const char *names[] = {"int8", "int16", "fp16", "bf16", "fp32"};
    static const int bits[] = {8, 16, 16, 16, 32};
    for (int d = 0; d < 5; d++) {
        rb_asic_dtype p = RB_ASIC_FP32;
        CHECK(strcmp(rb_asic_dtype_name((rb_asic_dtype)d), names[d]) == 0);
        CHECK_INT(rb_asic_dtype_parse(names[d], &p), 0);
        CHECK_INT(p, d);
        CHECK_INT(rb_asic_dtype_bits((rb_asic_dtype)d), bits[d]);
        CHECK_INT(rb_asic_dtype_is_int((rb_asic_dtype)d), d < 2);
    }
    rb_asic_dtype p = RB_ASIC_INT16;
    CHECK_INT(rb_asic_dtype_parse("int4", &p), -1);
    CHECK_INT(rb_asic_dtype_parse("", &p), -1);
    CHECK_INT(rb_asic_dtype_parse(NULL, &p), -1);
    CHECK_INT(rb_asic_dtype_parse("FP32", &p), -1);
    CHECK_INT(p, RB_ASIC_INT16); /* untouched on failure */

    char buf[64];
    struct {
        rb_asic_numerics n;
        const char *name;
    } ok[] = {
        {{RB_ASIC_INT8, 32, RB_ASIC_PER_TENSOR}, "int8 per-tensor, int32 acc"},
        {{RB_ASIC_INT8, 16, RB_ASIC_PER_CHANNEL}, "int8 per-channel, int16 acc"},
        {{RB_ASIC_INT8, 64, RB_ASIC_PER_TENSOR}, "int8 per-tensor, int64 acc"},
        {{RB_ASIC_INT16, 48, RB_ASIC_PER_CHANNEL}, "int16 per-channel, int48 acc"},
        {{RB_ASIC_INT16, 32, RB_ASIC_PER_TENSOR}, "int16 per-tensor, int32 acc"},
        {{RB_ASIC_BF16, 32, RB_ASIC_PER_TENSOR}, "bf16, fp32 acc"},
        {{RB_ASIC_BF16, 16, RB_ASIC_PER_CHANNEL}, "bf16, bf16 acc"}, /* quant ignored */
        {{RB_ASIC_FP16, 16, RB_ASIC_PER_TENSOR}, "fp16, fp16 acc"},
        {{RB_ASIC_FP16, 32, RB_ASIC_PER_TENSOR}, "fp16, fp32 acc"},
        {{RB_ASIC_FP32, 32, RB_ASIC_PER_TENSOR}, "fp32"},
        {{RB_ASIC_FP32, 32, RB_ASIC_PER_CHANNEL}, "fp32"},
    };
    for (size_t k = 0; k < sizeof ok / sizeof ok[0]; k++) {
        rb_err e = {0};
        CHECK_INT(rb_asic_numerics_check(&ok[k].n, &e), 0);
        CHECK(strcmp(rb_asic_numerics_name(&ok[k].n, buf, sizeof buf), ok[k].name) == 0);
        if (strcmp(buf, ok[k].name) != 0)
            fprintf(stderr, "  name \"%s\", expected \"%s\"\n", buf, ok[k].name);
    }
    /* a short buffer truncates, terminated */
    rb_asic_numerics_name(&ok[0].n, buf, 5);
    CHECK(strcmp(buf, "int8") == 0);

    struct {
        rb_asic_numerics n;
        const char *has1, *has2;
    } bad[] = {
        {{RB_ASIC_INT8, 15, RB_ASIC_PER_TENSOR}, "acc_bits 15", "16..64"},
        {{RB_ASIC_INT8, 65, RB_ASIC_PER_TENSOR}, "acc_bits 65", "16..64"},
        {{RB_ASIC_INT16, 16, RB_ASIC_PER_TENSOR}, "int16", "32..64"},
        {{RB_ASIC_INT16, 31, RB_ASIC_PER_CHANNEL}, "acc_bits 31", "32..64"},
        {{RB_ASIC_INT8, 32, (rb_asic_quant)7}, "weight_quant 7", "per-tensor, per-channel"},
        {{RB_ASIC_FP16, 24, RB_ASIC_PER_TENSOR}, "acc_bits 24", "16, 32"},
        {{RB_ASIC_BF16, 8, RB_ASIC_PER_TENSOR}, "bf16", "16, 32"},
        {{RB_ASIC_FP32, 16, RB_ASIC_PER_TENSOR}, "fp32", "allowed: 32"},
        {{RB_ASIC_FP32, 64, RB_ASIC_PER_TENSOR}, "acc_bits 64", "allowed: 32"},
        {{(rb_asic_dtype)9, 32, RB_ASIC_PER_TENSOR}, "datatype 9", "int8, int16, fp16, bf16, fp32"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        rb_err e = {0};
        CHECK_INT(rb_asic_numerics_check(&bad[k].n, &e), RB_EINPUT);
        CHECK_STR_HAS(e.msg, bad[k].has1);
        CHECK_STR_HAS(e.msg, bad[k].has2);
        /* never "fp32" for what is not the fp32 arithmetic */
        CHECK(strcmp(rb_asic_numerics_name(&bad[k].n, buf, sizeof buf), "fp32") != 0);
    }
    CHECK_INT(rb_asic_numerics_check(NULL, NULL), RB_EINPUT);
    CHECK(isinf(rb_asic_quality_bound(&bad[0].n)));
}

/* ---- rounding ------------------------------------------------------------------ */

static void test_round_bf16(void)
{
    /* bf16 keeps the top 16 bits of a float: 8 significant bits. */
    CHECK_F(rb_asic_round_bf16(1.0f), 1.0f);
    CHECK_F(rb_asic_round_bf16(0.0f), 0.0f);
    CHECK_F(rb_asic_round_bf16(-0.0f), -0.0f);
    /* 1 + 2^-8 is halfway between 1 (even: fraction 0) and 1 + 2^-7 (odd): down */
    CHECK_F(rb_asic_round_bf16(1.0f + 0x1p-8f), 1.0f);
    /* 1 + 3 * 2^-8 is halfway between 1 + 2^-7 (odd) and 1 + 2^-6 (even): up */
    CHECK_F(rb_asic_round_bf16(1.0f + 3 * 0x1p-8f), 1.0f + 0x1p-6f);
    CHECK_F(rb_asic_round_bf16(-(1.0f + 3 * 0x1p-8f)), -(1.0f + 0x1p-6f));
    /* just above a tie goes up, just below down */
    CHECK_F(rb_asic_round_bf16(1.0f + 0x1p-8f + 0x1p-23f), 1.0f + 0x1p-7f);
    CHECK_F(rb_asic_round_bf16(1.0f + 0x1p-8f - 0x1p-23f), 1.0f);
    /* 0.3f = 0x3e99999a: the dropped half 0x999a > 0x8000, up to 0x3e9a = 0.30078125 */
    CHECK_F(rb_asic_round_bf16(0.3f), 0.30078125f);
    /* 0.2f = 0x3e4ccccd: 0xcccd > 0x8000, up to 0x3e4d = 0.2001953125 */
    CHECK_F(rb_asic_round_bf16(0.2f), 0.2001953125f);
    /* 0.7f = 0x3f333333: 0x3333 < 0x8000, down to 0x3f33 = 0.69921875 */
    CHECK_F(rb_asic_round_bf16(0.7f), 0.69921875f);
    /* the largest finite bf16, 0x7f7f = (2 - 2^-7) * 2^127, stays */
    CHECK_F(rb_asic_round_bf16(0x1.fep127f), 0x1.fep127f);
    /* halfway between it (odd) and 2^128: to even, which is inf */
    CHECK_F(rb_asic_round_bf16(0x1.ffp127f), INFINITY);
    CHECK_F(rb_asic_round_bf16(-0x1.ffp127f), -INFINITY);
    CHECK_F(rb_asic_round_bf16(FLT_MAX), INFINITY);
    /* just below the halfway point: down to the largest finite */
    CHECK_F(rb_asic_round_bf16(bits_f(0x7f7f7fffu)), 0x1.fep127f);
    CHECK_F(rb_asic_round_bf16(INFINITY), INFINITY);
    CHECK_F(rb_asic_round_bf16(-INFINITY), -INFINITY);
    /* subnormals: bf16's grid is fp32's above bit 16; 0x00008000 (2^-134) is
     * halfway between 0 (even) and 2^-133: down, keeping the sign */
    CHECK_F(rb_asic_round_bf16(bits_f(0x00008000u)), 0.0f);
    CHECK_F(rb_asic_round_bf16(bits_f(0x80008000u)), -0.0f);
    CHECK_F(rb_asic_round_bf16(bits_f(0x00018000u)), bits_f(0x00020000u)); /* 1.5 -> 2 */
    CHECK_F(rb_asic_round_bf16(bits_f(0x00008001u)), bits_f(0x00010000u));
    CHECK_F(rb_asic_round_bf16(FLT_TRUE_MIN), 0.0f);
    /* the largest subnormal rounds up into the smallest normal, 2^-126 */
    CHECK_F(rb_asic_round_bf16(bits_f(0x007fffffu)), 0x1p-126f);
    /* NaN stays NaN, even one whose payload lies in the dropped half */
    CHECK(isnan(rb_asic_round_bf16(NAN)));
    CHECK(isnan(rb_asic_round_bf16(bits_f(0x7f800001u))));
    CHECK(isnan(rb_asic_round_bf16(bits_f(0xffffffffu))));
}

static void test_round_fp16(void)
{
    /* fp16: 11 significant bits, normals from 2^-14, largest 65504, subnormal
     * quantum 2^-24. */
    CHECK_F(rb_asic_round_fp16(1.0f), 1.0f);
    CHECK_F(rb_asic_round_fp16(-0.0f), -0.0f);
    /* 1 + 2^-11 is halfway between 1 (even) and 1 + 2^-10 (odd): down */
    CHECK_F(rb_asic_round_fp16(1.0f + 0x1p-11f), 1.0f);
    /* 1 + 3 * 2^-11 halfway between 1 + 2^-10 (odd) and 1 + 2^-9 (even): up */
    CHECK_F(rb_asic_round_fp16(1.0f + 3 * 0x1p-11f), 1.0f + 0x1p-9f);
    CHECK_F(rb_asic_round_fp16(-(1.0f + 3 * 0x1p-11f)), -(1.0f + 0x1p-9f));
    CHECK_F(rb_asic_round_fp16(1.0f + 0x1p-11f + 0x1p-23f), 1.0f + 0x1p-10f);
    /* 0.1f: 0.1 * 2^14 = 1638.4 quanta of 2^-14 in [2^-4, 2^-3) -> 1638 * 2^-14 */
    CHECK_F(rb_asic_round_fp16(0.1f), 1638.0f * 0x1p-14f);
    /* 1/3: 1365.33 quanta of 2^-12 in [2^-2, 2^-1) -> 1365 * 2^-12 */
    CHECK_F(rb_asic_round_fp16(1.0f / 3), 1365.0f * 0x1p-12f);
    /* the largest finite, 65504 = (2 - 2^-10) * 2^15, and overflow: the quantum
     * there is 32, so 65519 rounds down to 65504 and 65520, halfway to 65536
     * (even), rounds up, beyond 65504: inf */
    CHECK_F(rb_asic_round_fp16(65504.0f), 65504.0f);
    CHECK_F(rb_asic_round_fp16(65519.0f), 65504.0f);
    CHECK_F(rb_asic_round_fp16(65520.0f), INFINITY);
    CHECK_F(rb_asic_round_fp16(-65520.0f), -INFINITY);
    CHECK_F(rb_asic_round_fp16(65536.0f), INFINITY);
    CHECK_F(rb_asic_round_fp16(1e30f), INFINITY);
    CHECK_F(rb_asic_round_fp16(FLT_MAX), INFINITY);
    CHECK_F(rb_asic_round_fp16(INFINITY), INFINITY);
    CHECK_F(rb_asic_round_fp16(-INFINITY), -INFINITY);
    /* 2049 is halfway between 2048 and 2050 (quantum 2 in [2^11, 2^12)): to
     * 2048 (even); 2051 halfway between 2050 (odd) and 2052: up */
    CHECK_F(rb_asic_round_fp16(2049.0f), 2048.0f);
    CHECK_F(rb_asic_round_fp16(2051.0f), 2052.0f);
    /* the smallest normal stays; just below it rounds on the subnormal grid */
    CHECK_F(rb_asic_round_fp16(0x1p-14f), 0x1p-14f);
    CHECK_F(rb_asic_round_fp16(0x1p-14f - 0x1p-26f), 0x1p-14f); /* 1023.75 quanta -> 1024 */
    CHECK_F(rb_asic_round_fp16(0x1p-14f - 0x1p-24f), 1023 * 0x1p-24f);
    /* subnormals: multiples of 2^-24, ties to even */
    CHECK_F(rb_asic_round_fp16(0x1p-24f), 0x1p-24f);
    CHECK_F(rb_asic_round_fp16(1.5f * 0x1p-24f), 2 * 0x1p-24f); /* 1.5 -> 2 */
    CHECK_F(rb_asic_round_fp16(2.5f * 0x1p-24f), 2 * 0x1p-24f); /* 2.5 -> 2 */
    CHECK_F(rb_asic_round_fp16(-2.5f * 0x1p-24f), -2 * 0x1p-24f);
    CHECK_F(rb_asic_round_fp16(3.5f * 0x1p-24f), 4 * 0x1p-24f); /* 3.5 -> 4 */
    CHECK_F(rb_asic_round_fp16(2.51f * 0x1p-24f), 3 * 0x1p-24f);
    CHECK_F(rb_asic_round_fp16(100.25f * 0x1p-24f), 100 * 0x1p-24f);
    /* 2^-25 is half the quantum: to even, 0; a little more rounds to 2^-24 */
    CHECK_F(rb_asic_round_fp16(0x1p-25f), 0.0f);
    CHECK_F(rb_asic_round_fp16(-0x1p-25f), -0.0f);
    CHECK_F(rb_asic_round_fp16(0x1p-25f + 0x1p-40f), 0x1p-24f);
    /* underflow to a zero of the same sign */
    CHECK_F(rb_asic_round_fp16(1e-10f), 0.0f);
    CHECK_F(rb_asic_round_fp16(-1e-10f), -0.0f);
    CHECK_F(rb_asic_round_fp16(FLT_TRUE_MIN), 0.0f);
    CHECK_F(rb_asic_round_fp16(-FLT_MIN), -0.0f);
    CHECK(isnan(rb_asic_round_fp16(NAN)));
    CHECK(isnan(rb_asic_round_fp16(-NAN)));
    CHECK(isnan(rb_asic_round_fp16(bits_f(0x7f800001u))));
}

/* Every 997th float bit pattern (a prime stride hits every exponent and a
 * spread of fractions) plus every pattern next to the boundaries, against
 * the arithmetic implementation. */
static void test_round_sweep(void)
{
    long bad_b = 0, bad_h = 0, n = 0;
    static const uint32_t around[] = {0x00000000u, 0x00800000u, 0x33000000u, 0x33800000u,
                                      0x387fc000u, 0x38800000u, 0x3f800000u, 0x477fe000u,
                                      0x477ff000u, 0x7f7f8000u, 0x7f800000u};
    for (int pass = 0; pass < 2; pass++) {
        uint64_t lim = pass == 0 ? (1ull << 32) : sizeof around / sizeof around[0] * 8192;
        uint64_t step = pass == 0 ? 997 : 1;
        for (uint64_t i = 0; i < lim; i += step) {
            uint32_t u = pass == 0 ? (uint32_t)i : around[i / 8192] + (uint32_t)(i % 8192) - 4096;
            for (int s = 0; s < 2; s++, u ^= 0x80000000u) {
                float x = bits_f(u);
                n++;
                bad_b += !same_float(rb_asic_round_bf16(x), (float)ref_bf16(x));
                bad_h += !same_float(rb_asic_round_fp16(x), (float)ref_fp16(x));
            }
        }
    }
    printf("  rounding sweep: %ld floats, %ld bf16 and %ld fp16 differ from the reference\n", n,
           bad_b, bad_h);
    CHECK_INT(bad_b, 0);
    CHECK_INT(bad_h, 0);
}

/* ---- helpers: models, runs ------------------------------------------------------ */

static const rb_asic_numerics k_all[] = {
    {RB_ASIC_INT8, 32, RB_ASIC_PER_TENSOR},  {RB_ASIC_INT8, 32, RB_ASIC_PER_CHANNEL},
    {RB_ASIC_INT16, 48, RB_ASIC_PER_TENSOR}, {RB_ASIC_INT16, 64, RB_ASIC_PER_CHANNEL},
    {RB_ASIC_BF16, 32, RB_ASIC_PER_TENSOR},  {RB_ASIC_BF16, 16, RB_ASIC_PER_TENSOR},
    {RB_ASIC_FP16, 32, RB_ASIC_PER_TENSOR},  {RB_ASIC_FP16, 16, RB_ASIC_PER_TENSOR},
    {RB_ASIC_FP32, 32, RB_ASIC_PER_TENSOR},
};
#define N_ALL (sizeof k_all / sizeof k_all[0])

/* Prepare for exactly this batch, run, free. */
static int run_once(const rb_model *m, rb_asic_numerics n, const rb_batch *in, float *y, rb_err *e)
{
    rb_asic_qmodel *q = NULL;
    int rc = rb_asic_qmodel_new(&q, m, &n, in->seq, in->batch, e);
    if (!rc)
        rc = rb_asic_forward(q, in, y, e);
    rb_asic_qmodel_free(q);
    return rc;
}

static int model_1unit(rb_model *m, rb_cell cell, int I, int T)
{
    rb_workload w = rb_test_workload(cell, T, 1, I, 1, 1, 1);
    rb_err e = {0};
    return rb_model_alloc(m, &w, &e);
}

static double sig(double v) { return 1.0 / (1.0 + exp(-v)); }

/* ---- int8 by hand ------------------------------------------------------------------ */

/* Weight scales on a 2x2 W_ih (RNN, I = H = 2, W_hh = 0, one step), made
 * visible through the outputs: x = X * e_k and b_ih[r] = -X * w[r][k], so
 * pre_r = X * (q[r][k] * s_r - w[r][k]) is the quantization error of one
 * weight, scaled.
 *   W = [[127/64, -62.5/64], [2.5/64, 8/64]]
 * per tensor: s = (127/64) / 127 = 1/64 exactly; codes w * 64:
 *   [[127, -62.5 -> -62 (tie, to even)], [2.5 -> 2 (tie, to even), 8]]
 * per channel: row 0 as above; row 1: s_1 = 0.125 / 127, codes w / s_1:
 *   2.5/64 * 127/0.125 = 39.6875 -> 40, 127
 * x = [X, 0]: s_x = X/127, codes [127, 0]: acc_r = 127 q[r][0], and
 * s_r * s_x * acc_r = X * q[r][0] * s_r.  y_r = round(127 tanh(pre_r)) / 127,
 * e.g. per tensor, X = 1, k = 1, r = 0: pre = -62/64 + 62.5/64 = 1/128,
 * 127 tanh(1/128) = 0.992 -> y = 1/127 (the code -63 of rounding half away
 * from zero would give -1/127).  With X = 32 a code one off changes y by at
 * least 2/127 everywhere (checked), so every code is seen. */
static void test_int8_scales(void)
{
    static const float W[2][2] = {{127.0f / 64, -62.5f / 64}, {2.5f / 64, 8.0f / 64}};
    static const int codes[2][2][2] = {{{127, -62}, {2, 8}}, {{127, -62}, {40, 127}}};
    const double s[2][2] = {{1.0 / 64, 1.0 / 64}, {1.0 / 64, 0.125 / 127}};
    for (int pc = 0; pc < 2; pc++)
        for (int X = 1; X <= 32; X += 31)
            for (int k = 0; k < 2; k++) {
                rb_workload w = rb_test_workload(RB_CELL_RNN, 1, 1, 2, 2, 1, 1);
                rb_model m;
                rb_err e = {0};
                CHECK_INT(rb_model_alloc(&m, &w, &e), 0);
                memcpy(m.layer[0].w_ih, W, sizeof W);
                for (int r = 0; r < 2; r++)
                    m.layer[0].b_ih[r] = -(float)X * W[r][k];
                float x[2] = {0, 0}, y[2];
                x[k] = (float)X;
                rb_batch in = {1, 1, 2, x, NULL, NULL, NULL};
                rb_asic_numerics n = {RB_ASIC_INT8, 32,
                                      pc ? RB_ASIC_PER_CHANNEL : RB_ASIC_PER_TENSOR};
                CHECK_INT(run_once(&m, n, &in, y, &e), 0);
                for (int r = 0; r < 2; r++) {
                    int c = codes[pc][r][k];
                    double v = 127 * tanh(X * (c * s[pc][r] - W[r][k]));
                    double lo = 127 * tanh(X * ((c - 1) * s[pc][r] - W[r][k]));
                    double hi = 127 * tanh(X * ((c + 1) * s[pc][r] - W[r][k]));
                    /* the expectation is not near a rounding boundary */
                    CHECK(fabs(fabs(v - floor(v)) - 0.5) > 0.1);
                    if (X == 32)
                        CHECK(fabs(nearbyint(lo) - nearbyint(v)) >= 2 &&
                              fabs(nearbyint(hi) - nearbyint(v)) >= 2);
                    CHECK_F(y[r], (float)(nearbyint(v) / 127));
                }
                rb_model_free(&m);
            }
}

/* One-unit int8 RNN, T = 2: w_ih = 0.5, w_hh = -0.25, b_ih = 0.1, x = [1, -0.25].
 * Single weights code to +-127 (s = |w| / 127).  s_x = 1/127: x codes
 * [127, -31.75 -> -32].
 *   t = 0: acc_ih = 127 * 127, pre = 0.5 + 0.1 = 0.6 (h0 = 0);
 *          tanh 0.6 = 0.537050, * 127 = 68.205 -> code 68, y = 68/127
 *   t = 1: ih: 127 * -32 * (0.5/127) / 127 = -16/127 = -0.125984;
 *          hh: -127 * 68 * (0.25/127) / 127 = -17/127 = -0.133858;
 *          pre = -0.159843, tanh = -0.158499, * 127 = -20.129 -> -20
 * (The fp64 reference says 0.537050 and -0.157928.) */
static void test_int8_rnn_hand(void)
{
    rb_model m;
    rb_err e = {0};
    CHECK_INT(model_1unit(&m, RB_CELL_RNN, 1, 2), 0);
    m.layer[0].w_ih[0] = 0.5f;
    m.layer[0].w_hh[0] = -0.25f;
    m.layer[0].b_ih[0] = 0.1f;
    float x[2] = {1.0f, -0.25f}, y[2];
    rb_batch in = {2, 1, 1, x, NULL, NULL, NULL};
    for (int pc = 0; pc < 2; pc++) { /* one row: per channel is per tensor */
        rb_asic_numerics n = {RB_ASIC_INT8, 32, pc ? RB_ASIC_PER_CHANNEL : RB_ASIC_PER_TENSOR};
        CHECK_INT(run_once(&m, n, &in, y, &e), 0);
        CHECK_F(y[0], (float)(68 / 127.0));
        CHECK_F(y[1], (float)(-20 / 127.0));
    }
    /* The same by the formula, from the codes alone. */
    double h0 = tanh(0.6), pre1 = -16.0 / 127 - 0.25 * 68 / 127 + 0.1;
    CHECK_INT(nearbyint(h0 * 127), 68);
    CHECK_INT(nearbyint(tanh(pre1) * 127), -20);
    rb_model_free(&m);
}

/* One-unit int8 LSTM, T = 1, gates i, f, g, o; h0 = 0.5, c0 = 0.25, x = 0.5.
 *   W_ih = [0.5, 127/128, -0.75, 0.25]: s = (127/128)/127 = 1/128 exactly,
 *          codes [64, 127, -96, 32]
 *   W_hh = [0.25, -0.5, 0.125, 127/128]: s = 1/128, codes [32, -64, 16, 127]
 *   b_ih + b_hh = [0, 0.5, 0.25, 0]
 *   x codes 127 (s_x = 0.5/127); h0: 0.5 * 127 = 63.5, a tie -> 64.
 *   ih: q * 127 * (1/128) * (0.5/127) = q / 256 = [0.25, 0.496094, -0.375, 0.125]
 *   hh: q * 64 * (1/128) / 127 = q / 254 = [0.125984, -0.251969, 0.062992, 0.5]
 *   pre = [0.375984, 0.744125, -0.062008, 0.625]
 *   i = 0.592904, f = 0.677897, g = -0.061929, o = 0.651355
 *   c = 0.677897 * 0.25 + 0.592904 * -0.061929 = 0.132757
 *   h = 0.651355 * tanh(0.132757) = 0.085967, * 127 = 10.918 -> 11
 * (The fp64 reference: 0.085742.) */
static void test_int8_lstm_hand(void)
{
    rb_model m;
    rb_err e = {0};
    CHECK_INT(model_1unit(&m, RB_CELL_LSTM, 1, 1), 0);
    const float wi[4] = {0.5f, 127.0f / 128, -0.75f, 0.25f};
    const float wh[4] = {0.25f, -0.5f, 0.125f, 127.0f / 128};
    memcpy(m.layer[0].w_ih, wi, sizeof wi);
    memcpy(m.layer[0].w_hh, wh, sizeof wh);
    m.layer[0].b_ih[1] = 0.5f;
    m.layer[0].b_hh[2] = 0.25f;
    float x = 0.5f, h0 = 0.5f, c0 = 0.25f, y;
    rb_batch in = {1, 1, 1, &x, &h0, &c0, NULL};
    rb_asic_numerics n = {RB_ASIC_INT8, 32, RB_ASIC_PER_TENSOR};
    CHECK_INT(run_once(&m, n, &in, &y, &e), 0);
    CHECK_F(y, (float)(11 / 127.0));
    const int qi[4] = {64, 127, -96, 32}, qh[4] = {32, -64, 16, 127};
    const double b[4] = {0, 0.5, 0.25, 0};
    double p[4];
    for (int g = 0; g < 4; g++)
        p[g] = qi[g] / 256.0 + qh[g] / 254.0 + b[g];
    double c = sig(p[1]) * 0.25 + sig(p[0]) * tanh(p[2]);
    double h = sig(p[3]) * tanh(c);
    CHECK_NEAR(h * 127, 10.918, 0.001);
    /* Per channel every row of these [4, 1] matrices is one weight, its
     * own maximum: every code is +-127 and s_r = |w_r| / 127, so the terms
     * are w * 0.5 and w * 64/127, the values above again (these weights lie
     * on the per-tensor grid exactly): y = 11/127 once more. */
    n.weight_quant = RB_ASIC_PER_CHANNEL;
    CHECK_INT(run_once(&m, n, &in, &y, &e), 0);
    CHECK_F(y, (float)(11 / 127.0));
    rb_model_free(&m);
}

/* One-unit int8 GRU, T = 1, rows r, z, n; x = 0.5, h0 = 0.5.
 *   W_ih = [0.5, -0.25, 127/128]: s = 1/128 exactly, codes [64, -32, 127]
 *   W_hh = [127/128, 0.25, -0.75]: s = 1/128, codes [127, 32, -96]
 *   b_ih = [0, 0.25, 17/128], b_hh = [0.5, 0, 0.125]
 *   x codes 127 (s_x = 0.5/127); h0 63.5, a tie -> 64, stored as 64/127.
 *   ih: q / 256 = [0.25, -0.125, 0.49609375]
 *   hh: q * 64 / (128 * 127) = [0.5, 0.125984, -0.377953]
 *   r: 0.25 + 0.5 + 0.5 = 1.25 -> 0.777300;  z: 0.250984 -> 0.562419
 *   n row apart: xn = 0.49609375 + 17/128 = 0.62890625,
 *                hn = -0.377953 + 0.125 = -0.252953;
 *   n = tanh(0.62890625 + 0.777300 * -0.252953) = tanh(0.432286) = 0.407230
 *   h = (1 - z) n + z h0 with the stored h0 = 64/127 = 0.503937:
 *     0.461620, * 127 = 58.626 -> 59
 * The h0 the hardware does not keep (0.5) would give 58.345 -> 58; r on
 * the whole sum, tanh(r (xn + hn)), 51.8 -> 52; no r at all 55.96 -> 56.
 * (The fp64 reference: 0.460282, 58.46 codes.) */
static void test_int8_gru_hand(void)
{
    rb_model m;
    rb_err e = {0};
    CHECK_INT(model_1unit(&m, RB_CELL_GRU, 1, 1), 0);
    const float wi[3] = {0.5f, -0.25f, 127.0f / 128}, wh[3] = {127.0f / 128, 0.25f, -0.75f};
    const float bi[3] = {0, 0.25f, 17.0f / 128}, bh[3] = {0.5f, 0, 0.125f};
    memcpy(m.layer[0].w_ih, wi, sizeof wi);
    memcpy(m.layer[0].w_hh, wh, sizeof wh);
    memcpy(m.layer[0].b_ih, bi, sizeof bi);
    memcpy(m.layer[0].b_hh, bh, sizeof bh);
    float x = 0.5f, h0 = 0.5f, y;
    rb_batch in = {1, 1, 1, &x, &h0, NULL, NULL};
    rb_asic_numerics n = {RB_ASIC_INT8, 32, RB_ASIC_PER_TENSOR};
    CHECK_INT(run_once(&m, n, &in, &y, &e), 0);
    CHECK_F(y, (float)(59 / 127.0));
    const int qi[3] = {64, -32, 127}, qh[3] = {127, 32, -96};
    double ih[3], hh[3];
    for (int g = 0; g < 3; g++) {
        ih[g] = qi[g] / 256.0;
        hh[g] = qh[g] * 64 / (128.0 * 127);
    }
    double r = sig(ih[0] + hh[0] + 0.5), z = sig(ih[1] + hh[1] + 0.25);
    double ng = tanh(ih[2] + 17.0 / 128 + r * (hh[2] + 0.125));
    CHECK_NEAR(((1 - z) * ng + z * 64 / 127) * 127, 58.626, 0.001);
    CHECK_NEAR(((1 - z) * ng + z * 0.5) * 127, 58.345, 0.001);
    /* per channel: every row is one weight, codes +-127, s_r = |w_r| / 127:
     * the terms are w * 0.5 and w * 64/127, the values above again */
    n.weight_quant = RB_ASIC_PER_CHANNEL;
    CHECK_INT(run_once(&m, n, &in, &y, &e), 0);
    CHECK_F(y, (float)(59 / 127.0));
    /* the fp32 vector unit's order (asic_numerics.c's top) in fp32 numerics */
    n = (rb_asic_numerics){RB_ASIC_FP32, 32, RB_ASIC_PER_TENSOR};
    CHECK_INT(run_once(&m, n, &in, &y, &e), 0);
    volatile float pr = wi[0] * 0.5f + wh[0] * 0.5f + (bi[0] + bh[0]);
    volatile float pz = wi[1] * 0.5f + wh[1] * 0.5f + (bi[1] + bh[1]);
    float rf = 1.0f / (1.0f + expf(-pr)), zf = 1.0f / (1.0f + expf(-pz));
    volatile float pn = (wi[2] * 0.5f + bi[2]) + rf * (wh[2] * 0.5f + bh[2]);
    float nf = tanhf(pn);
    CHECK_F(y, (1.0f - zf) * nf + zf * 0.5f);
    /* linear_before_reset = 0 is not emulated (the target refuses it first) */
    m.reset_before = 1;
    rb_asic_qmodel *q = NULL;
    CHECK_INT(rb_asic_qmodel_new(&q, &m, &n, 1, 1, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "linear_before_reset=0");
    CHECK(q == NULL);
    rb_model_free(&m);
}

/* ---- bf16 by hand ------------------------------------------------------------------ */

/* One-unit bf16 RNN, I = 3, T = 2, x = [1, 1, 1] both steps, biases 0, h0 = 0.
 *   w_ih = [2^-9, 1 + 2^-7, -1] (exact in bf16), w_hh = 0.3 -> 0.30078125.
 * fp32 accumulator: acc_ih = 2^-9 + 1 + 2^-7 - 1 = 0.009765625 (exact in any order);
 *   t = 0: h = bf16(tanh(0.009765625) = 0.0097653146) = 160 * 2^-14 = 0.009765625
 *   t = 1: acc_hh = 0.30078125 * 0.009765625 = 0.0029373169 (exact),
 *          pre = 0.0127029419, tanh = 0.0127022587 = 208.11 * 2^-14 -> 0.0126953125
 * bf16 accumulator, partial sums rounded to 8 significant bits:
 *   2^-9; 2^-9 + 1 + 2^-7 = 1.009765625 -> 1.0078125 (1 + 1.25 ulp -> 1 ulp);
 *   1.0078125 - 1 = 0.0078125: the 2^-9 is lost.
 *   t = 0: h = bf16(tanh(2^-7) = 0.0078123411) = 2^-7 (255.995 * 2^-15 -> 256)
 *   t = 1: acc_hh = bf16(0.30078125 * 2^-7) = 0.002349853515625 (exact: a power of 2),
 *          pre = 0.010162353515625, tanh = 0.0101620037 = 166.494 * 2^-14 -> 166 * 2^-14
 *          = 0.0101318359375 */
static void test_bf16_rnn_hand(void)
{
    rb_model m;
    rb_err e = {0};
    CHECK_INT(model_1unit(&m, RB_CELL_RNN, 3, 2), 0);
    m.layer[0].w_ih[0] = 0x1p-9f;
    m.layer[0].w_ih[1] = 1.0f + 0x1p-7f;
    m.layer[0].w_ih[2] = -1.0f;
    m.layer[0].w_hh[0] = 0.3f;
    float x[6] = {1, 1, 1, 1, 1, 1}, y[2];
    rb_batch in = {2, 1, 3, x, NULL, NULL, NULL};
    rb_asic_numerics n = {RB_ASIC_BF16, 32, RB_ASIC_PER_TENSOR};
    CHECK_INT(run_once(&m, n, &in, y, &e), 0);
    CHECK_F(y[0], 0.009765625f);
    CHECK_F(y[1], 0.0126953125f);
    n.acc_bits = 16;
    CHECK_INT(run_once(&m, n, &in, y, &e), 0);
    CHECK_F(y[0], 0.0078125f);
    CHECK_F(y[1], 0.0101318359375f);
    /* fp32 keeps 0.3 and every bit of tanh */
    n = (rb_asic_numerics){RB_ASIC_FP32, 32, RB_ASIC_PER_TENSOR};
    CHECK_INT(run_once(&m, n, &in, y, &e), 0);
    /* volatile: the compiler would fold tanhf of a constant correctly
     * rounded, where libm's (which the code calls) may be an ulp off */
    volatile float p0 = 0.009765625f;
    float h0 = tanhf(p0);
    volatile float p1 = 0.009765625f + 0.3f * h0;
    CHECK_F(y[0], h0);
    CHECK_F(y[1], tanhf(p1));
    rb_model_free(&m);
}

/* One-unit bf16 LSTM, T = 1, fp32 accumulator; x = 0.7, h0 = 0.5, c0 = 0.1.
 *   W_ih = [0.5, 1, -0.75, 0.3 -> 0.30078125], W_hh = [0.2 -> 0.2001953125,
 *   -0.4 -> -0.400390625, 0.6 -> 0.6015625, 0.1 -> 0.10009765625],
 *   b_ih = [0.1, 0, 0, 0], b_hh = [0, 0.2, 0, 0] (fp32, not rounded);
 *   x -> 0.69921875, h0 = 0.5 exact; c0 stays the fp32 0.1 (the vector unit).
 *   ih = w * 0.69921875 = [0.349609375, 0.69921875, -0.5244140625, 0.2103118896]
 *   hh = w * 0.5 = [0.1000976563, -0.2001953125, 0.30078125, 0.0500488281]
 *   pre = [0.5497070551, 0.6990234256, -0.2236328125, 0.2603607178]
 *   i = 0.634068, f = 0.667971, g = -0.219978, o = 0.564725
 *   c = 0.667971 * 0.1 + 0.634068 * -0.219978 = -0.072684
 *   h = 0.564725 * tanh(-0.072684) = -0.0409742 = -167.83 * 2^-12 -> -168 * 2^-12
 *     = -0.041015625 */
static void test_bf16_lstm_hand(void)
{
    rb_model m;
    rb_err e = {0};
    CHECK_INT(model_1unit(&m, RB_CELL_LSTM, 1, 1), 0);
    const float wi[4] = {0.5f, 1.0f, -0.75f, 0.3f}, wh[4] = {0.2f, -0.4f, 0.6f, 0.1f};
    memcpy(m.layer[0].w_ih, wi, sizeof wi);
    memcpy(m.layer[0].w_hh, wh, sizeof wh);
    m.layer[0].b_ih[0] = 0.1f;
    m.layer[0].b_hh[1] = 0.2f;
    float x = 0.7f, h0 = 0.5f, c0 = 0.1f, y;
    rb_batch in = {1, 1, 1, &x, &h0, &c0, NULL};
    rb_asic_numerics n = {RB_ASIC_BF16, 32, RB_ASIC_PER_TENSOR};
    CHECK_INT(run_once(&m, n, &in, &y, &e), 0);
    CHECK_F(y, -0.041015625f);
    /* the hand numbers, recomputed in fp64 from the rounded weights */
    const double ri[4] = {0.5, 1, -0.75, 0.30078125};
    const double rh[4] = {0.2001953125, -0.400390625, 0.6015625, 0.10009765625};
    const double b[4] = {0.1, 0.2, 0, 0};
    double p[4];
    for (int g = 0; g < 4; g++)
        p[g] = ri[g] * 0.69921875 + rh[g] * 0.5 + b[g];
    double c = sig(p[1]) * (double)0.1f + sig(p[0]) * tanh(p[2]);
    CHECK_NEAR(sig(p[3]) * tanh(c) * 4096, -167.83, 0.01);
    rb_model_free(&m);
}

/* ---- the accumulator rule ------------------------------------------------------------ */

/* K = max over layers of in_l and H (two separate products); refused when
 * qmax^2 * K > 2^(acc_bits-1) - 1. */
static void test_overflow(void)
{
    struct {
        rb_asic_dtype d;
        int acc, I, H, L, proj, ok;
        const char *msg; /* what the refusal names */
    } cases[] = {
        /* int8, 16 bits: 127^2 = 16129, 2 * 16129 = 32258 <= 32767 < 3 * 16129 */
        {RB_ASIC_INT8, 16, 2, 1, 1, 1, 1, NULL},
        {RB_ASIC_INT8, 16, 1, 2, 1, 1, 1, NULL},
        {RB_ASIC_INT8, 16, 3, 1, 1, 1, 0, "K = 3"},
        {RB_ASIC_INT8, 16, 1, 3, 1, 1, 0, "K = 3"}, /* the recurrent product */
        {RB_ASIC_INT8, 16, 2, 2, 1, 1, 1, NULL},    /* in + H = 4, but separate products */
        /* layer 1's input is H wide */
        {RB_ASIC_INT8, 16, 1, 2, 2, 1, 1, NULL},
        /* no input projection: only H counts */
        {RB_ASIC_INT8, 16, 0, 2, 1, 0, 1, NULL},
        {RB_ASIC_INT8, 16, 0, 3, 1, 0, 0, "K = 3"},
        /* int16, 32 bits: 32767^2 = 1073676289; * 2 = 2147352578 <= 2^31 - 1
         * = 2147483647, * 3 is over */
        {RB_ASIC_INT16, 32, 2, 2, 1, 1, 1, NULL},
        {RB_ASIC_INT16, 32, 3, 2, 1, 1, 0, "K = 3"},
        /* int8, 32 bits: (2^31 - 1) / 16129 = 133144.25 */
        {RB_ASIC_INT8, 32, 133144, 1, 1, 1, 1, NULL},
        {RB_ASIC_INT8, 32, 133145, 1, 1, 1, 0, "K = 133145"},
        {RB_ASIC_INT8, 33, 133145, 1, 1, 1, 1, NULL},
        /* int16, 48 bits: (2^47 - 1) / 1073676289 = 131080.0004 */
        {RB_ASIC_INT16, 48, 131080, 1, 1, 1, 1, NULL},
        {RB_ASIC_INT16, 48, 131081, 1, 1, 1, 0, "K = 131081"},
        /* 64 bits holds far more, but the emulation's fp64 sums are exact
         * only up to 2^53: 2^53 / 1073676289 = 8389120.02 */
        {RB_ASIC_INT16, 64, 131081, 1, 1, 1, 1, NULL},
        {RB_ASIC_INT16, 64, 8389121, 1, 1, 1, 0, "2^53"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        rb_workload w =
            rb_test_workload(RB_CELL_RNN, 1, 1, cases[k].I, cases[k].H, cases[k].L, cases[k].proj);
        rb_model m;
        rb_err e = {0};
        CHECK_INT(rb_model_alloc(&m, &w, &e), 0);
        rb_asic_numerics n = {cases[k].d, cases[k].acc, RB_ASIC_PER_TENSOR};
        rb_asic_qmodel *q = NULL;
        int rc = rb_asic_qmodel_new(&q, &m, &n, 1, 1, &e);
        CHECK_INT(rc, cases[k].ok ? 0 : RB_EUNAVAIL);
        if (!cases[k].ok) {
            CHECK(q == NULL);
            CHECK_STR_HAS(e.msg, cases[k].msg);
            CHECK_STR_HAS(e.msg, rb_asic_dtype_name(cases[k].d));
            char acc[32];
            snprintf(acc, sizeof acc, "%d-bit", cases[k].acc);
            CHECK_STR_HAS(e.msg, acc);
        } else if (rc == 0) {
            /* and a forward runs (all zero weights: y = 0) */
            size_t nx = (size_t)(cases[k].proj ? cases[k].I : cases[k].H);
            float *x = calloc(nx, sizeof *x), y[3] = {1, 1, 1};
            rb_batch in = {1, 1, (int)nx, x, NULL, NULL, NULL};
            CHECK_INT(rb_asic_forward(q, &in, y, &e), 0);
            CHECK_F(y[0], 0.0f);
            free(x);
        }
        rb_asic_qmodel_free(q);
        rb_model_free(&m);
    }
    /* the message names the numbers, as the one a user gets */
    rb_workload w = rb_test_workload(RB_CELL_LSTM, 1, 1, 16, 1024, 1, 1);
    rb_model m;
    rb_err e = {0};
    rb_asic_qmodel *q = NULL;
    CHECK_INT(rb_model_alloc(&m, &w, &e), 0);
    rb_asic_numerics n = {RB_ASIC_INT16, 32, RB_ASIC_PER_CHANNEL};
    CHECK_INT(rb_asic_qmodel_new(&q, &m, &n, 1, 1, &e), RB_EUNAVAIL);
    printf("  overflow refusal: %s\n", e.msg);
    CHECK_STR_HAS(e.msg, "int16 with a 32-bit accumulator");
    CHECK_STR_HAS(e.msg, "K = 1024");
    CHECK_STR_HAS(e.msg, "K = 2");
    rb_model_free(&m);
}

/* ---- the naive emulator --------------------------------------------------------------- */

/* The header's scheme, loop by loop, with the vector-unit order of
 * asic_numerics.c's top comment: integer sums in int64 (no BLAS), the
 * 16-bit accumulator rounded by round_ref, the fp32 accumulator summed in
 * index order (the code uses OpenBLAS's order: compare with a tolerance). */
typedef struct emu {
    rb_asic_numerics n;
    int qmax;
} emu;

static float emu_scale(double max_abs, int qmax)
{
    if (!(max_abs > 0))
        return 1.0f;
    float s = (float)(max_abs / qmax);
    return s > 0 ? s : FLT_TRUE_MIN;
}

static int64_t emu_code(double v, double s, int qmax)
{
    double r = nearbyint(v / s);
    return (int64_t)(r > qmax ? qmax : r < -qmax ? -qmax : r);
}

static float emu_round(const emu *u, float v)
{
    switch (u->n.dtype) {
    case RB_ASIC_BF16: return (float)ref_bf16(v);
    case RB_ASIC_FP16: return (float)ref_fp16(v);
    default: return v;
    }
}

static double emu_round_d(const emu *u, double v)
{
    return u->n.dtype == RB_ASIC_BF16 ? ref_bf16(v) : ref_fp16(v);
}

static float emu_clip(float v, float k) { return v > k ? k : v < -k ? -k : v; }

/* Unit by unit as model.h describes the stack: layer l's unit d reads the
 * whole stored output of layer l-1 (both directions, D*H wide) and writes
 * columns d*H of its own layer's; a reversed unit walks t = T-1 .. 0; a
 * row past its length stores zeros and keeps h and c. */
static void emulate(const rb_model *m, rb_asic_numerics n, const rb_batch *in, float *y)
{
    emu u = {n, n.dtype == RB_ASIC_INT8 ? 127 : 32767};
    const int T = in->seq, B = in->batch, H = m->hidden, G = rb_cell_gates(m->cell), GH = G * H;
    const int D = m->dirs == 2 ? 2 : 1, DH = D * H;
    const int is_int = rb_asic_dtype_is_int(n.dtype);
    const size_t TB = (size_t)T * B;
    const float kc = m->clip > 0 ? m->clip : INFINITY;
    /* the layer input as stored values (floats) and, for int, codes */
    int width = m->input_proj ? m->input : GH, wmax = width > DH ? width : DH;
    float *xs = malloc(TB * (size_t)wmax * sizeof *xs);
    int64_t *xc = malloc(TB * (size_t)wmax * sizeof *xc);
    float *hs = malloc(TB * (size_t)DH * sizeof *hs);
    int64_t *hc = malloc(TB * (size_t)DH * sizeof *hc);
    float *c = malloc((size_t)B * H * sizeof *c), *hprev = malloc((size_t)B * H * sizeof *hprev);
    int64_t *hprevc = malloc((size_t)B * H * sizeof *hprevc);
    /* per row: the input term and the recurrent term, then what the cell
     * takes (a GRU's n rows keep the two apart: xn in pre, hn) */
    float *gx = malloc((size_t)GH * sizeof *gx), *gh = malloc((size_t)GH * sizeof *gh);
    float *pre = malloc((size_t)GH * sizeof *pre), *hn = malloc((size_t)H * sizeof *hn);
    float s_x = 1.0f;
    if (is_int && m->input_proj) {
        /* calibrated on the steps the rows run */
        double mx = 0;
        for (size_t k = 0; k < TB * (size_t)width; k++) {
            int t = (int)(k / ((size_t)B * width)), b = (int)(k / (size_t)width % (size_t)B);
            if (!in->lens || t < in->lens[b])
                mx = fabs(in->x[k]) > mx ? fabs(in->x[k]) : mx;
        }
        s_x = emu_scale(mx, u.qmax);
    }
    for (size_t k = 0; k < TB * (size_t)width; k++) {
        xs[k] = m->input_proj ? emu_round(&u, in->x[k]) : in->x[k];
        xc[k] = is_int && m->input_proj ? emu_code(in->x[k], s_x, u.qmax) : 0;
    }
    for (int l = 0; l < m->layers; l++) {
        const int xw = l == 0 ? width : DH;
        for (int d = 0; d < D; d++) {
            const rb_layer *ly = &m->layer[l * D + d];
            const int I = ly->in;
            size_t BH = (size_t)B * H, u0 = (size_t)(l * D + d) * BH;
            /* weight scales per row (or one), codes / rounded values on the fly */
            float *s_ih = malloc((size_t)GH * sizeof *s_ih),
                  *s_hh = malloc((size_t)GH * sizeof *s_hh);
            double all_ih = 0, all_hh = 0;
            for (size_t k = 0; k < (size_t)GH * I; k++)
                all_ih = fabs(ly->w_ih[k]) > all_ih ? fabs(ly->w_ih[k]) : all_ih;
            for (size_t k = 0; k < (size_t)GH * H; k++)
                all_hh = fabs(ly->w_hh[k]) > all_hh ? fabs(ly->w_hh[k]) : all_hh;
            for (int r = 0; r < GH; r++) {
                double mi = 0, mh = 0;
                for (int k = 0; k < I; k++)
                    mi = fabs(ly->w_ih[(size_t)r * I + k]) > mi ? fabs(ly->w_ih[(size_t)r * I + k])
                                                                : mi;
                for (int k = 0; k < H; k++)
                    mh = fabs(ly->w_hh[(size_t)r * H + k]) > mh ? fabs(ly->w_hh[(size_t)r * H + k])
                                                                : mh;
                int pc = n.weight_quant == RB_ASIC_PER_CHANNEL;
                s_ih[r] = emu_scale(pc ? mi : all_ih, u.qmax);
                s_hh[r] = emu_scale(pc ? mh : all_hh, u.qmax);
            }
            for (size_t k = 0; k < BH; k++) {
                float h0 = in->h0 ? in->h0[u0 + k] : 0.0f;
                hprevc[k] = is_int ? emu_code((double)h0 * u.qmax, 1.0, u.qmax) : 0;
                /* the stored h0 (the GRU's z * h reads it) */
                hprev[k] = is_int ? (float)((double)hprevc[k] / u.qmax) : emu_round(&u, h0);
                c[k] = m->cell == RB_CELL_LSTM && in->c0 ? in->c0[u0 + k] : 0.0f;
            }
            for (int st = 0; st < T; st++) {
                const int t = ly->reverse ? T - 1 - st : st;
                for (int b = 0; b < B; b++) {
                    size_t row = (size_t)t * B + b;
                    if (in->lens && t >= in->lens[b]) {
                        for (int j = 0; j < H; j++) {
                            hs[row * DH + (size_t)d * H + j] = 0;
                            hc[row * DH + (size_t)d * H + j] = 0;
                        }
                        continue;
                    }
                    const float *xv = xs + row * (size_t)xw;
                    const int64_t *xq = xc + row * (size_t)xw;
                    float *hp = hprev + (size_t)b * H;
                    int64_t *hq = hprevc + (size_t)b * H;
                    for (int r = 0; r < GH; r++) {
                        const float *wi = ly->w_ih ? ly->w_ih + (size_t)r * I : NULL;
                        const float *wh = ly->w_hh + (size_t)r * H;
                        if (is_int) {
                            int64_t ai = 0, ah = 0;
                            for (int k = 0; k < I; k++)
                                ai += emu_code(wi[k], s_ih[r], u.qmax) * xq[k];
                            for (int k = 0; k < H; k++)
                                ah += emu_code(wh[k], s_hh[r], u.qmax) * hq[k];
                            float sc_hh = (float)((double)s_hh[r] / u.qmax);
                            float sc_ih = l == 0 ? (float)((double)s_ih[r] * s_x)
                                                 : (float)((double)s_ih[r] / u.qmax);
                            gx[r] = I ? sc_ih * (float)ai : xv[r];
                            gh[r] = sc_hh * (float)ah;
                        } else if (n.acc_bits == 16) {
                            double ai = 0, ah = 0;
                            for (int k = 0; k < I; k++)
                                ai = emu_round_d(&u, ai + (double)emu_round(&u, wi[k]) * xv[k]);
                            for (int k = 0; k < H; k++)
                                ah = emu_round_d(&u, ah + (double)emu_round(&u, wh[k]) * hp[k]);
                            gx[r] = I ? (float)ai : xv[r];
                            gh[r] = (float)ah;
                        } else {
                            float ai = 0, ah = 0;
                            for (int k = 0; k < I; k++)
                                ai += emu_round(&u, wi[k]) * xv[k];
                            for (int k = 0; k < H; k++)
                                ah += emu_round(&u, wh[k]) * hp[k];
                            gx[r] = I ? ai : xv[r];
                            gh[r] = ah;
                        }
                        if (m->cell == RB_CELL_GRU && r >= 2 * H) {
                            pre[r] = gx[r] + ly->b_ih[r];
                            hn[r - 2 * H] = gh[r] + ly->b_hh[r];
                        } else {
                            pre[r] = gx[r] + gh[r] + (ly->b_ih[r] + ly->b_hh[r]);
                        }
                    }
                    float *cb = c + (size_t)b * H;
                    const float *pv = ly->p;
                    for (int j = 0; j < H; j++) {
                        float h;
                        if (m->cell == RB_CELL_GRU) {
                            float rg = 1.0f / (1.0f + expf(-emu_clip(pre[j], kc)));
                            float zg = 1.0f / (1.0f + expf(-emu_clip(pre[H + j], kc)));
                            float ng = tanhf(emu_clip(pre[2 * H + j] + rg * hn[j], kc));
                            h = (1.0f - zg) * ng + zg * hp[j]; /* hp: the stored h_{t-1} */
                        } else if (m->cell == RB_CELL_LSTM) {
                            float ai = pre[j], af = pre[H + j];
                            if (pv) {
                                ai += pv[j] * cb[j];
                                af += pv[H + j] * cb[j];
                            }
                            float ig = 1.0f / (1.0f + expf(-emu_clip(ai, kc)));
                            float fg = m->input_forget ? 1.0f - ig
                                                       : 1.0f / (1.0f + expf(-emu_clip(af, kc)));
                            float gg = tanhf(emu_clip(pre[2 * H + j], kc));
                            cb[j] = fg * cb[j] + ig * gg;
                            float ao = pre[3 * H + j];
                            if (pv)
                                ao += pv[2 * H + j] * cb[j];
                            float og = 1.0f / (1.0f + expf(-emu_clip(ao, kc)));
                            h = og * tanhf(cb[j]);
                        } else {
                            h = tanhf(emu_clip(pre[j], kc));
                        }
                        size_t o = row * DH + (size_t)d * H + j;
                        hc[o] = is_int ? emu_code((double)h * u.qmax, 1.0, u.qmax) : 0;
                        hs[o] = is_int ? (float)((double)hc[o] / u.qmax) : emu_round(&u, h);
                        /* the next step reads this step's stored h */
                        hp[j] = hs[o];
                        hq[j] = hc[o];
                    }
                }
            }
            free(s_ih);
            free(s_hh);
        }
        memcpy(xs, hs, TB * (size_t)DH * sizeof *xs);
        memcpy(xc, hc, TB * (size_t)DH * sizeof *xc);
    }
    memcpy(y, hs, TB * (size_t)DH * sizeof *y);
    free(xs);
    free(xc);
    free(hs);
    free(hc);
    free(c);
    free(hprev);
    free(hprevc);
    free(gx);
    free(gh);
    free(pre);
    free(hn);
}

/* A seeded case: model, input, states, fp64 reference. */
typedef struct qcase {
    rb_cell cell;
    int T, B, I, H, L, with_state, proj;
} qcase;

typedef struct fix {
    rb_workload w;
    rb_model m;
    float *x, *h0, *c0, *y;
    int *lens;
    double *ref;
    rb_batch in;
    size_t ny;
} fix;

/* The target's output f->y against the naive emulator's ye: bit for bit
 * where the format makes the sum exact (integers, 16-bit accumulators),
 * else within a few ulps of the stored type (the fp32 accumulator's order
 * shows as an ulp now and then, fed forward). */
static void check_emulated(const fix *f, rb_asic_numerics n, const float *ye, const char *what)
{
    int exact = rb_asic_dtype_is_int(n.dtype) || n.acc_bits == 16;
    double worst = 0;
    size_t differ = 0;
    for (size_t i = 0; i < f->ny; i++) {
        differ += !same_float(f->y[i], ye[i]);
        worst = fabs(f->y[i] - ye[i]) > worst ? fabs(f->y[i] - ye[i]) : worst;
    }
    double tol = n.dtype == RB_ASIC_BF16 ? 0x1p-5 : n.dtype == RB_ASIC_FP16 ? 0x1p-8 : 1e-5;
    char name[64];
    if (exact)
        CHECK_INT(differ, 0);
    else
        CHECK(worst <= tol);
    if (exact ? differ != 0 : worst > tol)
        fprintf(stderr, "  emulator %s %s %s: %zu of %zu differ, worst %g\n", what, f->w.key,
                rb_asic_numerics_name(&n, name, sizeof name), differ, f->ny, worst);
}

#define FEAT_CLIP 0.3f /* low enough that these shapes' pre-activations reach it */

/* A case with directions (dirs 2) and features (RB_FEAT_*): the clip at
 * FEAT_CLIP; row lengths the full length, 0, and between. */
static int fix_init_feat(fix *f, const qcase *q, int dirs, unsigned feat, uint64_t seed,
                         int want_ref)
{
    rb_err e = {0};
    memset(f, 0, sizeof *f);
    f->w = rb_test_workload(q->cell, q->T, q->B, q->I, q->H, q->L, q->proj);
    f->w.dirs = dirs;
    f->w.features = feat;
    rb_workload_make_key(&f->w);
    if (rb_model_alloc(&f->m, &f->w, &e))
        return -1;
    rb_model_init_seeded(&f->m, seed);
    f->m.clip = feat & RB_FEAT_CLIP ? FEAT_CLIP : 0.0f;
    f->m.input_forget = (feat & RB_FEAT_INPUT_FORGET) != 0;
    f->x = rb_make_input(&f->w, seed + 1, &e);
    if (q->with_state) {
        /* states in (-1, 1) like the inputs, from other seeds */
        rb_workload ws = rb_test_workload(q->cell, q->L * dirs, q->B, q->H, q->H, 1, 1);
        f->h0 = rb_make_input(&ws, seed + 2, &e);
        f->c0 = q->cell == RB_CELL_LSTM ? rb_make_input(&ws, seed + 3, &e) : NULL;
    }
    if (feat & RB_FEAT_SEQ_LENS) {
        f->lens = malloc((size_t)q->B * sizeof *f->lens);
        for (int b = 0; f->lens && b < q->B; b++)
            f->lens[b] = b == 0 ? q->T : b == 1 ? 0 : 1 + (int)((seed + (uint64_t)b) % q->T);
    }
    f->ny = (size_t)q->T * q->B * dirs * q->H;
    f->y = calloc(f->ny, sizeof *f->y);
    f->ref = calloc(f->ny, sizeof *f->ref);
    f->in = (rb_batch){q->T, q->B, rb_workload_x_width(&f->w), f->x, f->h0, f->c0, f->lens};
    if (!f->x || !f->y || !f->ref || ((feat & RB_FEAT_SEQ_LENS) && !f->lens))
        return -1;
    if (want_ref && rb_ref_forward(&f->m, &f->in, f->ref, NULL, NULL, &e))
        return -1;
    return 0;
}

static int fix_init(fix *f, const qcase *q, uint64_t seed, int want_ref)
{
    return fix_init_feat(f, q, 1, 0, seed, want_ref);
}

static void fix_free(fix *f)
{
    rb_model_free(&f->m);
    free(f->x);
    free(f->h0);
    free(f->c0);
    free(f->lens);
    free(f->y);
    free(f->ref);
}

/* Small random models, every numerics, against the emulator: bit for bit
 * for the integer types and the 16-bit accumulator, within a few ulps of
 * the type (summation order) for the fp32 accumulator.  Also: a qmodel
 * prepared for more than the batch, used twice, gives the same bits. */
static void test_against_emulator(void)
{
    static const qcase cases[] = {
        {RB_CELL_LSTM, 4, 3, 5, 7, 2, 1, 1},
        {RB_CELL_RNN, 6, 2, 9, 4, 3, 1, 1},
        {RB_CELL_LSTM, 3, 2, 0, 6, 2, 1, 0},
        {RB_CELL_RNN, 5, 1, 0, 5, 1, 0, 0},
        {RB_CELL_LSTM, 5, 2, 19, 9, 1, 0, 1},
        {RB_CELL_RNN, 7, 3, 11, 13, 2, 0, 1},
        /* G*H = 268: two column tiles of the 16-bit accumulator's loop, the
         * second with a vector part and a scalar tail; T*B = 9: two row tiles */
        {RB_CELL_LSTM, 3, 3, 10, 67, 1, 1, 1},
        {RB_CELL_GRU, 4, 3, 5, 7, 2, 1, 1},
        {RB_CELL_GRU, 3, 2, 0, 6, 2, 1, 0},
        {RB_CELL_GRU, 6, 2, 19, 9, 1, 0, 1},
        {RB_CELL_GRU, 3, 3, 10, 90, 1, 1, 1}, /* G*H = 270, two column tiles again */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        fix f;
        CHECK_INT(fix_init(&f, &cases[k], 300 + k, 0), 0);
        float *ye = malloc(f.ny * sizeof *ye), *y2 = malloc(f.ny * sizeof *y2);
        for (size_t ni = 0; ni < N_ALL; ni++) {
            rb_asic_numerics n = k_all[ni];
            rb_err e = {0};
            rb_asic_qmodel *q = NULL;
            CHECK_INT(rb_asic_qmodel_new(&q, &f.m, &n, f.in.seq + 3, f.in.batch + 2, &e), 0);
            if (!q)
                continue;
            CHECK_INT(rb_asic_forward(q, &f.in, f.y, &e), 0);
            CHECK_INT(rb_asic_forward(q, &f.in, y2, &e), 0);
            CHECK(memcmp(f.y, y2, f.ny * sizeof *y2) == 0);
            rb_asic_qmodel_free(q);
            emulate(&f.m, n, &f.in, ye);
            check_emulated(&f, n, ye, "");
        }
        free(ye);
        free(y2);
        fix_free(&f);
    }
}

/* The 16-bit accumulator where the 16-bit types are hard: partial sums
 * through subnormal fp16, cancellation, sums beyond 65504 (inf, NaN from
 * inf - inf in the gates) — against the emulator, NaN for NaN. */
static void test_acc16_extremes(void)
{
    for (int d = 0; d < 2; d++)
        for (int scale = 0; scale < 3; scale++) {
            qcase qc = {RB_CELL_RNN, 3, 2, 33, 17, 1, 0, 1};
            fix f;
            CHECK_INT(fix_init(&f, &qc, 900 + scale, 0), 0);
            /* scale 0: tiny weights (fp16 subnormal weights, products and
             * sums); 1: huge weights (beyond 65504: inf in fp16, inf - inf
             * in the sums); 2: large and tiny mixed */
            for (size_t k = 0; k < (size_t)17 * 33; k++)
                f.m.layer[0].w_ih[k] *= scale == 0   ? 1e-4f
                                        : scale == 1 ? 3e5f
                                                     : (k % 2 ? 3e3f : 1e-5f);
            for (size_t k = 0; k < (size_t)17 * 17; k++)
                f.m.layer[0].w_hh[k] *= scale == 0 ? 1e-3f : 1.0f;
            rb_asic_numerics n = {d ? RB_ASIC_BF16 : RB_ASIC_FP16, 16, RB_ASIC_PER_TENSOR};
            float *ye = malloc(f.ny * sizeof *ye);
            rb_err e = {0};
            CHECK_INT(run_once(&f.m, n, &f.in, f.y, &e), 0);
            emulate(&f.m, n, &f.in, ye);
            size_t differ = 0, nan = 0;
            for (size_t i = 0; i < f.ny; i++) {
                differ += !same_float(f.y[i], ye[i]);
                nan += isnan(f.y[i]);
            }
            if (differ)
                fprintf(stderr, "  acc16 extremes %s scale %d: %zu differ\n",
                        rb_asic_dtype_name(n.dtype), scale, differ);
            CHECK_INT(differ, 0);
            if (d == 0 && scale == 1)
                CHECK(nan > 0); /* fp16 sums overflowed: inf - inf in the sums */
            free(ye);
            fix_free(&f);
        }
}

/* ---- quality against the reference ------------------------------------------------- */

static void test_quality(void)
{
    static const qcase cases[] = {
        {RB_CELL_LSTM, 1, 1, 3, 2, 1, 0, 1},      {RB_CELL_LSTM, 50, 1, 32, 64, 1, 0, 1},
        {RB_CELL_LSTM, 10, 2, 40, 24, 3, 1, 1},   {RB_CELL_LSTM, 50, 3, 100, 200, 2, 0, 1},
        {RB_CELL_LSTM, 25, 4, 128, 256, 1, 0, 1}, {RB_CELL_LSTM, 50, 4, 256, 128, 3, 1, 1},
        {RB_CELL_LSTM, 30, 2, 0, 128, 2, 1, 0},   {RB_CELL_RNN, 50, 2, 16, 64, 1, 0, 1},
        {RB_CELL_RNN, 30, 4, 256, 96, 3, 1, 1},   {RB_CELL_RNN, 50, 1, 200, 256, 2, 0, 1},
        {RB_CELL_RNN, 5, 3, 7, 5, 1, 1, 1},       {RB_CELL_RNN, 40, 2, 0, 64, 1, 1, 0},
        {RB_CELL_GRU, 1, 1, 3, 2, 1, 0, 1},       {RB_CELL_GRU, 50, 1, 32, 64, 1, 0, 1},
        {RB_CELL_GRU, 10, 2, 40, 24, 3, 1, 1},    {RB_CELL_GRU, 50, 3, 100, 200, 2, 0, 1},
        {RB_CELL_GRU, 25, 4, 128, 256, 1, 0, 1},  {RB_CELL_GRU, 50, 4, 256, 128, 3, 1, 1},
        {RB_CELL_GRU, 30, 2, 0, 128, 2, 1, 0},
    };
#define N_CASES (sizeof cases / sizeof cases[0])
    double worst[N_ALL][RB_CELL_COUNT] = {{0}};
    for (size_t k = 0; k < N_CASES; k++) {
        const qcase *q = &cases[k];
        fix f;
        CHECK_INT(fix_init(&f, q, 77 + k, 1), 0);
        double big = 0;
        for (size_t i = 0; i < f.ny; i++)
            big = fabs(f.ref[i]) > big ? fabs(f.ref[i]) : big;
        CHECK(big > 0.02); /* the outputs are not trivially small */
        printf("  quality %-4s T=%-2d B=%d I=%-3d H=%-3d L=%d%s%s (max |ref| %.3f):\n",
               rb_cell_name(q->cell), q->T, q->B, q->I, q->H, q->L, q->with_state ? " h0/c0" : "",
               q->proj ? "" : " no-proj", big);
        for (size_t ni = 0; ni < N_ALL; ni++) {
            rb_asic_numerics n = k_all[ni];
            rb_err e = {0};
            char name[64];
            CHECK_INT(run_once(&f.m, n, &f.in, f.y, &e), 0);
            rb_errstat st;
            rb_compare(f.y, f.ref, f.ny, &st);
            double bound = rb_asic_quality_bound(&n);
            printf("    %-28s max |y - ref| = %.2e (bound %.1e)\n",
                   rb_asic_numerics_name(&n, name, sizeof name), st.max_abs, bound);
            CHECK_INT(st.nonfinite, 0);
            CHECK(st.max_abs <= bound);
            double *wc = &worst[ni][q->cell];
            *wc = st.max_abs > *wc ? st.max_abs : *wc;
            if (n.dtype == RB_ASIC_FP32) {
                /* the harness's rule for fp32 results */
                double tol = rb_fp32_tolerance(&f.w, 0);
                CHECK(st.max_rel <= tol);
                if (st.max_rel > tol)
                    fprintf(stderr, "    fp32 max_rel %.2e over the fp32 bound %.2e\n", st.max_rel,
                            tol);
            }
        }
        fix_free(&f);
    }
    printf("  quality summary (worst max |y - ref|: lstm, rnn, gru; bound):\n");
    for (size_t ni = 0; ni < N_ALL; ni++) {
        char name[64];
        printf("    %-28s %.2e  %.2e  %.2e  %.1e\n",
               rb_asic_numerics_name(&k_all[ni], name, sizeof name), worst[ni][RB_CELL_LSTM],
               worst[ni][RB_CELL_RNN], worst[ni][RB_CELL_GRU], rb_asic_quality_bound(&k_all[ni]));
    }
}

/* fp32 numerics on the fp32 targets' kind of battery (small, odd shapes,
 * h0/c0, no input projection) under the harness's bound. */
static void test_fp32_bound(void)
{
    static const qcase cases[] = {
        {RB_CELL_LSTM, 5, 1, 32, 32, 1, 0, 1},    {RB_CELL_LSTM, 1, 3, 16, 16, 1, 0, 1},
        {RB_CELL_LSTM, 4, 2, 24, 24, 3, 0, 1},    {RB_CELL_LSTM, 6, 2, 10, 20, 1, 0, 1},
        {RB_CELL_LSTM, 6, 3, 40, 12, 2, 0, 1},    {RB_CELL_LSTM, 5, 2, 8, 16, 2, 1, 1},
        {RB_CELL_LSTM, 5, 2, 16, 16, 2, 0, 0},    {RB_CELL_LSTM, 4, 1, 8, 8, 1, 1, 0},
        {RB_CELL_RNN, 7, 1, 9, 17, 1, 0, 1},      {RB_CELL_RNN, 7, 2, 9, 17, 2, 0, 1},
        {RB_CELL_RNN, 5, 3, 33, 8, 2, 1, 1},      {RB_CELL_RNN, 6, 2, 12, 12, 2, 0, 0},
        {RB_CELL_LSTM, 25, 4, 256, 256, 1, 0, 1}, {RB_CELL_GRU, 5, 1, 32, 32, 1, 0, 1},
        {RB_CELL_GRU, 6, 2, 10, 20, 2, 1, 1},     {RB_CELL_GRU, 6, 3, 40, 12, 1, 0, 1},
        {RB_CELL_GRU, 5, 2, 16, 16, 2, 1, 0},     {RB_CELL_GRU, 25, 4, 256, 256, 1, 0, 1},
    };
    double worst = 0;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        fix f;
        rb_err e = {0};
        CHECK_INT(fix_init(&f, &cases[k], 1000 + k, 1), 0);
        rb_asic_numerics n = {RB_ASIC_FP32, 32, RB_ASIC_PER_TENSOR};
        CHECK_INT(run_once(&f.m, n, &f.in, f.y, &e), 0);
        rb_errstat st;
        rb_compare(f.y, f.ref, f.ny, &st);
        double tol = rb_fp32_tolerance(&f.w, 0);
        CHECK_INT(st.nonfinite, 0);
        CHECK(st.max_rel <= tol);
        if (st.max_rel / tol > worst)
            worst = st.max_rel / tol;
        fix_free(&f);
    }
    printf("  fp32 numerics: worst max_rel %.3f of rb_fp32_tolerance over %zu shapes\n", worst,
           sizeof cases / sizeof cases[0]);
}

/* ---- what imported models add ---------------------------------------------------------- */

typedef struct fcase {
    const char *what;
    qcase q;
    int dirs;
    unsigned feat;
} fcase;

static const fcase k_fcases[] = {
    {"bidirectional", {RB_CELL_LSTM, 12, 3, 20, 32, 2, 1, 1}, 2, RB_FEAT_BIDIR},
    {"rnn bidirectional", {RB_CELL_RNN, 15, 2, 24, 40, 2, 0, 1}, 2, RB_FEAT_BIDIR},
    {"rnn bidir no-proj", {RB_CELL_RNN, 10, 2, 0, 24, 2, 1, 0}, 2, RB_FEAT_BIDIR},
    {"reverse", {RB_CELL_LSTM, 12, 3, 20, 32, 2, 1, 1}, 1, RB_FEAT_REVERSE},
    {"rnn reverse", {RB_CELL_RNN, 15, 2, 24, 40, 2, 1, 1}, 1, RB_FEAT_REVERSE},
    {"clip", {RB_CELL_LSTM, 12, 3, 20, 32, 2, 0, 1}, 1, RB_FEAT_CLIP},
    {"rnn clip", {RB_CELL_RNN, 15, 2, 24, 40, 1, 1, 1}, 1, RB_FEAT_CLIP},
    {"lengths", {RB_CELL_LSTM, 12, 4, 20, 32, 2, 1, 1}, 1, RB_FEAT_SEQ_LENS},
    {"rnn lengths", {RB_CELL_RNN, 15, 4, 24, 40, 1, 1, 1}, 1, RB_FEAT_SEQ_LENS},
    {"peepholes", {RB_CELL_LSTM, 12, 3, 20, 32, 2, 1, 1}, 1, RB_FEAT_PEEPHOLES},
    {"input_forget", {RB_CELL_LSTM, 12, 3, 20, 32, 2, 1, 1}, 1, RB_FEAT_INPUT_FORGET},
    {"reverse lengths",
     {RB_CELL_LSTM, 9, 4, 8, 16, 1, 1, 1},
     1,
     RB_FEAT_REVERSE | RB_FEAT_SEQ_LENS},
    {"bidir peep clip lengths",
     {RB_CELL_LSTM, 7, 3, 5, 13, 2, 1, 1},
     2,
     RB_FEAT_BIDIR | RB_FEAT_PEEPHOLES | RB_FEAT_CLIP | RB_FEAT_SEQ_LENS},
    {"bidir input_forget 3 layers",
     {RB_CELL_LSTM, 6, 1, 6, 8, 3, 0, 1},
     2,
     RB_FEAT_BIDIR | RB_FEAT_INPUT_FORGET},
    {"gru bidirectional", {RB_CELL_GRU, 12, 3, 20, 32, 2, 1, 1}, 2, RB_FEAT_BIDIR},
    {"gru bidir no-proj", {RB_CELL_GRU, 10, 2, 0, 24, 2, 1, 0}, 2, RB_FEAT_BIDIR},
    {"gru reverse", {RB_CELL_GRU, 15, 2, 24, 40, 2, 1, 1}, 1, RB_FEAT_REVERSE},
    {"gru clip", {RB_CELL_GRU, 12, 3, 20, 32, 2, 0, 1}, 1, RB_FEAT_CLIP},
    {"gru lengths", {RB_CELL_GRU, 12, 4, 20, 32, 2, 1, 1}, 1, RB_FEAT_SEQ_LENS},
    {"gru reverse clip lengths",
     {RB_CELL_GRU, 9, 4, 8, 16, 1, 1, 1},
     1,
     RB_FEAT_REVERSE | RB_FEAT_CLIP | RB_FEAT_SEQ_LENS},
    {"gru bidir clip lengths 3 layers",
     {RB_CELL_GRU, 7, 3, 5, 13, 3, 1, 1},
     2,
     RB_FEAT_BIDIR | RB_FEAT_CLIP | RB_FEAT_SEQ_LENS},
};
#define N_FCASES (sizeof k_fcases / sizeof k_fcases[0])

/* Every feature, every numerics, against the naive emulator: bit for bit
 * where test_against_emulator asks it, within its tolerance where the fp32
 * accumulator's order shows. */
static void test_features_against_emulator(void)
{
    for (size_t k = 0; k < N_FCASES; k++) {
        const fcase *fc = &k_fcases[k];
        fix f;
        CHECK_INT(fix_init_feat(&f, &fc->q, fc->dirs, fc->feat, 3000 + k, 0), 0);
        float *ye = malloc(f.ny * sizeof *ye);
        for (size_t ni = 0; ni < N_ALL; ni++) {
            rb_asic_numerics n = k_all[ni];
            rb_err e = {0};
            CHECK_INT(run_once(&f.m, n, &f.in, f.y, &e), 0);
            emulate(&f.m, n, &f.in, ye);
            check_emulated(&f, n, ye, fc->what);
        }
        free(ye);
        fix_free(&f);
    }
}

/* Every feature against the fp64 reference, within the bound each
 * numerics has for the plain stack (the fp32 one under the harness's fp32
 * rule).  A row past its length is exactly zero. */
static void test_features_quality(void)
{
    for (size_t k = 0; k < N_FCASES; k++) {
        const fcase *fc = &k_fcases[k];
        const qcase *q = &fc->q;
        fix f;
        CHECK_INT(fix_init_feat(&f, q, fc->dirs, fc->feat, 4000 + k, 1), 0);
        double big = 0;
        for (size_t i = 0; i < f.ny; i++)
            big = fabs(f.ref[i]) > big ? fabs(f.ref[i]) : big;
        CHECK(big > 0.02);
        printf("  feature %-27s %s (max |ref| %.3f):\n", fc->what, f.w.key, big);
        for (size_t ni = 0; ni < N_ALL; ni++) {
            rb_asic_numerics n = k_all[ni];
            rb_err e = {0};
            char name[64];
            CHECK_INT(run_once(&f.m, n, &f.in, f.y, &e), 0);
            rb_errstat st;
            rb_compare(f.y, f.ref, f.ny, &st);
            double bound = rb_asic_quality_bound(&n);
            CHECK_INT(st.nonfinite, 0);
            CHECK(st.max_abs <= bound);
            if (n.dtype == RB_ASIC_FP32) {
                double tol = rb_fp32_tolerance(&f.w, 0);
                printf("    %-28s max |y - ref| = %.2e (bound %.1e), max_rel %.2e (fp32 tol "
                       "%.2e)\n",
                       rb_asic_numerics_name(&n, name, sizeof name), st.max_abs, bound, st.max_rel,
                       tol);
                CHECK(st.max_rel <= tol);
            } else {
                printf("    %-28s max |y - ref| = %.2e (bound %.1e)\n",
                       rb_asic_numerics_name(&n, name, sizeof name), st.max_abs, bound);
            }
            /* past a row's length: zeros, in every numerics */
            size_t nonzero = 0, DH = (size_t)fc->dirs * q->H;
            for (int t = 0; f.lens && t < q->T; t++)
                for (int b = 0; b < q->B; b++)
                    for (size_t j = 0; t >= f.lens[b] && j < DH; j++)
                        nonzero += f.y[((size_t)t * q->B + b) * DH + j] != 0.0f;
            CHECK_INT(nonzero, 0);
        }
        fix_free(&f);
    }
}

/* What a row never reads (x past its length) changes nothing: not its
 * outputs, not the int scale of x, not the other rows; NaN there included. */
static void test_lengths_padding(void)
{
    qcase qc = {RB_CELL_LSTM, 8, 4, 12, 16, 2, 1, 1};
    fix f;
    CHECK_INT(fix_init_feat(&f, &qc, 2, RB_FEAT_BIDIR | RB_FEAT_SEQ_LENS, 77, 0), 0);
    float *y1 = malloc(f.ny * sizeof *y1);
    float *x2 = malloc((size_t)8 * 4 * 12 * sizeof *x2);
    memcpy(x2, f.x, (size_t)8 * 4 * 12 * sizeof *x2);
    for (int t = 0; t < 8; t++)
        for (int b = 0; b < 4; b++)
            for (int k = 0; t >= f.lens[b] && k < 12; k++)
                x2[((size_t)t * 4 + b) * 12 + k] = k % 2 ? 50.0f : NAN;
    rb_batch in2 = f.in;
    in2.x = x2;
    for (size_t ni = 0; ni < N_ALL; ni++) {
        rb_err e = {0};
        CHECK_INT(run_once(&f.m, k_all[ni], &f.in, y1, &e), 0);
        CHECK_INT(run_once(&f.m, k_all[ni], &in2, f.y, &e), 0);
        CHECK(memcmp(y1, f.y, f.ny * sizeof *y1) == 0);
    }
    /* a row length outside 0..T is refused */
    f.lens[2] = 9;
    rb_err e = {0};
    CHECK_INT(run_once(&f.m, k_all[0], &f.in, y1, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "row 2 has length 9");
    free(y1);
    free(x2);
    fix_free(&f);
}

/* Through the target (asic.c): a bidirectional point with row lengths is
 * loaded, its output is the emulation's in the preset's numerics, and a
 * call with other lengths is not served from the previous call's cache. */
static void test_target_features(void)
{
    qcase qc = {RB_CELL_LSTM, 6, 3, 10, 12, 2, 1, 1};
    fix f;
    CHECK_INT(
        fix_init_feat(&f, &qc, 2, RB_FEAT_BIDIR | RB_FEAT_SEQ_LENS | RB_FEAT_PEEPHOLES, 99, 0), 0);
    rb_target t;
    rb_err e = {0};
    rb_sample smp;
    rb_target_init(&t, rb_target_find("asic"), 1);
    rb_target_set_opt(&t, "preset", "edge-npu");
    CHECK_INT(rb_target_probe(&t, &e), 0);
    const rb_asic_numerics n = {RB_ASIC_INT8, 32, RB_ASIC_PER_CHANNEL}; /* the preset's */
    char want[64];
    rb_asic_numerics_name(&n, want, sizeof want);
    CHECK_STR_HAS(t.info.numerics, want);
    CHECK_INT(rb_target_load(&t, &f.m, &f.w, &e), 0);
    float *ye = malloc(f.ny * sizeof *ye);
    rb_tensor out = {f.y, 3, {6, 3, 24, 0}};
    for (int k = 0; k < 2; k++) {
        if (k == 1)
            f.lens[0] = 2; /* other lengths, the same x */
        CHECK_INT(rb_target_forward(&t, &f.in, &out, &smp, &e), 0);
        CHECK_INT(run_once(&f.m, n, &f.in, ye, &e), 0);
        CHECK(memcmp(f.y, ye, f.ny * sizeof *ye) == 0);
    }
    printf("  target %s %s (%s): output == emulation, modeled latency %.3g s\n", t.instance,
           f.w.key, want, smp.device_s);
    rb_target_close(&t);
    free(ye);
    fix_free(&f);
}

/* Through the target: a GRU point (bidirectional, row lengths, clip) is
 * loaded and outputs the emulation in the preset's numerics; the model
 * times it; linear_before_reset = 0 is refused by name, as the harness
 * stores an unsupported point. */
static void test_target_gru(void)
{
    qcase qc = {RB_CELL_GRU, 6, 3, 10, 12, 2, 1, 1};
    fix f;
    CHECK_INT(fix_init_feat(&f, &qc, 2, RB_FEAT_BIDIR | RB_FEAT_SEQ_LENS | RB_FEAT_CLIP, 98, 0), 0);
    rb_target t;
    rb_err e = {0};
    rb_sample smp;
    rb_target_init(&t, rb_target_find("asic"), 1);
    rb_target_set_opt(&t, "preset", "dc-bf16");
    CHECK_INT(rb_target_probe(&t, &e), 0);
    CHECK(t.ops->cells & RB_CELL_BIT(RB_CELL_GRU));
    const rb_asic_numerics n = {RB_ASIC_BF16, 32, RB_ASIC_PER_TENSOR}; /* the preset's */
    CHECK_INT(rb_target_load(&t, &f.m, &f.w, &e), 0);
    float *ye = malloc(f.ny * sizeof *ye);
    rb_tensor out = {f.y, 3, {6, 3, 24, 0}};
    CHECK_INT(rb_target_forward(&t, &f.in, &out, &smp, &e), 0);
    CHECK_INT(run_once(&f.m, n, &f.in, ye, &e), 0);
    CHECK(memcmp(f.y, ye, f.ny * sizeof *ye) == 0);
    CHECK(smp.device_s > 0 && smp.energy_j > 0);
    printf("  target %s %s: output == emulation, modeled latency %.3g s\n", t.instance, f.w.key,
           smp.device_s);
    rb_target_unload(&t);
    fix_free(&f);

    CHECK_INT(fix_init_feat(&f, &qc, 1, RB_FEAT_RESET_BEFORE, 97, 0), 0);
    CHECK_INT(f.m.reset_before, 1);
    CHECK_INT(rb_target_load(&t, &f.m, &f.w, &e), RB_EUNAVAIL);
    CHECK_STR_HAS(e.msg, "unsupported: linear_before_reset=0");
    rb_target_close(&t);
    free(ye);
    fix_free(&f);
}

/* ---- argument errors ---------------------------------------------------------------- */

static void test_errors(void)
{
    qcase qc = {RB_CELL_LSTM, 3, 2, 5, 4, 2, 0, 1};
    fix f;
    rb_err e = {0};
    CHECK_INT(fix_init(&f, &qc, 5, 0), 0);
    rb_asic_numerics n = {RB_ASIC_INT8, 32, RB_ASIC_PER_TENSOR};
    rb_asic_qmodel *q = NULL;
    CHECK_INT(rb_asic_qmodel_new(NULL, &f.m, &n, 3, 2, &e), RB_EINPUT);
    CHECK_INT(rb_asic_qmodel_new(&q, NULL, &n, 3, 2, &e), RB_EINPUT);
    CHECK_INT(rb_asic_qmodel_new(&q, &f.m, NULL, 3, 2, &e), RB_EINPUT);
    CHECK_INT(rb_asic_qmodel_new(&q, &f.m, &n, 0, 2, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "max_T 0");
    CHECK_INT(rb_asic_qmodel_new(&q, &f.m, &n, 3, -1, &e), RB_EINPUT);
    rb_asic_numerics bad = {RB_ASIC_BF16, 8, RB_ASIC_PER_TENSOR};
    CHECK_INT(rb_asic_qmodel_new(&q, &f.m, &bad, 3, 2, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "acc_bits 8");
    CHECK(q == NULL);
    /* an integer type has no code for inf or NaN */
    float keep = f.m.layer[1].w_hh[3];
    f.m.layer[1].w_hh[3] = NAN;
    CHECK_INT(rb_asic_qmodel_new(&q, &f.m, &n, 3, 2, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "layer 1");
    CHECK(q == NULL);
    f.m.layer[1].w_hh[3] = keep;

    CHECK_INT(rb_asic_qmodel_new(&q, &f.m, &n, 3, 2, &e), 0);
    rb_batch in = f.in;
    CHECK_INT(rb_asic_forward(q, &in, f.y, &e), 0);
    in.seq = 4;
    CHECK_INT(rb_asic_forward(q, &in, f.y, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "seq 4");
    in = f.in;
    in.batch = 3;
    CHECK_INT(rb_asic_forward(q, &in, f.y, &e), RB_EINPUT);
    in.batch = 0;
    CHECK_INT(rb_asic_forward(q, &in, f.y, &e), RB_EINPUT);
    in = f.in;
    in.width = 4;
    CHECK_INT(rb_asic_forward(q, &in, f.y, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "width 4");
    CHECK_INT(rb_asic_forward(q, &f.in, NULL, &e), RB_EINPUT);
    CHECK_INT(rb_asic_forward(NULL, &f.in, f.y, &e), RB_EINPUT);
    in = f.in;
    in.x = NULL;
    CHECK_INT(rb_asic_forward(q, &in, f.y, &e), RB_EINPUT);
    /* a shorter, narrower call than prepared for matches a model prepared
     * for exactly it (buffers are used densely) */
    in = f.in;
    in.seq = 2;
    in.batch = 1;
    float y1[2 * 1 * 4], y2[2 * 1 * 4];
    float xs[2 * 1 * 5];
    for (int t = 0; t < 2; t++)
        memcpy(xs + t * 5, f.x + (size_t)t * 2 * 5, 5 * sizeof *xs);
    in.x = xs;
    CHECK_INT(rb_asic_forward(q, &in, y1, &e), 0);
    CHECK_INT(run_once(&f.m, n, &in, y2, &e), 0);
    CHECK(memcmp(y1, y2, sizeof y1) == 0);
    /* non-finite x has no int8 code either */
    xs[3] = INFINITY;
    CHECK_INT(rb_asic_forward(q, &in, y1, &e), RB_EINPUT);
    CHECK_STR_HAS(e.msg, "x[3]");
    rb_asic_qmodel_free(q);
    rb_asic_qmodel_free(NULL);
    /* the float types carry NaN through */
    n = (rb_asic_numerics){RB_ASIC_BF16, 32, RB_ASIC_PER_TENSOR};
    xs[3] = NAN;
    CHECK_INT(run_once(&f.m, n, &in, y1, &e), 0);
    CHECK(isnan(y1[7]));
    fix_free(&f);
}

int main(void)
{
    clock_t t0 = clock();
    test_names();
    test_round_bf16();
    test_round_fp16();
    test_round_sweep();
    test_int8_scales();
    test_int8_rnn_hand();
    test_int8_lstm_hand();
    test_int8_gru_hand();
    test_bf16_rnn_hand();
    test_bf16_lstm_hand();
    test_overflow();
    test_against_emulator();
    test_acc16_extremes();
    test_errors();
    test_fp32_bound();
    test_quality();
    test_features_against_emulator();
    test_features_quality();
    test_lengths_padding();
    test_target_features();
    test_target_gru();
    printf("  cpu time %.1f s\n", (double)(clock() - t0) / CLOCKS_PER_SEC);
    return rb_test_done("test_asic_numerics");
}
