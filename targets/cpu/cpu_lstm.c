/* cpu_lstm.c — LSTM / tanh-RNN inference on the CPU, fp32 through OpenBLAS.
 *
 * Per layer: one GEMM projects the inputs of all T steps at once (the big,
 * efficient product), then each step does one small product with W_hh and a
 * fused pass computing every gate and the state update (cpu_cell.c).
 * load() copies the weights and allocates every buffer for the workload's T
 * and B, so forward() only computes.
 *
 * Choices measured on 2 threads, DeepBench shapes (H 256..2048, B 1..4):
 * weights stay in PyTorch's [G*H, in] layout and the GEMMs use CblasTrans —
 * a pre-transposed copy made no measurable difference; the two biases are
 * summed once and added in the fused pass rather than broadcast into the
 * gate buffer; the recurrent product is sgemv (see recurrent()).
 *
 * Imported models (model.h) run on the same kernels: a reversed unit walks
 * the steps backwards, a bidirectional layer runs its two units into
 * separate buffers and interleaves them, peepholes, clip and input_forget
 * take rb_cpu_lstm_cell_ext, and row lengths keep h in its own buffer so
 * that rows past their end output zeros while their state stays. */
#include <cblas.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"

/* 64-byte aligned (one cache line, one AVX-512 vector), zeroed; NULL on failure. */
float *rb_cpu_falloc(size_t n)
{
    size_t bytes = (n * sizeof(float) + 63) & ~(size_t)63;
    float *p = aligned_alloc(64, bytes ? bytes : 64);
    if (p)
        memset(p, 0, bytes ? bytes : 64);
    return p;
}

void rb_cpu_unload(rb_target *t)
{
    cpu_state *s = t->priv;
    if (!s)
        return;
    rb_cpu_train_free(s);
    if (s->layer)
        for (int u = 0; u < s->L * s->D; u++)
            free(s->layer[u].bias);
    free(s->layer);
    free(s->params);
    free(s->gates);
    free(s->rec);
    free(s->seq[0]);
    free(s->seq[1]);
    free(s->dir[0]);
    free(s->dir[1]);
    free(s->h_state);
    free(s->c_save);
    free(s->keep_h);
    free(s->keep_c);
    free(s->zeros);
    free(s->c);
    free(s);
    t->priv = NULL;
}

/* Rows of W_hh per recurrent product when B > 1, sized so each thread's
 * share of a chunk (OpenBLAS splits sgemv by rows) stays in a 512 KiB
 * slice of its L2 while the B vectors pass over it.  One sgemm with M = B
 * repacks all of W_hh every step and measured 2-3x slower; B whole-matrix
 * sgemv calls stream W_hh from memory B times. */
static int chunk_rows(int H, int GH, int threads)
{
    long rows = (512L * 1024 * threads) / (4L * H);
    rows &= ~15L;
    if (rows < 16)
        rows = 16;
    return rows > GH ? GH : (int)rows;
}

/* Below this many W_hh elements (192 KiB) one step's product takes a few
 * microseconds, less than waking and joining OpenBLAS's workers: measured on
 * 2 threads, LSTM H=64 ran 1.4x faster on one thread, H=96 broke even and
 * H=128 was 1.2x faster on two. */
#define SERIAL_W_HH_ELEMS (48 * 1024)

