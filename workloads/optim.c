/* optim.c — Adam and gradient clipping (see optim.h). */
#include "optim.h"

#include <math.h>

void rb_optim_default(rb_optim *o)
{
    o->lr = 1e-3;
    o->beta1 = 0.9;
    o->beta2 = 0.999;
    o->eps = 1e-8;
    o->clip = 5.0;
}

double rb_grad_norm(const float *g, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)g[i] * g[i];
    return sqrt(s);
}

float rb_clip_scale(const rb_optim *o, double norm)
{
    if (o->clip <= 0)
        return 1.0f;
    double c = o->clip / (norm + 1e-6);
    return c < 1.0 ? (float)c : 1.0f;
}

void rb_adam_step(const rb_optim *o, long step, float scale, float *p, const float *g, float *m,
                  float *v, size_t n)
{
    /* the bias corrections in fp64, once per step; the per-element work in
     * fp32 as PyTorch does it on fp32 parameters */
    const float b1 = (float)o->beta1, b2 = (float)o->beta2, eps = (float)o->eps;
    const float step_size = (float)(o->lr / (1.0 - pow(o->beta1, (double)step)));
    const float inv_bc2 = (float)(1.0 / sqrt(1.0 - pow(o->beta2, (double)step)));
    for (size_t i = 0; i < n; i++) {
        float gi = g[i] * scale;
        m[i] = b1 * m[i] + (1.0f - b1) * gi;
        v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
        p[i] -= step_size * m[i] / (sqrtf(v[i]) * inv_bc2 + eps);
    }
}
