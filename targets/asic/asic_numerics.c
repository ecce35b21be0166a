/* asic_numerics.c — the asic target's emulated forward (asic_numerics.h).
 *
 * What is fixed here, beyond the header, so that a test can recompute it:
 *   - The vector unit is fp32 in C order, no contraction (-std=c11 turns
 *     -ffp-contract off):
 *       int:    pre = sc_ih * (float)acc_ih + sc_hh * (float)acc_hh + bias
 *       float:  pre = acc_ih + acc_hh + bias
 *       no W_ih: the x term is x itself (fp32, never rounded or quantized)
 *     with bias = b_ih + b_hh in fp32, sigmoid(v) = 1 / (1 + expf(-v)),
 *     tanhf, c' = f * c + i * g, h' = o * tanhf(c').  c stays fp32.
 *     Peepholes p (fp32): the i and f arguments are pre + p * c, o's
 *     pre + p * c'; a clip clamps each activation's argument to [-clip,
 *     clip] after that; input_forget makes f = 1.0f - i.  Without any of
 *     them the update is exactly the plain expressions above.
 *     The GRU's r and z rows are pre as above; its n row keeps the input
 *     and the recurrent sums apart (r scales the second alone):
 *       int:    xn = sc_ih * (float)acc_ih + b_in,  hn = sc_hh * (float)acc_hh + b_hn
 *       float:  xn = acc_ih + b_in,                 hn = acc_hh + b_hn
 *       no W_ih: xn = x + b_in
 *     r = sigmoid(pre_r), z = sigmoid(pre_z), n = tanhf(xn + r * hn),
 *     h' = (1.0f - z) * n + z * h, where h is the stored h_{t-1} (the
 *     hardware keeps no other copy) as fp32: (float)(q / qmax) for the int
 *     types, the stored value itself for the float types; a clip clamps
 *     the arguments of the two sigmoids and of tanhf.
 *   - Scales: s = (float)(max|v| / qmax) (an all-zero set gets 1; one so tiny
 *     that the quotient underflows gets the smallest float), codes
 *     q = clamp(nearbyint((double)v / s)) in the default rounding mode
 *     (round half to even; nothing in rnnbench changes it).  h is coded
 *     q = clamp(nearbyint(h * qmax)): h * qmax is exact in double, so this
 *     is round_half_even(h / (1/qmax)) without a rounded 1/qmax.  The
 *     dequantization scales, in fp64 and then rounded once to fp32, are
 *     sc_ih = (float)(s_wih * s_x) for layer 0 and (float)(s_wih / qmax)
 *     after it (its input is the stored h), sc_hh = (float)(s_whh / qmax);
 *     y = (float)(q / qmax).
 *   - Integer products run through cblas_dgemm on codes held in double:
 *     every product (<= qmax^2 <= 2^30) and every partial sum up to 2^53 is
 *     an integer double represents exactly, so the BLAS's summation order
 *     cannot change a bit and the result is the hardware's exact integer
 *     accumulator.  qmodel_new refuses a K for which the accumulator could
 *     overflow (qmax^2 * K > 2^(acc_bits-1) - 1: the codes never reach
 *     -2^(bits-1), so qmax^2 is the largest product) and, for acc_bits above
 *     54, a K beyond what fp64 holds exactly (qmax^2 * K > 2^53).
 *   - fp16 / bf16 with acc_bits 16 keep the partial sum in fp64 and round
 *     it to the type after every multiply-add: the product of two values of
 *     the type is exact in fp64 (and in fp32), the sum of that product and
 *     a value of the type is exact in fp64 unless their magnitudes are so far
 *     apart that the smaller is far below half an ulp of the type, so one
 *     rounding from fp64 is the correctly rounded fused multiply-add of a
 *     16-bit accumulator.  (Summing in fp32 first would round twice, which
 *     ties-to-even gets wrong in rare cases.)
 * Buffers hold max_T * max_B rows and are used densely for the call's T, B. */
#include "asic_numerics.h"

#include <cblas.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- names, checks --------------------------------------------------------- */

static const char *const k_dtype_names[] = {"int8", "int16", "fp16", "bf16", "fp32"};
#define N_DTYPES ((int)(sizeof k_dtype_names / sizeof k_dtype_names[0]))

static int dtype_ok(rb_asic_dtype d) { return (int)d >= 0 && (int)d < N_DTYPES; }

const char *rb_asic_dtype_name(rb_asic_dtype d)
{
    return dtype_ok(d) ? k_dtype_names[d] : "unknown";
}

int rb_asic_dtype_parse(const char *s, rb_asic_dtype *out)
{
    for (int d = 0; s && d < N_DTYPES; d++)
        if (strcmp(s, k_dtype_names[d]) == 0) {
            if (out)
                *out = (rb_asic_dtype)d;
            return 0;
        }
    return -1;
}

int rb_asic_dtype_bits(rb_asic_dtype d)
{
    switch (d) {
    case RB_ASIC_INT8: return 8;
    case RB_ASIC_INT16:
    case RB_ASIC_FP16:
    case RB_ASIC_BF16: return 16;
    case RB_ASIC_FP32: return 32;
    }
    return 0;
}

int rb_asic_dtype_is_int(rb_asic_dtype d) { return d == RB_ASIC_INT8 || d == RB_ASIC_INT16; }

int rb_asic_numerics_check(const rb_asic_numerics *n, rb_err *e)
{
    if (!n)
        return rb_errf(e, RB_EINPUT, "asic numerics: none given");
    if (!dtype_ok(n->dtype))
        return rb_errf(e, RB_EINPUT,
                       "asic numerics: datatype %d is not one of int8, int16, fp16, bf16, fp32",
                       (int)n->dtype);
    const char *dn = k_dtype_names[n->dtype];
    int a = n->acc_bits;
    switch (n->dtype) {
    case RB_ASIC_INT8:
    case RB_ASIC_INT16: {
        /* Below 2 * bits the accumulator cannot hold a single product. */
        int lo = 2 * rb_asic_dtype_bits(n->dtype);
        if (a < lo || a > 64)
            return rb_errf(e, RB_EINPUT,
                           "asic numerics: acc_bits %d is not valid for %s (allowed: %d..64)", a,
                           dn, lo);
        if (n->weight_quant != RB_ASIC_PER_TENSOR && n->weight_quant != RB_ASIC_PER_CHANNEL)
            return rb_errf(e, RB_EINPUT,
                           "asic numerics: weight_quant %d is not valid for %s (allowed: "
                           "per-tensor, per-channel)",
                           (int)n->weight_quant, dn);
        return 0;
    }
    case RB_ASIC_FP16:
    case RB_ASIC_BF16:
        if (a != 16 && a != 32)
            return rb_errf(e, RB_EINPUT,
                           "asic numerics: acc_bits %d is not valid for %s (allowed: 16, 32)", a,
                           dn);
        return 0;
    case RB_ASIC_FP32:
        if (a != 32)
            return rb_errf(e, RB_EINPUT,
                           "asic numerics: acc_bits %d is not valid for fp32 (allowed: 32)", a);
        return 0;
    }
    return RB_EINPUT; /* unreachable: dtype_ok above */
}

