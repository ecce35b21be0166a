/* cpu_onednn.c — the cpu target's second software stack: oneDNN's RNN
 * primitives (cpu:onednn), so a person sees both stacks on their CPU.
 *
 * Each layer is one primitive (lstm_forward or vanilla_rnn_forward with
 * tanh), made at load with its weights reordered once into the layout the
 * primitive asks for (format "any": oneDNN's packed GEMM layout), so a call
 * runs the primitives and nothing else.  One primitive per layer, not one
 * for the stack, because oneDNN stacks layers only when the first layer's
 * input is as wide as the hidden state.  Weights come in PyTorch's layout
 * ([G*H, in], gates i, f, g, o — oneDNN's LSTM order i, f, c~, o is the
 * same) and are transposed into oneDNN's ldigo; the bias is b_ih + b_hh.
 *
 * What it runs: the plain stack with an input projection, inference, with
 * or without h0/c0.  The rest is refused by name at load (this instance's
 * features, narrowed in probe): oneDNN's primitives always multiply x by
 * W_ih, and peepholes, clipping, coupled gates, row lengths and kept states
 * are not what they compute. */
#include "cpu.h"

#ifdef RB_HAVE_ONEDNN
#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_version.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct onednn_layer {
    dnnl_primitive_t prim;
    dnnl_memory_t src_layer, src_iter, src_iter_c, w_layer, w_iter, bias, dst_layer;
} onednn_layer;

