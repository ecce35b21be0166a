/* cpu_onednn.c — the cpu target's second software stack: oneDNN's RNN
 * primitives (cpu:onednn), so a person sees both stacks on their CPU.
 *
 * Each layer is one primitive (lstm_forward, lbr_gru_forward or
 * vanilla_rnn_forward with tanh), made at load with its weights reordered once into the layout the
 * primitive asks for (format "any": oneDNN's packed GEMM layout), so a call
 * runs the primitives and nothing else.  One primitive per layer, not one
 * for the stack, because oneDNN stacks layers only when the first layer's
 * input is as wide as the hidden state.  Weights come in PyTorch's layout
 * ([G*H, in], gates i, f, g, o — oneDNN's LSTM order i, f, c~, o is the
 * same), which is oneDNN's ldgoi: the reorders read them where they are;
 * the bias is b_ih + b_hh.  The GRU is oneDNN's linear-before-reset one,
 * PyTorch's: its gates are u, r, c~ where PyTorch's are r, z, n (u = z), so
 * the first two blocks of rows trade places on the way in (a copy, which a
 * reorder's strides cannot express), and its bias is [b_u, b_r, b_in, b_hn]:
 * four rows, b_hn kept apart because r scales it.
 *
 * Training (a train-mode load): each layer's forward is made for training
 * (it fills a workspace its backward reads) and gets the matching
 * lstm_backward / vanilla_rnn_backward, whose weights have a layout of their
 * own (ldgoi, where the forward's is ldigo), so they are reordered into
 * both.  The weights live in one flat array of the params.h layout, as the
 * other backend keeps them (cpu_train.c), so clipping and Adam are one pass
 * over it.  PyTorch's [G*H, in] is oneDNN's ldgoi: reorders made once at
 * load take the flat array's weights straight into both layouts after each
 * update, and the weight gradients (which oneDNN gives in its ldigo) straight
 * into the flat array of gradients, with no transposed copy on the way.
 * oneDNN has one bias, so its gradient is both b_ih's and b_hh's
 * (d/db_ih = d/db_hh).
 *
 * What it runs: the plain stack with an input projection, inference and
 * training, with or without h0/c0.  The rest is refused by name at load
 * (this instance's features, narrowed in probe): oneDNN's primitives always
 * multiply x by W_ih, and peepholes, clipping, coupled gates, row lengths
 * and kept states are not what they compute. */
#include "cpu.h"

#ifdef RB_HAVE_ONEDNN
#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_version.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a training load adds to a layer (the forward is made for training). */
typedef struct onednn_bwd {
    dnnl_primitive_t prim;
    dnnl_memory_t workspace; /* what the forward leaves for the backward */
    /* [0] weights_layer (W_ih), [1] weights_iter (W_hh) */
    dnnl_memory_t w[2];       /* the weights again, in the backward's layout */
    dnnl_memory_t dw[2];      /* their gradients, in the backward's layout */
    dnnl_memory_t p[2], g[2]; /* the flat arrays' weights and gradients, as ldgoi */
    /* reorders made once: the flat array's weights into the forward's and
     * the backward's layouts, the backward's gradients into the flat array */
    dnnl_primitive_t to_fwd[2], to_bwd[2], from_diff[2];
    dnnl_memory_t db; /* [G*H] the bias gradient (ldgo; [4H] for the GRU) */
    float *stage[2];  /* GRU: the weights and their gradients with the r and z */
    float *gstage[2]; /* blocks traded (oneDNN's gate order), else NULL */
    dnnl_memory_t diff_src_layer, diff_src_iter, diff_src_iter_c, diff_dst_layer; /* user's */
    size_t off[4]; /* params.h offsets of w_ih, w_hh, b_ih, b_hh */
} onednn_bwd;

typedef struct onednn_layer {
    dnnl_primitive_t prim;
    dnnl_memory_t src_layer, src_iter, src_iter_c, w_layer, w_iter, bias, dst_layer;
    onednn_bwd *bwd; /* NULL unless loaded for training */
} onednn_layer;

/* A training load's state beyond the layers'. */
typedef struct onednn_train {
    float *params, *grads, *m, *v; /* [n_params] params.h layout: weights, gradients, moments */
    size_t n_params;
    float *hs;     /* [L][T, B, H] every layer's output: the next one's input, the backward's */
    float *dY[2];  /* [T, B, H] the gradient at a layer's output, ping-pong */
    float *dx;     /* [T, B, I] layer 0's diff_src_layer when the caller wants none */
    float *dstate; /* [2][B, H] diff_src_iter(_c): computed by oneDNN, unused */
    long step;     /* Adam's step count */
} onednn_train;

typedef struct onednn_state {
    dnnl_engine_t eng;
    dnnl_stream_t stream;
    int L, T, B, I, H, G, threads;
    rb_cell cell;
    onednn_layer *layer; /* [L] */
    float *seq[2];       /* [T, B, H] outputs of the layers before the last, ping-pong */
    float *zeros;        /* [B, H] the initial states when the batch gives none */
    onednn_train *train; /* NULL unless loaded for training */
} onednn_state;

static int fail(rb_err *e, dnnl_status_t st, const char *what)
{
    return rb_errf(e, st == dnnl_out_of_memory ? RB_ENOMEM : RB_ERUNTIME,
                   "cpu:onednn: %s failed (dnnl status %d)", what, (int)st);
}