const char *rb_asic_numerics_name(const rb_asic_numerics *n, char *buf, size_t len)
{
    if (!buf || len == 0)
        return buf;
    if (!n || !dtype_ok(n->dtype)) {
        snprintf(buf, len, "unknown");
        return buf;
    }
    const char *dn = k_dtype_names[n->dtype];
    if (rb_asic_dtype_is_int(n->dtype))
        snprintf(buf, len, "%s %s, int%d acc", dn,
                 n->weight_quant == RB_ASIC_PER_CHANNEL ? "per-channel" : "per-tensor",
                 n->acc_bits);
    else if (n->dtype == RB_ASIC_FP32 && n->acc_bits == 32)
        snprintf(buf, len, "fp32");
    else if (n->acc_bits == 16)
        snprintf(buf, len, "%s, %s acc", dn, dn);
    else
        /* fp32 with another width still must not read "fp32": the harness
         * would hold a result it cannot produce to the fp32 bound. */
        snprintf(buf, len, "%s, fp%d acc", dn, n->acc_bits);
    return buf;
}

/* ---- rounding to the 16-bit float types -------------------------------------- */

float rb_asic_round_bf16(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u) {
        /* NaN: truncating could clear a payload kept only in the low half
         * and make it inf; set the quiet bit so it stays a NaN. */
        u = (u | 0x00400000u) & 0xffff0000u;
    } else {
        /* Add just under half an ulp, plus one when the kept part is odd,
         * then truncate: ties go to even.  The carry runs into the exponent
         * where it should, so the largest floats round to inf. */
        u += 0x7fffu + ((u >> 16) & 1u);
        u &= 0xffff0000u;
    }
    memcpy(&x, &u, sizeof x);
    return x;
}

float rb_asic_round_fp16(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    uint32_t sign = u & 0x80000000u, a = u & 0x7fffffffu;
    if (a > 0x7f800000u) {
        u |= 0x00400000u; /* NaN stays a (quiet) NaN */
        memcpy(&x, &u, sizeof x);
        return x;
    }
    if (a >= 0x38800000u) {
        /* |x| >= 2^-14, fp16's smallest normal: keep 10 of the 23 fraction
         * bits, ties to even; inf passes unchanged (its fraction is 0). */
        a += 0xfffu + ((a >> 13) & 1u);
        a &= ~0x1fffu;
        if (a > 0x477fe000u) /* beyond 65504 after rounding */
            a = 0x7f800000u;
    } else {
        /* Subnormal range: the result is a multiple of 2^-24.  With the
         * significand m (24 bits) and biased exponent e, x = m * 2^(e-150),
         * i.e. m * 2^(e-126) units of 2^-24: shift right by 126 - e >= 14,
         * ties to even.  At 25 and more (and for float subnormals) |x| is
         * below half a unit and rounds to a zero of x's sign. */
        uint32_t e = a >> 23, q = 0;
        if (e >= 102) {
            uint32_t m = (a & 0x7fffffu) | 0x800000u, s = 126 - e;
            q = (m + (1u << (s - 1)) - 1u + ((m >> s) & 1u)) >> s;
        }
        float r = (float)q * 0x1p-24f; /* q <= 1024: exact */
        memcpy(&a, &r, sizeof a);
    }
    u = sign | a;
    memcpy(&x, &u, sizeof x);
    return x;
}

static float round_to(rb_asic_dtype d, float v)
{
    switch (d) {
    case RB_ASIC_BF16: return rb_asic_round_bf16(v);
    case RB_ASIC_FP16: return rb_asic_round_fp16(v);
    default: return v;
    }
}

/* ---- the 16-bit accumulator: sequential multiply-add, rounded each time ---- */

/* Rounding an fp64 value to a 16-bit float type, for the fp64 partial sums. */
typedef struct rnd16 {
    int shift;       /* fraction bits of fp64 dropped: 52 - (significand bits - 1) */
    double min_norm; /* smallest normal of the type */
    double magic;    /* 1.5 * 2^(52 + log2(smallest subnormal)): (v + magic) - magic
                        rounds |v| < min_norm to a multiple of the smallest subnormal */
    double max_fin;  /* largest finite value */
} rnd16;

static const rnd16 k_rnd_bf16 = {45, 0x1p-126, 0x1.8p-81, 0x1.fep127};
static const rnd16 k_rnd_fp16 = {42, 0x1p-14, 0x1.8p28, 65504.0};

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
/* The inner loop is pure vector integer and fp64 work; wider vectors are
 * worth ~2x, and the build has no -march (as cpu_cell.c). */
#define RB_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define RB_CLONES
#endif
#if defined(__GNUC__) && !defined(__clang__)
/* Vectors never cross a real call (the loop is one function), so the ABI
 * warnings for the baseline clone do not apply. */
#pragma GCC diagnostic ignored "-Wpsabi"
#endif
#define INLINE static inline __attribute__((always_inline))

typedef double v8d __attribute__((vector_size(64)));
typedef uint64_t v8u __attribute__((vector_size(64)));
typedef int64_t v8i __attribute__((vector_size(64)));
#define SPLATD(x) ((v8d){(x), (x), (x), (x), (x), (x), (x), (x)})
#define SPLATU(x) ((v8u){(x), (x), (x), (x), (x), (x), (x), (x)})

static uint64_t dbits(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return u;
}

/* The complete rounding: NaN, zero, subnormal, overflow. */
INLINE double rnd1(const rnd16 *t, double v)
{
    if (v != v)
        return v; /* a NaN's fraction would carry into its sign below */
    uint64_t u = dbits(v);
    u += (((uint64_t)1 << (t->shift - 1)) - 1) + ((u >> t->shift) & 1);
    u &= ~(((uint64_t)1 << t->shift) - 1);
    double r;
    memcpy(&r, &u, sizeof r);
    if (fabs(v) < t->min_norm)
        r = copysign((fabs(v) + t->magic) - t->magic, v);
    if (fabs(r) > t->max_fin)
        r = copysign(INFINITY, v);
    return r;
}

/* Tile of the sequential product: ACC_MB rows of x against ACC_NB columns of
 * W, all partial sums (fp64) in a 16 KiB block that stays in L1, W's row k
 * converted to fp64 once per tile and reused by every row. */
#define ACC_MB 8
#define ACC_NB 256
#define ACC_SCRATCH ((size_t)ACC_MB * ACC_NB + 2 * ACC_NB)

