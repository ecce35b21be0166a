/* cpu_rec.h — the recurrent step on prepacked weights (cpu_rec_*.c).
 *
 * One step of a layer is rec = h_{t-1} x W_hh^T followed by the gates and
 * the state update.  W_hh is packed once at load into panels of NR = 4
 * vectors of columns: for the LSTM a panel is VW units with their four gates
 * side by side, for the RNN 4*VW units; the GRU's panel is three vectors, VW
 * units with their r, z, n rows (a fourth gate-vector would be zeros).  A register-blocked micro-kernel
 * computes MR rows of h against one panel, and the panel's units are then
 * complete — every gate of every unit of the tile is in registers — so the
 * gate nonlinearities and the update of c and h run on the tile right away
 * (the epilogue) instead of in a second pass over a [B, G*H] buffer.
 *
 * Why our own kernel: OpenBLAS repacks W_hh at every sgemm call (it has no
 * packed-weights API in Debian's 0.3.21), which made a per-step sgemm 2-3x
 * slower than B sgemv calls, themselves far behind oneDNN from batch 4 up;
 * oneDNN's matmul with prepacked weights would do the product but not the
 * fused epilogue, and libxsmm / BLIS would add a dependency for one GEMM
 * shape.  The kernel is the three files' shared body, cpu_rec_kernel.h,
 * compiled for AVX-512, AVX2+FMA and baseline x86-64 (or any other CPU);
 * rb_cpu_rec_pick chooses at run time, option isa forces one. */
#ifndef RB_TARGET_CPU_REC_H
#define RB_TARGET_CPU_REC_H

#include <stddef.h>

/* One step over batch rows [0, B) for the panels a thread owns; or, with
 * out set, the plain product out = h x W^T, which is how the input
 * projection of all T*B rows runs on W_ih packed the same way. */
typedef struct rb_rec_step {
    int B, H, G;         /* rows, units, gates (4 LSTM, 3 GRU, 1 RNN) */
    int K;               /* columns of h and of the packed matrix (H for W_hh) */
    const float *w;      /* the matrix packed by rb_cpu_rec_pack */
    const float *h;      /* [B, K] h_{t-1}, or [K, B] when at is set: */
    int at;              /* h stored transposed (the backward's dA, the weight
                            gradients' left operand, without a copy) */
    float *out;          /* [B, G*H] the product alone, or NULL for the step: */
    int add;             /* with out: out += the product (a sum over K in chunks) */
    const float *pre;    /* [B, G*H] this step's input projection, bias not added */
    const float *bias;   /* [G*H] b_ih + b_hh (GRU: b_in alone in the n rows) */
    const float *bias_hn; /* GRU: [H] b_hn, added to W_hn h before r scales it */
    const float *c_prev; /* [B, H] LSTM c_{t-1} */
    float *c;            /* [B, H] LSTM c_t; may be c_prev (inference updates in place) */
    float *y;            /* [B, H] h_t, the layer's output at t */
    float *act;          /* [B, 4*H] activated LSTM gates (GRU: r, z, n, W_hn h + b_hn)
                            for BPTT, or NULL */
    const float *peep;   /* imported LSTMs: [3H] peepholes (i, f, o) or NULL, */
    float clip;          /* pre-activation bound (0 none) and */
    int coupled;         /* f = 1 - i */
    const int *lens;     /* row lengths or NULL; rows with lens[b] <= t output 0 */
    int t;               /* and keep h and c: */
    float *h_next;       /* [B, H] with lens, h for the next step (y or the held h) */
} rb_rec_step;

typedef struct rb_rec_kernel {
    const char *isa; /* "avx512", "avx2", "generic" */
    int vw, mr;      /* floats per vector; rows per micro-tile */
    /* The step for panels [p0, p1) (rb_cpu_rec_panels of them in all). */
    void (*step)(const rb_rec_step *st, int p0, int p1);
} rb_rec_kernel;

/* The three compilations (the first two on x86-64 builds only). */
extern const rb_rec_kernel rb_cpu_rec_avx512, rb_cpu_rec_avx2, rb_cpu_rec_generic;

/* The kernel for isa ("avx512", "avx2", "generic", or NULL / "auto" for
 * the widest this CPU runs), or NULL when this CPU or build lacks it. */
const rb_rec_kernel *rb_cpu_rec_pick(const char *isa);
/* Panels of a layer's packed W_hh or W_ih, and the floats the packing of a
 * [G*H, K] matrix takes. */
int rb_cpu_rec_panels(const rb_rec_kernel *k, int G, int H);
size_t rb_cpu_rec_packed_size(const rb_rec_kernel *k, int G, int H, int K);
/* Pack w [G*H, K] (PyTorch's layout of W_hh or W_ih) into out for kernel k. */
void rb_cpu_rec_pack(const rb_rec_kernel *k, int G, int H, int K, const float *w, float *out);
/* Panels p0 .. p1-1 of a [K, N] row-major matrix packed for the plain
 * product with N output columns (G = 1): the backward's W_hh and W_ih as
 * they are stored, and the activations its weight gradients multiply.  Its
 * first head_rows rows come from head (zeros when head is NULL), the rest
 * from rest, so [h0; h_0 .. h_{T-2}] needs no copy. */
void rb_cpu_rec_pack_t(const rb_rec_kernel *k, int N, int K, const float *head, int head_rows,
                       const float *rest, float *out, int p0, int p1);

#endif