#define TRY(call, what)                                                                            \
    do {                                                                                           \
        dnnl_status_t st_ = (call);                                                                \
        if (st_ != dnnl_success)                                                                   \
            return fail(e, st_, what);                                                             \
    } while (0)

const char *rb_onednn_version(char *buf, size_t n)
{
    const dnnl_version_t *v = dnnl_version();
    snprintf(buf, n, "oneDNN %d.%d.%d", v->major, v->minor, v->patch);
    return buf;
}

static void free_mems(dnnl_memory_t *const *m, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (*m[i]) {
            dnnl_memory_destroy(*m[i]);
            *m[i] = NULL;
        }
}

static void free_prim(dnnl_primitive_t *p)
{
    if (*p)
        dnnl_primitive_destroy(*p);
    *p = NULL;
}

static void free_bwd(onednn_bwd *b)
{
    dnnl_memory_t *m[] = {&b->workspace,       &b->db,
                          &b->diff_src_layer,  &b->diff_src_iter,
                          &b->diff_src_iter_c, &b->diff_dst_layer};
    free_mems(m, sizeof m / sizeof m[0]);
    free_prim(&b->prim);
    for (int i = 0; i < 2; i++) {
        dnnl_memory_t *mi[] = {&b->w[i], &b->dw[i], &b->p[i], &b->g[i]};
        free_mems(mi, sizeof mi / sizeof mi[0]);
        free_prim(&b->to_fwd[i]);
        free_prim(&b->to_bwd[i]);
        free_prim(&b->from_diff[i]);
        free(b->stage[i]);
        free(b->gstage[i]);
    }
    free(b);
}

static void free_layer(onednn_layer *ly)
{
    dnnl_memory_t *m[] = {&ly->src_layer, &ly->src_iter, &ly->src_iter_c, &ly->w_layer,
                          &ly->w_iter,    &ly->bias,     &ly->dst_layer};
    free_mems(m, sizeof m / sizeof m[0]);
    free_prim(&ly->prim);
    if (ly->bwd)
        free_bwd(ly->bwd);
    ly->bwd = NULL;
}

static void free_train(onednn_train *tr)
{
    if (!tr)
        return;
    float *all[] = {tr->params, tr->grads, tr->m,  tr->v,     tr->hs,
                    tr->dY[0],  tr->dY[1], tr->dx, tr->dstate};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        free(all[i]);
    free(tr);
}

void rb_onednn_unload(rb_target *t)
{
    onednn_state *s = t->priv;
    if (!s)
        return;
    for (int l = 0; s->layer && l < s->L; l++)
        free_layer(&s->layer[l]);
    free(s->layer);
    if (s->stream)
        dnnl_stream_destroy(s->stream);
    if (s->eng)
        dnnl_engine_destroy(s->eng);
    free(s->seq[0]);
    free(s->seq[1]);
    free(s->zeros);
    free_train(s->train);
    free(s);
    t->priv = NULL;
}

/* A memory over the caller's buffers, set at each call (inputs, states, output). */
static int user_mem(dnnl_memory_t *m, const dnnl_memory_desc_t *md, dnnl_engine_t eng, rb_err *e)
{
    TRY(dnnl_memory_create(m, md, eng, DNNL_MEMORY_NONE), "creating a memory");
    return 0;
}

/* Weights in the primitive's own layout: the user's reordered once (data
 * is only read: the cast drops const for oneDNN's API). */
static int packed(dnnl_memory_t *out, const dnnl_memory_desc_t *want,
                  const dnnl_memory_desc_t *user, const float *data, dnnl_engine_t eng,
                  dnnl_stream_t stream, rb_err *e)
{
    dnnl_memory_t src = NULL;
    dnnl_primitive_desc_t rpd = NULL;
    dnnl_primitive_t reorder = NULL;
    TRY(dnnl_memory_create(&src, user, eng, (void *)data), "creating a weight memory");
    dnnl_status_t st = dnnl_memory_create(out, want, eng, DNNL_MEMORY_ALLOCATE);
    if (st == dnnl_success)
        st = dnnl_reorder_primitive_desc_create(&rpd, user, eng, want, eng, NULL);
    if (st == dnnl_success)
        st = dnnl_primitive_create(&reorder, rpd);
    if (st == dnnl_success) {
        dnnl_exec_arg_t args[] = {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, *out}};
        st = dnnl_primitive_execute(reorder, stream, 2, args);
    }
    if (st == dnnl_success)
        st = dnnl_stream_wait(stream);
    if (reorder)
        dnnl_primitive_destroy(reorder);
    if (rpd)
        dnnl_primitive_desc_destroy(rpd);
    dnnl_memory_destroy(src);
    return st == dnnl_success ? 0 : fail(e, st, "packing the weights");
}

/* A memory oneDNN allocates, in whatever layout md says. */
static int own_mem(dnnl_memory_t *m, const dnnl_memory_desc_t *md, dnnl_engine_t eng, rb_err *e)
{
    TRY(dnnl_memory_create(m, md, eng, DNNL_MEMORY_ALLOCATE), "allocating a memory");
    return 0;
}