int rb_cpu_load(rb_target *t, const rb_model *m, const rb_workload *w, rb_err *e)
{
    cpu_state *s = calloc(1, sizeof *s);
    if (!s)
        return rb_errf(e, RB_ENOMEM, "cpu: out of memory loading %s", w->key);
    t->priv = s;
    s->cell = m->cell;
    s->G = rb_cell_gates(m->cell);
    s->H = m->hidden;
    s->T = w->seq;
    s->B = w->batch;
    s->L = m->layers;
    s->D = m->dirs == 2 ? 2 : 1;
    s->clip = m->clip;
    s->coupled = m->input_forget;
    s->ext = m->cell == RB_CELL_LSTM &&
             (rb_model_features(m) & (RB_FEAT_PEEPHOLES | RB_FEAT_CLIP | RB_FEAT_INPUT_FORGET));
    /* What OpenBLAS really runs (it caps at its build-time maximum), so
     * forward() can tell when someone else changed it. */
    openblas_set_num_threads(rb_cpu_threads(t));
    s->threads = openblas_get_num_threads();
    s->chunk = chunk_rows(s->H, s->G * s->H, s->threads);
    s->rec_threads = (long)s->G * s->H * s->H < SERIAL_W_HH_ELEMS ? 1 : s->threads;
    size_t GH = (size_t)s->G * s->H, TB = (size_t)s->T * s->B, BH = (size_t)s->B * s->H;
    int units = s->L * s->D;
    /* BLAS dimensions and leading dimensions are int. */
    if (TB > INT_MAX || GH > INT_MAX)
        return rb_errf(e, RB_EINPUT, "cpu: %s is too large for 32-bit BLAS dimensions (T*B = %zu)",
                       w->key, TB);

    s->n_params = rb_param_total(m);
    s->layer = calloc((size_t)units, sizeof *s->layer);
    if (!s->layer || !(s->params = rb_cpu_falloc(s->n_params)))
        goto nomem;
    rb_model_flatten(m, s->params);
    for (int u = 0; u < units; u++) {
        cpu_layer *d = &s->layer[u];
        d->in = m->layer[u].in;
        d->reverse = m->layer[u].reverse;
        d->peep = m->layer[u].p ? s->params + rb_param_off(m, u, RB_P_PEEP) : NULL;
        for (int k = RB_P_W_IH; k <= RB_P_B_HH; k++)
            d->off[k] = rb_param_off(m, u, (rb_param_kind)k);
        d->w_ih = d->in ? s->params + d->off[RB_P_W_IH] : NULL;
        d->w_hh = s->params + d->off[RB_P_W_HH];
        d->b_ih = s->params + d->off[RB_P_B_IH];
        d->b_hh = s->params + d->off[RB_P_B_HH];
        if (!(d->bias = rb_cpu_falloc(GH)))
            goto nomem;
    }
    rb_cpu_sum_biases(s);
    /* Without an input projection layer 0 reads its pre-activations from x
     * directly, but later layers still need the gate buffer. */
    if ((s->layer[0].in || s->L > 1) && !(s->gates = rb_cpu_falloc(TB * GH)))
        goto nomem;
    if (!(s->rec = rb_cpu_falloc((size_t)s->B * GH)) || !(s->zeros = rb_cpu_falloc(BH)) ||
        !(s->c = rb_cpu_falloc(BH)))
        goto nomem;
    for (int k = 0; k < 2 && k < s->L - 1; k++)
        if (!(s->seq[k] = rb_cpu_falloc(TB * (size_t)s->D * s->H)))
            goto nomem;
    for (int k = 0; k < 2 && s->D == 2; k++)
        if (!(s->dir[k] = rb_cpu_falloc(TB * (size_t)s->H)))
            goto nomem;
    if ((w->features & RB_FEAT_STATEFUL) && (!(s->keep_h = rb_cpu_falloc(units * BH)) ||
                                             !(s->keep_c = rb_cpu_falloc(units * BH))))
        goto nomem;
    if ((w->features & RB_FEAT_SEQ_LENS) &&
        (!(s->h_state = rb_cpu_falloc(BH)) || !(s->c_save = rb_cpu_falloc(BH))))
        goto nomem;
    if (w->mode == RB_MODE_TRAIN)
        return rb_cpu_train_alloc(s, e);
    return 0;
nomem:
    /* The wrapper calls rb_cpu_unload on failure, which frees what exists. */
    return rb_errf(e, RB_ENOMEM, "cpu: out of memory packing weights and buffers for %s", w->key);
}

void rb_cpu_sum_biases(cpu_state *s)
{
    size_t GH = (size_t)s->G * s->H;
    for (int l = 0; l < s->L * s->D; l++) {
        cpu_layer *d = &s->layer[l];
        for (size_t j = 0; j < GH; j++)
            d->bias[j] = d->b_ih[j] + d->b_hh[j];
    }
}

/* rec[B, G*H] = h[B, H] x W_hh^T, the only work between two fused passes. */
static void recurrent(const cpu_state *s, const float *w_hh, const float *h)
{
    const int H = s->H, GH = s->G * s->H, B = s->B;
    if (B == 1) {
        cblas_sgemv(CblasRowMajor, CblasNoTrans, GH, H, 1.0f, w_hh, H, h, 1, 0.0f, s->rec, 1);
        return;
    }
    for (int r0 = 0; r0 < GH; r0 += s->chunk) {
        int nr = GH - r0 < s->chunk ? GH - r0 : s->chunk;
        for (int b = 0; b < B; b++)
            cblas_sgemv(CblasRowMajor, CblasNoTrans, nr, H, 1.0f, w_hh + (size_t)r0 * H, H,
                        h + (size_t)b * H, 1, 0.0f, s->rec + (size_t)b * GH + r0, 1);
    }
}

/* Rows at or past their length at step t: output zero, h and c as before
 * the step (h_state holds h for the next step's product). */
static void hold_rows(cpu_state *s, int t, const int *lens, float *yt, float *c)
{
    const size_t H = (size_t)s->H;
    for (int b = 0; b < s->B; b++) {
        float *y = yt + b * H;
        if (t < lens[b]) {
            memcpy(s->h_state + b * H, y, H * sizeof *y);
        } else {
            memset(y, 0, H * sizeof *y);
            if (c)
                memcpy(c + b * H, s->c_save + b * H, H * sizeof *c);
        }
    }
}

