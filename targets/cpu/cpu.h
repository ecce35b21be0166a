/* cpu.h — what the CPU adapter's files share; not part of the target API. */
#ifndef RB_TARGET_CPU_H
#define RB_TARGET_CPU_H

#include "../../workloads/params.h"
#include "../target.h"
#include "cpu_pool.h"
#include "cpu_rec.h"

/* Worker threads this target uses: t->threads, or every online CPU if 0. */
int rb_cpu_threads(const rb_target *t);
/* The first of thread tid's share of n items among nt threads (the next
 * thread's first ends it). */
static inline int rb_cpu_share(int n, int tid, int nt)
{
    return (int)((long)n * tid / nt);
}

int rb_cpu_probe(rb_target *t, rb_device_info *out, rb_err *e);
/* Is this instance cpu:onednn (option backend = onednn)? */
int rb_cpu_onednn(const rb_target *t);
#ifdef RB_HAVE_ONEDNN
/* The oneDNN backend (cpu_onednn.c): plain stacks, inference and training. */
const char *rb_onednn_version(char *buf, size_t n);
/* RB_EUNAVAIL with the reason for what load refuses beyond the features. */
int rb_onednn_refuses(const rb_workload *w, rb_err *e);
int rb_onednn_load(rb_target *t, const rb_model *m, const rb_workload *w, rb_err *e);
int rb_onednn_forward(rb_target *t, const rb_batch *in, rb_tensor *out, rb_sample *s, rb_err *e);
/* Training through oneDNN's backward primitives, as rb_cpu_train_step and
 * rb_cpu_params do it (a train-mode load keeps what they need). */
int rb_onednn_train_step(rb_target *t, const rb_batch *in, rb_train_io *io, rb_sample *smp,
                         rb_err *e);
int rb_onednn_params(rb_target *t, float *weights, float *grads, rb_err *e);
void rb_onednn_unload(rb_target *t);
#endif
int rb_cpu_load(rb_target *t, const rb_model *m, const rb_workload *w, rb_err *e);
int rb_cpu_forward(rb_target *t, const rb_batch *in, rb_tensor *out, rb_sample *s, rb_err *e);
void rb_cpu_unload(rb_target *t);

/* BPTT through one step (cpu_cell.c), units u0 .. u1-1 of every row (the
 * share of one thread).  dh = dy + dh_next is the gradient
 * reaching h_t (from the layer's output and from step t+1); dc the one
 * reaching c_t from step t+1, replaced by the one reaching c_{t-1}; dA
 * [B, G*H] receives the gradient at the gate pre-activations.  act and c
 * are what the forward stored for step t, c_prev its c_{t-1}; the RNN needs
 * only its output h_t. */
void rb_cpu_lstm_bwd(int B, int H, int u0, int u1, const float *dy, const float *dh_next,
                     const float *act, const float *c, const float *c_prev, float *dc, float *dA);
void rb_cpu_rnn_bwd(int B, int H, int u0, int u1, const float *dy, const float *dh_next,
                    const float *h, float *dA);

/* The GRU's BPTT through one step (cpu_cell.c), units u0 .. u1-1: dh =
 * dy + dh_next; act is r, z, n, W_hn h + b_hn of step t, h_prev its
 * h_{t-1}.  dA [B, 3H] receives the gradient at the input side's
 * pre-activations, dAh [B, 3H] at the recurrent side's (its n rows scaled
 * by r), and dh_next the part of the gradient reaching h_{t-1} directly
 * (z (.) dh), to which the product with W_hh is then added. */
void rb_cpu_gru_bwd(int B, int H, int u0, int u1, const float *dy, float *dh_next,
                    const float *act, const float *h_prev, float *dA, float *dAh);

/* What load() prepares (cpu_lstm.c); weights live in one flat array of the
 * params.h layout so that training can clip and update them in one pass. */
typedef struct cpu_layer {
    int in;             /* columns of w_ih; 0: x already holds the gate pre-activations */
    float *w_ih;        /* [G*H, in] as PyTorch stores it, NULL when in == 0 (into params) */
    float *wi_pk;       /* w_ih packed for the kernel (the projection runs on it too) */
    float *w_hh;        /* [G*H, H] (into params) */
    float *wh_pk;       /* w_hh packed for the recurrent step's kernel (cpu_rec.h); with
                           reset_before its r, z rows only, for a plain product */
    float *wn_pk;       /* reset_before: W_hn packed for a plain product, else NULL */
    float *b_ih, *b_hh; /* [G*H] (into params) */
    float *bias;        /* b_ih + b_hh, [G*H]: one add per gate instead of two (the
                           GRU's n rows: b_in alone, b_hn goes to W_hn h) */
    size_t off[4]; /* params.h offsets of w_ih, w_hh, b_ih, b_hh (weights, gradients, moments) */
    const float *peep; /* [3H] peepholes (into params) or NULL */
    int reverse;       /* runs from the last step to the first */
} cpu_layer;