/* A memory over a buffer of ours that stays put while it lives. */
static int fixed_mem(dnnl_memory_t *m, const dnnl_memory_desc_t *md, dnnl_engine_t eng, float *p,
                     rb_err *e)
{
    TRY(dnnl_memory_create(m, md, eng, p), "creating a memory");
    return 0;
}

static void *mem_data(dnnl_memory_t m)
{
    void *p = NULL;
    return dnnl_memory_get_data_handle(m, &p) == dnnl_success ? p : NULL;
}

/* Bytes of m's buffer, padding included. */
static size_t mem_size(dnnl_memory_t m)
{
    const dnnl_memory_desc_t *md = NULL;
    return dnnl_memory_get_memory_desc(m, &md) == dnnl_success ? dnnl_memory_desc_get_size(md) : 0;
}

/* A reorder made once: the training step runs it at every update. */
static int make_reorder(dnnl_primitive_t *r, const dnnl_memory_desc_t *from,
                        const dnnl_memory_desc_t *to, dnnl_engine_t eng, rb_err *e)
{
    dnnl_primitive_desc_t pd;
    TRY(dnnl_reorder_primitive_desc_create(&pd, from, eng, to, eng, NULL), "making a reorder");
    dnnl_status_t st = dnnl_primitive_create(r, pd);
    dnnl_primitive_desc_destroy(pd);
    return st == dnnl_success ? 0 : fail(e, st, "making a reorder");
}

static int run_reorder(onednn_state *s, dnnl_primitive_t r, dnnl_memory_t from, dnnl_memory_t to,
                       rb_err *e)
{
    dnnl_exec_arg_t args[] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    TRY(dnnl_primitive_execute(r, s->stream, 2, args), "reordering the weights");
    return 0;
}

/* One layer's descriptors: the user's layouts, and "any" for the weights
 * that the primitives lay out themselves. */
typedef struct layer_mds {
    dnnl_memory_desc_t src_layer, src_iter, src_iter_c, dst_layer, w_layer_any, w_iter_any, bias;
    dnnl_memory_desc_t w_layer_torch, w_iter_torch; /* ldgoi: PyTorch's [G*H, in] */
} layer_mds;

/* [3H, cols] rows with the first two blocks of H traded: PyTorch's GRU gate
 * order r, z, n into oneDNN's u (= z), r, c~, and back (its own inverse). */
static void gru_trade(const float *src, float *dst, int H, int cols)
{
    size_t blk = (size_t)H * cols;
    memcpy(dst, src + blk, blk * sizeof *dst);
    memcpy(dst + blk, src, blk * sizeof *dst);
    memcpy(dst + 2 * blk, src + 2 * blk, blk * sizeof *dst);
}

/* Columns of layer l's W_ih (i = 0) or W_hh (i = 1). */
static int w_cols(const onednn_state *s, int l, int i) { return i || l ? s->H : s->I; }

/* oneDNN's bias from PyTorch's two: b_ih + b_hh, or for the GRU
 * [b_u, b_r, b_in, b_hn] (u = z). */
static void fuse_bias(const onednn_state *s, const float *b_ih, const float *b_hh, float *bias)
{
    const int H = s->H;
    if (s->cell != RB_CELL_GRU) {
        for (int r = 0; r < s->G * H; r++)
            bias[r] = b_ih[r] + b_hh[r];
        return;
    }
    for (int j = 0; j < H; j++) {
        bias[j] = b_ih[H + j] + b_hh[H + j];
        bias[H + j] = b_ih[j] + b_hh[j];
        bias[2 * H + j] = b_ih[2 * H + j];
        bias[3 * H + j] = b_hh[2 * H + j];
    }
}

/* An inference load: the weights reordered once into the forward's layouts
 * (the GRU's through a copy in oneDNN's gate order). */
static int pack_once(onednn_state *s, onednn_layer *o, const rb_layer *ly, const layer_mds *d,
                     const dnnl_memory_desc_t *w_layer, const dnnl_memory_desc_t *w_iter,
                     float *bias, rb_err *e)
{
    fuse_bias(s, ly->b_ih, ly->b_hh, bias);
    const float *wl = ly->w_ih, *wi = ly->w_hh;
    float *tl = NULL, *ti = NULL;
    if (s->cell == RB_CELL_GRU) {
        size_t GH = (size_t)s->G * s->H;
        if (!(tl = malloc(GH * ly->in * sizeof *tl)) || !(ti = malloc(GH * s->H * sizeof *ti))) {
            free(tl);
            return rb_errf(e, RB_ENOMEM, "cpu:onednn: out of memory ordering the GRU's gates");
        }
        gru_trade(ly->w_ih, tl, s->H, ly->in);
        gru_trade(ly->w_hh, ti, s->H, s->H);
        wl = tl;
        wi = ti;
    }
    int rc = packed(&o->w_layer, w_layer, &d->w_layer_torch, wl, s->eng, s->stream, e);
    if (!rc)
        rc = packed(&o->w_iter, w_iter, &d->w_iter_torch, wi, s->eng, s->stream, e);
    free(tl);
    free(ti);
    return rc;
}

/* A training load: the workspace, the backward primitive (hinted by the
 * forward's fwd), the weights' buffers in both layouts, their gradients',
 * and the reorders between those and the flat arrays; the weights
 * themselves come from the flat array (pack_layer). */
