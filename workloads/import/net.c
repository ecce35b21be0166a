/* net.c — from an ONNX graph to a stack a target runs (net.h).
 *
 * ONNX's LSTM, GRU and RNN (opsets 7-17) map onto model.h as follows: W [D,
 * G*H, I], R [D, G*H, H] and B [D, 2*G*H] are, per direction, weight_ih,
 * weight_hh and bias_ih|bias_hh with the LSTM's gate blocks reordered from
 * ONNX's i,o,f,c to PyTorch's i,f,g,o and the GRU's from z,r,h to r,z,n
 * (linear_before_reset = 0, ONNX's default, is RB_FEAT_RESET_BEFORE; 1 is
 * PyTorch's GRU); P [D, 3H] (i, o, f) becomes p (i, f, o); Y [T, D, B, H] is the stack's [T, B, D*H] output regrouped (layout 1:
 * batch-major).  Between two nodes a graph may hold only operators that
 * rearrange Y into the next X: that is checked by running them on a tensor
 * whose every element is its own index, so any rearrangement but the right
 * one shows. */
#include "net.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "graph_ops.h"

static const char *in_name(const rb_gnode *nd, int k) { return k < nd->n_in ? nd->in[k] : ""; }
static const char *out_name(const rb_gnode *nd, int k) { return k < nd->n_out ? nd->out[k] : ""; }

/* ONNX's operator of each cell, indexed by rb_cell. */
static const char *const k_ops[RB_CELL_COUNT] = {
    [RB_CELL_LSTM] = "LSTM", [RB_CELL_RNN] = "RNN", [RB_CELL_GRU] = "GRU"};

const char *rb_net_op_of(rb_cell c) { return (unsigned)c < RB_CELL_COUNT ? k_ops[c] : "?"; }

int rb_net_rec_cell(const char *op, rb_cell *cell)
{
    for (int c = 0; c < RB_CELL_COUNT; c++)
        if (!strcmp(op, k_ops[c])) {
            if (cell)
                *cell = (rb_cell)c;
            return 1;
        }
    return 0;
}

/* Is value v read by a node or a graph output? */
static int used(const rb_graph *g, const char *v)
{
    if (!v[0])
        return 0;
    for (int k = 0; k < g->n_nodes; k++)
        for (int i = 0; i < g->nodes[k].n_in; i++)
            if (!strcmp(g->nodes[k].in[i], v))
                return 1;
    for (int k = 0; k < g->n_outputs; k++)
        if (!strcmp(g->outputs[k].name, v))
            return 1;
    return 0;
}

/* "node 12 of 40, after LSTM node 'lstm_1'": where a node sits, for messages. */
static const char *where(const rb_graph *g, int k, char *buf, size_t n)
{
    int prev = -1;
    for (int j = k - 1; j >= 0 && prev < 0; j--)
        if (rb_net_rec_cell(g->nodes[j].op, NULL))
            prev = j;
    if (prev >= 0)
        snprintf(buf, n, "node %d of %d, after %s node '%s'", k + 1, g->n_nodes, g->nodes[prev].op,
                 g->nodes[prev].name);
    else if (rb_net_rec_cell(g->nodes[k].op, NULL))
        snprintf(buf, n, "node %d of %d", k + 1, g->n_nodes);
    else
        snprintf(buf, n, "node %d of %d, before the recurrent stack", k + 1, g->n_nodes);
    return buf;
}

static int refuse(const rb_graph *g, int k, rb_err *e, const char *fmt, const char *what)
{
    char w[128];
    const rb_gnode *nd = &g->nodes[k];
    return rb_errf(e, RB_EINPUT, "%s node '%s' (%s): %s%s", nd->op, nd->name,
                   where(g, k, w, sizeof w), fmt, what ? what : "");
}

/* The activations the spec defaults to are the only ones the targets run. */
static int check_activations(const rb_graph *g, int k, rb_cell cell, int dirs, rb_err *e)
{
    const rb_gattr *a = rb_gnode_attr(&g->nodes[k], "activations");
    if (!a)
        return 0;
    static const char *lstm[] = {"Sigmoid", "Tanh", "Tanh"}, *gru[] = {"Sigmoid", "Tanh"},
                      *rnn[] = {"Tanh"};
    const char **want = cell == RB_CELL_LSTM ? lstm : cell == RB_CELL_GRU ? gru : rnn;
    size_t per = (size_t)(cell == RB_CELL_LSTM ? 3 : cell == RB_CELL_GRU ? 2 : 1);
    if (a->type != RB_GA_STRINGS || a->n != per * (size_t)dirs)
        return refuse(g, k, e, "unsupported: activations (a list of the wrong length)", NULL);
    for (size_t i = 0; i < a->n; i++)
        if (strcasecmp(a->strings[i], want[i % per]))
            return refuse(g, k, e, "unsupported: activation ", a->strings[i]);
    return 0;
}

