/* onnx_write.c — a text classifier as an ONNX file (onnx_write.h), packed by
 * protobuf-c from the same onnx.proto the reader uses.
 *
 * The graph is what PyTorch would export for embedding -> stack -> last
 * step -> linear, at opset 14:
 *   tokens [T, B] int64 -Gather(emb)-> [T, B, E] -LSTM/GRU/RNN-> Y [T, 1, B, H]
 *   -Squeeze(1)-> [T, B, H] (-next layer ...) -Gather(-1, axis 0)-> [B, H]
 *   -Gemm(w, b, transB)-> logits [B, C]
 * Every node and tensor is standard ONNX, so onnx.checker and other
 * runtimes read it too (tests/cli/test_import.sh runs the checker). */
#include "onnx_write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#ifndef RB_HAVE_ONNX

int rb_onnx_pack_classifier(const rb_onnx_classifier *c, uint8_t **buf, size_t *len, rb_err *e)
{
    *buf = NULL;
    *len = 0;
    return rb_errf(e, RB_EUNAVAIL,
                   "rnnbench was built without ONNX support (install libprotobuf-c-dev "
                   "protobuf-c-compiler libonnx-dev, or run scripts/setup.sh, and rebuild)");
}

#else

#include "net.h"
#include "onnx.pb-c.h"

/* Everything allocated for one model, freed together. */
typedef struct arena {
    void **p;
    size_t n, cap;
    int failed;
} arena;

static void *take(arena *a, void *p)
{
    if (!p || a->failed) {
        a->failed = 1;
        free(p);
        return NULL;
    }
    if (a->n == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 64;
        void **q = realloc(a->p, cap * sizeof *q);
        if (!q) {
            a->failed = 1;
            free(p);
            return NULL;
        }
        a->p = q;
        a->cap = cap;
    }
    return a->p[a->n++] = p;
}

static void *zalloc(arena *a, size_t n) { return take(a, calloc(1, n ? n : 1)); }
static char *str(arena *a, const char *s) { return take(a, strdup(s)); }

static void arena_free(arena *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->p[i]);
    free(a->p);
}

static Onnx__TensorProto *tensor(arena *a, const char *name, int type, int ndim,
                                 const int64_t *dims, const void *data, size_t bytes)
{
    Onnx__TensorProto *t = zalloc(a, sizeof *t);
    int64_t *d = zalloc(a, (size_t)(ndim ? ndim : 1) * sizeof *d);
    uint8_t *raw = zalloc(a, bytes);
    if (!t || !d || !raw)
        return NULL;
    onnx__tensor_proto__init(t);
    t->name = str(a, name);
    t->has_data_type = 1;
    t->data_type = type;
    t->n_dims = (size_t)ndim;
    if (ndim) /* a scalar has no dims */
        memcpy(d, dims, (size_t)ndim * sizeof *d);
    t->dims = d;
    memcpy(raw, data, bytes);
    t->has_raw_data = 1;
    t->raw_data.data = raw;
    t->raw_data.len = bytes;
    return t;
}

static Onnx__AttributeProto *attr_int(arena *a, const char *name, int64_t v)
{
    Onnx__AttributeProto *at = zalloc(a, sizeof *at);
    if (!at)
        return NULL;
    onnx__attribute_proto__init(at);
    at->name = str(a, name);
    at->has_type = 1;
    at->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    at->has_i = 1;
    at->i = v;
    return at;
}

static Onnx__NodeProto *node(arena *a, const char *op, const char *name, int n_in,
                             const char *const *in, const char *out, Onnx__AttributeProto *at0,
                             Onnx__AttributeProto *at1)
{
    Onnx__NodeProto *nd = zalloc(a, sizeof *nd);
    char **ins = zalloc(a, (size_t)n_in * sizeof *ins), **outs = zalloc(a, sizeof *outs);
    Onnx__AttributeProto **ats = zalloc(a, 2 * sizeof *ats);
    if (!nd || !ins || !outs || !ats)
        return NULL;
    onnx__node_proto__init(nd);
    nd->op_type = str(a, op);
    nd->name = str(a, name);
    for (int i = 0; i < n_in; i++)
        ins[i] = str(a, in[i]);
    nd->n_input = (size_t)n_in;
    nd->input = ins;
    outs[0] = str(a, out);
    nd->n_output = 1;
    nd->output = outs;
    if (at0)
        ats[nd->n_attribute++] = at0;
    if (at1)
        ats[nd->n_attribute++] = at1;
    nd->attribute = ats;
    return nd;
}