static int load_train(onednn_state *s, const rb_model *m, int l, const layer_mds *d,
                      const_dnnl_primitive_desc_t fwd, rb_err *e)
{
    onednn_layer *o = &s->layer[l];
    onednn_bwd *b = o->bwd = calloc(1, sizeof *b);
    if (!b)
        return rb_errf(e, RB_ENOMEM, "cpu:onednn: out of memory for training state");
    for (int k = RB_P_W_IH; k <= RB_P_B_HH; k++)
        b->off[k] = rb_param_off(m, l, (rb_param_kind)k);
    const int lstm = s->cell == RB_CELL_LSTM;
    const dnnl_memory_desc_t *torch[2] = {&d->w_layer_torch, &d->w_iter_torch},
                             *fw[2] = {dnnl_primitive_desc_query_md(fwd, dnnl_query_weights_md, 0),
                                       dnnl_primitive_desc_query_md(fwd, dnnl_query_weights_md, 1)};
    int rc = own_mem(&b->workspace, dnnl_primitive_desc_query_md(fwd, dnnl_query_workspace_md, 0),
                     s->eng, e);
    if (!rc)
        rc = own_mem(&o->w_layer, fw[0], s->eng, e);
    if (!rc)
        rc = own_mem(&o->w_iter, fw[1], s->eng, e);
    for (int i = 0; !rc && i < 2; i++) {
        /* the flat arrays stay where they are from load to unload; the
         * GRU's go through copies in oneDNN's gate order */
        float *pw = s->train->params + b->off[RB_P_W_IH + i],
              *pg = s->train->grads + b->off[RB_P_W_IH + i];
        if (s->cell == RB_CELL_GRU) {
            size_t n = rb_param_count(m, l, (rb_param_kind)(RB_P_W_IH + i));
            if (!(pw = b->stage[i] = malloc(n * sizeof *pw)) ||
                !(pg = b->gstage[i] = malloc(n * sizeof *pg)))
                return rb_errf(e, RB_ENOMEM, "cpu:onednn: out of memory ordering the GRU's gates");
        }
        rc = fixed_mem(&b->p[i], torch[i], s->eng, pw, e);
        if (!rc)
            rc = fixed_mem(&b->g[i], torch[i], s->eng, pg, e);
        if (!rc)
            rc = make_reorder(&b->to_fwd[i], torch[i], fw[i], s->eng, e);
    }
    if (rc)
        return rc;

    /* the gradients have the shapes and user layouts of what they are of;
     * no dst_iter: the loss reads the output sequence only */
    dnnl_rnn_desc_t rd;
    if (s->cell == RB_CELL_GRU)
        TRY(dnnl_lbr_gru_backward_desc_init(
                &rd, dnnl_backward, dnnl_unidirectional_left2right, &d->src_layer, &d->src_iter,
                &d->w_layer_any, &d->w_iter_any, &d->bias, &d->dst_layer, NULL, &d->src_layer,
                &d->src_iter, &d->w_layer_any, &d->w_iter_any, &d->bias, &d->dst_layer, NULL, 0),
            "describing the GRU's backward");
    else if (lstm)
        TRY(dnnl_lstm_backward_desc_init(
                &rd, dnnl_backward, dnnl_unidirectional_left2right, &d->src_layer, &d->src_iter,
                &d->src_iter_c, &d->w_layer_any, &d->w_iter_any, &d->bias, &d->dst_layer, NULL,
                NULL, &d->src_layer, &d->src_iter, &d->src_iter_c, &d->w_layer_any, &d->w_iter_any,
                &d->bias, &d->dst_layer, NULL, NULL, 0),
            "describing the LSTM's backward");
    else
        TRY(dnnl_vanilla_rnn_backward_desc_init(
                &rd, dnnl_backward, dnnl_eltwise_tanh, dnnl_unidirectional_left2right,
                &d->src_layer, &d->src_iter, &d->w_layer_any, &d->w_iter_any, &d->bias,
                &d->dst_layer, NULL, &d->src_layer, &d->src_iter, &d->w_layer_any, &d->w_iter_any,
                &d->bias, &d->dst_layer, NULL, 0, 0.f, 0.f),
            "describing the RNN's backward");
    dnnl_primitive_desc_t pd;
    TRY(dnnl_primitive_desc_create(&pd, &rd, NULL, s->eng, fwd), "making the backward primitive");
    dnnl_status_t st = dnnl_primitive_create(&b->prim, pd);
    rc = st == dnnl_success ? 0 : fail(e, st, "making the backward primitive");
    if (!rc)
        rc = own_mem(&b->db, &d->bias, s->eng, e);
    for (int i = 0; !rc && i < 2; i++) {
        const dnnl_memory_desc_t *bw = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, i),
                                 *dw = dnnl_primitive_desc_query_md(pd, dnnl_query_diff_weights_md,
                                                                    i);
        rc = own_mem(&b->w[i], bw, s->eng, e);
        if (!rc)
            rc = own_mem(&b->dw[i], dw, s->eng, e);
        if (!rc)
            rc = make_reorder(&b->to_bwd[i], torch[i], bw, s->eng, e);
        if (!rc)
            rc = make_reorder(&b->from_diff[i], dw, torch[i], s->eng, e);
    }
    dnnl_primitive_desc_destroy(pd);
    if (!rc)
        rc = user_mem(&b->diff_src_layer, &d->src_layer, s->eng, e);
    if (!rc)
        rc = user_mem(&b->diff_src_iter, &d->src_iter, s->eng, e);
    if (!rc && lstm)
        rc = user_mem(&b->diff_src_iter_c, &d->src_iter_c, s->eng, e);
    if (!rc)
        rc = user_mem(&b->diff_dst_layer, &d->dst_layer, s->eng, e);
    return rc;
}

