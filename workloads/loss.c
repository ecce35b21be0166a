/* loss.c — the benchmark's mean-squared-error loss (see loss.h). */
#include "loss.h"

#include <stdlib.h>

#include "rng.h"

/* Its own stream, so the target is not a copy of the weights or the input. */
#define TARGET_STREAM 0x2545F4914F6CDD1Dull

int rb_mse_loss(void *ctx, const float *y, float *dy, double *loss, rb_err *e)
{
    const rb_mse *m = ctx;
    if (!m || !m->target || !m->n)
        return rb_errf(e, RB_EINPUT, "mse loss: no target");
    double s = 0, inv = 1.0 / (double)m->n;
    for (size_t i = 0; i < m->n; i++) {
        double d = (double)y[i] - m->target[i];
        s += d * d;
        dy[i] = (float)(d * inv);
    }
    *loss = 0.5 * s * inv;
    return 0;
}

float *rb_make_train_target(const rb_workload *w, uint64_t seed, rb_err *e)
{
    size_t n = (size_t)w->seq * (size_t)w->batch * (size_t)w->hidden;
    float *t = n ? malloc(n * sizeof *t) : NULL;
    if (!t) {
        rb_errf(e, RB_ENOMEM, "cannot allocate %zu bytes for the training target", n * sizeof *t);
        return NULL;
    }
    rb_rng r = {seed ^ TARGET_STREAM};
    for (size_t i = 0; i < n; i++)
        t[i] = rb_rng_uniform(&r, -0.5f, 0.5f);
    return t;
}
