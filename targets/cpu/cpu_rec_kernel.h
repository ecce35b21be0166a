/* cpu_rec_kernel.h — the body of the recurrent step (cpu_rec.h), compiled
 * once per instruction set by cpu_rec_avx512.c, cpu_rec_avx2.c and
 * cpu_rec_generic.c.  The includer defines RB_VW (floats per vector), RB_MR
 * (rows per micro-tile: as many as the accumulators that fit the register
 * file, 4*RB_MR vectors), RB_REC_ISA (its name) and RB_REC_NAME (the
 * rb_rec_kernel it exports). */
#include "cpu_rec.h"
#include "cpu_vmath.h"

#define NR (4 * RB_VW) /* columns per panel: four vectors (three for the GRU) */

/* acc[m][q] = sum_k h[m][k] * panel[k][q], for mr rows and nv vectors of
 * columns: compile-time constants in each caller, so the loops unroll and
 * acc lives in registers; so is at, which says h is stored [K, rows] (ldh
 * apart) instead.  Results land NR floats apart per row whatever nv is. */
VM_INLINE void tile(const int mr, const int nv, const int at, int K, const float *restrict pk,
                    const float *restrict h, size_t ldh, float *restrict out)
{
    vf acc[RB_MR][4];
#pragma GCC unroll 16
    for (int m = 0; m < mr; m++)
        acc[m][0] = acc[m][1] = acc[m][2] = acc[m][3] = (vf){0};
    for (int k = 0; k < K; k++) {
        const float *w = pk + (size_t)k * nv * RB_VW;
        vf w0 = loadv(w), w1 = loadv(w + RB_VW), w2 = loadv(w + 2 * RB_VW),
           w3 = nv == 4 ? loadv(w + 3 * RB_VW) : (vf){0};
#pragma GCC unroll 16
        for (int m = 0; m < mr; m++) {
            vf a = SPLAT(at ? h[(size_t)k * ldh + m] : h[m * ldh + k]);
            acc[m][0] += a * w0;
            acc[m][1] += a * w1;
            acc[m][2] += a * w2;
            if (nv == 4)
                acc[m][3] += a * w3;
        }
    }
    /* out of registers with constant indices only: a variable index would
     * make GCC keep acc in memory for the whole loop */
#pragma GCC unroll 16
    for (int m = 0; m < mr; m++) {
        storev(out + m * NR, &acc[m][0]);
        storev(out + m * NR + RB_VW, &acc[m][1]);
        storev(out + m * NR + 2 * RB_VW, &acc[m][2]);
        if (nv == 4)
            storev(out + m * NR + 3 * RB_VW, &acc[m][3]);
    }
}

/* n <= RB_VW floats of p, zeros after them: a panel's last units may end
 * before the vector does, and nothing past the caller's rows is read. */
VM_INLINE vf load_n(const float *p, int n)
{
    if (n == RB_VW)
        return loadv(p);
    float t[RB_VW] = {0};
    memcpy(t, p, (size_t)n * sizeof *t);
    return loadv(t);
}

VM_INLINE void store_n(float *p, const vf *v, int n)
{
    if (n == RB_VW) {
        storev(p, v);
        return;
    }
    float t[RB_VW];
    storev(t, v);
    memcpy(p, t, (size_t)n * sizeof *t);
}

/* Row b past its length: output 0, h and c as before the step. */
static void hold(const rb_rec_step *st, int b, int u, int n)
{
    size_t o = (size_t)b * st->H + u;
    memset(st->y + o, 0, (size_t)n * sizeof(float));
    memcpy(st->h_next + o, st->h + o, (size_t)n * sizeof(float));
    if (st->c && st->c != st->c_prev)
        memcpy(st->c + o, st->c_prev + o, (size_t)n * sizeof(float));
}

/* The LSTM epilogue of row b, units u .. u+n-1 (n <= RB_VW), from the
 * recurrent product r (four vectors, one per gate). */
static void lstm_units(const rb_rec_step *st, int b, int u, int n, const float *r)
{
    const size_t H = (size_t)st->H, o = (size_t)b * H + u;
    const float *pre = st->pre + (size_t)b * 4 * H + u, *bias = st->bias + u;
    vf z[4];
    for (int g = 0; g < 4; g++)
        z[g] = loadv(r + g * RB_VW) + load_n(pre + g * H, n) + load_n(bias + g * H, n);
    float peep[3 * RB_VW];
    vm_ext ext = {NULL, RB_VW, st->clip, st->coupled};
    if (st->peep) {
        for (int g = 0; g < 3; g++) {
            vf p = load_n(st->peep + g * H + u, n);
            storev(peep + g * RB_VW, &p);
        }
        ext.peep = peep;
    }
    const int plain = !st->peep && st->clip <= 0 && !st->coupled;
    vf cp = load_n(st->c_prev + o, n), c, h;
    if (st->act && n == RB_VW) {
        lstm_v(z, plain ? NULL : &ext, &cp, &c, &h, st->act + (size_t)b * 4 * H + u, H);
    } else if (st->act) {
        float a[4 * RB_VW];
        lstm_v(z, plain ? NULL : &ext, &cp, &c, &h, a, RB_VW);
        for (int g = 0; g < 4; g++)
            memcpy(st->act + (size_t)b * 4 * H + g * H + u, a + g * RB_VW, (size_t)n * sizeof *a);
    } else {
        lstm_v(z, plain ? NULL : &ext, &cp, &c, &h, NULL, 0);
    }
    store_n(st->c + o, &c, n);
    store_n(st->y + o, &h, n);
    if (st->lens)
        store_n(st->h_next + o, &h, n);
}

