/* cpu_lstm.c — LSTM / GRU / tanh-RNN inference on the CPU, fp32.
 *
 * Per layer: one product projects the inputs of all T steps at once (the
 * big, efficient product), then each step is one call of the recurrent
 * kernel: h_{t-1} x W_hh^T with the gates and the state update fused into
 * the tile's epilogue (cpu_rec.h; W_ih and W_hh packed at load).  At 2+
 * threads each thread owns a share of the panels for the whole layer, and
 * the threads meet at a barrier per step (cpu_pool.h).  load() packs the
 * weights and allocates every buffer for the workload's T and B, so
 * forward() only computes; the two biases are summed once and added in the
 * epilogue.
 *
 * Imported models (model.h) run on the same kernels: a reversed unit walks
 * the steps backwards, a bidirectional layer runs its two units into
 * separate buffers and interleaves them, peepholes, clip and input_forget
 * are the epilogue's extensions, and row lengths keep h in its own
 * (ping-pong) buffer so that rows past their end output zeros while their
 * state stays. */
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
    rb_cpu_pool_free(s->pool);
    if (s->layer)
        for (int u = 0; u < s->L * s->D; u++) {
            free(s->layer[u].bias);
            free(s->layer[u].wh_pk);
            free(s->layer[u].wn_pk);
            free(s->layer[u].wi_pk);
        }
    free(s->layer);
    free(s->params);
    free(s->gates);
    free(s->seq[0]);
    free(s->seq[1]);
    free(s->dir[0]);
    free(s->dir[1]);
    free(s->h_state);
    free(s->keep_h);
    free(s->keep_c);
    free(s->zeros);
    free(s->c);
    free(s->rb_work);
    free(s);
    t->priv = NULL;
}

/* Below this many multiply-adds a step's product takes a microsecond or
 * two, no more than the barrier that ends a step on two threads: such
 * layers run on one.  Measured on 2 cores (LSTM, 25 steps, 2 threads vs 1):
 * H=32 B=1 (4 Ki MACs a step) 0.76x, H=64 B=1 (16 Ki) 1.37x, H=32 B=8
 * (32 Ki) 1.57x, H=96 B=1 1.58x, H=128 B=8 1.56x. */
#define SERIAL_STEP_MACS (16 * 1024)

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
    s->reset_before = m->reset_before;
    s->threads = rb_cpu_threads(t);
    s->kernel = rb_cpu_rec_pick(rb_target_opt(t, "isa"));
    if (!s->kernel) /* probe refuses such an instance first */
        return rb_errf(e, RB_EUNAVAIL, "cpu: this CPU cannot run isa=%s", rb_target_opt(t, "isa"));
    s->panels = rb_cpu_rec_panels(s->kernel, s->G, s->H);
    s->rec_threads = (long)s->G * s->H * s->H * s->B < SERIAL_STEP_MACS ? 1 : s->threads;
    if (s->reset_before) /* its step is two products and two passes: one thread (cpu_gru_rb.c) */
        s->rec_threads = 1;
    if (s->rec_threads > s->panels)
        s->rec_threads = s->panels;
    if (s->rec_threads > 1 && !(s->pool = rb_cpu_pool_new(s->rec_threads)))
        return rb_errf(e, RB_ERUNTIME, "cpu: cannot start %d worker threads", s->rec_threads - 1);
    size_t GH = (size_t)s->G * s->H, TB = (size_t)s->T * s->B, BH = (size_t)s->B * s->H;
    int units = s->L * s->D;
    /* the kernel's row counts and dimensions are int */
    if (TB > INT_MAX || GH > INT_MAX)
        return rb_errf(e, RB_EINPUT,
                       "cpu: %s is too large for the kernel's 32-bit dimensions (T*B = %zu)",
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
        /* reset_before packs W_hh's r and z rows for a plain product instead */
        size_t wh = s->reset_before ? rb_cpu_rec_packed_size(s->kernel, 1, 2 * s->H, s->H)
                                    : rb_cpu_rec_packed_size(s->kernel, s->G, s->H, s->H);
        if (!(d->bias = rb_cpu_falloc(GH)) || !(d->wh_pk = rb_cpu_falloc(wh)) ||
            (s->reset_before &&
             !(d->wn_pk = rb_cpu_falloc(rb_cpu_rec_packed_size(s->kernel, 1, s->H, s->H)))) ||
            (d->in &&
             !(d->wi_pk = rb_cpu_falloc(rb_cpu_rec_packed_size(s->kernel, s->G, s->H, d->in)))))
            goto nomem;
    }
    rb_cpu_weights_changed(s);
    /* Without an input projection layer 0 reads its pre-activations from x
     * directly, but later layers still need the gate buffer. */
    if ((s->layer[0].in || s->L > 1) && !(s->gates = rb_cpu_falloc(TB * GH)))
        goto nomem;
    if (!(s->zeros = rb_cpu_falloc(BH)) || !(s->c = rb_cpu_falloc(BH)))
        goto nomem;
    if (s->reset_before && !(s->rb_work = rb_cpu_falloc(BH * 5)))
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
    if ((w->features & RB_FEAT_SEQ_LENS) && !(s->h_state = rb_cpu_falloc(2 * BH)))
        goto nomem;
    if (w->mode == RB_MODE_TRAIN)
        return rb_cpu_train_alloc(s, e);
    return 0;
nomem:
    /* The wrapper calls rb_cpu_unload on failure, which frees what exists. */
    return rb_errf(e, RB_ENOMEM, "cpu: out of memory packing weights and buffers for %s", w->key);
}