/* One recurrent node's attributes into the net (all nodes must agree). */
static int take_rec(rb_net *n, int k, rb_err *e)
{
    const rb_graph *g = &n->g;
    const rb_gnode *nd = &g->nodes[k];
    rb_cell cell = RB_CELL_LSTM;
    rb_net_rec_cell(nd->op, &cell); /* take_rec is called for recurrent nodes only */
    const int lstm = cell == RB_CELL_LSTM;
    if (n->n_rec >= RB_NET_MAX_LAYERS)
        return refuse(g, k, e, "more recurrent nodes than rnnbench stacks", NULL);
    for (int i = 0; i < nd->n_attr; i++) {
        const char *a = nd->attr[i].name;
        if (strcmp(a, "activations") && strcmp(a, "clip") && strcmp(a, "direction") &&
            strcmp(a, "hidden_size") && strcmp(a, "layout") &&
            (!lstm || strcmp(a, "input_forget")) &&
            (cell != RB_CELL_GRU || strcmp(a, "linear_before_reset")))
            return refuse(g, k, e, "unsupported attribute ", a);
    }
    const rb_gattr *dir = rb_gnode_attr(nd, "direction");
    int dirs = 1, reverse = 0;
    if (dir &&
        (dir->type != RB_GA_STRING || (strcmp(dir->s, "forward") && strcmp(dir->s, "reverse") &&
                                       strcmp(dir->s, "bidirectional"))))
        return refuse(g, k, e, "unsupported direction ", dir->type == RB_GA_STRING ? dir->s : "?");
    if (dir && !strcmp(dir->s, "bidirectional"))
        dirs = 2;
    if (dir && !strcmp(dir->s, "reverse"))
        reverse = 1;
    int rc = check_activations(g, k, cell, dirs, e);
    if (rc)
        return rc;
    const rb_gattr *cl = rb_gnode_attr(nd, "clip"), *lay = rb_gnode_attr(nd, "layout"),
                   *inf = rb_gnode_attr(nd, "input_forget"), *hs = rb_gnode_attr(nd, "hidden_size"),
                   *lbr = rb_gnode_attr(nd, "linear_before_reset");
    float clip = cl && cl->type == RB_GA_FLOAT ? cl->f : 0;
    int layout = lay && lay->type == RB_GA_INT ? (int)lay->i : 0;
    int forget = inf && inf->type == RB_GA_INT ? inf->i != 0 : 0;
    /* ONNX's default is 0: r scales h before R_h; PyTorch's GRU is 1 */
    int before = cell == RB_CELL_GRU && !(lbr && lbr->type == RB_GA_INT && lbr->i != 0);
    if ((cl && (cl->type != RB_GA_FLOAT || !(clip > 0))) || (layout != 0 && layout != 1) ||
        (lbr && lbr->type != RB_GA_INT) ||
        (hs && (hs->type != RB_GA_INT || hs->i <= 0 || hs->i > (1 << 20))))
        return refuse(g, k, e, "an attribute has a value outside the operator's definition", NULL);
    if (layout && g->opset < 14)
        return refuse(g, k, e, "layout is defined from opset 14 on", NULL);
    if (n->n_rec == 0) {
        n->cell = cell;
        n->dirs = dirs;
        n->layout = layout;
        n->clip = clip;
        n->input_forget = forget;
        n->reset_before = before;
        n->hidden = hs ? (int)hs->i : 0;
    } else if (cell != n->cell || dirs != n->dirs || layout != n->layout || clip != n->clip ||
               forget != n->input_forget || before != n->reset_before ||
               (hs && hs->i != n->hidden)) {
        return refuse(g, k, e,
                      "unsupported: recurrent nodes that differ in cell, direction count, "
                      "layout, clip, input_forget, linear_before_reset or hidden size",
                      NULL);
    }
    /* ONNX's inputs: X W R B sequence_lens initial_h initial_c P. */
    rb_net_rec *r = &n->rec[n->n_rec++];
    *r = (rb_net_rec){.node = k,
                      .x = in_name(nd, 0),
                      .w = in_name(nd, 1),
                      .r = in_name(nd, 2),
                      .b = in_name(nd, 3),
                      .lens = in_name(nd, 4),
                      .h0 = in_name(nd, 5),
                      .c0 = lstm ? in_name(nd, 6) : "",
                      .p = lstm ? in_name(nd, 7) : "",
                      .y = out_name(nd, 0),
                      .y_h = out_name(nd, 1),
                      .y_c = lstm ? out_name(nd, 2) : "",
                      .reverse = reverse};
    if (nd->n_in > (lstm ? 8 : 6) || nd->n_out > (lstm ? 3 : 2))
        return refuse(g, k, e, "more inputs or outputs than the operator has", NULL);
    if (!r->x[0] || !r->w[0] || !r->r[0])
        return refuse(g, k, e, "X, W and R are required", NULL);
    if (used(g, r->y_c))
        return refuse(g, k, e,
                      "unsupported: Y_c (the final cell state) is used; targets return "
                      "the hidden states",
                      NULL);
    if (clip > 0)
        n->features |= RB_FEAT_CLIP;
    if (forget)
        n->features |= RB_FEAT_INPUT_FORGET;
    if (before)
        n->features |= RB_FEAT_RESET_BEFORE;
    if (reverse)
        n->features |= RB_FEAT_REVERSE;
    if (dirs == 2)
        n->features |= RB_FEAT_BIDIR;
    if (r->lens[0])
        n->features |= RB_FEAT_SEQ_LENS;
    return 0;
}