/* out[m, n] = sum over k = 0 .. K-1 in order of x[m, k] * wT[k, n], every
 * partial sum rounded to the type.  x [M, K] (rows ldx apart), wT [K, N],
 * out [M, N].
 * The vector loop rounds normal and subnormal numbers (ties to even; 0 and
 * -0 come out right too) and flags the lanes where that is not the whole
 * story: |v| at or above the largest finite value (overflow, inf) and NaN.
 * They do not occur in working networks, so a flagged row is redone from
 * the saved sums with the complete rounding (rnd1) rather than every lane
 * paying for the two selects. */
RB_CLONES
static void gemm_acc16(const rnd16 *t, int M, int N, int K, const float *x, int ldx,
                       const float *wT, float *out, double *scratch)
{
    double *acc = scratch, *wd = scratch + (size_t)ACC_MB * ACC_NB, *sum = wd + ACC_NB;
    const v8u half = SPLATU(((uint64_t)1 << (t->shift - 1)) - 1);
    const v8u keep = SPLATU(~(((uint64_t)1 << t->shift) - 1));
    const v8u one = SPLATU(1), mag = SPLATU(0x7fffffffffffffffull), sign = ~mag;
    const v8d magic = SPLATD(t->magic), vmin = SPLATD(t->min_norm);
    /* |v| >= max_fin as bits: NaN's are above inf's */
    const v8u vmax = SPLATU(dbits(t->max_fin));
    for (int n0 = 0; n0 < N; n0 += ACC_NB) {
        int nb = N - n0 < ACC_NB ? N - n0 : ACC_NB, nv = nb & ~7;
        for (int m0 = 0; m0 < M; m0 += ACC_MB) {
            int mb = M - m0 < ACC_MB ? M - m0 : ACC_MB;
            memset(acc, 0, (size_t)mb * ACC_NB * sizeof *acc);
            for (int k = 0; k < K; k++) {
                const float *wk = wT + (size_t)k * N + n0;
                for (int n = 0; n < nb; n++)
                    wd[n] = wk[n];
                for (int m = 0; m < mb; m++) {
                    double xk = x[(size_t)(m0 + m) * ldx + k];
                    v8d xv = SPLATD(xk);
                    v8i bad = {0};
                    double *am = acc + (size_t)m * ACC_NB;
                    for (int n = 0; n < nv; n += 8) {
                        v8d av, wv;
                        memcpy(&av, am + n, sizeof av);
                        memcpy(&wv, wd + n, sizeof wv);
                        av += wv * xv;
                        memcpy(sum + n, &av, sizeof av);
                        v8u u = (v8u)av, ua = u & mag;
                        v8u r = (u + (half + ((u >> t->shift) & one))) & keep;
                        v8d a = (v8d)ua;
                        v8u sub = (v8u)((a + magic) - magic) | (u & sign);
                        v8i small = a < vmin;
                        r = ((v8u)small & sub) | (~(v8u)small & r);
                        memcpy(am + n, &r, sizeof r);
                        bad |= ua >= vmax;
                    }
                    uint64_t any = 0;
                    for (int i = 0; i < 8; i++)
                        any |= (uint64_t)bad[i];
                    for (int n = 0; any && n < nv; n++)
                        if (!(fabs(sum[n]) < t->max_fin))
                            am[n] = rnd1(t, sum[n]);
                    for (int n = nv; n < nb; n++)
                        am[n] = rnd1(t, am[n] + wd[n] * xk);
                }
            }
            for (int m = 0; m < mb; m++)
                for (int n = 0; n < nb; n++)
                    out[(size_t)(m0 + m) * N + n0 + n] = (float)acc[(size_t)m * ACC_NB + n];
        }
    }
}

/* ---- the prepared model ------------------------------------------------------ */

typedef struct q_layer {
    int in;      /* columns of W_ih; 0: x holds the pre-activations */
    int reverse; /* runs from the last step to the first */
    float *bias; /* b_ih + b_hh, fp32 [GH]; a GRU's n rows: b_in alone */
    float *b_hn; /* GRU: b_hh's n rows [H], added to W_hn h apart from b_in; else NULL */
    float *peep; /* peepholes i, f, o [3H], fp32 like the bias (vector-unit operands); or NULL */
    /* int types: codes in double (see the top) and per-row scales */
    double *qw_ih, *qw_hh; /* [GH, in], [GH, H] */
    float *s_ih;           /* weight scale of each row of W_ih [GH] (equal per tensor) */
    float *sc_ih, *sc_hh;  /* dequantization scales [GH]; layer 0's sc_ih set per call */
    /* float types: weights rounded to the type, [GH, in] / [GH, H], or
     * transposed [in, GH] / [H, GH] for the 16-bit accumulator's loop */
    float *w_ih, *w_hh;
} q_layer;

struct rb_asic_qmodel {
    rb_asic_numerics n;
    rb_cell cell;
    int G, H, L, D, input, input_proj, max_T, max_B;
    int qmax;  /* int types: 127 or 32767 */
    int acc16; /* fp16/bf16 accumulating in the type */
    const rnd16 *rnd;
    float clip;     /* > 0: every pre-activation clipped to [-clip, clip] */
    int coupled;    /* LSTM input_forget: f = 1 - i */
    int ext;        /* clip, coupling or peepholes: the cell update's longer path */
    q_layer *layer; /* [L * D] units, unit l*D + d */
    /* int types */
    double *d_x;      /* layer 0's input codes [T*B, input] */
    double *d_seq[2]; /* each layer's stored h codes [T*B, D*H], ping-pong */
    double *d_gates;  /* input-projection accumulators [T*B, GH] */
    double *d_rec;    /* recurrent accumulators [B, GH] */
    double *d_h0;     /* h0 codes of the current unit (zeros without h0) [B, H] */
    double *d_hold;   /* with row lengths: the h codes each row carries on [B, H] */
    /* float types */
    float *f_x, *f_seq[2], *f_gates, *f_rec, *f_h0, *f_hold;
    double *acc_scratch; /* gemm_acc16's tile */
    /* both */
    float *pre; /* fp32 pre-activations of one step [B, GH] (a GRU's n rows: xn) */
    float *c;   /* cell state [B, H] */
    float *h;   /* fp32 h of one step before it is stored [B, H] */
    /* GRU: hn = W_hn h + b_hn of one step, and the stored h_{t-1} as fp32,
     * both [B, H] */
    float *hn, *hv;
};