static int load_layer(onednn_state *s, const rb_model *m, int l, rb_err *e)
{
    onednn_layer *o = &s->layer[l];
    const rb_layer *ly = &m->layer[l];
    const int T = s->T, B = s->B, H = s->H, G = s->G, in = ly->in;
    const int lstm = s->cell == RB_CELL_LSTM;
    layer_mds d;
    /* the GRU's bias has a fourth row, b_hn */
    dnnl_dims_t d_src = {T, B, in}, d_iter = {1, 1, B, H}, d_wl = {1, 1, in, G, H},
                d_wi = {1, 1, H, G, H}, d_bias = {1, 1, s->cell == RB_CELL_GRU ? 4 : G, H},
                d_dst = {T, B, H};
    const struct {
        dnnl_memory_desc_t *md;
        int ndims;
        const dnnl_dim_t *dims;
        dnnl_format_tag_t tag;
    } mds[] = {{&d.src_layer, 3, d_src, dnnl_tnc},
               {&d.src_iter, 4, d_iter, dnnl_ldnc},
               {&d.src_iter_c, 4, d_iter, dnnl_ldnc},
               {&d.dst_layer, 3, d_dst, dnnl_tnc},
               {&d.w_layer_any, 5, d_wl, dnnl_format_tag_any},
               {&d.w_iter_any, 5, d_wi, dnnl_format_tag_any},
               {&d.bias, 4, d_bias, dnnl_ldgo},
               {&d.w_layer_torch, 5, d_wl, dnnl_ldgoi},
               {&d.w_iter_torch, 5, d_wi, dnnl_ldgoi}};
    for (size_t i = 0; i < sizeof mds / sizeof mds[0]; i++)
        TRY(dnnl_memory_desc_init_by_tag(mds[i].md, mds[i].ndims, mds[i].dims, dnnl_f32,
                                         mds[i].tag),
            "a descriptor");

    /* training: the forward fills a workspace that the backward reads */
    const dnnl_prop_kind_t prop = s->train ? dnnl_forward_training : dnnl_forward_inference;
    dnnl_rnn_desc_t rd;
    if (s->cell == RB_CELL_GRU)
        TRY(dnnl_lbr_gru_forward_desc_init(&rd, prop, dnnl_unidirectional_left2right,
                                           &d.src_layer, &d.src_iter, &d.w_layer_any,
                                           &d.w_iter_any, &d.bias, &d.dst_layer, NULL, 0),
            "describing the GRU");
    else if (lstm)
        TRY(dnnl_lstm_forward_desc_init(&rd, prop, dnnl_unidirectional_left2right, &d.src_layer,
                                        &d.src_iter, &d.src_iter_c, &d.w_layer_any, &d.w_iter_any,
                                        &d.bias, &d.dst_layer, NULL, NULL, 0),
            "describing the LSTM");
    else
        TRY(dnnl_vanilla_rnn_forward_desc_init(&rd, prop, dnnl_eltwise_tanh,
                                               dnnl_unidirectional_left2right, &d.src_layer,
                                               &d.src_iter, &d.w_layer_any, &d.w_iter_any, &d.bias,
                                               &d.dst_layer, NULL, 0, 0.f, 0.f),
            "describing the RNN");
    dnnl_primitive_desc_t pd;
    TRY(dnnl_primitive_desc_create(&pd, &rd, NULL, s->eng, NULL), "making the primitive");
    const dnnl_memory_desc_t *w_layer = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0),
                             *w_iter = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 1);
    dnnl_status_t st = dnnl_primitive_create(&o->prim, pd);
    int rc = st == dnnl_success ? 0 : fail(e, st, "making the primitive");
    float *bias = NULL; /* the bias in a buffer the memory owns */
    if (!rc &&
        (dnnl_memory_create(&o->bias, &d.bias, s->eng, DNNL_MEMORY_ALLOCATE) != dnnl_success ||
         !(bias = mem_data(o->bias))))
        rc = rb_errf(e, RB_ENOMEM, "cpu:onednn: out of memory for the bias");
    if (!rc && s->train)
        rc = load_train(s, m, l, &d, pd, e);
    else if (!rc)
        rc = pack_once(s, o, ly, &d, w_layer, w_iter, bias, e);
    dnnl_primitive_desc_destroy(pd);
    if (!rc)
        rc = user_mem(&o->src_layer, &d.src_layer, s->eng, e);
    if (!rc)
        rc = user_mem(&o->src_iter, &d.src_iter, s->eng, e);
    if (!rc && lstm)
        rc = user_mem(&o->src_iter_c, &d.src_iter_c, s->eng, e);
    if (!rc)
        rc = user_mem(&o->dst_layer, &d.dst_layer, s->eng, e);
    return rc;
}

