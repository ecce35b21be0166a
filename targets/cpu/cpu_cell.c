/* cpu_cell.c — the fused elementwise pass of one time step, vectorized.
 *
 * With libm's scalar expf/tanhf this pass took a third to a half of the whole
 * forward at small hidden sizes (it runs on one core while the GEMMs use
 * all), so it works on 8 units at a time with GCC vector extensions and
 * Cephes-style polynomials (about 2 ulp; libm's are ~1 ulp), compiled twice
 * — AVX2 and baseline x86-64 — and picked at load time by the dynamic
 * linker.  The build uses no -march flag, so this is the only place wider
 * vectors would come from.  Error against the fp64 reference stays far
 * below rb_fp32_tolerance: the GEMMs' rounding dominates. */
#include <string.h>

#include "cpu.h"

typedef float v8f __attribute__((vector_size(32)));
typedef int v8i __attribute__((vector_size(32)));
typedef unsigned v8u __attribute__((vector_size(32)));

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
#define RB_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define RB_CLONES
#endif

/* Helpers are always inlined and take vectors by pointer: no 32-byte vector
 * ever crosses a real call, so GCC's ABI diagnostics for the baseline clone
 * (a warning for returns, an unsilenceable note for by-value parameters)
 * do not apply. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#elif defined(__clang__)
#pragma clang diagnostic ignored "-Wpsabi"
#endif
#define INLINE static inline __attribute__((always_inline))
#define SPLAT(x) ((v8f){(x), (x), (x), (x), (x), (x), (x), (x)})
/* Lanes where m is all ones take a, the others b. */
#define SELECT(m, a, b) ((v8f)(((m) & (v8i)(a)) | (~(m) & (v8i)(b))))