void rb_asic_qmodel_free(rb_asic_qmodel *q)
{
    if (!q)
        return;
    for (int u = 0; q->layer && u < q->L * q->D; u++) {
        q_layer *ly = &q->layer[u];
        free(ly->bias);
        free(ly->b_hn);
        free(ly->peep);
        free(ly->qw_ih);
        free(ly->qw_hh);
        free(ly->s_ih);
        free(ly->sc_ih);
        free(ly->sc_hh);
        free(ly->w_ih);
        free(ly->w_hh);
    }
    free(q->layer);
    free(q->d_x);
    free(q->d_seq[0]);
    free(q->d_seq[1]);
    free(q->d_gates);
    free(q->d_rec);
    free(q->d_h0);
    free(q->d_hold);
    free(q->f_x);
    free(q->f_seq[0]);
    free(q->f_seq[1]);
    free(q->f_gates);
    free(q->f_rec);
    free(q->f_h0);
    free(q->f_hold);
    free(q->acc_scratch);
    free(q->pre);
    free(q->c);
    free(q->h);
    free(q->hn);
    free(q->hv);
    free(q);
}

/* n elements of size sz, zeroed; NULL on overflow or failure.  *bytes adds up
 * what was asked for, for the error message. */
static void *zalloc(size_t n, size_t sz, size_t *bytes)
{
    if (n && sz > SIZE_MAX / n)
        return NULL;
    *bytes += n * sz;
    return calloc(n ? n : 1, sz);
}

/* a * b, or SIZE_MAX when it overflows (then every allocation fails). */
static size_t mul_sz(size_t a, size_t b) { return b && a > SIZE_MAX / b ? SIZE_MAX : a * b; }

static float scale_for(double max_abs, int qmax)
{
    if (!(max_abs > 0))
        return 1.0f;
    float s = (float)(max_abs / qmax);
    return s > 0 ? s : FLT_TRUE_MIN;
}

static double quant(double v, double s, int qmax)
{
    /* + 0.0: an integer code has no sign of zero; -0.0 would show as a
     * negative zero in y */
    double r = nearbyint(v / s) + 0.0;
    return r > qmax ? qmax : r < -qmax ? -qmax : r;
}

/* W [rows, cols] to codes with one scale per row (per_row) or one for all. */
static void quant_matrix(const float *w, int rows, int cols, int per_row, int qmax, double *qw,
                         float *s)
{
    double all = 0;
    for (size_t k = 0; k < (size_t)rows * cols; k++)
        all = fabs(w[k]) > all ? fabs(w[k]) : all;
    for (int r = 0; r < rows; r++) {
        const float *wr = w + (size_t)r * cols;
        double m = 0;
        for (int k = 0; per_row && k < cols; k++)
            m = fabs(wr[k]) > m ? fabs(wr[k]) : m;
        s[r] = scale_for(per_row ? m : all, qmax);
        for (int k = 0; k < cols; k++)
            qw[(size_t)r * cols + k] = quant(wr[k], s[r], qmax);
    }
}

/* src [rows, cols] rounded to the type into dst, transposed when asked. */
static void round_matrix(rb_asic_dtype d, const float *src, int rows, int cols, int transpose,
                         float *dst)
{
    for (int r = 0; r < rows; r++)
        for (int k = 0; k < cols; k++) {
            float v = round_to(d, src[(size_t)r * cols + k]);
            dst[transpose ? (size_t)k * rows + r : (size_t)r * cols + k] = v;
        }
}

static int first_nonfinite(const float *v, size_t n, size_t *at)
{
    for (size_t k = 0; k < n; k++)
        if (!isfinite(v[k])) {
            *at = k;
            return 1;
        }
    return 0;
}

/* The longest dot product must fit the accumulator exactly (the top). */
static int check_accumulator(const rb_asic_qmodel *q, rb_err *e)
{
    long K = q->H;
    for (int u = 0; u < q->L * q->D; u++)
        K = q->layer[u].in > K ? q->layer[u].in : K;
    const char *dn = k_dtype_names[q->n.dtype];
    uint64_t q2 = (uint64_t)q->qmax * (uint64_t)q->qmax;
    uint64_t lim =
        q->n.acc_bits >= 64 ? (uint64_t)INT64_MAX : ((uint64_t)1 << (q->n.acc_bits - 1)) - 1;
    if ((uint64_t)K > lim / q2)
        return rb_errf(e, RB_EUNAVAIL,
                       "asic: %s with a %d-bit accumulator cannot hold a dot product of K = %ld "
                       "exactly (%d^2 * %ld > 2^%d - 1; the longest it can is K = %llu): use a "
                       "wider accumulator",
                       dn, q->n.acc_bits, K, q->qmax, K, q->n.acc_bits - 1,
                       (unsigned long long)(lim / q2));
    if ((uint64_t)K > ((uint64_t)1 << 53) / q2)
        return rb_errf(e, RB_EUNAVAIL,
                       "asic: %s with a %d-bit accumulator: a dot product of K = %ld exceeds "
                       "what the emulation sums exactly in fp64 (%d^2 * K > 2^53; at most K = "
                       "%llu)",
                       dn, q->n.acc_bits, K, q->qmax,
                       (unsigned long long)(((uint64_t)1 << 53) / q2));
    return 0;
}

static int check_model(const rb_model *m, rb_err *e)
{
    if ((m->cell != RB_CELL_LSTM && m->cell != RB_CELL_RNN && m->cell != RB_CELL_GRU) ||
        !m->layer || m->layers <= 0 || m->hidden <= 0 || (m->input_proj && m->input <= 0))
        return rb_errf(e, RB_EINPUT,
                       "asic: the model is not allocated (cell %d, input %d, "
                       "hidden %d, layers %d)",
                       (int)m->cell, m->input, m->hidden, m->layers);
    const int D = m->dirs == 2 ? 2 : 1;
    for (int u = 0; u < m->layers * D; u++) {
        const rb_layer *ly = &m->layer[u];
        int want = u >= D ? D * m->hidden : m->input_proj ? m->input : 0;
        if (ly->in != want || (want && !ly->w_ih) || !ly->w_hh || !ly->b_ih || !ly->b_hh)
            return rb_errf(e, RB_EINPUT,
                           "asic: layer %d has %d input columns (expected %d) or missing weights",
                           u / D, ly->in, want);
        if (ly->p && m->cell != RB_CELL_LSTM)
            return rb_errf(e, RB_EINPUT, "asic: peepholes in layer %d, but the %s cell has none",
                           u / D, rb_cell_name(m->cell));
    }
    /* the asic target refuses the feature before it gets here */
    if (m->cell == RB_CELL_GRU && m->reset_before)
        return rb_errf(e, RB_EINPUT,
                       "asic: a gru with linear_before_reset=0 (r applied to h before W_hn) is "
                       "not emulated");
    if (!(m->clip >= 0) || isinf(m->clip))
        return rb_errf(e, RB_EINPUT, "asic: clip %g is not a finite non-negative bound",
                       (double)m->clip);
    return 0;
}