/* Layer o's forward weights, i = 0: weights_layer, 1: weights_iter. */
static dnnl_memory_t fwd_w(const onednn_layer *o, int i) { return i ? o->w_iter : o->w_layer; }

/* A training load's layer l: its weights from the flat array into the
 * forward's and the backward's layouts, and the fused bias (at load and
 * after each update; the caller waits for the stream). */
static int pack_layer(onednn_state *s, int l, rb_err *e)
{
    onednn_layer *o = &s->layer[l];
    onednn_bwd *b = o->bwd;
    const float *p = s->train->params;
    fuse_bias(s, p + b->off[RB_P_B_IH], p + b->off[RB_P_B_HH], mem_data(o->bias));
    for (int i = 0; i < 2 && b->stage[i]; i++)
        gru_trade(p + b->off[RB_P_W_IH + i], b->stage[i], s->H, w_cols(s, l, i));
    int rc = 0;
    for (int i = 0; !rc && i < 2; i++) {
        rc = run_reorder(s, b->to_fwd[i], b->p[i], fwd_w(o, i), e);
        if (!rc)
            rc = run_reorder(s, b->to_bwd[i], b->p[i], b->w[i], e);
    }
    return rc;
}

/* What a training load keeps beyond the layers: the flat arrays (the
 * weights from the model), every layer's output, the gradients between
 * layers. */
static int alloc_train(onednn_state *s, const rb_model *m, const rb_workload *w, rb_err *e)
{
    onednn_train *tr = s->train = calloc(1, sizeof *tr);
    if (!tr)
        return rb_errf(e, RB_ENOMEM, "cpu:onednn: out of memory for training state");
    const size_t P = rb_param_total(m), TBH = (size_t)s->T * s->B * s->H, BH = (size_t)s->B * s->H,
                 TBI = (size_t)s->T * s->B * m->layer[0].in;
    tr->n_params = P;
    if (!(tr->params = malloc(P * sizeof(float))) || !(tr->grads = calloc(P, sizeof(float))) ||
        !(tr->m = calloc(P, sizeof(float))) || !(tr->v = calloc(P, sizeof(float))) ||
        !(tr->hs = malloc((size_t)s->L * TBH * sizeof(float))) ||
        !(tr->dY[0] = malloc(TBH * sizeof(float))) || !(tr->dY[1] = malloc(TBH * sizeof(float))) ||
        !(tr->dx = malloc(TBI * sizeof(float))) || !(tr->dstate = malloc(2 * BH * sizeof(float))))
        return rb_errf(e, RB_ENOMEM,
                       "cpu:onednn: out of memory for training state of %s (%.1f MiB of "
                       "weights, gradients, moments and activations)",
                       w->key, 4.0 * (4 * P + (s->L + 2) * TBH + TBI + 2 * BH) / 1048576.0);
    rb_model_flatten(m, tr->params);
    return 0;
}

int rb_onednn_refuses(const rb_workload *w, rb_err *e)
{
    if (!w->input_proj)
        return rb_errf(e, RB_EUNAVAIL,
                       "unsupported: no input projection (oneDNN's RNN primitives always "
                       "multiply x by W_ih)");
    return 0;
}

int rb_onednn_load(rb_target *t, const rb_model *m, const rb_workload *w, rb_err *e)
{
    int refused = rb_onednn_refuses(w, e);
    if (refused)
        return refused;
    onednn_state *s = calloc(1, sizeof *s);
    if (!s)
        return rb_errf(e, RB_ENOMEM, "cpu:onednn: out of memory");
    t->priv = s;
    s->cell = w->cell;
    s->L = w->layers;
    s->T = w->seq;
    s->B = w->batch;
    s->H = w->hidden;
    s->I = w->input;
    s->G = rb_cell_gates(w->cell);
    s->threads = rb_cpu_threads(t);
    /* oneDNN here is built on OpenMP: its threads are OpenMP's */
    omp_set_num_threads(s->threads);
    TRY(dnnl_engine_create(&s->eng, dnnl_cpu, 0), "making the CPU engine");
    TRY(dnnl_stream_create(&s->stream, s->eng, dnnl_stream_default_flags), "making a stream");
    size_t nseq = (size_t)s->T * s->B * s->H;
    s->layer = calloc((size_t)s->L, sizeof *s->layer);
    s->seq[0] = malloc(nseq * sizeof(float));
    s->seq[1] = s->L > 2 ? malloc(nseq * sizeof(float)) : NULL;
    s->zeros = calloc((size_t)s->B * s->H, sizeof(float));
    if (!s->layer || !s->seq[0] || (s->L > 2 && !s->seq[1]) || !s->zeros)
        return rb_errf(e, RB_ENOMEM, "cpu:onednn: out of memory for %s", w->key);
    if (w->mode == RB_MODE_TRAIN) {
        int rc = alloc_train(s, m, w, e);
        if (rc)
            return rc;
    }
    for (int l = 0; l < s->L; l++) {
        int rc = load_layer(s, m, l, e);
        if (rc)
            return rc;
    }
    for (int l = 0; s->train && l < s->L; l++) {
        int rc = pack_layer(s, l, e);
        if (rc)
            return rc;
    }
    TRY(dnnl_stream_wait(s->stream), "waiting for the stream");
    return 0;
}