typedef struct cpu_train cpu_train;

typedef struct cpu_state {
    rb_cell cell;
    int G, H, T, B, L, threads;
    int D;           /* directions: layer l is units l*D .. l*D+D-1 */
    float clip;      /* model.h: 0 for none */
    int coupled;     /* input_forget */
    int reset_before; /* GRU linear_before_reset = 0 (cpu_gru_rb.c) */
    const rb_rec_kernel *kernel; /* the recurrent step's compilation (option isa) */
    int panels;                  /* of each unit's packed W_hh */
    int rec_threads;             /* threads splitting a step: 1, or pool's */
    rb_cpu_pool *pool;           /* NULL when rec_threads is 1 */
    float *params;   /* [n_params] every weight, params.h layout */
    size_t n_params;
    cpu_layer *layer; /* [L*D] units */
    float *gates;     /* [T*B, G*H] input projection of the current layer */
    float *seq[2];    /* [T*B, D*H] outputs of layers before the last, ping-pong */
    float *dir[2];    /* [T*B, H] each direction's output before interleaving (D = 2) */
    float *h_state;   /* [2][B, H] h when rows have lengths (the output is zero past them) */
    float *zeros;     /* [B, H] h_{-1} when the batch has no h0 */
    float *c;         /* [B, H] LSTM cell state */
    float *rb_work;   /* reset_before: [5][B, H] the step's products and r (.) h */
    float *keep_h;    /* [L*D, B, H] RB_FEAT_STATEFUL: each unit's last h and c, */
    float *keep_c;    /* the next forward's h0/c0 when its batch gives none */
    cpu_train *train; /* NULL unless loaded for training */
} cpu_state;

float *rb_cpu_falloc(size_t n);
/* After load and each update: bias = b_ih + b_hh, the weights packed again. */
void rb_cpu_weights_changed(cpu_state *s);
/* One unit over all T steps: x [T*B, in] (or pre-activations when in == 0)
 * to y [T*B, H]; h0/c0 are this unit's [B, H] initial states or NULL; lens
 * the batch's row lengths or NULL.  For training, act [T*B, 4*H] (LSTM: the
 * activated gates; GRU: r, z, n and W_hn h + b_hn) and cseq [T*B, H] (LSTM)
 * receive what BPTT needs of every step; NULL for inference. */
void rb_cpu_run_layer(cpu_state *s, int u, const float *x, const float *h0, const float *c0,
                      const int *lens, float *y, float *act, float *cseq);

/* The GRU with linear_before_reset = 0 (cpu_gru_rb.c): a unit's steps as
 * rb_cpu_run_layer runs them (inference only), on one thread. */
void rb_cpu_gru_rb_steps(const cpu_state *s, const cpu_layer *ly, const float *x, const float *pre,
                         const float *h0, const int *lens, float *y);

/* Training (cpu_train.c): state allocated by rb_cpu_load for a train-mode
 * workload, the step, and the params op. */
int rb_cpu_train_alloc(cpu_state *s, rb_err *e);
void rb_cpu_train_free(cpu_state *s);
/* Pack the weights again for the backward's products (after each update). */
void rb_cpu_train_pack(cpu_state *s);
/* What both backends do after their backward: the gradient norm into io
 * (an error naming who when it is not finite), one more step, one Adam
 * update of params (clipped as io->opt says). */
int rb_cpu_adam(const char *who, rb_train_io *io, long *step, float *params, const float *grads,
                float *m, float *v, size_t n, rb_err *e);
/* The params op of both: copies of params and grads (n each), or an error
 * naming who when params is NULL (no training state). */
int rb_cpu_copy_params(const char *who, const float *params, const float *grads, size_t n,
                       float *weights_out, float *grads_out, rb_err *e);
int rb_cpu_train_step(rb_target *t, const rb_batch *in, rb_train_io *io, rb_sample *smp, rb_err *e);
int rb_cpu_params(rb_target *t, float *weights, float *grads, rb_err *e);

#endif