void rb_net_set_id(rb_net *n, const char *path, uint64_t hash)
{
    size_t end = strlen(path);
    while (end > 1 && path[end - 1] == '/')
        end--;
    size_t start = end;
    while (start > 0 && path[start - 1] != '/')
        start--;
    if (end - start > 5 && !strncmp(path + end - 5, ".onnx", 5))
        end -= 5;
    /* "DIR/model.onnx" (what exporters and ONNX's own tests call it): the
     * directory names the model */
    if (end - start == 5 && !strncmp(path + start, "model", 5) && start > 1) {
        end = start - 1;
        while (end > 1 && path[end - 1] == '/')
            end--;
        start = end;
        while (start > 0 && path[start - 1] != '/')
            start--;
    }
    size_t len = 0;
    for (size_t i = start; i < end && len < sizeof n->name - 1; i++) {
        char c = path[i];
        n->name[len++] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                 (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'
                             ? c
                             : '_';
    }
    n->name[len] = '\0';
    if (!len || !strcmp(n->name, ".") || !strcmp(n->name, ".."))
        snprintf(n->name, sizeof n->name, "model");
    snprintf(n->id, sizeof n->id, "%s-%08x", n->name, (unsigned)(hash >> 32));
}

int rb_net_from_graph(rb_graph *g, const char *path, rb_net *n, rb_err *e)
{
    memset(n, 0, sizeof *n);
    n->g = *g;
    memset(g, 0, sizeof *g);
    rb_net_set_id(n, path, n->g.hash);
    const rb_graph *gg = &n->g;
    for (int k = 0; k < gg->n_nodes; k++) {
        const rb_gnode *nd = &gg->nodes[k];
        int dflt = !nd->domain[0] || !strcmp(nd->domain, "ai.onnx");
        int rc = 0;
        if (dflt && rb_net_rec_cell(nd->op, NULL))
            rc = take_rec(n, k, e);
        else if (!dflt || !rb_gop_known(nd->op))
            rc = refuse(gg, k, e,
                        "unsupported operator; rnnbench runs LSTM, GRU and RNN on its targets "
                        "and, on the host: ",
                        rb_gop_list());
        if (rc) {
            rb_net_free(n);
            return rc;
        }
    }
    if (!n->n_rec) {
        rb_net_free(n);
        return rb_errf(e, RB_EINPUT,
                       "the model has no LSTM, GRU or RNN node: nothing to benchmark");
    }
    for (int k = 0; k < n->n_rec; k++)
        for (int i = 0; i < gg->n_inputs; i++) {
            const rb_net_rec *r = &n->rec[k];
            const char *in = gg->inputs[i].name;
            n->weights_are_inputs |=
                !strcmp(in, r->w) || !strcmp(in, r->r) || !strcmp(in, r->b) || !strcmp(in, r->p);
        }
    /* Only the last layer's states leave the stack. */
    for (int k = 0; k + 1 < n->n_rec; k++)
        if (used(gg, n->rec[k].y_h)) {
            int rc = refuse(gg, n->rec[k].node, e,
                            "unsupported: Y_h of a layer before the last is used; a target "
                            "returns the last layer's output",
                            NULL);
            rb_net_free(n);
            return rc;
        }
    return 0;
}

int rb_net_open(const char *path, long max_bytes, rb_net *n, rb_err *e)
{
    rb_graph g;
    memset(n, 0, sizeof *n);
    int rc = rb_onnx_read(path, max_bytes, &g, e);
    if (!rc && (rc = rb_net_from_graph(&g, path, n, e)))
        rb_err_prefix(e, "%s: ", path);
    return rc;
}

void rb_net_free(rb_net *n)
{
    if (!n)
        return;
    rb_graph_free(&n->g);
    rb_model_free(&n->model);
    memset(n, 0, sizeof *n);
}

/* ---- building -------------------------------------------------------- */

/* Small primes for the free dimensions of probe inputs, skipping values
 * the file fixes anywhere, so a free dimension is recognised by its value. */
static int64_t probe_dim(const rb_graph *g, int nth)
{
    static const int64_t primes[] = {7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61};
    int seen = -1;
    for (size_t i = 0; i < sizeof primes / sizeof primes[0]; i++) {
        int clash = 0;
        for (int k = 0; k < g->n_inputs; k++)
            for (int d = 0; d < g->inputs[k].ndim; d++)
                clash |= g->inputs[k].dims[d] == primes[i];
        if (!clash && ++seen == nth)
            return primes[i];
    }
    return 67 + nth;
}

static int is_probe(const rb_graph *g, int64_t v)
{
    for (int k = 0; k < 16; k++)
        if (probe_dim(g, k) == v)
            return 1;
    return 0;
}

/* Bind every graph input.  probe 0: the caller's values (src) only.
 * probe 1: zeros of the declared shape, free dimensions set to probe
 * primes (shapes do not depend on values), the caller's value only for an
 * input declared without a shape. */
static int bind_inputs(const rb_net *n, rb_geval *dst, rb_geval *src, int probe, rb_err *e)
{
    const rb_graph *g = &n->g;
    /* one value per dimension name: inputs that share "batch" agree */
    const char *names[16];
    int nth = 0;
    for (int k = 0; k < g->n_inputs; k++) {
        const rb_gio *io = &g->inputs[k];
        const rb_gtensor *have = NULL;
        rb_gtensor t;
        int rc = 0;
        if ((!probe || io->ndim < 0) && src && rb_geval_has(src, io->name) &&
            !rb_geval_get(src, io->name, &have, e)) {
            rc = rb_gtensor_alloc(&t, have->type, have->ndim, have->dims, e);
            if (!rc)
                memcpy(t.data, have->data, have->count * (have->type == RB_GT_FLOAT ? 4 : 8));
        } else if (probe) {
            if (io->ndim < 0)
                return rb_errf(e, RB_EINPUT, "graph input %s has no declared shape", io->name);
            int64_t dims[RB_GT_MAXDIM];
            for (int d = 0; d < io->ndim; d++) {
                if (io->dims[d] >= 0 && !io->dim_param[d]) {
                    dims[d] = io->dims[d];
                    continue;
                }
                /* a named dimension takes its name's value; an unnamed one its own */
                int j = 0;
                while (j < nth &&
                       (!io->dim_param[d] || !names[j] || strcmp(names[j], io->dim_param[d])))
                    j++;
                if (j == nth && nth < 16)
                    names[nth++] = io->dim_param[d];
                dims[d] = probe_dim(g, j);
            }
            int type = io->elem_type == 1 || io->elem_type == 11 ? RB_GT_FLOAT : RB_GT_INT64;
            rc = rb_gtensor_alloc(&t, type, io->ndim, dims, e);
        } else {
            continue;
        }
        if (!rc)
            rc = rb_geval_bind(dst, io->name, &t, e);
        if (rc)
            return rc;
    }
    return 0;
}

/* A value that must be a float tensor of the given dims. */
static int get_shaped(rb_geval *ev, const char *name, const char *what, int ndim,
                      const int64_t *dims, const rb_gtensor **out, rb_err *e)
{
    int rc = rb_geval_get(ev, name, out, e);
    if (rc)
        return rb_err_prefix(e, "%s: ", what);
    const rb_gtensor *t = *out;
    int same = t->type == RB_GT_FLOAT && t->ndim == ndim;
    for (int d = 0; same && d < ndim; d++)
        same = t->dims[d] == dims[d];
    if (!same) {
        char got[160], want[160];
        return rb_errf(e, RB_EINPUT, "%s is %s %s, but the operator needs float %s", what,
                       t->type == RB_GT_FLOAT ? "float" : "int64",
                       rb_gdims_str(t->ndim, t->dims, got, sizeof got),
                       rb_gdims_str(ndim, dims, want, sizeof want));
    }
    return 0;
}

/* Our gate block q (PyTorch's order: i, f, g, o; r, z, n) comes from ONNX's
 * block onnx_of[q] (LSTM: i, o, f, c; GRU: z, r, h). */
static const int lstm_onnx_of[4] = {0, 2, 3, 1}, gru_onnx_of[3] = {1, 0, 2};

static void copy_gates(float *dst, const float *src, int G, size_t H, size_t cols)
{
    for (int q = 0; q < G; q++) {
        int b = G == 4 ? lstm_onnx_of[q] : G == 3 ? gru_onnx_of[q] : q;
        memcpy(dst + (size_t)q * H * cols, src + (size_t)b * H * cols, H * cols * sizeof *dst);
    }
}

static int is_zero(const float *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0)
            return 0;
    return 1;
}

