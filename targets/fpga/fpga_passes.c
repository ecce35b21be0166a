/* fpga_passes.c — what the RTL cannot run in one go, as passes it can.
 *
 * The accelerator runs a plain stack: one direction, forward in time, layer
 * l reading layer l-1's h of the same step (SPEC.md).  Imported models
 * bring more (model.h), and two of those are only a matter of order:
 *   - a reversed unit is a forward pass over the time-reversed sequence whose
 *     output is reversed back;
 *   - a bidirectional layer is two passes, one per direction, each with its
 *     own weights, whose outputs the host concatenates into the next layer's
 *     [T, B, 2H] input (forward half first in each row).
 * The plan: one pass for a plain stack (exactly the run of a model without
 * these features), and one for a stack whose units are all reversed: run
 * forward over the reversed input, each layer reads the previous layer's
 * output in the order it needs it (its steps reversed too), so the whole
 * stack reversed is one plain run.  One direction with mixed units: one
 * pass per run of layers with the same direction of time.  Bidirectional:
 * two passes per layer, layer by layer, since a layer needs both halves of
 * the previous one.  Reversing and concatenating are host work between
 * passes, not accelerator time; the adapter counts the passes' cycles and
 * the weight rewrites between them (fpga.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fpga.h"

/* The plain stack of units [unit0, unit0 + layers * D) step D: only ever
 * contiguous (D = 1) or one layer, so the view aliases fx->w + unit0. */
static void make_view(const rb_fx_model *fx, fpga_pass *p)
{
    memset(&p->view, 0, sizeof p->view);
    p->view.fmt = fx->fmt;
    p->view.cell = fx->cell;
    p->view.input = p->width;
    p->view.hidden = fx->hidden;
    p->view.layers = p->layers;
    p->view.gates = fx->gates;
    p->view.w = fx->w + p->unit0;
    p->view.b = fx->b + p->unit0;
    p->view.bn = fx->bn ? fx->bn + p->unit0 : NULL;
}

int rb_fpga_plan(const rb_fx_model *fx, fpga_pass *out)
{
    const int D = rb_fx_dirs(fx), L = fx->layers, H = fx->hidden;
    int n = 0;
    for (int l = 0; l < L;) {
        if (D == 2) {
            for (int d = 0; d < 2; d++, n++) {
                fpga_pass *p = &out[n];
                p->layer0 = l;
                p->layers = 1;
                p->dir = d;
                p->unit0 = l * 2 + d;
                p->reverse = fx->reverse && fx->reverse[p->unit0];
                p->width = l == 0 ? fx->input : 2 * H;
                make_view(fx, p);
            }
            l++;
            continue;
        }
        /* one direction: the longest run of layers going the same way */
        int rev = fx->reverse && fx->reverse[l], k = l + 1;
        while (k < L && (fx->reverse && fx->reverse[k]) == rev)
            k++;
        fpga_pass *p = &out[n++];
        p->layer0 = l;
        p->layers = k - l;
        p->dir = 0;
        p->unit0 = l;
        p->reverse = rev;
        p->width = l == 0 ? fx->input : H;
        make_view(fx, p);
        l = k;
    }
    return n;
}

const char *rb_fpga_pass_name(const rb_fx_model *fx, const fpga_pass *p, char *buf, size_t len)
{
    if (p->layers == 1)
        snprintf(buf, len, "layer %d%s", p->layer0,
                 rb_fx_dirs(fx) == 2 ? (p->dir ? " reverse direction" : " forward direction")
                 : p->reverse        ? " reversed"
                                     : "");
    else
        snprintf(buf, len, "layers %d-%d%s", p->layer0, p->layer0 + p->layers - 1,
                 p->reverse ? " reversed" : "");
    return buf;
}

/* Does the plan need host buffers at all?  Not for the plain stack, whose
 * pass reads x and writes y directly. */
static int direct(const fpga_pass *pass, int n) { return n == 1 && !pass[0].reverse; }

void rb_fpga_bufs_free(fpga_bufs *b)
{
    free(b->px);
    free(b->py);
    free(b->lay[0]);
    free(b->lay[1]);
    memset(b, 0, sizeof *b);
}

