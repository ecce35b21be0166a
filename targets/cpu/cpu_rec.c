/* cpu_rec.c — which compilation of the recurrent step runs (cpu_rec.h),
 * and the packing of W_hh for it. */
#include <string.h>

#include "cpu_rec.h"

/* RB_CPU_REC_X86: the AVX-512 and AVX2 files were compiled with their
 * instruction sets (CMakeLists.txt sets both, on x86-64 only). */
const rb_rec_kernel *rb_cpu_rec_pick(const char *isa)
{
    int any = !isa || !strcmp(isa, "auto");
#if defined(RB_CPU_REC_X86) && defined(__x86_64__)
    /* libgcc's checks include the OS's saving of the wide registers */
    __builtin_cpu_init();
    if ((any || !strcmp(isa, "avx512")) && __builtin_cpu_supports("avx512f"))
        return &rb_cpu_rec_avx512;
    if ((any || !strcmp(isa, "avx2")) && __builtin_cpu_supports("avx2") &&
        __builtin_cpu_supports("fma"))
        return &rb_cpu_rec_avx2;
#endif
    if (any || !strcmp(isa, "generic"))
        return &rb_cpu_rec_generic;
    return NULL;
}

/* Columns of one panel: four vectors, three for the GRU (cpu_rec.h). */
static int panel_width(const rb_rec_kernel *k, int G) { return (G == 3 ? 3 : 4) * k->vw; }

int rb_cpu_rec_panels(const rb_rec_kernel *k, int G, int H)
{
    int per = panel_width(k, G) / G; /* units per panel */
    return (H + per - 1) / per;
}

size_t rb_cpu_rec_packed_size(const rb_rec_kernel *k, int G, int H, int K)
{
    return (size_t)rb_cpu_rec_panels(k, G, H) * K * panel_width(k, G);
}

/* Panel p, row k, column j holds w[g*H + u][k] for gate g = j / per and
 * unit u = p*per + j % per (zero past the last unit), per = NR / G: each
 * panel row is the gates of one vector of units (LSTM, GRU) or four
 * vectors of units (RNN), the order the kernel's epilogue consumes. */
void rb_cpu_rec_pack(const rb_rec_kernel *k, int G, int H, int K, const float *w, float *out)
{
    const int NR = panel_width(k, G), per = NR / G, P = rb_cpu_rec_panels(k, G, H);
    const float *src[4 * 16]; /* each column's row of w (NR <= 64), NULL past the last unit */
    for (int p = 0; p < P; p++) {
        for (int j = 0; j < NR; j++) {
            int g = j / per, u = p * per + j % per;
            src[j] = u < H ? w + ((size_t)g * H + u) * K : NULL;
        }
        /* written in order, read from NR rows at once: the rows' current
         * cache lines stay in L1, where column-at-a-time writes of a panel
         * went to L2 once per column */
        float *o = out + (size_t)p * K * NR;
        for (int r = 0; r < K; r++, o += NR)
            for (int j = 0; j < NR; j++)
                o[j] = src[j] ? src[j][r] : 0.0f;
    }
}

void rb_cpu_rec_pack_t(const rb_rec_kernel *k, int N, int K, const float *head, int head_rows,
                       const float *rest, float *out, int p0, int p1)
{
    const int NR = 4 * k->vw;
    for (int p = p0; p < p1; p++) {
        int u0 = p * NR, n = N - u0 < NR ? N - u0 : NR;
        float *o = out + (size_t)p * K * NR;
        for (int r = 0; r < K; r++, o += NR) {
            const float *row = r < head_rows ? (head ? head + (size_t)r * N : NULL)
                                             : rest + (size_t)(r - head_rows) * N;
            if (row)
                memcpy(o, row + u0, (size_t)n * sizeof *o);
            else
                memset(o, 0, (size_t)n * sizeof *o);
            memset(o + n, 0, (size_t)(NR - n) * sizeof *o);
        }
    }
}