/* Layer l over all steps: x [T, B, in] into y [T, B, H] from h0 and c0
 * [B, H]; on a training load it also fills the layer's workspace. */
static int forward_layer(onednn_state *s, int l, const float *x, const float *h0, const float *c0,
                         float *y, rb_err *e)
{
    onednn_layer *o = &s->layer[l];
    /* oneDNN reads these: the casts drop const for its API only */
    TRY(dnnl_memory_set_data_handle(o->src_layer, (void *)x), "setting the input");
    TRY(dnnl_memory_set_data_handle(o->src_iter, (void *)h0), "setting h0");
    if (o->src_iter_c)
        TRY(dnnl_memory_set_data_handle(o->src_iter_c, (void *)c0), "setting c0");
    TRY(dnnl_memory_set_data_handle(o->dst_layer, y), "setting the output");
    dnnl_exec_arg_t args[8] = {{DNNL_ARG_SRC_LAYER, o->src_layer},
                               {DNNL_ARG_SRC_ITER, o->src_iter},
                               {DNNL_ARG_WEIGHTS_LAYER, o->w_layer},
                               {DNNL_ARG_WEIGHTS_ITER, o->w_iter},
                               {DNNL_ARG_BIAS, o->bias},
                               {DNNL_ARG_DST_LAYER, o->dst_layer}};
    int n = 6;
    if (o->src_iter_c)
        args[n++] = (dnnl_exec_arg_t){DNNL_ARG_SRC_ITER_C, o->src_iter_c};
    if (o->bwd)
        args[n++] = (dnnl_exec_arg_t){DNNL_ARG_WORKSPACE, o->bwd->workspace};
    TRY(dnnl_primitive_execute(o->prim, s->stream, n, args), "running the primitive");
    return 0;
}

/* Layer l's slice of a [L, B, H] initial state, or zeros. */
static const float *layer_state(const onednn_state *s, const float *p, int l)
{
    return p ? p + (size_t)l * s->B * s->H : s->zeros;
}

int rb_onednn_forward(rb_target *t, const rb_batch *in, rb_tensor *out, rb_sample *smp, rb_err *e)
{
    (void)smp;
    onednn_state *s = t->priv;
    omp_set_num_threads(s->threads); /* the count is per process: another load may have moved it */
    for (int l = 0; l < s->L; l++) {
        const float *x = l == 0 ? in->x : s->seq[(l - 1) % 2];
        float *y = l == s->L - 1 ? out->data : s->seq[l % 2];
        int rc = forward_layer(s, l, x, layer_state(s, in->h0, l), layer_state(s, in->c0, l), y, e);
        if (rc)
            return rc;
    }
    TRY(dnnl_stream_wait(s->stream), "waiting for the stream");
    return 0;
}

/* Layer l backwards: dY [T, B, H] in, dX [T, B, in] out; x, h0 and c0 are
 * what its forward read.  Its weight gradients go into the flat array,
 * the bias's is left in db; the caller waits for the stream. */
static int backward_layer(onednn_state *s, int l, const float *x, const float *h0, const float *c0,
                          const float *dY, float *dX, rb_err *e)
{
    onednn_layer *o = &s->layer[l];
    onednn_bwd *b = o->bwd;
    onednn_train *tr = s->train;
    const size_t TBH = (size_t)s->T * s->B * s->H, BH = (size_t)s->B * s->H;
    /* oneDNN adds the gradients to what these hold */
    for (int i = 0; i < 2; i++)
        memset(mem_data(b->dw[i]), 0, mem_size(b->dw[i]));
    memset(mem_data(b->db), 0, mem_size(b->db));
    /* oneDNN reads these: the casts drop const for its API only */
    TRY(dnnl_memory_set_data_handle(o->src_layer, (void *)x), "setting the input");
    TRY(dnnl_memory_set_data_handle(o->src_iter, (void *)h0), "setting h0");
    if (o->src_iter_c)
        TRY(dnnl_memory_set_data_handle(o->src_iter_c, (void *)c0), "setting c0");
    TRY(dnnl_memory_set_data_handle(o->dst_layer, tr->hs + (size_t)l * TBH), "setting the output");
    TRY(dnnl_memory_set_data_handle(b->diff_dst_layer, (void *)dY),
        "setting the output's gradient");
    TRY(dnnl_memory_set_data_handle(b->diff_src_layer, dX), "setting the input's gradient");
    TRY(dnnl_memory_set_data_handle(b->diff_src_iter, tr->dstate), "setting h0's gradient");
    if (b->diff_src_iter_c)
        TRY(dnnl_memory_set_data_handle(b->diff_src_iter_c, tr->dstate + BH),
            "setting c0's gradient");
    dnnl_exec_arg_t args[15] = {{DNNL_ARG_SRC_LAYER, o->src_layer},
                                {DNNL_ARG_SRC_ITER, o->src_iter},
                                {DNNL_ARG_WEIGHTS_LAYER, b->w[0]},
                                {DNNL_ARG_WEIGHTS_ITER, b->w[1]},
                                {DNNL_ARG_BIAS, o->bias},
                                {DNNL_ARG_DST_LAYER, o->dst_layer},
                                {DNNL_ARG_WORKSPACE, b->workspace},
                                {DNNL_ARG_DIFF_DST_LAYER, b->diff_dst_layer},
                                {DNNL_ARG_DIFF_SRC_LAYER, b->diff_src_layer},
                                {DNNL_ARG_DIFF_SRC_ITER, b->diff_src_iter},
                                {DNNL_ARG_DIFF_WEIGHTS_LAYER, b->dw[0]},
                                {DNNL_ARG_DIFF_WEIGHTS_ITER, b->dw[1]},
                                {DNNL_ARG_DIFF_BIAS, b->db}};
    int n = 13;
    if (o->src_iter_c) {
        args[n++] = (dnnl_exec_arg_t){DNNL_ARG_SRC_ITER_C, o->src_iter_c};
        args[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_SRC_ITER_C, b->diff_src_iter_c};
    }
    TRY(dnnl_primitive_execute(b->prim, s->stream, n, args), "running the backward primitive");
    int rc = 0;
    for (int i = 0; !rc && i < 2; i++)
        rc = run_reorder(s, b->from_diff[i], b->dw[i], b->g[i], e);
    return rc;
}

