/* cpu_vmath.h — the gate nonlinearities and the LSTM/GRU/RNN cells on GCC
 * vector extensions, for one vector width per translation unit.
 *
 * The includer defines RB_VW (floats per vector: 8 or 16) and compiles the
 * file for the instruction set that width is meant for; the same source then
 * serves the AVX-512, AVX2 and baseline kernels (cpu_rec_*.c) and the
 * backward's cell (cpu_cell.c), so every path computes the same arithmetic.
 *
 * With libm's scalar expf/tanhf the elementwise work took a third to a half
 * of a forward at small hidden sizes; these are Cephes-style polynomials
 * (about 2 ulp; libm's are ~1 ulp).  Error against the fp64 reference stays
 * far below rb_fp32_tolerance: the products' rounding dominates. */
#ifndef RB_CPU_VMATH_H
#define RB_CPU_VMATH_H

#include <stddef.h>
#include <string.h>

#ifndef RB_VW
#error "define RB_VW (floats per vector) before including cpu_vmath.h"
#endif

typedef float vf __attribute__((vector_size(RB_VW * 4)));
typedef int vi __attribute__((vector_size(RB_VW * 4)));
typedef unsigned vu __attribute__((vector_size(RB_VW * 4)));

/* Helpers are always inlined and take vectors by pointer: no wide vector
 * ever crosses a real call, so GCC's ABI diagnostics for a baseline build
 * (a warning for returns, an unsilenceable note for by-value parameters)
 * do not apply. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#elif defined(__clang__)
#pragma clang diagnostic ignored "-Wpsabi"
#endif
#define VM_INLINE static inline __attribute__((always_inline))
/* x in every lane: x - (+0) is x for every x, -0 and NaN included */
#define SPLAT(x) ((x) - (vf){0})
/* Lanes where m is all ones take a, the others b. */
#define SELECT(m, a, b) ((vf)(((m) & (vi)(a)) | (~(m) & (vi)(b))))

VM_INLINE vf loadv(const float *p)
{
    vf v;
    memcpy(&v, p, sizeof v);
    return v;
}

VM_INLINE void storev(float *p, const vf *v) { memcpy(p, v, sizeof *v); }

/* Cephes expf, in place: x = n ln2 + r with |r| <= ln2/2, a degree-6
 * polynomial for e^r, 2^n built in the exponent bits.  The clamp keeps 2^n
 * a normal number: no overflow to inf, no denormal slowdown. */
VM_INLINE void expv(vf *v)
{
    vf x = *v;
    /* written so that NaN fails both tests and propagates: a NaN must reach
     * the comparison with the reference, not be clamped into a number */
    x = SELECT(x > SPLAT(88.3f), SPLAT(88.3f), x);
    x = SELECT(x < SPLAT(-87.3f), SPLAT(-87.3f), x);
    /* round(x / ln2): the +128.5 offset makes truncation a floor; nb = n + 128
     * stays biased so that a NaN (converted to INT_MIN) never meets a signed
     * subtraction: the exponent bits are made in unsigned arithmetic */
    vi nb = __builtin_convertvector(x * SPLAT(1.44269504088896341f) + SPLAT(128.5f), vi);
    vf n = __builtin_convertvector(nb, vf) - SPLAT(128.0f);
    vf r = x - n * SPLAT(0.693359375f) - n * SPLAT(-2.12194440e-4f);
    vf p = SPLAT(1.9875691500e-4f);
    p = p * r + SPLAT(1.3981999507e-3f);
    p = p * r + SPLAT(8.3334519073e-3f);
    p = p * r + SPLAT(4.1665795894e-2f);
    p = p * r + SPLAT(1.6666665459e-1f);
    p = p * r + SPLAT(5.0000001201e-1f);
    p = p * r * r + r + SPLAT(1.0f);
    *v = p * (vf)(((vu)nb - 1u) << 23); /* 2^n: (n + 127) << 23 */
}

VM_INLINE void sigmoidv(vf *v)
{
    vf e = -*v;
    expv(&e);
    *v = SPLAT(1.0f) / (SPLAT(1.0f) + e);
}

/* Cephes tanhf, in place: an odd polynomial near 0, where 1 - 2/(e^2x + 1)
 * would lose the relative precision of small results, the exponential form
 * elsewhere. */
