/* optim.h — the optimizer every training step uses: Adam with global-norm
 * gradient clipping, exactly as PyTorch's torch.optim.Adam (no weight decay,
 * not AMSGrad) and torch.nn.utils.clip_grad_norm_ compute it.
 *
 * Plain C over flat float arrays (params.h): the cpu target and the host
 * side of the text task (embedding, classifier head) call it; the gpu target
 * runs the same formula in an OpenCL kernel and is checked against this. */
#ifndef RB_OPTIM_H
#define RB_OPTIM_H

#include <stddef.h>

typedef struct rb_optim {
    double lr;                /* step size; PyTorch's default 1e-3 */
    double beta1, beta2, eps; /* 0.9, 0.999, 1e-8 */
    double clip;              /* largest global L2 norm of the gradients; <= 0: no clipping */
} rb_optim;

/* PyTorch's defaults, clipping at 5 (a usual value for LSTMs). */
void rb_optim_default(rb_optim *o);

/* L2 norm of g[0..n), accumulated in fp64. */
double rb_grad_norm(const float *g, size_t n);

/* The factor clipping multiplies the gradients by: clip / (norm + 1e-6)
 * when that is below 1, else 1 (clip_grad_norm_'s rule). */
float rb_clip_scale(const rb_optim *o, double norm);

/* One Adam step on p[0..n) with gradients scale * g; m and v are the first
 * and second moments (zero before step 1), step counts from 1:
 *   m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2
 *   p -= lr / (1 - b1^step) * m / (sqrt(v) / sqrt(1 - b2^step) + eps) */
void rb_adam_step(const rb_optim *o, long step, float scale, float *p, const float *g, float *m,
                  float *v, size_t n);

#endif