/* Weights of every node (which must not depend on what varies per run). */
static int build_weights(rb_net *n, rb_geval *ev, rb_err *e)
{
    const int G = rb_cell_gates(n->cell), D = n->dirs;
    const rb_gtensor *w0;
    char what[160];
    const rb_gnode *first = &n->g.nodes[n->rec[0].node];
    snprintf(what, sizeof what, "W of %s node '%s'", first->op, first->name);
    int rc = rb_geval_get(ev, n->rec[0].w, &w0, e);
    if (rc)
        return rb_err_prefix(e, "%s (weights must be constants, or given with the inputs): ", what);
    if (w0->type != RB_GT_FLOAT || w0->ndim != 3 || w0->dims[0] != D || w0->dims[1] % G ||
        w0->dims[1] <= 0 || w0->dims[2] <= 0)
        return rb_errf(e, RB_EINPUT, "%s must be float [%d, %d*hidden, input]", what, D, G);
    int H = (int)(w0->dims[1] / G);
    if (n->hidden && n->hidden != H)
        return rb_errf(e, RB_EINPUT, "%s has %lld rows, but hidden_size is %d", what,
                       (long long)w0->dims[1], n->hidden);
    n->hidden = H;
    n->input = (int)w0->dims[2];
    rb_workload w = rb_net_workload(n, RB_MODE_INFER, 1, 1);
    /* peepholes: only when some node has a P that is not all zeros */
    for (int k = 0; k < n->n_rec; k++) {
        const rb_gtensor *p;
        int64_t pd[2] = {D, 3 * (int64_t)H};
        snprintf(what, sizeof what, "P of %s node '%s'", n->g.nodes[n->rec[k].node].op,
                 n->g.nodes[n->rec[k].node].name);
        if (n->rec[k].p[0] && !(rc = get_shaped(ev, n->rec[k].p, what, 2, pd, &p, e)) &&
            !is_zero(p->f, p->count))
            w.features |= RB_FEAT_PEEPHOLES;
        if (rc)
            return rc;
    }
    n->features |= w.features & RB_FEAT_PEEPHOLES;
    if ((rc = rb_model_alloc(&n->model, &w, e)))
        return rc;
    n->model.clip = n->clip;
    n->model.input_forget = n->input_forget;
    for (int k = 0; k < n->n_rec; k++) {
        const rb_net_rec *r = &n->rec[k];
        const rb_gnode *nd = &n->g.nodes[r->node];
        int64_t in = k ? (int64_t)D * H : n->input, GH = (int64_t)G * H;
        int64_t wd[3] = {D, GH, in}, rd[3] = {D, GH, H}, bd[2] = {D, 2 * GH}, pd[2] = {D, 3 * H};
        const rb_gtensor *W, *R, *B = NULL, *P = NULL;
        char wn[160], rn[160], bn[160], pn[160];
        snprintf(wn, sizeof wn, "W of %s node '%s'", nd->op, nd->name);
        snprintf(rn, sizeof rn, "R of %s node '%s'", nd->op, nd->name);
        snprintf(bn, sizeof bn, "B of %s node '%s'", nd->op, nd->name);
        snprintf(pn, sizeof pn, "P of %s node '%s'", nd->op, nd->name);
        if ((rc = get_shaped(ev, r->w, wn, 3, wd, &W, e)) ||
            (rc = get_shaped(ev, r->r, rn, 3, rd, &R, e)) ||
            (r->b[0] && (rc = get_shaped(ev, r->b, bn, 2, bd, &B, e))) ||
            (r->p[0] && (rc = get_shaped(ev, r->p, pn, 2, pd, &P, e))))
            return rc;
        for (int d = 0; d < D; d++) {
            rb_layer *ly = &n->model.layer[k * D + d];
            ly->reverse = D == 2 ? d : r->reverse;
            copy_gates(ly->w_ih, W->f + (size_t)d * GH * in, G, (size_t)H, (size_t)in);
            copy_gates(ly->w_hh, R->f + (size_t)d * GH * H, G, (size_t)H, (size_t)H);
            if (B) {
                copy_gates(ly->b_ih, B->f + (size_t)d * 2 * GH, G, (size_t)H, 1);
                copy_gates(ly->b_hh, B->f + (size_t)d * 2 * GH + GH, G, (size_t)H, 1);
            }
            if (ly->p && P) {
                const float *src = P->f + (size_t)d * 3 * H; /* ONNX: i, o, f */
                memcpy(ly->p, src, (size_t)H * sizeof *src);
                memcpy(ly->p + H, src + 2 * H, (size_t)H * sizeof *src);
                memcpy(ly->p + 2 * H, src + H, (size_t)H * sizeof *src);
            }
        }
    }
    for (int u = 0; u < rb_model_units(&n->model); u++)
        if (!n->model.layer[u].reverse && n->dirs == 1 && (n->features & RB_FEAT_REVERSE)) {
            /* a stack mixing forward and reverse one-direction nodes */
            return rb_errf(e, RB_EINPUT, "unsupported: a stack of forward and reverse layers");
        }
    return 0;
}

