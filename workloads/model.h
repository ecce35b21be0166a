/* model.h — an LSTM or plain-RNN stack with PyTorch nn.LSTM / nn.RNN layout.
 *
 * Per layer l: weight_ih_l{l} [G*H, I_l], weight_hh_l{l} [G*H, H],
 * bias_ih_l{l} [G*H], bias_hh_l{l} [G*H]; gate rows ordered i,f,g,o for the
 * LSTM (PyTorch's order), G = 1 for the RNN (h' = tanh(W_ih x + b_ih + W_hh h + b_hh)).
 * I_0 = input, I_l = hidden for l > 0.  Row-major float32, exactly the bytes
 * of the corresponding PyTorch parameter, so .npy files move both ways. */
#ifndef RB_MODEL_H
#define RB_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "rb_err.h"
#include "workload.h"

typedef struct rb_layer {
    int in; /* columns of w_ih: I for layer 0, H after; 0 when the layer has no input projection */
    float *w_ih; /* [G*H, in], NULL when in == 0 */
    float *w_hh; /* [G*H, H] */
    float *b_ih; /* [G*H] */
    float *b_hh; /* [G*H] */
} rb_layer;

typedef struct rb_model {
    rb_cell cell;
    int input, hidden, layers;
    int input_proj;  /* 0: layer 0 has no W_ih; x is already [T,B,G*H] (DeepBench-style) */
    rb_layer *layer; /* [layers] */
} rb_model;

/* Allocate zeroed weights for w's cell/input/hidden/layers/input_proj. */
int rb_model_alloc(rb_model *m, const rb_workload *w, rb_err *e);
/* PyTorch's default init: every parameter ~ U(-1/sqrt(H), 1/sqrt(H)), from a seed
 * (values are reproducible across machines, not equal to PyTorch's own stream). */
void rb_model_init_seeded(rb_model *m, uint64_t seed);
void rb_model_free(rb_model *m);

/* PyTorch parameter names: "weight_ih_l0" ... into buf; returns buf. */
const char *rb_model_param_name(char *buf, size_t n, const char *kind, int layer);

/* Save/load every parameter as <dir>/<pytorch name>.npy (float32). */
int rb_model_save_npy(const rb_model *m, const char *dir, rb_err *e);
int rb_model_load_npy(rb_model *m, const char *dir,
                      rb_err *e); /* m already allocated; shapes checked */

/* One batch of input, seq-major as nn.LSTM(batch_first=False). */
typedef struct rb_batch {
    int seq, batch, width; /* width = rb_workload_x_width() */
    const float *x;        /* [T, B, width] */
    const float *h0;       /* [L, B, H] or NULL for zeros */
    const float *c0;       /* [L, B, H] or NULL for zeros (LSTM only) */
} rb_batch;

/* Deterministic uniform(-1,1) input for a workload and seed; caller frees. */
float *rb_make_input(const rb_workload *w, uint64_t seed, rb_err *e);

#endif