int rb_asic_qmodel_new(rb_asic_qmodel **out, const rb_model *m, const rb_asic_numerics *n,
                       int max_T, int max_B, rb_err *e)
{
    if (!out)
        return rb_errf(e, RB_EINPUT, "asic: no place for the prepared model");
    *out = NULL;
    if (!m)
        return rb_errf(e, RB_EINPUT, "asic: no model");
    int rc = rb_asic_numerics_check(n, e);
    if (rc || (rc = check_model(m, e)))
        return rc;
    if (max_T <= 0 || max_B <= 0)
        return rb_errf(e, RB_EINPUT, "asic: max_T %d and max_B %d must be positive", max_T, max_B);
    int G = rb_cell_gates(m->cell);
    /* BLAS dimensions and leading dimensions are int. */
    if ((long long)max_T * max_B > INT_MAX || (long long)G * m->hidden > INT_MAX)
        return rb_errf(e, RB_EINPUT,
                       "asic: T*B = %lld or G*H = %lld is too large for 32-bit BLAS dimensions",
                       (long long)max_T * max_B, (long long)G * m->hidden);

    rb_asic_qmodel *q = calloc(1, sizeof *q);
    if (!q)
        return rb_errf(e, RB_ENOMEM, "asic: out of memory");
    q->n = *n;
    q->cell = m->cell;
    q->G = G;
    q->H = m->hidden;
    q->L = m->layers;
    q->D = m->dirs == 2 ? 2 : 1;
    q->clip = m->clip;
    q->coupled = m->cell == RB_CELL_LSTM && m->input_forget;
    q->input = m->input;
    q->input_proj = m->input_proj ? 1 : 0;
    q->max_T = max_T;
    q->max_B = max_B;
    int is_int = rb_asic_dtype_is_int(n->dtype);
    q->qmax = n->dtype == RB_ASIC_INT8 ? 127 : 32767;
    q->acc16 = !is_int && n->acc_bits == 16;
    q->rnd = n->dtype == RB_ASIC_BF16 ? &k_rnd_bf16 : &k_rnd_fp16;

    size_t bytes = 0, GH = (size_t)G * q->H, H = (size_t)q->H, TB = (size_t)max_T * max_B;
    size_t B = (size_t)max_B, in0 = q->input_proj ? (size_t)q->input : 0;
    size_t DH = (size_t)q->D * H;
    const int units = q->L * q->D;
    q->layer = zalloc((size_t)units, sizeof *q->layer, &bytes);
    if (!q->layer)
        goto nomem;
    for (int u = 0; u < units; u++) {
        q->layer[u].in = m->layer[u].in;
        q->layer[u].reverse = m->layer[u].reverse != 0;
    }
    if (is_int && (rc = check_accumulator(q, e)))
        goto fail;

    q->ext = q->clip > 0 || q->coupled;
    for (int u = 0; u < units; u++) {
        const rb_layer *src = &m->layer[u];
        q_layer *ly = &q->layer[u];
        const int l = u / q->D;
        size_t in = (size_t)ly->in, at;
        if (!(ly->bias = zalloc(GH, sizeof(float), &bytes)))
            goto nomem;
        for (size_t r = 0; r < GH; r++)
            ly->bias[r] = src->b_ih[r] + src->b_hh[r];
        if (q->cell == RB_CELL_GRU) {
            if (!(ly->b_hn = zalloc(H, sizeof(float), &bytes)))
                goto nomem;
            for (size_t j = 0; j < H; j++) {
                ly->bias[2 * H + j] = src->b_ih[2 * H + j];
                ly->b_hn[j] = src->b_hh[2 * H + j];
            }
        }
        if (src->p) {
            if (!(ly->peep = zalloc(3 * H, sizeof(float), &bytes)))
                goto nomem;
            memcpy(ly->peep, src->p, 3 * H * sizeof *ly->peep);
            q->ext = 1;
        }
        if (is_int) {
            /* An integer datatype has no code for inf or NaN. */
            if ((in && first_nonfinite(src->w_ih, GH * in, &at)) ||
                first_nonfinite(src->w_hh, GH * H, &at)) {
                rc = rb_errf(e, RB_EINPUT,
                             "asic: layer %d's weights hold a non-finite value, which %s cannot "
                             "represent",
                             l, k_dtype_names[n->dtype]);
                goto fail;
            }
            float *s_hh;
            if (!(ly->sc_hh = zalloc(GH, sizeof(float), &bytes)) ||
                !(ly->qw_hh = zalloc(GH * H, sizeof(double), &bytes)))
                goto nomem;
            s_hh = ly->sc_hh; /* the scales first, turned into sc_hh below */
            quant_matrix(src->w_hh, (int)GH, q->H, n->weight_quant == RB_ASIC_PER_CHANNEL, q->qmax,
                         ly->qw_hh, s_hh);
            for (size_t r = 0; r < GH; r++)
                ly->sc_hh[r] = (float)((double)s_hh[r] / q->qmax);
            if (in) {
                if (!(ly->s_ih = zalloc(GH, sizeof(float), &bytes)) ||
                    !(ly->sc_ih = zalloc(GH, sizeof(float), &bytes)) ||
                    !(ly->qw_ih = zalloc(GH * in, sizeof(double), &bytes)))
                    goto nomem;
                quant_matrix(src->w_ih, (int)GH, ly->in, n->weight_quant == RB_ASIC_PER_CHANNEL,
                             q->qmax, ly->qw_ih, ly->s_ih);
                /* Later layers read stored h, whose scale is fixed. */
                for (size_t r = 0; l > 0 && r < GH; r++)
                    ly->sc_ih[r] = (float)((double)ly->s_ih[r] / q->qmax);
            }
        } else {
            if (!(ly->w_hh = zalloc(GH * H, sizeof(float), &bytes)))
                goto nomem;
            round_matrix(n->dtype, src->w_hh, (int)GH, q->H, q->acc16, ly->w_hh);
            if (in) {
                if (!(ly->w_ih = zalloc(GH * in, sizeof(float), &bytes)))
                    goto nomem;
                round_matrix(n->dtype, src->w_ih, (int)GH, ly->in, q->acc16, ly->w_ih);
            }
        }
    }

    /* Layer 0 without W_ih reads x directly; later layers need the gate buffer. */
    int gates = in0 > 0 || q->L > 1, nseq = q->L > 1 ? 2 : 1;
    if (is_int) {
        if ((in0 && !(q->d_x = zalloc(mul_sz(TB, in0), sizeof(double), &bytes))) ||
            (gates && !(q->d_gates = zalloc(mul_sz(TB, GH), sizeof(double), &bytes))) ||
            !(q->d_rec = zalloc(B * GH, sizeof(double), &bytes)) ||
            !(q->d_h0 = zalloc(B * H, sizeof(double), &bytes)) ||
            !(q->d_hold = zalloc(B * H, sizeof(double), &bytes)))
            goto nomem;
        /* Every layer's codes are kept, the last's too: they are its
         * recurrent input and, dequantized, y. */
        for (int k = 0; k < nseq; k++)
            if (!(q->d_seq[k] = zalloc(mul_sz(TB, DH), sizeof(double), &bytes)))
                goto nomem;
    } else {
        if ((in0 && !(q->f_x = zalloc(mul_sz(TB, in0), sizeof(float), &bytes))) ||
            (gates && !(q->f_gates = zalloc(mul_sz(TB, GH), sizeof(float), &bytes))) ||
            !(q->f_rec = zalloc(B * GH, sizeof(float), &bytes)) ||
            !(q->f_h0 = zalloc(B * H, sizeof(float), &bytes)) ||
            !(q->f_hold = zalloc(B * H, sizeof(float), &bytes)))
            goto nomem;
        /* The last layer writes y itself. */
        for (int k = 0; k < q->L - 1 && k < 2; k++)
            if (!(q->f_seq[k] = zalloc(mul_sz(TB, DH), sizeof(float), &bytes)))
                goto nomem;
        if (q->acc16 && !(q->acc_scratch = zalloc(ACC_SCRATCH, sizeof(double), &bytes)))
            goto nomem;
    }
    if (!(q->pre = zalloc(B * GH, sizeof(float), &bytes)) ||
        !(q->c = zalloc(B * H, sizeof(float), &bytes)) ||
        !(q->h = zalloc(B * H, sizeof(float), &bytes)))
        goto nomem;
    if (q->cell == RB_CELL_GRU && (!(q->hn = zalloc(B * H, sizeof(float), &bytes)) ||
                                   !(q->hv = zalloc(B * H, sizeof(float), &bytes))))
        goto nomem;
    *out = q;
    return 0;
nomem:
    rc = rb_errf(e, RB_ENOMEM,
                 "asic: out of memory preparing the %s model (%zu bytes asked for so far, "
                 "H %d, layers %d, T*B %zu)",
                 k_dtype_names[n->dtype], bytes, q->H, q->L, TB);
fail:
    rb_asic_qmodel_free(q);
    return rc;
}