static int stack_hook_refuse(void *ctx, rb_geval *ev, int node, rb_err *e)
{
    const rb_net *n = ctx;
    const rb_gnode *nd = &n->g.nodes[node];
    return rb_errf(e, RB_EINPUT,
                   "%s node '%s' is reached between two layers through another of its values: "
                   "only Y may feed the next layer",
                   nd->op, nd->name);
}

/* Do the operators between node k-1 and node k turn its Y into exactly the
 * [T, B, D*H] input a target feeds the next layer? */
static int check_link(rb_net *n, rb_geval *given, int k, int64_t T, int64_t B, rb_err *e)
{
    const rb_net_rec *prev = &n->rec[k - 1], *cur = &n->rec[k];
    const rb_gnode *nd = &n->g.nodes[cur->node];
    const int64_t D = n->dirs, H = n->hidden;
    if (!prev->y[0])
        return rb_errf(e, RB_EINPUT,
                       "%s node '%s': its input does not come from the previous "
                       "layer's Y (unused there)",
                       nd->op, nd->name);
    rb_geval *ev = rb_geval_new(&n->g, stack_hook_refuse, n, e);
    if (!ev)
        return e->code;
    int rc = bind_inputs(n, ev, given, 1, e);
    rb_gtensor y;
    int64_t yd[4] = {T, D, B, H};
    if (n->layout)
        yd[0] = B, yd[1] = T, yd[2] = D;
    if (!rc && !(rc = rb_gtensor_alloc(&y, RB_GT_FLOAT, 4, yd, e))) {
        for (size_t i = 0; i < y.count; i++)
            y.f[i] = (float)(i + 1); /* exact in float below 2^24 */
        rc = rb_geval_bind(ev, prev->y, &y, e);
    }
    const rb_gtensor *x = NULL;
    if (!rc && (rc = rb_geval_get(ev, cur->x, &x, e)))
        rb_err_prefix(e, "the input of %s node '%s': ", nd->op, nd->name);
    if (!rc) {
        int64_t want[3] = {n->layout ? B : T, n->layout ? T : B, D * H};
        int ok = x->type == RB_GT_FLOAT && x->ndim == 3 && x->count == (size_t)(T * B * D * H);
        for (int d = 0; ok && d < 3; d++)
            ok = x->dims[d] == want[d];
        for (int64_t t = 0; ok && t < T; t++)
            for (int64_t b = 0; ok && b < B; b++)
                for (int64_t d = 0; ok && d < D; d++)
                    for (int64_t j = 0; ok && j < H; j++) {
                        int64_t yi = n->layout ? ((b * T + t) * D + d) * H + j
                                               : ((t * D + d) * B + b) * H + j;
                        int64_t xi = (n->layout ? (b * T + t) : (t * B + b)) * D * H + d * H + j;
                        ok = x->f[xi] == (float)(yi + 1);
                    }
        if (!ok)
            rc = rb_errf(e, RB_EINPUT,
                         "unsupported: the operators between the previous layer and %s node '%s' "
                         "do not pass its output on as the next layer's input (concatenated "
                         "directions); rnnbench stacks layers only that way",
                         nd->op, nd->name);
    }
    rb_geval_free(ev);
    return rc;
}

