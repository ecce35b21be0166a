/* loss.h — how a training step learns what its output should have been.
 *
 * A target's training step runs the recurrent stack forward, hands the last
 * layer's output y [T, B, H] to an rb_loss_fn on the host, and propagates the
 * dy it gets back through time.  The benchmark uses rb_mse_loss against a
 * fixed seeded target; the text-classification task's loss is its
 * classifier head (workloads/textclass/), which updates itself there. */
#ifndef RB_LOSS_H
#define RB_LOSS_H

#include <stddef.h>
#include <stdint.h>

#include "rb_err.h"
#include "workload.h"

/* Read y, write dy = dLoss/dy (both [T, B, H], host memory) and *loss.
 * 0, or a negative RB_E* code with e filled, which fails the step. */
typedef int (*rb_loss_fn)(void *ctx, const float *y, float *dy, double *loss, rb_err *e);

/* The benchmark's loss: 0.5 * mean((y - target)^2) over all n elements, so
 * dy = (y - target) / n.  ctx is an rb_mse. */
typedef struct rb_mse {
    const float *target; /* [n] */
    size_t n;
} rb_mse;

int rb_mse_loss(void *ctx, const float *y, float *dy, double *loss, rb_err *e);

/* The benchmark's seeded target: uniform(-0.5, 0.5), inside tanh's range so
 * the loss can fall; [T*B*H], caller frees.  NULL with e filled. */
float *rb_make_train_target(const rb_workload *w, uint64_t seed, rb_err *e);

#endif
