/* cpu_cell.c — the elementwise work of one step of the backward pass.
 *
 * The forward's gates live in the recurrent kernel's epilogue (cpu_rec.h);
 * BPTT's pass runs over the stored activations, on the same vector math
 * (cpu_vmath.h) compiled twice — AVX2 and baseline x86-64 — and picked at
 * load time by the dynamic linker. */
#define RB_VW 8
#include "cpu.h"
#include "cpu_vmath.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
#define RB_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define RB_CLONES
#endif

/* BPTT through eight units of one step (see rb_cpu_lstm_bwd). */
VM_INLINE void lstm_bwd8(const float *dy, const float *dh_next, const float *act, size_t H,
                         const float *c, const float *c_prev, float *dc, float *dA)
{
    vf dh = loadv(dy) + loadv(dh_next);
    vf i = loadv(act), f = loadv(act + H), g = loadv(act + 2 * H), o = loadv(act + 3 * H);
    vf tc = loadv(c);
    tanhv(&tc);
    const vf one = SPLAT(1.0f);
    vf dct = loadv(dc) + dh * o * (one - tc * tc);
    vf di = dct * g * i * (one - i);
    vf df = dct * loadv(c_prev) * f * (one - f);
    vf dg = dct * i * (one - g * g);
    vf d_o = dh * tc * o * (one - o);
    storev(dA, &di);
    storev(dA + H, &df);
    storev(dA + 2 * H, &dg);
    storev(dA + 3 * H, &d_o);
    vf dcn = dct * f;
    storev(dc, &dcn);
}

RB_CLONES
void rb_cpu_lstm_bwd(int B, int H, int u0, int u1, const float *dy, const float *dh_next,
                     const float *act, const float *c, const float *c_prev, float *dc, float *dA)
{
    const size_t GH = 4 * (size_t)H;
    const int full = u0 + ((u1 - u0) & ~7);
    for (int b = 0; b < B; b++) {
        size_t o = (size_t)b * H;
        const float *ab = act + b * GH;
        float *db = dA + b * GH;
        for (int j = u0; j < full; j += 8)
            lstm_bwd8(dy + o + j, dh_next + o + j, ab + j, (size_t)H, c + o + j, c_prev + o + j,
                      dc + o + j, db + j);
        int n = u1 - full;
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

void rb_cpu_rnn_bwd(int B, int H, int u0, int u1, const float *dy, const float *dh_next,
                    const float *h, float *dA)
{
    /* no transcendental here: the compiler vectorizes this loop by itself */
    for (size_t b = 0; b < (size_t)B; b++)
        for (size_t k = b * H + u0; k < b * H + u1; k++)
            dA[k] = (dy[k] + dh_next[k]) * (1.0f - h[k] * h[k]);
}

void rb_cpu_gru_bwd(int B, int H, int u0, int u1, const float *dy, float *dh_next,
                    const float *act, const float *h_prev, float *dA, float *dAh)
{
    /* no transcendental: the activations are stored, and the compiler
     * vectorizes the loop by itself */
    const size_t H4 = 4 * (size_t)H, H3 = 3 * (size_t)H;
    for (size_t b = 0; b < (size_t)B; b++) {
        const float *r = act + b * H4, *z = r + H, *n = z + H, *hn = n + H;
        float *da = dA + b * H3, *dah = dAh + b * H3;
        for (int j = u0; j < u1; j++) {
            size_t k = b * H + j;
            float dh = dy[k] + dh_next[k];
            float dn = dh * (1.0f - z[j]) * (1.0f - n[j] * n[j]);
            float dr = dn * hn[j] * r[j] * (1.0f - r[j]);
            float dz = dh * (h_prev[k] - n[j]) * z[j] * (1.0f - z[j]);
            da[j] = dah[j] = dr;
            da[H + j] = dah[H + j] = dz;
            da[2 * H + j] = dn;
            dah[2 * H + j] = dn * r[j];
            dh_next[k] = dh * z[j];
        }
    }
}