int rb_net_build(rb_net *n, rb_geval *given, rb_err *e)
{
    rb_model_free(&n->model);
    n->built = 0;
    /* Weights: only what the caller gave, so a weight that depends on a
     * per-run input fails by name instead of reading probe zeros. */
    rb_geval *wev = rb_geval_new(&n->g, stack_hook_refuse, n, e);
    if (!wev)
        return e->code;
    int rc = bind_inputs(n, wev, given, 0, e);
    if (!rc)
        rc = build_weights(n, wev, e);
    rb_geval_free(wev);
    if (rc)
        return rc;

    /* The first layer's input on probe inputs: its sizes, and which of
     * them the file fixes. */
    rb_geval *pev = rb_geval_new(&n->g, stack_hook_refuse, n, e);
    if (!pev)
        return e->code;
    const rb_gtensor *x = NULL;
    const rb_gnode *first = &n->g.nodes[n->rec[0].node];
    if (!(rc = bind_inputs(n, pev, given, 1, e)) && (rc = rb_geval_get(pev, n->rec[0].x, &x, e)))
        rb_err_prefix(e, "the input X of %s node '%s': ", first->op, first->name);
    int64_t T = 0, B = 0;
    if (!rc) {
        if (x->type != RB_GT_FLOAT || x->ndim != 3 || x->dims[2] != n->input)
            rc = rb_errf(e, RB_EINPUT, "the input X of %s node '%s' is %s%s, not float [%s, %d]",
                         first->op, first->name, x->type == RB_GT_FLOAT ? "" : "int64 ",
                         rb_gdims_str(x->ndim, x->dims, (char[160]){0}, 160),
                         n->layout ? "batch, seq" : "seq, batch", n->input);
        else {
            T = x->dims[n->layout ? 1 : 0];
            B = x->dims[n->layout ? 0 : 1];
            n->seq_fixed = is_probe(&n->g, T) ? 0 : (int)T;
            n->batch_fixed = is_probe(&n->g, B) ? 0 : (int)B;
            if (T <= 0 || B <= 0)
                rc = rb_errf(e, RB_EINPUT, "the input X of %s node '%s' is empty", first->op,
                             first->name);
        }
    }
    rb_geval_free(pev);
    for (int k = 1; !rc && k < n->n_rec; k++)
        rc = check_link(n, given, k, T, B, e);
    n->built = !rc;
    return rc;
}

