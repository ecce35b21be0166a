/* reference.h — the plain-C reference every target is checked against.
 *
 * Straight loops, fp64 accumulation and fp64 state carried between steps and
 * layers: slow on purpose, simple enough to trust.  Inputs and weights are the
 * fp32 values the targets see, so any difference is the target's rounding. */
#ifndef RB_REFERENCE_H
#define RB_REFERENCE_H

#include <stddef.h>

#include "model.h"

/* y: [T, B, H] output of the last layer.  h_n, c_n: [L, B, H] final states,
 * either may be NULL (c_n is ignored for the RNN). */
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
 * acc_dim = the longest dot product (max(I,H) + H), n_iter = T * L (errors
 * carried through the recurrence and the stack).  rb_errstat.max_rel must
 * not exceed it. */
double rb_fp32_tolerance(const rb_workload *w, int bwd);

#endif