/* Layer l's weight gradients (the GRU's back in PyTorch's gate order) and
 * bias gradients into the flat array, once the stream is done.  oneDNN
 * has one bias, PyTorch two: each gets the whole gradient, except the GRU's
 * n rows, whose b_in and b_hn oneDNN keeps apart too. */
static void collect_grads(onednn_state *s, int l)
{
    const onednn_bwd *b = s->layer[l].bwd;
    const float *db = mem_data(b->db);
    float *g = s->train->grads, *gi = g + b->off[RB_P_B_IH], *gh = g + b->off[RB_P_B_HH];
    const int H = s->H, GH = s->G * H;
    if (s->cell != RB_CELL_GRU) {
        memcpy(gi, db, (size_t)GH * sizeof *db);
        memcpy(gh, db, (size_t)GH * sizeof *db);
        return;
    }
    for (int i = 0; i < 2; i++)
        gru_trade(b->gstage[i], g + b->off[RB_P_W_IH + i], H, w_cols(s, l, i));
    for (int j = 0; j < H; j++) {
        gi[j] = gh[j] = db[H + j];
        gi[H + j] = gh[H + j] = db[j];
        gi[2 * H + j] = db[2 * H + j];
        gh[2 * H + j] = db[3 * H + j];
    }
}

int rb_onednn_train_step(rb_target *t, const rb_batch *in, rb_train_io *io, rb_sample *smp,
                         rb_err *e)
{
    onednn_state *s = t->priv;
    onednn_train *tr = s ? s->train : NULL;
    if (!tr)
        return rb_errf(e, RB_ERUNTIME, "cpu:onednn: train_step without training state");
    omp_set_num_threads(s->threads); /* the count is per process: another load may have moved it */
    const size_t TBH = (size_t)s->T * s->B * s->H;
    int rc = 0;
    for (int l = 0; !rc && l < s->L; l++)
        rc = forward_layer(s, l, l ? tr->hs + (size_t)(l - 1) * TBH : in->x,
                           layer_state(s, in->h0, l), layer_state(s, in->c0, l),
                           tr->hs + (size_t)l * TBH, e);
    if (rc)
        return rc;
    TRY(dnnl_stream_wait(s->stream), "waiting for the stream");

    rc = io->loss(io->ctx, tr->hs + (size_t)(s->L - 1) * TBH, tr->dY[0], &io->loss_value, e);
    if (rc) {
        rb_err_prefix(e, "cpu:onednn: loss: ");
        return rc;
    }
    /* h0 and c0's gradients are computed (oneDNN wants somewhere to put
     * them) and dropped, as the other backend does */
    const float *dY = tr->dY[0];
    for (int l = s->L - 1; l >= 0 && !rc; l--) {
        float *dX = l ? tr->dY[dY == tr->dY[0]] : io->dx ? io->dx : tr->dx;
        rc = backward_layer(s, l, l ? tr->hs + (size_t)(l - 1) * TBH : in->x,
                            layer_state(s, in->h0, l), layer_state(s, in->c0, l), dY, dX, e);
        dY = dX;
    }
    if (rc)
        return rc;
    TRY(dnnl_stream_wait(s->stream), "waiting for the stream");
    for (int l = 0; l < s->L; l++)
        collect_grads(s, l);

    rc = rb_cpu_adam("cpu:onednn", io, &tr->step, tr->params, tr->grads, tr->m, tr->v, tr->n_params,
                     e);
    for (int l = 0; !rc && l < s->L; l++)
        rc = pack_layer(s, l, e);
    if (rc)
        return rc;
    TRY(dnnl_stream_wait(s->stream), "waiting for the stream");
    rb_sample_metric(smp, "loss", io->loss_value, "", RB_SRC_MEASURED);
    rb_sample_metric(smp, "grad_norm", io->grad_norm, "", RB_SRC_MEASURED);
    return 0;
}

int rb_onednn_params(rb_target *t, float *weights, float *grads, rb_err *e)
{
    const onednn_state *s = t->priv;
    const onednn_train *tr = s ? s->train : NULL;
    return rb_cpu_copy_params("cpu:onednn", tr ? tr->params : NULL, tr ? tr->grads : NULL,
                              tr ? tr->n_params : 0, weights, grads, e);
}
#endif