rb_workload rb_net_workload(const rb_net *n, rb_mode mode, int T, int B)
{
    rb_workload w =
        rb_workload_of(n->cell, mode, n->seq_fixed ? n->seq_fixed : T,
                       n->batch_fixed ? n->batch_fixed : B, n->input, n->hidden, n->n_rec, 1);
    w.dirs = n->dirs;
    w.features = n->features;
    snprintf(w.model, sizeof w.model, "%s", n->id);
    rb_workload_make_key(&w);
    return w;
}

/* ---- running --------------------------------------------------------- */

/* A per-run state input ([D, B, H], layout 1: [B, D, H]) of node k into
 * units k*D.. of s [L*D, B, H]. */
static int take_state(rb_net *n, rb_geval *ev, const char *name, int k, int64_t B, float *s,
                      rb_err *e)
{
    const int64_t D = n->dirs, H = n->hidden;
    int64_t dims[3] = {n->layout ? B : D, n->layout ? D : B, H};
    const rb_gtensor *t;
    int rc = get_shaped(ev, name, name, 3, dims, &t, e);
    if (rc)
        return rc;
    for (int64_t d = 0; d < D; d++)
        for (int64_t b = 0; b < B; b++)
            memcpy(s + (((size_t)k * D + d) * B + b) * H,
                   t->f + (n->layout ? (b * D + d) : (d * B + b)) * H, (size_t)H * sizeof *s);
    return 0;
}

