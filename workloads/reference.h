/* reference.h — the plain-C reference every target is checked against.
 *
 * Straight loops, fp64 accumulation and fp64 state carried between steps and
 * layers: slow on purpose, simple enough to trust.  Inputs and weights are the
 * fp32 values the targets see, so any difference is the target's rounding. */
#ifndef RB_REFERENCE_H
#define RB_REFERENCE_H

#include <stddef.h>

#include "model.h"

/* y: [T, B, D*H] output of the last layer.  h_n, c_n: [L*D, B, H] final
 * states of every unit, either may be NULL (c_n is ignored for the RNN). */
int rb_ref_forward(const rb_model *m, const rb_batch *in, double *y, double *h_n, double *c_n,
                   rb_err *e);

/* Difference between a target's fp32 output and the reference. */
typedef struct rb_errstat {
    double max_abs; /* max |y - r| */
    double max_rel; /* max over elements of |y-r| / max(|r|, RB_REL_FLOOR) */
    size_t worst;   /* index of the element that set max_rel */
    int nonfinite;  /* count of NaN/Inf in y */
} rb_errstat;

/* benchdnn divides by |r| down to a tiny floor.  That is wrong for RNN
 * outputs: they lie in (-1, 1), and a value near zero is a sum of terms that
 * nearly cancel, whose rounding error scales with the terms, not the result
 * (a correct fp32 LSTM shows "relative" errors of 5e-4 at |r| ~ 1e-4).  So
 * errors are relative to max(|r|, 1): absolute inside the output range,
 * relative beyond it. */
#define RB_REL_FLOOR 1.0

void rb_compare(const float *y, const double *ref, size_t n, rb_errstat *out);

/* benchdnn-style bound for an fp32 target:
 *   4 * (1 + bwd) * ceil(log2(acc_dim * n_iter)) * FLT_EPSILON
 * acc_dim = the longest dot product (max(I, D*H) + H), n_iter = T * L (errors
 * carried through the recurrence and the stack).  rb_errstat.max_rel must
 * not exceed it. */
double rb_fp32_tolerance(const rb_workload *w, int bwd);

/* Gradients of a scalar loss through the whole stack, by backpropagation
 * through time in fp64.  dy [T, B, H] is dLoss/dy for the last layer's
 * output (what an rb_loss_fn returns); the forward pass is rerun here in
 * fp64.  grads: [rb_param_total(m)] in the flat layout of params.h (padding
 * zero); dx: [T, B, width] = dLoss/dx, or NULL.  Initial states are
 * constants (not trained), as in the targets.  A model with any RB_FEAT_*
 * is RB_EUNAVAIL: training covers the plain stack. */
int rb_ref_backward(const rb_model *m, const rb_batch *in, const double *dy, double *grads,
                    double *dx, rb_err *e);

/* A target's gradients against the reference, tensor by tensor: the error
 * of each tensor is max |g - r| over it divided by max |r| over it (a
 * gradient has no natural scale, so it is measured against its own
 * largest element); max_rel is the worst tensor's, max_abs the largest
 * |g - r| anywhere, worst the flat index that set max_rel.  A tensor whose
 * reference is all zeros counts its absolute error. */
void rb_grad_compare(const rb_model *m, const float *g, const double *ref, rb_errstat *out);

/* The bound for rb_grad_compare on an fp32 target: rb_fp32_tolerance's rule
 * with bwd = 1 and acc_dim the longest sum a gradient takes, which for the
 * weights is over all T*B positions. */
double rb_fp32_grad_tolerance(const rb_workload *w);

/* Building blocks shared by the forward (reference.c) and the backward
 * (reference_bwd.c). */
double rb_ref_sigmoid(double v);
/* gates[0..GH) = b_ih + b_hh + W_ih x (or x itself without input projection) + W_hh h. */
void rb_ref_preact(const rb_layer *ly, int GH, int H, const double *x, const double *h,
                   double *gates);
/* One GRU step of one batch row (model.h's formulas, clip and reset_before
 * included): h [H] is updated in place; a [3H] receives r, z, n after their
 * activations, ghn [H] the recurrent part of the n row (W_hn h + b_hn, or
 * W_hn (r (.) h) + b_hn with reset_before); scratch [H]. */
void rb_ref_gru_step(const rb_model *m, const rb_layer *ly, int H, const double *x, double *h,
                     double *a, double *ghn, double *scratch);
int rb_ref_check_batch(const rb_model *m, const rb_batch *in, int width, const double *y,
                       rb_err *e);

#endif