VM_INLINE void tanhv(vf *v)
{
    vf x = *v;
    vi sign = (vi)x & (vi)SPLAT(-0.0f);
    vf a = (vf)((vi)x ^ sign);
    vf e = a + a;
    expv(&e);
    vf big = (vf)((vi)(SPLAT(1.0f) - SPLAT(2.0f) / (e + SPLAT(1.0f))) | sign);
    vf z = x * x;
    vf p = SPLAT(-5.70498872745e-3f);
    p = p * z + SPLAT(2.06390887954e-2f);
    p = p * z + SPLAT(-5.37397155531e-2f);
    p = p * z + SPLAT(1.33314422036e-1f);
    p = p * z + SPLAT(-3.33332819422e-1f);
    vf small = p * z * x + x;
    *v = SELECT(a < SPLAT(0.625f), small, big);
}

/* Lanes bounded to [-k, k]; NaN passes (both tests fail). */
VM_INLINE void clipv(vf *v, float k)
{
    *v = SELECT(*v > SPLAT(k), SPLAT(k), *v);
    *v = SELECT(*v < SPLAT(-k), SPLAT(-k), *v);
}

/* What a layer's cell adds to the plain LSTM (model.h): peepholes peep
 * (i, f, o; RB_VW units each, consecutive vectors) or NULL, pre-activations
 * clipped to [-clip, clip] when clip > 0, f = 1 - i when coupled. */
typedef struct vm_ext {
    const float *peep;
    size_t peep_ld; /* floats between the i, f and o peepholes */
    float clip;
    int coupled;
} vm_ext;

/* One vector of units of an LSTM step from its four gate pre-activations z
 * (i, f, g, o: PyTorch's order): c = f*c_prev + i*g, h = o*tanh(c).  act,
 * when not NULL, receives the activated gates act[k*ld] (BPTT keeps them);
 * ext, when not NULL, adds what imported models have. */
VM_INLINE void lstm_v(vf z[4], const vm_ext *ext, const vf *c_prev, vf *c, vf *h, float *act,
                      size_t ld)
{
    vf i = z[0], f = z[1], g = z[2], o = z[3];
    if (ext && ext->peep) {
        i += loadv(ext->peep) * *c_prev;
        f += loadv(ext->peep + ext->peep_ld) * *c_prev;
    }
    if (ext && ext->clip > 0) {
        clipv(&i, ext->clip);
        clipv(&f, ext->clip);
        clipv(&g, ext->clip);
    }
    sigmoidv(&i);
    if (ext && ext->coupled)
        f = SPLAT(1.0f) - i;
    else
        sigmoidv(&f);
    tanhv(&g);
    vf cn = f * *c_prev + i * g;
    *c = cn;
    if (ext && ext->peep)
        o += loadv(ext->peep + 2 * ext->peep_ld) * cn;
    if (ext && ext->clip > 0)
        clipv(&o, ext->clip);
    sigmoidv(&o);
    if (act) {
        storev(act, &i);
        storev(act + ld, &f);
        storev(act + 2 * ld, &g);
        storev(act + 3 * ld, &o);
    }
    tanhv(&cn);
    *h = o * cn;
}

/* The GRU's update on one vector of units (model.h): zr, zz the r and z
 * pre-activations, hn = W_hn h + b_hn, xn = W_in x + b_in, hp = h_{t-1}.
 * act (ld apart) receives r, z, n and hn for BPTT. */
VM_INLINE void gru_v(vf *zr, vf *zz, const vf *hn, const vf *xn, const vf *hp, float clip, vf *h,
                     float *act, size_t ld)
{
    vf r = *zr, z = *zz;
    if (clip > 0) {
        clipv(&r, clip);
        clipv(&z, clip);
    }
    sigmoidv(&r);
    sigmoidv(&z);
    vf n = *xn + r * *hn;
    if (clip > 0)
        clipv(&n, clip);
    tanhv(&n);
    *h = n + z * (*hp - n); /* (1 - z) n + z h, one multiply */
    if (act) {
        storev(act, &r);
        storev(act + ld, &z);
        storev(act + 2 * ld, &n);
        storev(act + 3 * ld, hn);
    }
}

#endif