typedef struct onednn_state {
    dnnl_engine_t eng;
    dnnl_stream_t stream;
    int L, T, B, H, G, threads;
    rb_cell cell;
    onednn_layer *layer; /* [L] */
    float *seq[2];       /* [T, B, H] outputs of the layers before the last, ping-pong */
    float *zeros;        /* [B, H] the initial states when the batch gives none */
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

static void free_layer(onednn_layer *ly)
{
    dnnl_memory_t *m[] = {&ly->src_layer, &ly->src_iter, &ly->src_iter_c, &ly->w_layer,
                          &ly->w_iter,    &ly->bias,     &ly->dst_layer};
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        if (*m[i]) {
            dnnl_memory_destroy(*m[i]);
            *m[i] = NULL;
        }
    if (ly->prim)
        dnnl_primitive_destroy(ly->prim);
    ly->prim = NULL;
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
    free(s);
    t->priv = NULL;
}

/* A memory over the caller's buffers, set at each call (inputs, states, output). */
static int user_mem(dnnl_memory_t *m, const dnnl_memory_desc_t *md, dnnl_engine_t eng, rb_err *e)
{
    TRY(dnnl_memory_create(m, md, eng, DNNL_MEMORY_NONE), "creating a memory");
    return 0;
}

/* Weights in the primitive's own layout: the user's reordered once. */
static int packed(dnnl_memory_t *out, const dnnl_memory_desc_t *want,
                  const dnnl_memory_desc_t *user, void *data, dnnl_engine_t eng,
                  dnnl_stream_t stream, rb_err *e)
{
    dnnl_memory_t src = NULL;
    dnnl_primitive_desc_t rpd = NULL;
    dnnl_primitive_t reorder = NULL;
    TRY(dnnl_memory_create(&src, user, eng, data), "creating a weight memory");
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

/* PyTorch's [G*H, in] into oneDNN's ldigo [in][G][H] (one layer, one direction). */
static float *to_ldigo(const float *w, int in, int G, int H)
{
    float *o = malloc((size_t)in * G * H * sizeof *o);
    for (int k = 0; o && k < in; k++)
        for (int r = 0; r < G * H; r++)
            o[(size_t)k * G * H + r] = w[(size_t)r * in + k];
    return o;
}

static int load_layer(onednn_state *s, int l, const rb_layer *ly, rb_err *e)
{
    onednn_layer *o = &s->layer[l];
    const int T = s->T, B = s->B, H = s->H, G = s->G, in = ly->in;
    const int lstm = s->cell == RB_CELL_LSTM;
    dnnl_memory_desc_t src_layer, src_iter, src_iter_c, dst_layer, w_layer_any, w_iter_any,
        w_layer_user, w_iter_user, bias;
    dnnl_dims_t d_src = {T, B, in}, d_iter = {1, 1, B, H}, d_wl = {1, 1, in, G, H},
                d_wi = {1, 1, H, G, H}, d_bias = {1, 1, G, H}, d_dst = {T, B, H};
    TRY(dnnl_memory_desc_init_by_tag(&src_layer, 3, d_src, dnnl_f32, dnnl_tnc), "a descriptor");
    TRY(dnnl_memory_desc_init_by_tag(&src_iter, 4, d_iter, dnnl_f32, dnnl_ldnc), "a descriptor");
    TRY(dnnl_memory_desc_init_by_tag(&src_iter_c, 4, d_iter, dnnl_f32, dnnl_ldnc), "a descriptor");
    TRY(dnnl_memory_desc_init_by_tag(&dst_layer, 3, d_dst, dnnl_f32, dnnl_tnc), "a descriptor");
    TRY(dnnl_memory_desc_init_by_tag(&w_layer_any, 5, d_wl, dnnl_f32, dnnl_format_tag_any),
        "a descriptor");
    TRY(dnnl_memory_desc_init_by_tag(&w_iter_any, 5, d_wi, dnnl_f32, dnnl_format_tag_any),
        "a descriptor");
    TRY(dnnl_memory_desc_init_by_tag(&w_layer_user, 5, d_wl, dnnl_f32, dnnl_ldigo), "a descriptor");
    TRY(dnnl_memory_desc_init_by_tag(&w_iter_user, 5, d_wi, dnnl_f32, dnnl_ldigo), "a descriptor");
    TRY(dnnl_memory_desc_init_by_tag(&bias, 4, d_bias, dnnl_f32, dnnl_ldgo), "a descriptor");

    dnnl_rnn_desc_t rd;
    if (lstm)
        TRY(dnnl_lstm_forward_desc_init(&rd, dnnl_forward_inference, dnnl_unidirectional_left2right,
                                        &src_layer, &src_iter, &src_iter_c, &w_layer_any,
                                        &w_iter_any, &bias, &dst_layer, NULL, NULL, 0),
            "describing the LSTM");
    else
        TRY(dnnl_vanilla_rnn_forward_desc_init(&rd, dnnl_forward_inference, dnnl_eltwise_tanh,
                                               dnnl_unidirectional_left2right, &src_layer,
                                               &src_iter, &w_layer_any, &w_iter_any, &bias,
                                               &dst_layer, NULL, 0, 0.f, 0.f),
            "describing the RNN");
    dnnl_primitive_desc_t pd;
    TRY(dnnl_primitive_desc_create(&pd, &rd, NULL, s->eng, NULL), "making the primitive");
    const dnnl_memory_desc_t *w_layer = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0),
                             *w_iter = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 1);
    dnnl_status_t st = dnnl_primitive_create(&o->prim, pd);
    float *wl = to_ldigo(ly->w_ih, in, G, H), *wi = to_ldigo(ly->w_hh, H, G, H),
          *b = malloc((size_t)G * H * sizeof *b);
    int rc = st == dnnl_success ? 0 : fail(e, st, "making the primitive");
    if (!rc && (!wl || !wi || !b))
        rc = rb_errf(e, RB_ENOMEM, "cpu:onednn: out of memory for the weights");
    for (int r = 0; !rc && r < G * H; r++)
        b[r] = ly->b_ih[r] + ly->b_hh[r];
    if (!rc)
        rc = packed(&o->w_layer, w_layer, &w_layer_user, wl, s->eng, s->stream, e);
    if (!rc)
        rc = packed(&o->w_iter, w_iter, &w_iter_user, wi, s->eng, s->stream, e);
    void *bp = NULL; /* the bias in a buffer the memory owns */
    if (!rc && (dnnl_memory_create(&o->bias, &bias, s->eng, DNNL_MEMORY_ALLOCATE) != dnnl_success ||
                dnnl_memory_get_data_handle(o->bias, &bp) != dnnl_success || !bp))
        rc = rb_errf(e, RB_ENOMEM, "cpu:onednn: out of memory for the bias");
    if (!rc)
        memcpy(bp, b, (size_t)G * H * sizeof *b);
    free(wl);
    free(wi);
    free(b);
    dnnl_primitive_desc_destroy(pd);
    if (!rc)
        rc = user_mem(&o->src_layer, &src_layer, s->eng, e);
    if (!rc)
        rc = user_mem(&o->src_iter, &src_iter, s->eng, e);
    if (!rc && lstm)
        rc = user_mem(&o->src_iter_c, &src_iter_c, s->eng, e);
    if (!rc)
        rc = user_mem(&o->dst_layer, &dst_layer, s->eng, e);
    return rc;
}