INLINE v8f load8(const float *p)
{
    v8f v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* Cephes expf, in place: x = n ln2 + r with |r| <= ln2/2, a degree-6
 * polynomial for e^r, 2^n built in the exponent bits.  The clamp keeps 2^n
 * a normal number: no overflow to inf, no denormal slowdown. */
INLINE void exp8(v8f *v)
{
    v8f x = *v;
    /* written so that NaN fails both tests and propagates: a NaN must reach
     * the comparison with the reference, not be clamped into a number */
    x = SELECT(x > SPLAT(88.3f), SPLAT(88.3f), x);
    x = SELECT(x < SPLAT(-87.3f), SPLAT(-87.3f), x);
    /* round(x / ln2): the +128.5 offset makes truncation a floor; nb = n + 128
     * stays biased so that a NaN (converted to INT_MIN) never meets a signed
     * subtraction: the exponent bits are made in unsigned arithmetic */
    v8i nb = __builtin_convertvector(x * SPLAT(1.44269504088896341f) + SPLAT(128.5f), v8i);
    v8f n = __builtin_convertvector(nb, v8f) - SPLAT(128.0f);
    v8f r = x - n * SPLAT(0.693359375f) - n * SPLAT(-2.12194440e-4f);
    v8f p = SPLAT(1.9875691500e-4f);
    p = p * r + SPLAT(1.3981999507e-3f);
    p = p * r + SPLAT(8.3334519073e-3f);
    p = p * r + SPLAT(4.1665795894e-2f);
    p = p * r + SPLAT(1.6666665459e-1f);
    p = p * r + SPLAT(5.0000001201e-1f);
    p = p * r * r + r + SPLAT(1.0f);
    *v = p * (v8f)(((v8u)nb - 1u) << 23); /* 2^n: (n + 127) << 23 */
}

INLINE void sigmoid8(v8f *v)
{
    v8f e = -*v;
    exp8(&e);
    *v = SPLAT(1.0f) / (SPLAT(1.0f) + e);
}

/* Cephes tanhf, in place: an odd polynomial near 0, where 1 - 2/(e^2x + 1)
 * would lose the relative precision of small results, the exponential form
 * elsewhere. */
INLINE void tanh8(v8f *v)
{
    v8f x = *v;
    v8i sign = (v8i)x & (v8i)SPLAT(-0.0f);
    v8f a = (v8f)((v8i)x ^ sign);
    v8f e = a + a;
    exp8(&e);
    v8f big = (v8f)((v8i)(SPLAT(1.0f) - SPLAT(2.0f) / (e + SPLAT(1.0f))) | sign);
    v8f z = x * x;
    v8f p = SPLAT(-5.70498872745e-3f);
    p = p * z + SPLAT(2.06390887954e-2f);
    p = p * z + SPLAT(-5.37397155531e-2f);
    p = p * z + SPLAT(1.33314422036e-1f);
    p = p * z + SPLAT(-3.33332819422e-1f);
    v8f small = p * z * x + x;
    *v = SELECT(a < SPLAT(0.625f), small, big);
}

INLINE void store8(float *p, const v8f *v) { memcpy(p, v, sizeof *v); }

/* Eight units: gate k of unit j is at p[k*H + j] (and likewise r, bias,
 * act).  act, when not NULL, receives the activated gates for BPTT. */
INLINE void lstm8(const float *p, const float *r, const float *bias, size_t H, const float *c_prev,
                  float *c, float *h, float *act)
{
    v8f i = load8(p) + load8(r) + load8(bias);
    v8f f = load8(p + H) + load8(r + H) + load8(bias + H);
    v8f g = load8(p + 2 * H) + load8(r + 2 * H) + load8(bias + 2 * H);
    v8f o = load8(p + 3 * H) + load8(r + 3 * H) + load8(bias + 3 * H);
    sigmoid8(&i);
    sigmoid8(&f);
    tanh8(&g);
    sigmoid8(&o);
    if (act) {
        store8(act, &i);
        store8(act + H, &f);
        store8(act + 2 * H, &g);
        store8(act + 3 * H, &o);
    }
    v8f cn = f * load8(c_prev) + i * g;
    store8(c, &cn);
    tanh8(&cn);
    v8f hn = o * cn;
    store8(h, &hn);
}

RB_CLONES
void rb_cpu_lstm_cell(int B, int H, const float *pre, const float *rec, const float *bias,
                      const float *c_prev, float *c, float *h, float *act)
{
    const size_t GH = 4 * (size_t)H;
    const int full = H & ~7;
    for (int b = 0; b < B; b++) {
        const float *p = pre + b * GH, *r = rec + b * GH, *cp = c_prev + (size_t)b * H;
        float *cb = c + (size_t)b * H, *hb = h + (size_t)b * H, *ab = act ? act + b * GH : NULL;
        for (int j = 0; j < full; j += 8)
            lstm8(p + j, r + j, bias + j, (size_t)H, cp + j, cb + j, hb + j, ab ? ab + j : NULL);
        int n = H - full;
        if (!n)
            continue;
        /* The last H % 8 units go through the same code in padded copies,
         * so every unit sees the same arithmetic and nothing is read or
         * written past the caller's rows. */
        float tp[32] = {0}, tr[32] = {0}, tb[32] = {0}, ta[32], tc[8] = {0}, th[8];
        for (int k = 0; k < 4; k++) {
            memcpy(tp + 8 * k, p + (size_t)k * H + full, (size_t)n * sizeof(float));
            memcpy(tr + 8 * k, r + (size_t)k * H + full, (size_t)n * sizeof(float));
            memcpy(tb + 8 * k, bias + (size_t)k * H + full, (size_t)n * sizeof(float));
        }
        memcpy(tc, cp + full, (size_t)n * sizeof(float));
        lstm8(tp, tr, tb, 8, tc, tc, th, ta);
        memcpy(cb + full, tc, (size_t)n * sizeof(float));
        memcpy(hb + full, th, (size_t)n * sizeof(float));
        if (ab)
            for (int k = 0; k < 4; k++)
                memcpy(ab + (size_t)k * H + full, ta + 8 * k, (size_t)n * sizeof(float));
    }
}

/* Lanes bounded to [-k, k]; NaN passes (both tests fail). */
INLINE void clip8(v8f *v, float k)
{
    *v = SELECT(*v > SPLAT(k), SPLAT(k), *v);
    *v = SELECT(*v < SPLAT(-k), SPLAT(-k), *v);
}

/* lstm8 with what imported models add (rb_cpu_lstm_cell_ext). */
INLINE void lstm8x(const float *p, const float *r, const float *bias, size_t H, const float *peep,
                   float clip, int coupled, const float *c_prev, float *c, float *h)
{
    v8f cp = load8(c_prev);
    v8f i = load8(p) + load8(r) + load8(bias);
    v8f f = load8(p + H) + load8(r + H) + load8(bias + H);
    v8f g = load8(p + 2 * H) + load8(r + 2 * H) + load8(bias + 2 * H);
    v8f o = load8(p + 3 * H) + load8(r + 3 * H) + load8(bias + 3 * H);
    if (peep) {
        i += load8(peep) * cp;
        f += load8(peep + H) * cp;
    }
    if (clip > 0) {
        clip8(&i, clip);
        clip8(&f, clip);
        clip8(&g, clip);
    }
    sigmoid8(&i);
    if (coupled)
        f = SPLAT(1.0f) - i;
    else
        sigmoid8(&f);
    tanh8(&g);
    v8f cn = f * cp + i * g;
    store8(c, &cn);
    if (peep)
        o += load8(peep + 2 * H) * cn;
    if (clip > 0)
        clip8(&o, clip);
    sigmoid8(&o);
    tanh8(&cn);
    v8f hn = o * cn;
    store8(h, &hn);
}

RB_CLONES
void rb_cpu_lstm_cell_ext(int B, int H, const float *pre, const float *rec, const float *bias,
                          const float *peep, float clip, int coupled, const float *c_prev, float *c,
                          float *h)
{
    const size_t GH = 4 * (size_t)H;
    const int full = H & ~7;
    for (int b = 0; b < B; b++) {
        const float *p = pre + b * GH, *r = rec + b * GH, *cp = c_prev + (size_t)b * H;
        float *cb = c + (size_t)b * H, *hb = h + (size_t)b * H;
        for (int j = 0; j < full; j += 8)
            lstm8x(p + j, r + j, bias + j, (size_t)H, peep ? peep + j : NULL, clip, coupled, cp + j,
                   cb + j, hb + j);
        int n = H - full;
        if (!n)
            continue;
        float tp[32] = {0}, tr[32] = {0}, tb[32] = {0}, tq[24] = {0}, tc[8] = {0}, th[8];
        for (int k = 0; k < 4; k++) {
            memcpy(tp + 8 * k, p + (size_t)k * H + full, (size_t)n * sizeof(float));
            memcpy(tr + 8 * k, r + (size_t)k * H + full, (size_t)n * sizeof(float));
            memcpy(tb + 8 * k, bias + (size_t)k * H + full, (size_t)n * sizeof(float));
        }
        for (int k = 0; peep && k < 3; k++)
            memcpy(tq + 8 * k, peep + (size_t)k * H + full, (size_t)n * sizeof(float));
        memcpy(tc, cp + full, (size_t)n * sizeof(float));
        lstm8x(tp, tr, tb, 8, peep ? tq : NULL, clip, coupled, tc, tc, th);
        memcpy(cb + full, tc, (size_t)n * sizeof(float));
        memcpy(hb + full, th, (size_t)n * sizeof(float));
    }
}

/* BPTT through eight units of one step (see rb_cpu_lstm_bwd). */
INLINE void lstm_bwd8(const float *dy, const float *dh_next, const float *act, size_t H,
                      const float *c, const float *c_prev, float *dc, float *dA)
{
    v8f dh = load8(dy) + load8(dh_next);
    v8f i = load8(act), f = load8(act + H), g = load8(act + 2 * H), o = load8(act + 3 * H);
    v8f tc = load8(c);
    tanh8(&tc);
    const v8f one = SPLAT(1.0f);
    v8f dct = load8(dc) + dh * o * (one - tc * tc);
    v8f di = dct * g * i * (one - i);
    v8f df = dct * load8(c_prev) * f * (one - f);
    v8f dg = dct * i * (one - g * g);
    v8f d_o = dh * tc * o * (one - o);
    store8(dA, &di);
    store8(dA + H, &df);
    store8(dA + 2 * H, &dg);
    store8(dA + 3 * H, &d_o);
    v8f dcn = dct * f;
    store8(dc, &dcn);
}

RB_CLONES
void rb_cpu_lstm_bwd(int B, int H, const float *dy, const float *dh_next, const float *act,
                     const float *c, const float *c_prev, float *dc, float *dA)
{
    const size_t GH = 4 * (size_t)H;
    const int full = H & ~7;
    for (int b = 0; b < B; b++) {
        size_t o = (size_t)b * H;
        const float *ab = act + b * GH;
        float *db = dA + b * GH;
        for (int j = 0; j < full; j += 8)
            lstm_bwd8(dy + o + j, dh_next + o + j, ab + j, (size_t)H, c + o + j, c_prev + o + j,
                      dc + o + j, db + j);
        int n = H - full;
        if (!n)
            continue;
        float ty[8] = {0}, tn[8] = {0}, ta[32] = {0}, tc[8] = {0}, tp[8] = {0}, td[8] = {0}, tA[32];
        size_t bytes = (size_t)n * sizeof(float);
        memcpy(ty, dy + o + full, bytes);
        memcpy(tn, dh_next + o + full, bytes);
        memcpy(tc, c + o + full, bytes);
        memcpy(tp, c_prev + o + full, bytes);
        memcpy(td, dc + o + full, bytes);
        for (int k = 0; k < 4; k++)
            memcpy(ta + 8 * k, ab + (size_t)k * H + full, bytes);
        lstm_bwd8(ty, tn, ta, 8, tc, tp, td, tA);
        memcpy(dc + o + full, td, bytes);
        for (int k = 0; k < 4; k++)
            memcpy(db + (size_t)k * H + full, tA + 8 * k, bytes);
    }
}

void rb_cpu_rnn_bwd(int B, int H, const float *dy, const float *dh_next, const float *h, float *dA)
{
    /* no transcendental here: the compiler vectorizes this loop by itself */
    for (size_t k = 0; k < (size_t)B * H; k++)
        dA[k] = (dy[k] + dh_next[k]) * (1.0f - h[k] * h[k]);
}

RB_CLONES
void rb_cpu_rnn_cell(int B, int H, const float *pre, const float *rec, const float *bias,
                     float clip, float *h)
{
    const int full = H & ~7;
    for (int b = 0; b < B; b++) {
        const float *p = pre + (size_t)b * H, *r = rec + (size_t)b * H;
        float *hb = h + (size_t)b * H;
        for (int j = 0; j < full; j += 8) {
            v8f z = load8(p + j) + load8(r + j) + load8(bias + j);
            if (clip > 0)
                clip8(&z, clip);
            tanh8(&z);
            memcpy(hb + j, &z, sizeof z);
        }
        int n = H - full;
        if (!n)
            continue;
        float t[8] = {0};
        for (int j = 0; j < n; j++)
            t[j] = p[full + j] + r[full + j] + bias[full + j];
        v8f z = load8(t);
        if (clip > 0)
            clip8(&z, clip);
        tanh8(&z);
        memcpy(t, &z, sizeof z);
        memcpy(hb + full, t, (size_t)n * sizeof(float));
    }
}
