/* model.h — an LSTM, GRU or plain-RNN stack with PyTorch nn.LSTM / nn.GRU /
 * nn.RNN layout.
 *
 * Per layer l: weight_ih_l{l} [G*H, I_l], weight_hh_l{l} [G*H, H],
 * bias_ih_l{l} [G*H], bias_hh_l{l} [G*H]; gate rows ordered i,f,g,o for the
 * LSTM (PyTorch's order), r,z,n for the GRU, G = 1 for the RNN
 * (h' = tanh(W_ih x + b_ih + W_hh h + b_hh)).  The GRU is PyTorch's:
 *   r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
 *   z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r (.) (W_hn h + b_hn))
 *   h' = (1 - z) (.) n + z (.) h
 * so its n row keeps the input and recurrent products apart; with
 * reset_before (ONNX linear_before_reset = 0) n = tanh(W_in x + b_in +
 * W_hn (r (.) h) + b_hn) instead.
 * I_0 = input, I_l = D*hidden for l > 0.  Row-major float32, exactly the bytes
 * of the corresponding PyTorch parameter, so .npy files move both ways.
 *
 * What imported models add (ONNX LSTM/RNN attributes; see RB_FEAT_*):
 * a bidirectional stack (D = 2) holds two units per layer, unit l*D + d,
 * the second running from the last step to the first (PyTorch's
 * "_reverse" parameters); its output is [T, B, D*H], the forward half
 * first, as nn.LSTM(bidirectional=True) returns it.  A reverse stack (ONNX
 * direction=reverse) is D = 1 with every unit reversed.  Peepholes p [3H]
 * (gates i, f, o, in that order) add p (.) c to those pre-activations,
 * c_{t-1} for i and f, c_t for o, as ONNX defines them; clip bounds every
 * pre-activation to [-clip, clip] before its activation; input_forget
 * couples the forget gate to the input gate, f = 1 - i. */
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
    float *p;    /* [3H] peepholes i, f, o; NULL without */
    int reverse; /* 1: runs from the last step to the first */
} rb_layer;

typedef struct rb_model {
    rb_cell cell;
    int input, hidden, layers;
    int input_proj;   /* 0: layer 0 has no W_ih; x is already [T,B,G*H] (DeepBench-style) */
    int dirs;         /* 1, or 2 when bidirectional */
    float clip;       /* > 0: pre-activations clipped to [-clip, clip]; 0: none */
    int input_forget; /* LSTM: f = 1 - i */
    int reset_before; /* GRU: r multiplies h before W_hn (RB_FEAT_RESET_BEFORE) */
    rb_layer *layer;  /* [layers * dirs] units, unit l*dirs + d */
} rb_model;

/* Units (layer, direction) of the stack: layers * dirs. */
int rb_model_units(const rb_model *m);
/* The RB_FEAT_* bits this model needs (sequence lengths are the batch's). */
unsigned rb_model_features(const rb_model *m);

/* Allocate zeroed weights for w's cell/input/hidden/layers/input_proj, its
 * directions and (with RB_FEAT_PEEPHOLES) peepholes; RB_FEAT_REVERSE makes a
 * one-direction stack run backwards, RB_FEAT_RESET_BEFORE sets reset_before.
 * clip and input_forget are values the caller sets. */
int rb_model_alloc(rb_model *m, const rb_workload *w, rb_err *e);
/* PyTorch's default init: every parameter ~ U(-1/sqrt(H), 1/sqrt(H)), from a seed
 * (values are reproducible across machines, not equal to PyTorch's own stream). */
void rb_model_init_seeded(rb_model *m, uint64_t seed);
void rb_model_free(rb_model *m);
/* dst: a new model for w (which must describe src's shapes and features)
 * holding src's weights, clip, input_forget and reset_before. */
int rb_model_copy(rb_model *dst, const rb_model *src, const rb_workload *w, rb_err *e);

/* PyTorch parameter names of unit u: "weight_ih_l0", "bias_hh_l1_reverse"
 * (the second direction of a bidirectional layer) ... into buf; returns buf.
 * Peepholes, which PyTorch lacks, are "peephole_l0". */
const char *rb_model_param_name(char *buf, size_t n, const rb_model *m, const char *kind, int unit);

/* Save/load every parameter as <dir>/<pytorch name>.npy (float32). */
int rb_model_save_npy(const rb_model *m, const char *dir, rb_err *e);
int rb_model_load_npy(rb_model *m, const char *dir,
                      rb_err *e); /* m already allocated; shapes checked */

/* One batch of input, seq-major as nn.LSTM(batch_first=False). */
typedef struct rb_batch {
    int seq, batch, width; /* width = rb_workload_x_width() */
    const float *x;        /* [T, B, width] */
    const float *h0;       /* [L*D, B, H] or NULL for zeros */
    const float *c0;       /* [L*D, B, H] or NULL for zeros (LSTM only) */
    /* [B] steps of each row, 0..T, or NULL for T everywhere.  Past its length
     * a row's output is zero and its state stays (ONNX sequence_lens, PyTorch
     * packed sequences); a reversed unit starts at the row's last step. */
    const int *lens;
} rb_batch;

/* Deterministic uniform(-1,1) input for a workload and seed; caller frees. */
float *rb_make_input(const rb_workload *w, uint64_t seed, rb_err *e);

#endif