int rb_onednn_refuses(const rb_workload *w, rb_err *e)
{
    if (!w->input_proj)
        return rb_errf(e, RB_EUNAVAIL,
                       "unsupported: no input projection (oneDNN's RNN primitives always "
                       "multiply x by W_ih)");
    if (w->mode == RB_MODE_TRAIN)
        return rb_errf(e, RB_EUNAVAIL,
                       "cpu:onednn: training through oneDNN's backward primitives is not built "
                       "yet; the cpu target (OpenBLAS) trains");
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
    for (int l = 0; l < s->L; l++) {
        int rc = load_layer(s, l, &m->layer[l], e);
        if (rc)
            return rc;
    }
    return 0;
}

int rb_onednn_forward(rb_target *t, const rb_batch *in, rb_tensor *out, rb_sample *smp, rb_err *e)
{
    (void)smp;
    onednn_state *s = t->priv;
    const size_t per_unit = (size_t)s->B * s->H;
    omp_set_num_threads(s->threads); /* the count is per process: another load may have moved it */
    for (int l = 0; l < s->L; l++) {
        onednn_layer *o = &s->layer[l];
        const float *x = l == 0 ? in->x : s->seq[(l - 1) % 2];
        float *y = l == s->L - 1 ? out->data : s->seq[l % 2];
        const float *h0 = in->h0 ? in->h0 + l * per_unit : s->zeros,
                    *c0 = in->c0 ? in->c0 + l * per_unit : s->zeros;
        /* oneDNN reads these: the casts drop const for its API only */
        TRY(dnnl_memory_set_data_handle(o->src_layer, (void *)x), "setting the input");
        TRY(dnnl_memory_set_data_handle(o->src_iter, (void *)h0), "setting h0");
        if (o->src_iter_c)
            TRY(dnnl_memory_set_data_handle(o->src_iter_c, (void *)c0), "setting c0");
        TRY(dnnl_memory_set_data_handle(o->dst_layer, y), "setting the output");
        dnnl_exec_arg_t args[] = {{DNNL_ARG_SRC_LAYER, o->src_layer},
                                  {DNNL_ARG_SRC_ITER, o->src_iter},
                                  {DNNL_ARG_WEIGHTS_LAYER, o->w_layer},
                                  {DNNL_ARG_WEIGHTS_ITER, o->w_iter},
                                  {DNNL_ARG_BIAS, o->bias},
                                  {DNNL_ARG_DST_LAYER, o->dst_layer},
                                  {DNNL_ARG_SRC_ITER_C, o->src_iter_c}};
        TRY(dnnl_primitive_execute(o->prim, s->stream, o->src_iter_c ? 7 : 6, args),
            "running the primitive");
    }
    TRY(dnnl_stream_wait(s->stream), "waiting for the stream");
    return 0;
}
#endif