/* The GRU epilogue of row b, units u .. u+n-1 (n <= RB_VW), from the
 * recurrent products r (three vectors: r, z, n rows).  The n row's product
 * gets b_hn before r scales it; bias holds b_ih + b_hh for r and z and b_in
 * alone for n.  act: r, z, n and W_hn h + b_hn, for BPTT. */
static void gru_units(const rb_rec_step *st, int b, int u, int n, const float *r)
{
    const size_t H = (size_t)st->H, o = (size_t)b * H + u;
    const float *pre = st->pre + (size_t)b * 3 * H + u, *bias = st->bias + u;
    vf zr = loadv(r) + load_n(pre, n) + load_n(bias, n);
    vf zz = loadv(r + RB_VW) + load_n(pre + H, n) + load_n(bias + H, n);
    vf hn = loadv(r + 2 * RB_VW) + load_n(st->bias_hn + u, n);
    vf xn = load_n(pre + 2 * H, n) + load_n(bias + 2 * H, n);
    vf hp = load_n(st->h + o, n), h;
    float a[4 * RB_VW];
    const int direct = st->act && n == RB_VW;
    gru_v(&zr, &zz, &hn, &xn, &hp, st->clip, &h, direct ? st->act + (size_t)b * 4 * H + u : a,
          direct ? H : RB_VW);
    if (st->act && !direct)
        for (int g = 0; g < 4; g++)
            memcpy(st->act + (size_t)b * 4 * H + g * H + u, a + g * RB_VW, (size_t)n * sizeof *a);
    store_n(st->y + o, &h, n);
    if (st->lens)
        store_n(st->h_next + o, &h, n);
}

/* The RNN epilogue of row b, units u .. u+n-1 (n <= RB_VW). */
static void rnn_units(const rb_rec_step *st, int b, int u, int n, const float *r)
{
    const size_t o = (size_t)b * st->H + u;
    vf z = loadv(r) + load_n(st->pre + o, n) + load_n(st->bias + u, n);
    if (st->clip > 0)
        clipv(&z, st->clip);
    tanhv(&z);
    store_n(st->y + o, &z, n);
    if (st->lens)
        store_n(st->h_next + o, &z, n);
}

/* Rows r0 .. r0+mr-1 of panel p: the product, then every unit's update
 * (or the product's columns stored where out has them).  nv: vectors per
 * panel, 3 for the GRU (its three gates of one vector of units), else 4. */
VM_INLINE void rows(const int mr, const int nv, const rb_rec_step *st, int p, int r0)
{
    const int H = st->H, G = st->G, K = st->K, per = nv * RB_VW / G; /* units per panel */
    float out[RB_MR * NR] __attribute__((aligned(64)));
    const float *w = st->w + (size_t)p * K * nv * RB_VW;
    if (st->at)
        tile(mr, nv, 1, K, w, st->h + r0, (size_t)st->B, out);
    else
        tile(mr, nv, 0, K, w, st->h + (size_t)r0 * K, (size_t)K, out);
    for (int m = 0; m < mr; m++) {
        int b = r0 + m;
        for (int v = 0; v < nv; v++) { /* LSTM, GRU: one vector of units; RNN: four */
            int g = v * G / nv, u = p * per + (v * RB_VW) % per;
            int n = H - u < RB_VW ? H - u : RB_VW;
            if (n <= 0)
                break;
            if (st->out) {
                float *o = st->out + (size_t)b * G * H + (size_t)g * H + u;
                vf a = loadv(out + m * NR + v * RB_VW);
                if (st->add)
                    a += load_n(o, n);
                store_n(o, &a, n);
                continue;
            }
            if (G > 1 && v > 0)
                break; /* lstm_units, gru_units consume the gates at once */
            if (st->lens && st->t >= st->lens[b])
                hold(st, b, u, n);
            else if (G == 4)
                lstm_units(st, b, u, n, out + m * NR);
            else if (G == 3)
                gru_units(st, b, u, n, out + m * NR);
            else
                rnn_units(st, b, u, n, out + m * NR + v * RB_VW);
        }
    }
}

/* Each panel (K x NR floats of the packed matrix) is read once per MR rows
 * of the batch: the panel stays in L2 while the row blocks pass over it. */
VM_INLINE void panels(const int nv, const rb_rec_step *st, int p0, int p1)
{
    for (int p = p0; p < p1; p++) {
        int r0 = 0;
        for (; r0 + RB_MR <= st->B; r0 += RB_MR)
            rows(RB_MR, nv, st, p, r0);
        switch (st->B - r0) {
#define RB_REC_TAIL(k)                                                                             \
    case k: rows(k < RB_MR ? k : 1, nv, st, p, r0); break;
            RB_REC_TAIL(1)
            RB_REC_TAIL(2)
            RB_REC_TAIL(3)
            RB_REC_TAIL(4)
            RB_REC_TAIL(5)
            RB_REC_TAIL(6)
            RB_REC_TAIL(7)
#undef RB_REC_TAIL
        default: break;
        }
    }
}

static void step(const rb_rec_step *st, int p0, int p1)
{
    if (st->G == 3)
        panels(3, st, p0, p1);
    else
        panels(4, st, p0, p1);
}

const rb_rec_kernel RB_REC_NAME = {RB_REC_ISA, RB_VW, RB_MR, step};