/* ---- the forward ------------------------------------------------------------- */

static inline float sigm(float v) { return 1.0f / (1.0f + expf(-v)); }

static inline float clipf(float v, float c) { return v > c ? c : v < -c ? -c : v; }

/* Is row b past its length at step t?  It then outputs zero and its h and c
 * stay as they were (model.h). */
static inline int held(const rb_batch *in, int t, int b) { return in->lens && t >= in->lens[b]; }

/* pre [B, GH] -> h [B, H] in fp32; c [B, H] updated (LSTM); rows past their
 * length at step t left alone. */
static void cell_update(const rb_asic_qmodel *q, const q_layer *ly, const rb_batch *in, int t)
{
    const int H = q->H, B = in->batch;
    const float k = q->clip > 0 ? q->clip : INFINITY, *pv = ly->peep;
    for (int b = 0; b < B; b++) {
        if (held(in, t, b))
            continue;
        const float *p = q->pre + (size_t)b * q->G * H;
        float *h = q->h + (size_t)b * H, *c = q->c + (size_t)b * H;
        if (q->cell == RB_CELL_GRU) {
            /* without a clip k is inf and clipf returns its argument */
            const float *hn = q->hn + (size_t)b * H, *hv = q->hv + (size_t)b * H;
            for (int j = 0; j < H; j++) {
                float r = sigm(clipf(p[j], k)), z = sigm(clipf(p[H + j], k));
                float n = tanhf(clipf(p[2 * H + j] + r * hn[j], k));
                h[j] = (1.0f - z) * n + z * hv[j];
            }
        } else if (q->cell == RB_CELL_LSTM && !q->ext)
            for (int j = 0; j < H; j++) {
                float i = sigm(p[j]), f = sigm(p[H + j]), g = tanhf(p[2 * H + j]);
                float o = sigm(p[3 * H + j]);
                c[j] = f * c[j] + i * g;
                h[j] = o * tanhf(c[j]);
            }
        else if (q->cell == RB_CELL_LSTM)
            /* ONNX's cell: peepholes see c_{t-1} for i and f and the new c
             * for o; the clip bounds every activation's input */
            for (int j = 0; j < H; j++) {
                float ai = pv ? p[j] + pv[j] * c[j] : p[j];
                float af = pv ? p[H + j] + pv[H + j] * c[j] : p[H + j];
                float i = sigm(clipf(ai, k));
                float f = q->coupled ? 1.0f - i : sigm(clipf(af, k));
                float g = tanhf(clipf(p[2 * H + j], k));
                c[j] = f * c[j] + i * g;
                float ao = pv ? p[3 * H + j] + pv[2 * H + j] * c[j] : p[3 * H + j];
                h[j] = sigm(clipf(ao, k)) * tanhf(c[j]);
            }
        else if (!q->ext)
            for (int j = 0; j < H; j++)
                h[j] = tanhf(p[j]);
        else
            for (int j = 0; j < H; j++)
                h[j] = tanhf(clipf(p[j], k));
    }
}

static void init_c(rb_asic_qmodel *q, const rb_batch *in, int u)
{
    size_t BH = (size_t)in->batch * q->H;
    if (q->cell == RB_CELL_LSTM && in->c0)
        memcpy(q->c, in->c0 + (size_t)u * BH, BH * sizeof *q->c);
    else
        memset(q->c, 0, BH * sizeof *q->c);
}

/* Unit u (layer l, direction d) writes columns [d*H, (d+1)*H) of its
 * layer's stored sequence [T*B, D*H] and walks its steps backwards when
 * reversed.  The recurrent product reads the previous step's stored h
 * where it lies in that sequence; with row lengths it reads the h each row
 * carries (hold), since a row past its end outputs zero but keeps its h. */
