/* update.c — the host's half of a training step: the embedding's gradient,
 * clipping, Adam. */
#include <string.h>

#include "tc_internal.h"

void rb_tc_head_update(rb_tc_head *h, const rb_tc_batch *b, const float *dx, const rb_optim *o)
{
    const int E = h->E, B = b->B;
    if (dx && b->E == E) {
        /* nn.Embedding's backward: each occurrence of a token adds its row of
         * dx; padding positions and padding rows add nothing */
        for (int t = 0; t < b->T; t++)
            for (int r = 0; r < b->n; r++) {
                size_t at = (size_t)t * (size_t)B + (size_t)r;
                int id = b->tok[at];
                if (id <= RB_TC_PAD || id >= h->V)
                    continue;
                float *g = h->g + (size_t)id * (size_t)E;
                const float *d = dx + at * (size_t)E;
                for (int k = 0; k < E; k++)
                    g[k] += d[k];
            }
    }
    /* The head clips its own gradients: the recurrent stack's live on the
     * target, which clips them there (README.md, "Training"). */
    float scale = rb_clip_scale(o, rb_grad_norm(h->g, h->n));
    h->step++;
    /* Dense Adam, as nn.Embedding without sparse=True: rows not in the batch
     * still move while their moments decay. */
    rb_adam_step(o, h->step, scale, h->p, h->g, h->m, h->v, h->n);
    memset(h->g, 0, h->n * sizeof *h->g);
    /* PAD's gradient and moments are always zero, so Adam leaves it at zero;
     * written anyway so that nothing can make padding mean something. */
    memset(h->emb, 0, (size_t)E * sizeof *h->emb);
}