void rb_cpu_weights_changed(cpu_state *s)
{
    /* the GRU's b_hn is added to W_hn h before r scales it: not summed */
    size_t GH = (size_t)s->G * s->H, sum = s->cell == RB_CELL_GRU ? 2 * (size_t)s->H : GH;
    for (int l = 0; l < s->L * s->D; l++) {
        cpu_layer *d = &s->layer[l];
        for (size_t j = 0; j < GH; j++)
            d->bias[j] = d->b_ih[j] + (j < sum ? d->b_hh[j] : 0.0f);
        if (s->reset_before) { /* r, z rows as one product, W_hn as another (cpu_gru_rb.c) */
            rb_cpu_rec_pack(s->kernel, 1, 2 * s->H, s->H, d->w_hh, d->wh_pk);
            rb_cpu_rec_pack(s->kernel, 1, s->H, s->H, d->w_hh + sum * s->H, d->wn_pk);
        } else {
            rb_cpu_rec_pack(s->kernel, s->G, s->H, s->H, d->w_hh, d->wh_pk);
        }
        if (d->in)
            rb_cpu_rec_pack(s->kernel, s->G, s->H, d->in, d->w_ih, d->wi_pk);
    }
    if (s->train)
        rb_cpu_train_pack(s);
}

/* One unit's walk over its steps, shared by the threads that split it. */
typedef struct layer_job {
    const cpu_state *s;
    const cpu_layer *ly;
    const float *x;   /* [T*B, in] the layer's input when it has a projection */
    const float *pre; /* [T*B, G*H] its pre-activations, bias not added */
    const float *h0, *c0;
    const int *lens;
    float *y, *act, *cseq;
} layer_job;

/* Thread tid of n: its share of the panels, first of the input projection
 * over all T*B rows, then of every step, with a barrier after each because
 * the next step reads all of h_t. */
static void layer_steps(void *arg, int tid, int n)
{
    const layer_job *j = arg;
    const cpu_state *s = j->s;
    const int B = s->B, H = s->H, GH = s->G * s->H, T = s->T;
    const size_t BH = (size_t)B * H;
    const int p0 = rb_cpu_share(s->panels, tid, n), p1 = rb_cpu_share(s->panels, tid + 1, n);
    if (j->ly->in) {
        rb_rec_step proj = {.B = T * B,
                            .H = H,
                            .G = s->G,
                            .K = j->ly->in,
                            .w = j->ly->wi_pk,
                            .h = j->x,
                            .out = s->gates};
        /* no barrier: each step's epilogue reads the pre-activations of
         * this thread's own panels only */
        s->kernel->step(&proj, p0, p1);
    }
    rb_rec_step st = {.B = B,
                      .H = H,
                      .G = s->G,
                      .K = H,
                      .w = j->ly->wh_pk,
                      .h = j->h0 ? j->h0 : s->zeros,
                      .bias = j->ly->bias,
                      .bias_hn = j->ly->b_hh + 2 * (size_t)H, /* read by the GRU only */
                      .peep = j->ly->peep,
                      .clip = s->clip,
                      .coupled = s->coupled,
                      .lens = j->lens};
    /* inference updates c in place; training keeps every step's c */
    st.c_prev = j->cseq ? (j->c0 ? j->c0 : s->zeros) : s->c;
    for (int k = 0; k < T; k++) {
        int t = j->ly->reverse ? T - 1 - k : k;
        st.t = t;
        st.pre = j->pre + (size_t)t * B * GH;
        st.y = j->y + (size_t)t * BH;
        st.c = j->cseq ? j->cseq + (size_t)t * BH : s->c;
        st.act = j->act ? j->act + (size_t)t * B * 4 * H : NULL;
        if (j->lens) /* h ping-pongs in h_state: held rows keep theirs */
            st.h_next = s->h_state + (size_t)((k + 1) % 2) * BH;
        s->kernel->step(&st, p0, p1);
        if (n > 1)
            rb_cpu_pool_barrier(s->pool);
        /* h_t goes straight into the layer output, where the next step's
         * product and the next layer read it: no state copy per step. */
        st.h = j->lens ? st.h_next : st.y;
        if (s->cell == RB_CELL_LSTM)
            st.c_prev = st.c;
    }
}

void rb_cpu_run_layer(cpu_state *s, int u, const float *x, const float *h0, const float *c0,
                      const int *lens, float *y, float *act, float *cseq)
{
    const cpu_layer *ly = &s->layer[u];
    const size_t BH = (size_t)s->B * s->H;
    const float *pre = ly->in ? s->gates : x;
    layer_job j = {s, ly, x, pre, h0, c0, lens, y, s->cell != RB_CELL_RNN ? act : NULL, cseq};
    if (s->cell == RB_CELL_LSTM && !cseq) {
        if (c0)
            memcpy(s->c, c0, BH * sizeof *s->c);
        else
            memset(s->c, 0, BH * sizeof *s->c);
    }
    if (lens) {
        memcpy(s->h_state, h0 ? h0 : s->zeros, BH * sizeof *s->h_state);
        j.h0 = s->h_state;
    }
    if (s->reset_before)
        rb_cpu_gru_rb_steps(s, ly, x, pre, j.h0, lens, y);
    else if (s->pool)
        rb_cpu_pool_run(s->pool, layer_steps, &j);
    else
        layer_steps(&j, 0, 1);
    if (lens && s->T % 2) /* the last h in h_state's first half, where forward looks */
        memcpy(s->h_state, s->h_state + BH, BH * sizeof *s->h_state);
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