/* A graph input or output: elem type and dims, names for the free ones. */
static Onnx__ValueInfoProto *value_info(arena *a, const char *name, int type, int ndim,
                                        const char *const *dim_names, const int64_t *dims)
{
    Onnx__ValueInfoProto *v = zalloc(a, sizeof *v);
    Onnx__TypeProto *tp = zalloc(a, sizeof *tp);
    Onnx__TypeProto__Tensor *tt = zalloc(a, sizeof *tt);
    Onnx__TensorShapeProto *sp = zalloc(a, sizeof *sp);
    Onnx__TensorShapeProto__Dimension **dd = zalloc(a, (size_t)ndim * sizeof *dd);
    if (!v || !tp || !tt || !sp || !dd)
        return NULL;
    onnx__value_info_proto__init(v);
    onnx__type_proto__init(tp);
    onnx__type_proto__tensor__init(tt);
    onnx__tensor_shape_proto__init(sp);
    for (int d = 0; d < ndim; d++) {
        if (!(dd[d] = zalloc(a, sizeof *dd[d])))
            return NULL;
        onnx__tensor_shape_proto__dimension__init(dd[d]);
        if (dim_names[d]) {
            dd[d]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            dd[d]->dim_param = str(a, dim_names[d]);
        } else {
            dd[d]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            dd[d]->dim_value = dims[d];
        }
    }
    sp->n_dim = (size_t)ndim;
    sp->dim = dd;
    tt->has_elem_type = 1;
    tt->elem_type = type;
    tt->shape = sp;
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    v->name = str(a, name);
    v->type = tp;
    return v;
}

/* Our gate blocks (i, f, g, o) in ONNX's order (i, o, f, c). */
static void onnx_gates(float *dst, const float *src, int G, size_t H, size_t cols)
{
    /* ONNX's block b holds ours (PyTorch's) block of_onnx[b]: the LSTM's
     * i, o, f, c from i, f, g, o; the GRU's z, r, h from r, z, n */
    static const int lstm_of_onnx[4] = {0, 3, 1, 2}, gru_of_onnx[3] = {1, 0, 2};
    for (int b = 0; b < G; b++) {
        int q = G == 4 ? lstm_of_onnx[b] : G == 3 ? gru_of_onnx[b] : b;
        memcpy(dst + (size_t)b * H * cols, src + (size_t)q * H * cols, H * cols * sizeof *dst);
    }
}