int rb_fpga_bufs_alloc(fpga_bufs *b, const rb_fx_model *fx, const fpga_pass *pass, int n, int T,
                       int B, rb_err *e)
{
    memset(b, 0, sizeof *b);
    if (direct(pass, n))
        return 0;
    const int D = rb_fx_dirs(fx), H = fx->hidden, DH = D * H;
    const int wmax = fx->input > DH ? fx->input : DH;
    const size_t TB = (size_t)T * (size_t)B;
    b->px = malloc(TB * (size_t)wmax * sizeof *b->px);
    b->py = malloc(TB * (size_t)H * sizeof *b->py);
    int ok = b->px && b->py, stages = 1;
    for (int k = 1; k < n; k++)
        stages += pass[k].layer0 != pass[k - 1].layer0;
    /* layer outputs between stages: two alternate, the last stage writes y */
    for (int k = 0; k < 2 && k < stages - 1; k++)
        ok &= (b->lay[k] = malloc(TB * (size_t)DH * sizeof *b->lay[k])) != NULL;
    if (!ok) {
        rb_fpga_bufs_free(b);
        return rb_errf(e, RB_ENOMEM, "fpga: out of memory for the passes' buffers (T %d, B %d)", T,
                       B);
    }
    return 0;
}

/* src [T, B, w] -> dst, step t from step T-1-t when rev. */
static void copy_steps(int T, int B, int w, const int16_t *src, int16_t *dst, int rev)
{
    const size_t row = (size_t)B * (size_t)w;
    for (int t = 0; t < T; t++)
        memcpy(dst + (size_t)t * row, src + (size_t)(rev ? T - 1 - t : t) * row, row * sizeof *dst);
}

int rb_fpga_passes_forward(const rb_fx_model *fx, const fpga_pass *pass, int n, int T, int B,
                           const int16_t *x, const int16_t *h0, const int16_t *c0, int16_t *y,
                           fpga_bufs *buf, rb_fpga_pass_fn fn, void *ctx, rb_err *e)
{
    const int D = rb_fx_dirs(fx), H = fx->hidden, DH = D * H;
    const size_t BH = (size_t)B * (size_t)H;
    if (direct(pass, n)) {
        int rc = rb_fx_forward(&pass[0].view, T, B, x, h0, c0, y, NULL, NULL, e);
        return rc ? rc : fn ? fn(ctx, 0, x, h0, c0, y, e) : 0;
    }
    const int16_t *src = x; /* the current stage's input */
    int16_t *dst = NULL;    /* its output */
    int stage = -1;
    for (int k = 0; k < n; k++) {
        const fpga_pass *p = &pass[k];
        if (k == 0 || p->layer0 != pass[k - 1].layer0) { /* a new stage */
            if (dst)
                src = dst;
            stage++;
            dst = p->layer0 + p->layers == fx->layers ? y : buf->lay[stage % 2];
        }
        /* The pass's own sequence: its input in the order it runs it. */
        copy_steps(T, B, p->width, src, buf->px, p->reverse);
        /* Its units are contiguous in [L*D, B, H]: one direction, or one layer. */
        const int16_t *ph0 = h0 ? h0 + (size_t)p->unit0 * BH : NULL;
        const int16_t *pc0 = c0 ? c0 + (size_t)p->unit0 * BH : NULL;
        int rc = rb_fx_forward(&p->view, T, B, buf->px, ph0, pc0, buf->py, NULL, NULL, e);
        if (!rc && fn)
            rc = fn(ctx, k, buf->px, ph0, pc0, buf->py, e);
        if (rc)
            return rc;
        /* Back into time order, into its direction's half of each row. */
        for (int t = 0; t < T; t++) {
            const int16_t *from = buf->py + (size_t)(p->reverse ? T - 1 - t : t) * BH;
            for (int b = 0; b < B; b++)
                memcpy(dst + ((size_t)t * B + b) * DH + (size_t)p->dir * H, from + (size_t)b * H,
                       (size_t)H * sizeof *dst);
        }
    }
    return 0;
}