int rb_net_hook(void *vctx, rb_geval *ev, int node, rb_err *e)
{
    rb_net_run_ctx *c = vctx;
    rb_net *n = c->net;
    const rb_net_rec *last = &n->rec[n->n_rec - 1];
    const rb_gnode *nd = &n->g.nodes[node];
    if (node != last->node)
        return rb_errf(e, RB_EINPUT,
                       "%s node '%s' is not the last layer, yet a value of it is "
                       "used outside the stack",
                       nd->op, nd->name);
    if (!n->built)
        return rb_errf(e, RB_EINPUT, "the model was not built");
    const int64_t D = n->dirs, H = n->hidden, I = n->input;
    const rb_gtensor *x;
    int rc = rb_geval_get(ev, n->rec[0].x, &x, e);
    if (rc)
        return rc;
    if (x->type != RB_GT_FLOAT || x->ndim != 3 || x->dims[2] != I)
        return rb_errf(e, RB_EINPUT, "the stack's input is %s, not float [.., .., %lld]",
                       rb_gdims_str(x->ndim, x->dims, (char[160]){0}, 160), (long long)I);
    const int64_t T = x->dims[n->layout ? 1 : 0], B = x->dims[n->layout ? 0 : 1];
    if ((n->seq_fixed && T != n->seq_fixed) || (n->batch_fixed && B != n->batch_fixed))
        return rb_errf(
            e, RB_EINPUT, "the stack's input is %s, but the model fixes seq %d, batch %d",
            rb_gdims_str(x->ndim, x->dims, (char[160]){0}, 160), n->seq_fixed, n->batch_fixed);
    c->T = (int)T;
    c->B = (int)B;
    size_t TB = (size_t)(T * B), LBH = (size_t)n->n_rec * D * B * H;
    float *xs = malloc(TB * (size_t)I * sizeof *xs), *y = malloc(TB * (size_t)(D * H) * sizeof *y);
    float *h0 = calloc(LBH ? LBH : 1, sizeof *h0), *c0 = calloc(LBH ? LBH : 1, sizeof *c0);
    int *lens = NULL, any_h = 0, any_c = 0;
    if (!xs || !y || !h0 || !c0) {
        rc = rb_errf(e, RB_ENOMEM, "out of memory running the stack");
        goto done;
    }
    for (int64_t t = 0; t < T; t++)
        for (int64_t b = 0; b < B; b++)
            memcpy(xs + ((size_t)t * B + b) * I, x->f + (n->layout ? b * T + t : t * B + b) * I,
                   (size_t)I * sizeof *xs);
    for (int k = 0; !rc && k < n->n_rec; k++) {
        const rb_net_rec *r = &n->rec[k];
        if (r->h0[0] && !(rc = take_state(n, ev, r->h0, k, B, h0, e)))
            any_h = 1;
        if (!rc && r->c0[0] && !(rc = take_state(n, ev, r->c0, k, B, c0, e)))
            any_c = 1;
        if (!rc && r->lens[0]) {
            const rb_gtensor *l;
            if ((rc = rb_geval_get(ev, r->lens, &l, e)))
                break;
            if (l->type != RB_GT_INT64 || l->ndim != 1 || l->dims[0] != B) {
                rc = rb_errf(e, RB_EINPUT, "sequence_lens of %s node '%s' must be int [%lld]",
                             n->g.nodes[r->node].op, n->g.nodes[r->node].name, (long long)B);
                break;
            }
            if (!lens && !(lens = malloc((size_t)B * sizeof *lens))) {
                rc = rb_errf(e, RB_ENOMEM, "out of memory running the stack");
                break;
            }
            for (int64_t b = 0; b < B; b++) {
                if (l->i[b] < 0 || l->i[b] > T) {
                    rc = rb_errf(e, RB_EINPUT, "sequence_lens[%lld] = %lld is outside 0..%lld",
                                 (long long)b, (long long)l->i[b], (long long)T);
                    break;
                }
                if (k && lens[b] != (int)l->i[b]) {
                    rc = rb_errf(e, RB_EINPUT,
                                 "unsupported: layers with different "
                                 "sequence_lens");
                    break;
                }
                lens[b] = (int)l->i[b];
            }
        } else if (!rc && lens) {
            rc = rb_errf(e, RB_EINPUT, "unsupported: sequence_lens on some layers only");
        }
    }
    if (rc)
        goto done;
    rb_batch in = {
        (int)T, (int)B, (int)I, xs, any_h ? h0 : NULL, any_c && n->cell == RB_CELL_LSTM ? c0 : NULL,
        lens};
    if ((rc = c->fn(c->ctx, &in, y, e)))
        goto done;
    /* Y: [T, D, B, H] (layout 1: [B, T, D, H]); Y_h: [D, B, H] ([B, D, H]). */
    if (last->y[0]) {
        rb_gtensor Y;
        int64_t yd[4] = {T, D, B, H};
        if (n->layout)
            yd[0] = B, yd[1] = T, yd[2] = D;
        if ((rc = rb_gtensor_alloc(&Y, RB_GT_FLOAT, 4, yd, e)))
            goto done;
        for (int64_t t = 0; t < T; t++)
            for (int64_t b = 0; b < B; b++)
                for (int64_t d = 0; d < D; d++)
                    memcpy(Y.f + (n->layout ? ((b * T + t) * D + d) : ((t * D + d) * B + b)) * H,
                           y + ((size_t)t * B + b) * D * H + d * H, (size_t)H * sizeof *y);
        if ((rc = rb_geval_bind(ev, last->y, &Y, e)))
            goto done;
    }
    if (last->y_h[0]) {
        rb_gtensor Yh;
        int64_t hd[3] = {n->layout ? B : D, n->layout ? D : B, H};
        if ((rc = rb_gtensor_alloc(&Yh, RB_GT_FLOAT, 3, hd, e)))
            goto done;
        int L = n->n_rec;
        for (int64_t d = 0; d < D; d++)
            for (int64_t b = 0; b < B; b++) {
                int64_t len = lens ? lens[b] : T;
                int rev = D == 2 ? d == 1 : last->reverse;
                float *dst = Yh.f + (n->layout ? b * D + d : d * B + b) * H;
                if (len == 0) /* the state never moved: the initial one */
                    memcpy(dst, h0 + (((size_t)(L - 1) * D + d) * B + b) * H,
                           (size_t)H * sizeof *dst);
                else
                    memcpy(dst, y + ((size_t)(rev ? 0 : len - 1) * B + b) * D * H + d * H,
                           (size_t)H * sizeof *dst);
            }
        rc = rb_geval_bind(ev, last->y_h, &Yh, e);
    }
done:
    free(xs);
    free(y);
    free(h0);
    free(c0);
    free(lens);
    return rc;
}