static void forward_int(rb_asic_qmodel *q, const rb_batch *in, float *y, double s_x)
{
    const int T = in->seq, B = in->batch, H = q->H, GH = q->G * q->H, TB = T * B, D = q->D;
    const int DH = D * H;
    const size_t BH = (size_t)B * H;
    const double qm = q->qmax;
    const double *xin = q->d_x; /* this layer's input codes */
    /* rows whose input and recurrent sums merge: all but a GRU's n rows */
    const int nsum = q->cell == RB_CELL_GRU ? 2 * H : GH;
    for (int l = 0; l < q->L; l++) {
        double *hs = q->d_seq[l % 2];
        for (int d = 0; d < D; d++) {
            const int u = l * D + d;
            q_layer *ly = &q->layer[u];
            if (ly->in) {
                if (l == 0)
                    for (int r = 0; r < GH; r++)
                        ly->sc_ih[r] = (float)((double)ly->s_ih[r] * s_x);
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, TB, GH, ly->in, 1.0, xin,
                            ly->in, ly->qw_ih, ly->in, 0.0, q->d_gates, GH);
            }
            init_c(q, in, u);
            for (size_t k = 0; k < BH; k++)
                q->d_h0[k] =
                    in->h0 ? quant((double)in->h0[(size_t)u * BH + k] * qm, 1.0, q->qmax) : 0.0;
            const double *hp = q->d_h0;
            int ldh = H;
            if (in->lens) {
                memcpy(q->d_hold, q->d_h0, BH * sizeof *q->d_hold);
                hp = q->d_hold;
            }
            for (int s = 0; s < T; s++) {
                const int t = ly->reverse ? T - 1 - s : s;
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, GH, H, 1.0, hp, ldh,
                            ly->qw_hh, H, 0.0, q->d_rec, GH);
                for (int b = 0; b < B; b++) {
                    size_t row = (size_t)t * B + b;
                    const double *ar = q->d_rec + (size_t)b * GH;
                    float *p = q->pre + (size_t)b * GH;
                    if (ly->in) {
                        const double *ai = q->d_gates + row * GH;
                        for (int r = 0; r < nsum; r++)
                            p[r] = ly->sc_ih[r] * (float)ai[r] + ly->sc_hh[r] * (float)ar[r] +
                                   ly->bias[r];
                        for (int r = nsum; r < GH; r++)
                            p[r] = ly->sc_ih[r] * (float)ai[r] + ly->bias[r];
                    } else {
                        const float *xr = in->x + row * GH;
                        for (int r = 0; r < nsum; r++)
                            p[r] = xr[r] + ly->sc_hh[r] * (float)ar[r] + ly->bias[r];
                        for (int r = nsum; r < GH; r++)
                            p[r] = xr[r] + ly->bias[r];
                    }
                    for (int j = 0; j < GH - nsum; j++) { /* the GRU's n rows */
                        q->hn[(size_t)b * H + j] =
                            ly->sc_hh[nsum + j] * (float)ar[nsum + j] + ly->b_hn[j];
                        q->hv[(size_t)b * H + j] = (float)(hp[(size_t)b * ldh + j] / qm);
                    }
                }
                cell_update(q, ly, in, t);
                double *ht = hs + (size_t)t * B * DH + (size_t)d * H;
                for (int b = 0; b < B; b++) {
                    double *hb = ht + (size_t)b * DH;
                    const float *hf = q->h + (size_t)b * H;
                    if (held(in, t, b)) {
                        memset(hb, 0, (size_t)H * sizeof *hb);
                        continue;
                    }
                    for (int j = 0; j < H; j++)
                        hb[j] = quant((double)hf[j] * qm, 1.0, q->qmax);
                    if (in->lens)
                        memcpy(q->d_hold + (size_t)b * H, hb, (size_t)H * sizeof *hb);
                }
                if (!in->lens) {
                    hp = ht;
                    ldh = DH;
                }
            }
        }
        xin = hs;
    }
    const double *last = q->d_seq[(q->L - 1) % 2];
    for (size_t k = 0; k < (size_t)TB * DH; k++)
        y[k] = (float)(last[k] / qm);
}

/* out [M, N] = x [M, K] times W^T in the float types' arithmetic; x's rows
 * ldx apart. */
static void gemm_float(const rb_asic_qmodel *q, int M, int N, int K, const float *x, int ldx,
                       const float *w, float *out)
{
    if (q->acc16)
        gemm_acc16(q->rnd, M, N, K, x, ldx, w, out, q->acc_scratch);
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, x, ldx, w, K, 0.0f, out,
                    N);
}

/* As forward_int, in the float types. */
static void forward_float(rb_asic_qmodel *q, const rb_batch *in, float *y)
{
    const int T = in->seq, B = in->batch, H = q->H, GH = q->G * q->H, TB = T * B, D = q->D;
    const int DH = D * H;
    const size_t BH = (size_t)B * H;
    const rb_asic_dtype dt = q->n.dtype;
    /* rows whose input and recurrent sums merge: all but a GRU's n rows */
    const int nsum = q->cell == RB_CELL_GRU ? 2 * H : GH;
    if (q->layer[0].in)
        for (size_t k = 0; k < (size_t)TB * q->layer[0].in; k++)
            q->f_x[k] = round_to(dt, in->x[k]);
    const float *xin = q->f_x;
    for (int l = 0; l < q->L; l++) {
        float *hs = l == q->L - 1 ? y : q->f_seq[l % 2];
        for (int d = 0; d < D; d++) {
            const int u = l * D + d;
            q_layer *ly = &q->layer[u];
            if (ly->in)
                gemm_float(q, TB, GH, ly->in, xin, ly->in, ly->w_ih, q->f_gates);
            init_c(q, in, u);
            for (size_t k = 0; k < BH; k++)
                q->f_h0[k] = in->h0 ? round_to(dt, in->h0[(size_t)u * BH + k]) : 0.0f;
            const float *hp = q->f_h0;
            int ldh = H;
            if (in->lens) {
                memcpy(q->f_hold, q->f_h0, BH * sizeof *q->f_hold);
                hp = q->f_hold;
            }
            for (int s = 0; s < T; s++) {
                const int t = ly->reverse ? T - 1 - s : s;
                gemm_float(q, B, GH, H, hp, ldh, ly->w_hh, q->f_rec);
                for (int b = 0; b < B; b++) {
                    size_t row = (size_t)t * B + b;
                    const float *ar = q->f_rec + (size_t)b * GH;
                    const float *ai = ly->in ? q->f_gates + row * GH : in->x + row * GH;
                    float *p = q->pre + (size_t)b * GH;
                    for (int r = 0; r < nsum; r++)
                        p[r] = ai[r] + ar[r] + ly->bias[r];
                    for (int r = nsum; r < GH; r++)
                        p[r] = ai[r] + ly->bias[r];
                    for (int j = 0; j < GH - nsum; j++) { /* the GRU's n rows */
                        q->hn[(size_t)b * H + j] = ar[nsum + j] + ly->b_hn[j];
                        q->hv[(size_t)b * H + j] = hp[(size_t)b * ldh + j];
                    }
                }
                cell_update(q, ly, in, t);
                float *ht = hs + (size_t)t * B * DH + (size_t)d * H;
                for (int b = 0; b < B; b++) {
                    float *hb = ht + (size_t)b * DH;
                    const float *hf = q->h + (size_t)b * H;
                    if (held(in, t, b)) {
                        memset(hb, 0, (size_t)H * sizeof *hb);
                        continue;
                    }
                    for (int j = 0; j < H; j++)
                        hb[j] = round_to(dt, hf[j]);
                    if (in->lens)
                        memcpy(q->f_hold + (size_t)b * H, hb, (size_t)H * sizeof *hb);
                }
                if (!in->lens) {
                    hp = ht;
                    ldh = DH;
                }
            }
        }
        xin = hs;
    }
}

