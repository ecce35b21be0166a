/* classify.c — the head's forward pass and loss: logits = w h + b from the
 * last time step, softmax cross-entropy weighted per class as PyTorch's
 * CrossEntropyLoss(weight=w): sum_i w[y_i] nll_i / sum_i w[y_i]. */
#include <math.h>
#include <string.h>

#include "tc_internal.h"

/* Logits of one row, in fp64; returns log-sum-exp and sets *arg, the first
 * largest logit's class. */
static double row_logits(const rb_tc_head *h, const float *x, double *z, int *arg)
{
    const int H = h->H;
    double zmax = -INFINITY;
    *arg = 0;
    for (int c = 0; c < h->C; c++) {
        const float *w = h->w + (size_t)c * (size_t)H;
        double s = h->b[c];
        for (int j = 0; j < H; j++)
            s += (double)w[j] * x[j];
        z[c] = s;
        if (s > zmax) {
            zmax = s;
            *arg = c;
        }
    }
    double se = 0;
    for (int c = 0; c < h->C; c++)
        se += exp(z[c] - zmax);
    return zmax + log(se);
}

static const float *last_row(const rb_tc_batch *b, const float *y, int H, int r)
{
    return y + ((size_t)(b->T - 1) * (size_t)b->B + (size_t)r) * (size_t)H;
}

int rb_tc_loss(void *ctx, const float *y, float *dy, double *loss, rb_err *e)
{
    const rb_tc_step *s = ctx;
    if (!s || !s->h || !s->b)
        return rb_errf(e, RB_EINPUT, "textclass loss: no head or batch");
    rb_tc_head *h = s->h;
    rb_tc_batch *b = s->b;
    const int H = h->H, C = h->C, B = b->B;
    if (b->E != h->E)
        return rb_errf(e, RB_EINPUT, "textclass loss: batch embeds E=%d, the head E=%d", b->E,
                       h->E);
    if (b->n < 1 || b->n > B)
        return rb_errf(e, RB_EINPUT, "textclass loss: %d real rows in a batch of %d", b->n, B);
    double wsum = 0;
    for (int r = 0; r < b->n; r++) {
        if (b->label[r] < 0 || b->label[r] >= C)
            return rb_errf(e, RB_EINPUT, "textclass loss: row %d has label %d, not 0..%d", r,
                           b->label[r], C - 1);
        wsum += h->class_w[b->label[r]];
    }
    if (!(wsum > 0))
        return rb_errf(e, RB_EINPUT,
                       "textclass loss: the batch's classes all have weight 0 (absent from "
                       "training)");

    memset(dy, 0, (size_t)b->T * (size_t)B * (size_t)H * sizeof *dy);
    float *gw = h->g + (h->w - h->p), *gb = h->g + (h->b - h->p);
    double total = 0, z[RB_TC_MAX_CLASSES];
    for (int r = 0; r < b->n; r++) {
        const float *x = last_row(b, y, H, r);
        float *dyr = dy + (x - y);
        int k = b->label[r];
        double lse = row_logits(h, x, z, &b->pred[r]);
        double wr = h->class_w[k] / wsum;
        total += wr * (lse - z[k]);
        for (int c = 0; c < C; c++) {
            /* d/dz_c of w_k nll / W: (softmax_c - [c == k]) w_k / W */
            double dz = wr * (exp(z[c] - lse) - (c == k));
            float *wc = gw + (size_t)c * (size_t)H;
            const float *w = h->w + (size_t)c * (size_t)H;
            gb[c] += (float)dz;
            for (int j = 0; j < H; j++) {
                wc[j] += (float)(dz * x[j]);
                dyr[j] += (float)(dz * w[j]);
            }
        }
    }
    for (int r = b->n; r < B; r++)
        b->pred[r] = -1;
    b->loss = total;
    b->weight = wsum;
    *loss = total;
    return 0;
}

void rb_tc_predict(const rb_tc_head *h, rb_tc_batch *b, const float *y)
{
    double total = 0, wsum = 0, z[RB_TC_MAX_CLASSES];
    for (int r = 0; r < b->B; r++) {
        if (r >= b->n) {
            b->pred[r] = -1;
            continue;
        }
        double lse = row_logits(h, last_row(b, y, h->H, r), z, &b->pred[r]);
        int k = b->label[r];
        /* rows without a label (k = -1) are predicted, not scored */
        if (k >= 0 && k < h->C) {
            total += h->class_w[k] * (lse - z[k]);
            wsum += h->class_w[k];
        }
    }
    b->loss = wsum > 0 ? total / wsum : 0;
    b->weight = wsum;
}