void rb_cpu_run_layer(cpu_state *s, int u, const float *x, const float *h0, const float *c0,
                      const int *lens, float *y, float *act, float *cseq)
{
    const cpu_layer *ly = &s->layer[u];
    const int H = s->H, B = s->B, GH = s->G * s->H, TB = s->T * s->B;
    const size_t BH = (size_t)B * H;
    const float *pre = x;
    if (ly->in) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, TB, GH, ly->in, 1.0f, x, ly->in,
                    ly->w_ih, ly->in, 0.0f, s->gates, GH);
        pre = s->gates;
    }
    if (s->cell == RB_CELL_LSTM && !cseq) {
        if (c0)
            memcpy(s->c, c0, BH * sizeof *s->c);
        else
            memset(s->c, 0, BH * sizeof *s->c);
    }
    const float *c_prev = cseq ? (c0 ? c0 : s->zeros) : s->c;
    const float *h = h0 ? h0 : s->zeros;
    if (lens) {
        memcpy(s->h_state, h, BH * sizeof *h);
        h = s->h_state;
    }
    if (s->rec_threads != s->threads)
        openblas_set_num_threads(s->rec_threads);
    for (int k = 0; k < s->T; k++) {
        int t = ly->reverse ? s->T - 1 - k : k;
        recurrent(s, ly->w_hh, h);
        /* h_t goes straight into the layer output, where the next step's
         * product and the next layer read it: no state copy per step. */
        float *yt = y + (size_t)t * BH;
        const float *pt = pre + (size_t)t * B * GH;
        if (lens && s->cell == RB_CELL_LSTM)
            memcpy(s->c_save, s->c, BH * sizeof *s->c);
        if (s->cell == RB_CELL_LSTM && cseq) {
            float *ct = cseq + (size_t)t * BH;
            rb_cpu_lstm_cell(B, H, pt, s->rec, ly->bias, c_prev, ct, yt, act + (size_t)t * B * GH);
            c_prev = ct;
        } else if (s->cell == RB_CELL_LSTM && s->ext)
            rb_cpu_lstm_cell_ext(B, H, pt, s->rec, ly->bias, ly->peep, s->clip, s->coupled, s->c,
                                 s->c, yt);
        else if (s->cell == RB_CELL_LSTM)
            rb_cpu_lstm_cell(B, H, pt, s->rec, ly->bias, s->c, s->c, yt, NULL);
        else
            rb_cpu_rnn_cell(B, H, pt, s->rec, ly->bias, s->clip, yt);
        if (lens)
            hold_rows(s, t, lens, yt, s->cell == RB_CELL_LSTM ? s->c : NULL);
        else
            h = yt;
    }
    if (s->rec_threads != s->threads)
        openblas_set_num_threads(s->threads);
}

void rb_cpu_claim_threads(const cpu_state *s)
{
    /* OpenBLAS's thread count is process-wide: another target may have
     * changed it since load. */
    if (openblas_get_num_threads() != s->threads)
        openblas_set_num_threads(s->threads);
}

/* y[t, b, d*H + j] = dir[d][t, b, j]: a bidirectional layer's output, the
 * forward half first, as PyTorch concatenates it. */
static void interleave(const cpu_state *s, float *y)
{
    const size_t H = (size_t)s->H, TB = (size_t)s->T * s->B;
    for (size_t r = 0; r < TB; r++)
        for (int d = 0; d < 2; d++)
            memcpy(y + (2 * r + (size_t)d) * H, s->dir[d] + r * H, H * sizeof *y);
}

int rb_cpu_forward(rb_target *t, const rb_batch *in, rb_tensor *out, rb_sample *smp, rb_err *e)
{
    cpu_state *s = t->priv;
    if (!s)
        return rb_errf(e, RB_ERUNTIME, "cpu: forward without loaded state");
    rb_cpu_claim_threads(s);
    size_t BH = (size_t)s->B * s->H;
    const float *x = in->x;
    /* stateful: a batch without states continues from the kept ones */
    const float *h0 = in->h0 ? in->h0 : s->keep_h;
    const float *c0 = in->c0 ? in->c0 : s->keep_c;
    int lstm = s->cell == RB_CELL_LSTM;
    for (int l = 0; l < s->L; l++) {
        float *y = l == s->L - 1 ? out->data : s->seq[l % 2];
        for (int d = 0; d < s->D; d++) {
            int u = l * s->D + d;
            float *yu = s->D == 2 ? s->dir[d] : y;
            rb_cpu_run_layer(s, u, x, h0 ? h0 + u * BH : NULL, c0 && lstm ? c0 + u * BH : NULL,
                             in->lens, yu, NULL, NULL);
            if (s->keep_h) { /* h0 was read at the unit's first step: safe to overwrite */
                int last = s->layer[u].reverse ? 0 : s->T - 1;
                memcpy(s->keep_h + u * BH, in->lens ? s->h_state : yu + (size_t)last * BH,
                       BH * sizeof *s->keep_h);
                if (lstm)
                    memcpy(s->keep_c + u * BH, s->c, BH * sizeof *s->keep_c);
            }
        }
        if (s->D == 2)
            interleave(s, y);
        x = y;
    }
    return 0;
}