static int build(arena *a, const rb_onnx_classifier *c, Onnx__ModelProto *m, rb_err *e)
{
    const rb_model *s = c->stack;
    const int G = rb_cell_gates(s->cell), H = s->hidden, L = s->layers;
    const int64_t GH = (int64_t)G * H;
    Onnx__GraphProto *g = zalloc(a, sizeof *g);
    Onnx__OperatorSetIdProto *ops = zalloc(a, sizeof *ops), **opsv = zalloc(a, sizeof *opsv);
    Onnx__NodeProto **nodes = zalloc(a, (size_t)(2 * L + 4) * sizeof *nodes);
    Onnx__TensorProto **inits = zalloc(a, (size_t)(3 * L + 6) * sizeof *inits);
    if (!g || !ops || !opsv || !nodes || !inits)
        return rb_errf(e, RB_ENOMEM, "out of memory building the ONNX model");
    onnx__model_proto__init(m);
    onnx__graph_proto__init(g);
    onnx__operator_set_id_proto__init(ops);
    ops->domain = str(a, "");
    ops->has_version = 1;
    ops->version = 14;
    opsv[0] = ops;
    m->has_ir_version = 1;
    m->ir_version = 7; /* what opset 14 needs; every runtime since 2020 reads it */
    m->n_opset_import = 1;
    m->opset_import = opsv;
    m->producer_name = str(a, "rnnbench");
    m->producer_version = str(a, RB_VERSION);
    g->name = str(a, c->name);

    size_t ni = 0, nn = 0;
    int64_t ed[2] = {c->V, c->E}, one = 1, last = -1, hd[2] = {c->C, H}, cd[1] = {c->C};
    inits[ni++] = tensor(a, "embedding", 1, 2, ed, c->emb, (size_t)c->V * c->E * sizeof(float));
    inits[ni++] = tensor(a, "squeeze_axes", 7, 1, &one, &one, sizeof one);
    inits[ni++] = tensor(a, "last_step", 7, 0, NULL, &last, sizeof last);
    inits[ni++] = tensor(a, "head_weight", 1, 2, hd, c->w, (size_t)c->C * H * sizeof(float));
    inits[ni++] = tensor(a, "head_bias", 1, 1, cd, c->b, (size_t)c->C * sizeof(float));
    nodes[nn++] =
        node(a, "Gather", "embed", 2, (const char *[]){"embedding", "tokens"}, "x0", NULL, NULL);
    for (int l = 0; l < L; l++) {
        const rb_layer *ly = &s->layer[l];
        int64_t in = ly->in, wd[3] = {1, GH, in}, rd[3] = {1, GH, H}, bd[2] = {1, 2 * GH};
        float *w = zalloc(a, (size_t)(GH * in) * sizeof *w), *r = zalloc(a, (size_t)(GH * H) * 4),
              *b = zalloc(a, (size_t)(2 * GH) * 4);
        if (!w || !r || !b)
            return rb_errf(e, RB_ENOMEM, "out of memory building the ONNX model");
        onnx_gates(w, ly->w_ih, G, (size_t)H, (size_t)in);
        onnx_gates(r, ly->w_hh, G, (size_t)H, (size_t)H);
        onnx_gates(b, ly->b_ih, G, (size_t)H, 1);
        onnx_gates(b + GH, ly->b_hh, G, (size_t)H, 1);
        char wn[32], rn[32], bn[32], xn[32], yn[32], xo[32], name[32];
        snprintf(wn, sizeof wn, "W_%d", l);
        snprintf(rn, sizeof rn, "R_%d", l);
        snprintf(bn, sizeof bn, "B_%d", l);
        snprintf(xn, sizeof xn, "x%d", l);
        snprintf(yn, sizeof yn, "y%d", l);
        snprintf(xo, sizeof xo, "x%d", l + 1);
        inits[ni++] = tensor(a, wn, 1, 3, wd, w, (size_t)(GH * in) * sizeof *w);
        inits[ni++] = tensor(a, rn, 1, 3, rd, r, (size_t)(GH * H) * sizeof *r);
        inits[ni++] = tensor(a, bn, 1, 2, bd, b, (size_t)(2 * GH) * sizeof *b);
        snprintf(name, sizeof name, "layer_%d", l);
        /* the GRU is PyTorch's: linear_before_reset = 1 (ONNX's default is 0) */
        const int gru = s->cell == RB_CELL_GRU;
        nodes[nn++] =
            node(a, rb_net_op_of(s->cell), name, 4, (const char *[]){xn, wn, rn, bn}, yn,
                 attr_int(a, "hidden_size", H), gru ? attr_int(a, "linear_before_reset", 1) : NULL);
        snprintf(name, sizeof name, "squeeze_%d", l);
        nodes[nn++] =
            node(a, "Squeeze", name, 2, (const char *[]){yn, "squeeze_axes"}, xo, NULL, NULL);
    }
    char xl[32];
    snprintf(xl, sizeof xl, "x%d", L);
    nodes[nn++] = node(a, "Gather", "last_step", 2, (const char *[]){xl, "last_step"}, "h_last",
                       attr_int(a, "axis", 0), NULL);
    nodes[nn++] = node(a, "Gemm", "head", 3, (const char *[]){"h_last", "head_weight", "head_bias"},
                       "logits", attr_int(a, "transB", 1), NULL);
    Onnx__ValueInfoProto **gin = zalloc(a, sizeof *gin), **gout = zalloc(a, sizeof *gout);
    if (!gin || !gout)
        return rb_errf(e, RB_ENOMEM, "out of memory building the ONNX model");
    int64_t tdims[2] = {c->seq, 0}, odims[2] = {0, c->C};
    gin[0] = value_info(a, "tokens", 7, 2, (const char *[]){c->seq ? NULL : "seq", "batch"}, tdims);
    gout[0] = value_info(a, "logits", 1, 2, (const char *[]){"batch", NULL}, odims);
    g->n_node = nn;
    g->node = nodes;
    g->n_initializer = ni;
    g->initializer = inits;
    g->n_input = 1;
    g->input = gin;
    g->n_output = 1;
    g->output = gout;
    m->graph = g;
    if (a->failed)
        return rb_errf(e, RB_ENOMEM, "out of memory building the ONNX model");
    return 0;
}

int rb_onnx_pack_classifier(const rb_onnx_classifier *c, uint8_t **buf, size_t *len, rb_err *e)
{
    const rb_model *s = c->stack;
    *buf = NULL;
    *len = 0;
    if (s->dirs == 2 || rb_model_features(s) || !s->input_proj || s->input != c->E)
        return rb_errf(e, RB_EINPUT,
                       "the ONNX writer takes a plain one-direction stack whose "
                       "input is the embedding");
    arena a = {0};
    Onnx__ModelProto m;
    int rc = build(&a, c, &m, e);
    if (!rc) {
        *len = onnx__model_proto__get_packed_size(&m);
        if (!(*buf = malloc(*len ? *len : 1)))
            rc = rb_errf(e, RB_ENOMEM, "out of memory packing the ONNX model (%zu bytes)", *len);
        else
            onnx__model_proto__pack(&m, *buf);
    }
    arena_free(&a);
    return rc;
}

#endif
