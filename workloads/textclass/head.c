/* head.c — the host's parameters (embedding, linear head) and batches. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../rng.h"
#include "tc_internal.h"

#define HEAD_STREAM 0x2F2C4E6D1B7A9E35ull /* not the split's or the model's stream */

int rb_tc_head_alloc(rb_tc_head *h, int V, int E, int H, int C, rb_err *e)
{
    memset(h, 0, sizeof *h);
    if (V < 2 || E < 1 || H < 1 || C < 2 || C > RB_TC_MAX_CLASSES)
        return rb_errf(e, RB_EINPUT,
                       "textclass head: bad shape V=%d E=%d H=%d C=%d (V >= 2, E, H >= 1, "
                       "2 <= C <= %d)",
                       V, E, H, C, RB_TC_MAX_CLASSES);
    size_t n_emb = (size_t)V * (size_t)E, n_w = (size_t)C * (size_t)H;
    if (n_emb / (size_t)V != (size_t)E || n_emb > SIZE_MAX / 4 / sizeof(float) - n_w - (size_t)C)
        return rb_errf(e, RB_ENOMEM, "textclass head: V=%d x E=%d is too large", V, E);
    h->n = n_emb + n_w + (size_t)C;
    h->p = calloc(h->n, sizeof *h->p);
    h->g = calloc(h->n, sizeof *h->g);
    h->m = calloc(h->n, sizeof *h->m);
    h->v = calloc(h->n, sizeof *h->v);
    if (!h->p || !h->g || !h->m || !h->v) {
        rb_tc_head_free(h);
        return rb_errf(e, RB_ENOMEM, "textclass head: cannot allocate 4 x %zu floats", n_emb);
    }
    h->V = V;
    h->E = E;
    h->H = H;
    h->C = C;
    h->emb = h->p;
    h->w = h->p + n_emb;
    h->b = h->w + n_w;
    return 0;
}

void rb_tc_head_free(rb_tc_head *h)
{
    if (!h)
        return;
    free(h->p);
    free(h->g);
    free(h->m);
    free(h->v);
    memset(h, 0, sizeof *h);
}

/* N(0, 1) by Box-Muller on the portable generator, both values of each
 * pair used; 1 - u keeps log's argument in (0, 1]. */
static void fill_normal(rb_rng *r, float *x, size_t n)
{
    const double two_pi = 6.283185307179586476925;
    for (size_t i = 0; i < n; i += 2) {
        double u1 = 1.0 - (double)rb_rng_uniform(r, 0.0f, 1.0f);
        double u2 = (double)rb_rng_uniform(r, 0.0f, 1.0f);
        double rad = sqrt(-2.0 * log(u1));
        x[i] = (float)(rad * cos(two_pi * u2));
        if (i + 1 < n)
            x[i + 1] = (float)(rad * sin(two_pi * u2));
    }
}

int rb_tc_head_init(rb_tc_head *h, const rb_tc_data *d, int E, int H, uint64_t seed, rb_err *e)
{
    int rc = rb_tc_head_alloc(h, d->vocab_size, E, H, d->n_classes, e);
    if (rc != 0)
        return rc;
    rb_rng r = {seed ^ HEAD_STREAM};
    /* nn.Embedding(padding_idx=0): N(0, 1) except the PAD row */
    fill_normal(&r, h->emb + (size_t)E, (size_t)(h->V - 1) * (size_t)E);
    /* nn.Linear: weight and bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)) */
    float bound = (float)(1.0 / sqrt((double)H));
    for (size_t i = 0; i < (size_t)h->C * (size_t)H; i++)
        h->w[i] = rb_rng_uniform(&r, -bound, bound);
    for (int c = 0; c < h->C; c++)
        h->b[c] = rb_rng_uniform(&r, -bound, bound);
    /* n / (C * count_c), sklearn's "balanced": every class weighs as much in
     * total; a class absent from training gets 0 rather than infinity */
    for (int c = 0; c < h->C; c++)
        h->class_w[c] =
            d->train_count[c]
                ? (float)((double)d->n_train / ((double)h->C * (double)d->train_count[c]))
                : 0.0f;
    return 0;
}

int rb_tc_batch_alloc(rb_tc_batch *b, int T, int B, int E, rb_err *e)
{
    memset(b, 0, sizeof *b);
    if (T < 1 || B < 1 || E < 1)
        return rb_errf(e, RB_EINPUT, "textclass batch: bad shape T=%d B=%d E=%d", T, B, E);
    size_t tb = (size_t)T * (size_t)B;
    if (tb / (size_t)T != (size_t)B || tb > SIZE_MAX / sizeof(float) / (size_t)E)
        return rb_errf(e, RB_ENOMEM, "textclass batch: T=%d B=%d E=%d is too large", T, B, E);
    b->x = calloc(tb * (size_t)E, sizeof *b->x);
    b->tok = calloc(tb, sizeof *b->tok);
    b->label = malloc((size_t)B * sizeof *b->label);
    b->pred = malloc((size_t)B * sizeof *b->pred);
    if (!b->x || !b->tok || !b->label || !b->pred) {
        rb_tc_batch_free(b);
        return rb_errf(e, RB_ENOMEM, "textclass batch: cannot allocate T=%d B=%d E=%d", T, B, E);
    }
    b->T = T;
    b->B = B;
    b->E = E;
    for (int r = 0; r < B; r++)
        b->label[r] = b->pred[r] = -1;
    return 0;
}

void rb_tc_batch_free(rb_tc_batch *b)
{
    if (!b)
        return;
    free(b->x);
    free(b->tok);
    free(b->label);
    free(b->pred);
    memset(b, 0, sizeof *b);
}

void rb_tc_batch_fill(rb_tc_batch *b, const rb_tc_head *h, const rb_tc_doc *docs, const size_t *idx,
                      int n)
{
    const int T = b->T, B = b->B, E = b->E;
    /* E != h->E is caught by rb_tc_loss; here nothing is read out of bounds */
    const int ce = E < h->E ? E : h->E;
    if (n > B)
        n = B;
    if (n < 0)
        n = 0;
    b->n = n;
    memset(b->x, 0, (size_t)T * (size_t)B * (size_t)E * sizeof *b->x);
    for (size_t i = 0; i < (size_t)T * (size_t)B; i++)
        b->tok[i] = RB_TC_PAD;
    for (int r = 0; r < B; r++) {
        b->label[r] = -1;
        b->pred[r] = -1;
    }
    for (int r = 0; r < n; r++) {
        const rb_tc_doc *doc = &docs[idx[r]];
        int len = doc->n < T ? doc->n : T; /* the first tokens, as the loader keeps */
        b->label[r] = doc->label;
        for (int k = 0; k < len; k++) {
            int t = T - len + k, id = doc->tok[k];
            /* an id the head does not have (a vocabulary mix-up) reads as unknown */
            if (id < 0 || id >= h->V)
                id = RB_TC_UNK;
            b->tok[(size_t)t * (size_t)B + (size_t)r] = id;
            memcpy(b->x + ((size_t)t * (size_t)B + (size_t)r) * (size_t)E,
                   h->emb + (size_t)id * (size_t)h->E, (size_t)ce * sizeof *b->x);
        }
    }
}