int rb_asic_forward(rb_asic_qmodel *q, const rb_batch *in, float *y, rb_err *e)
{
    if (!q || !in || !y || !in->x)
        return rb_errf(e, RB_EINPUT,
                       "asic: forward needs a prepared model, an input and an "
                       "output buffer");
    int width = q->input_proj ? q->input : q->G * q->H;
    if (in->seq <= 0 || in->batch <= 0 || in->seq > q->max_T || in->batch > q->max_B)
        return rb_errf(e, RB_EINPUT,
                       "asic: seq %d, batch %d outside what the model was prepared for "
                       "(1..%d, 1..%d)",
                       in->seq, in->batch, q->max_T, q->max_B);
    if (in->width != width)
        return rb_errf(e, RB_EINPUT, "asic: input width %d, but the model expects %d%s", in->width,
                       width, q->input_proj ? "" : " (G*H, no input projection)");
    for (int b = 0; in->lens && b < in->batch; b++)
        if (in->lens[b] < 0 || in->lens[b] > in->seq)
            return rb_errf(e, RB_EINPUT, "asic: row %d has length %d, outside 0..%d", b,
                           in->lens[b], in->seq);
    if (!rb_asic_dtype_is_int(q->n.dtype)) {
        forward_float(q, in, y);
        return 0;
    }
    double s_x = 1.0;
    if (q->input_proj) {
        /* One scale for the whole sequence, calibrated on it.  With row
         * lengths, on the steps each row runs: the rest is never read, so
         * it neither sets the scale nor needs a code (it gets 0). */
        size_t nx = (size_t)in->seq * in->batch * width, at;
        if (!in->lens) {
            if (first_nonfinite(in->x, nx, &at))
                return rb_errf(e, RB_EINPUT, "asic: x[%zu] = %g has no %s code", at,
                               (double)in->x[at], k_dtype_names[q->n.dtype]);
            double mx = 0;
            for (size_t k = 0; k < nx; k++)
                mx = fabs(in->x[k]) > mx ? fabs(in->x[k]) : mx;
            s_x = scale_for(mx, q->qmax);
            for (size_t k = 0; k < nx; k++)
                q->d_x[k] = quant(in->x[k], s_x, q->qmax);
        } else {
            double mx = 0;
            for (int t = 0; t < in->seq; t++)
                for (int b = 0; b < in->batch; b++) {
                    size_t row = ((size_t)t * in->batch + b) * width;
                    if (held(in, t, b))
                        continue;
                    if (first_nonfinite(in->x + row, (size_t)width, &at))
                        return rb_errf(e, RB_EINPUT, "asic: x[%zu] = %g has no %s code", row + at,
                                       (double)in->x[row + at], k_dtype_names[q->n.dtype]);
                    for (int k = 0; k < width; k++)
                        mx = fabs(in->x[row + k]) > mx ? fabs(in->x[row + k]) : mx;
                }
            s_x = scale_for(mx, q->qmax);
            for (int t = 0; t < in->seq; t++)
                for (int b = 0; b < in->batch; b++) {
                    size_t row = ((size_t)t * in->batch + b) * width;
                    for (int k = 0; k < width; k++)
                        q->d_x[row + k] =
                            held(in, t, b) ? 0.0 : quant(in->x[row + k], s_x, q->qmax);
                }
        }
    }
    forward_int(q, in, y, s_x);
    return 0;
}

/* ---- quality ------------------------------------------------------------------ */

/* Worst max |y - ref| measured for PyTorch-style init (weights and biases
 * ~ U(-1/sqrt(H), 1/sqrt(H)), x ~ U(-1, 1), h0/c0 ~ U(-1, 1) where given) on
 * the shapes of test_asic_numerics.c's test_quality (T <= 50, B <= 4,
 * I <= 256, H <= 256, L <= 3, lstm, rnn and gru, with and without h0/c0 and
 * input projection) plus each cell at T=50 B=4 I=H=256 L=3, 10 seeds each:
 *
 *   numerics                  lstm      rnn       gru       bound
 *   int8 per-tensor           6.4e-3    1.7e-2    1.2e-2    0.035
 *   int8 per-channel          6.6e-3    1.6e-2    1.2e-2    0.035
 *   int16 (either)            2.5e-5    7.0e-5    4.7e-5    1.5e-4
 *   bf16, fp32 acc            1.6e-3    4.6e-3    3.8e-3    0.01
 *   bf16, bf16 acc            9.4e-3    3.7e-2    1.6e-2    0.075
 *   fp16, fp32 acc            1.9e-4    5.7e-4    4.4e-4    1.2e-3
 *   fp16, fp16 acc            1.3e-3    4.6e-3    1.9e-3    0.01
 *   fp32                      1.7e-7    4.6e-7    2.5e-7    1e-6
 *
 * The bounds are ~2x the worse cell's figure (the function knows only the
 * numerics).  Where it comes from:
 *   - Storing h in the datatype costs up to half its step at every output:
 *     1/254 for int8, 1/65534 for int16, for outputs in [0.5, 1) 2^-9 (bf16)
 *     and 2^-12 (fp16); this alone is most of the integer and fp32-accumulator
 *     figures, which is why they barely move with K: T=25 B=4 I=H=1024
 *     measured 1.4e-2 (int8, rnn), 5.6e-5 (int16), 4.3e-3 (bf16), 6.1e-4
 *     (fp16), H=2048 the same.
 *   - Weight quantization adds ~sqrt(K) * step * rms(input) per
 *     pre-activation; per-channel scales buy nothing here because PyTorch
 *     init gives every row the same range (trained weights differ).
 *   - The rnn's error is ~3x the lstm's: tanh passes pre-activation errors
 *     at slope ~1 to outputs up to ~0.9; the lstm's sigmoid gates attenuate.
 *     The gru lies between: its n is a tanh, but z mixes it with h_{t-1},
 *     whose stored error it carries on (attenuated by z < 1).
 *   - A 16-bit accumulator rounds every partial sum: its error grows with K
 *     and these bounds hold only for the tested shapes.  T=25 I=H=1024
 *     measured 8.5e-2 (bf16 acc, rnn) and 1.2e-2 (fp16 acc); I=H=2048 0.14
 *     and 2.0e-2.
 *   - fp32 is the cpu target's arithmetic; the harness checks it against
 *     rb_fp32_tolerance, this figure is for completeness.
 * Numerics that fail rb_asic_numerics_check have no bound: INFINITY. */
double rb_asic_quality_bound(const rb_asic_numerics *n)
{
    if (rb_asic_numerics_check(n, NULL) != 0)
        return INFINITY;
    switch (n->dtype) {
    case RB_ASIC_INT8: return 0.035; /* the sums are exact: acc_bits changes nothing */
    case RB_ASIC_INT16: return 1.5e-4;
    case RB_ASIC_BF16: return n->acc_bits == 16 ? 0.075 : 0.01;
    case RB_ASIC_FP16: return n->acc_bits == 16 ? 0.01 : 1.2e-3;
    case RB_ASIC_FP32: return 1e-6;
    }
    return INFINITY;
}
