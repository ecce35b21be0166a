/* graph_eval.c — on-demand evaluation of a graph (graph_eval.h).
 *
 * Names are found through hash tables (value -> producing node, value ->
 * tensor): a file of many nodes costs linear time, not quadratic. */
#include "graph_eval.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "graph_ops.h"

/* Open addressing over names; slots hold index + 1 (0 = empty). */
typedef struct name_map {
    size_t cap;
    const char **key;
    int *val;
} name_map;

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static int map_init(name_map *m, size_t n)
{
    m->cap = 16;
    while (m->cap < 2 * n + 16)
        m->cap *= 2;
    m->key = calloc(m->cap, sizeof *m->key);
    m->val = calloc(m->cap, sizeof *m->val);
    return m->key && m->val ? 0 : -1;
}

static void map_free(name_map *m)
{
    free(m->key);
    free(m->val);
}

static int map_get(const name_map *m, const char *k)
{
    for (size_t i = hash(k) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->key[i])
            return -1;
        if (!strcmp(m->key[i], k))
            return m->val[i];
    }
}

/* The map never fills: callers size it for every key it will hold. */
static void map_put(name_map *m, const char *k, int v)
{
    size_t i = hash(k) & (m->cap - 1);
    while (m->key[i] && strcmp(m->key[i], k))
        i = (i + 1) & (m->cap - 1);
    if (!m->key[i]) {
        m->key[i] = k;
        m->val[i] = v;
    }
}

struct rb_geval {
    const rb_graph *g;
    rb_geval_hook hook;
    void *ctx;
    name_map producer; /* value -> node */
    name_map value;    /* value -> index into vals */
    int n_vals, cap_vals;
    char **names; /* owned copies */
    rb_gtensor *vals;
    /* per node: 0 not needed, RAN, or the epoch of the rb_geval_get that
     * needs it.  Epochs make the get re-entrant: a hook asks for values
     * while an outer get is running, and each get runs and forgets only
     * what it marked itself. */
    int *state;
    int epoch;
    int *stack;
};

#define RAN 1

rb_geval *rb_geval_new(const rb_graph *g, rb_geval_hook hook, void *ctx, rb_err *e)
{
    rb_geval *ev = calloc(1, sizeof *ev);
    size_t outs = 0;
    for (int k = 0; k < g->n_nodes; k++)
        outs += (size_t)g->nodes[k].n_out;
    /* every value that can be bound: node outputs and graph inputs */
    size_t cap = outs + (size_t)g->n_inputs + 8;
    if (!ev || map_init(&ev->producer, outs) || map_init(&ev->value, cap) ||
        !(ev->names = calloc(cap, sizeof *ev->names)) ||
        !(ev->vals = calloc(cap, sizeof *ev->vals)) ||
        !(ev->state = calloc((size_t)g->n_nodes + 1, sizeof *ev->state)) ||
        !(ev->stack = calloc((size_t)g->n_nodes + 1, sizeof *ev->stack))) {
        rb_geval_free(ev);
        rb_errf(e, RB_ENOMEM, "out of memory evaluating the graph");
        return NULL;
    }
    ev->g = g;
    ev->hook = hook;
    ev->ctx = ctx;
    ev->cap_vals = (int)cap;
    ev->epoch = RAN;
    for (int k = 0; k < g->n_nodes; k++)
        for (int o = 0; o < g->nodes[k].n_out; o++)
            if (g->nodes[k].out[o][0])
                map_put(&ev->producer, g->nodes[k].out[o], k);
    return ev;
}

void rb_geval_free(rb_geval *ev)
{
    if (!ev)
        return;
    for (int k = 0; k < ev->n_vals; k++) {
        free(ev->names[k]);
        rb_gtensor_free(&ev->vals[k]);
    }
    map_free(&ev->producer);
    map_free(&ev->value);
    free(ev->names);
    free(ev->vals);
    free(ev->state);
    free(ev->stack);
    free(ev);
}

int rb_geval_bind(rb_geval *ev, const char *name, rb_gtensor *t, rb_err *e)
{
    if (map_get(&ev->value, name) >= 0 || rb_graph_init(ev->g, name)) {
        rb_gtensor_free(t);
        return 0;
    }
    if (ev->n_vals >= ev->cap_vals) {
        rb_gtensor_free(t);
        return rb_errf(e, RB_EINPUT, "value %s is not one of the graph's", name);
    }
    int k = ev->n_vals;
    if (!(ev->names[k] = strdup(name))) {
        rb_gtensor_free(t);
        return rb_errf(e, RB_ENOMEM, "out of memory evaluating the graph");
    }
    ev->vals[k] = *t;
    memset(t, 0, sizeof *t);
    ev->n_vals++;
    map_put(&ev->value, ev->names[k], k);
    return 0;
}

static const rb_gtensor *known(const rb_geval *ev, const char *name)
{
    int k = map_get(&ev->value, name);
    return k >= 0 ? &ev->vals[k] : rb_graph_init(ev->g, name);
}

int rb_geval_has(const rb_geval *ev, const char *name) { return known(ev, name) != NULL; }

static int missing(const rb_geval *ev, const char *name, rb_err *e)
{
    for (int k = 0; k < ev->g->n_inputs; k++)
        if (!strcmp(ev->g->inputs[k].name, name))
            return rb_errf(e, RB_EINPUT, "graph input %s was not given", name);
    return rb_errf(e, RB_EINPUT, "value %s is produced by no node of the graph", name);
}

/* Is node n run by the host (not handed to the hook)? */
static int host_node(const rb_gnode *n)
{
    return rb_gop_known(n->op) && (!n->domain[0] || !strcmp(n->domain, "ai.onnx"));
}

/* Mark with epoch every node value name needs that has not run; fails for
 * a value nothing produces.  Iterative: ev->stack holds the frontier.  A
 * hook node's inputs are the hook's business: it asks for them itself. */
static int mark(rb_geval *ev, int first, int epoch, rb_err *e)
{
    int top = 0;
    ev->state[first] = epoch;
    ev->stack[top++] = first;
    while (top > 0) {
        const rb_gnode *n = &ev->g->nodes[ev->stack[--top]];
        if (!host_node(n))
            continue;
        for (int i = 0; i < n->n_in; i++) {
            if (!n->in[i][0] || known(ev, n->in[i]))
                continue;
            int p = map_get(&ev->producer, n->in[i]);
            if (p < 0)
                return missing(ev, n->in[i], e);
            if (ev->state[p] != RAN && ev->state[p] != epoch) {
                ev->state[p] = epoch;
                ev->stack[top++] = p;
            }
        }
    }
    return 0;
}

static int run_node(rb_geval *ev, int k, rb_err *e)
{
    const rb_gnode *n = &ev->g->nodes[k];
    if (!host_node(n)) {
        if (!ev->hook)
            return rb_errf(e, RB_EINPUT, "node %s: operator %s%s%s is not one rnnbench runs",
                           n->name, n->domain[0] ? n->domain : "", n->domain[0] ? "." : "", n->op);
        return ev->hook(ev->ctx, ev, k, e);
    }
    const rb_gtensor *in[64] = {0};
    for (int i = 0; i < n->n_in && i < 64; i++)
        if (n->in[i][0] && !(in[i] = known(ev, n->in[i])))
            return rb_errf(e, RB_EINPUT,
                           "node %s (%s) needs %s before it is made: the graph is not in "
                           "topological order",
                           n->name, n->op, n->in[i]);
    rb_gtensor out = {0};
    int rc = rb_gop_run(n, ev->g->opset, in, &out, e);
    if (!rc)
        rc = rb_geval_bind(ev, n->out[0], &out, e);
    for (int o = 1; !rc && o < n->n_out; o++)
        if (n->out[o][0])
            rc = rb_errf(e, RB_EINPUT, "node %s (%s): output %d is not one rnnbench computes",
                         n->name, n->op, o);
    return rc;
}

int rb_geval_get(rb_geval *ev, const char *name, const rb_gtensor **out, rb_err *e)
{
    if ((*out = known(ev, name)))
        return 0;
    int p = map_get(&ev->producer, name);
    if (p < 0)
        return missing(ev, name, e);
    if (ev->epoch == INT32_MAX)
        return rb_errf(e, RB_EINPUT, "the graph was evaluated too many times");
    int epoch = ++ev->epoch;
    int rc = mark(ev, p, epoch, e);
    /* File order is topological (ONNX requires it): run what is marked in it. */
    for (int k = 0; !rc && k <= p; k++)
        if (ev->state[k] == epoch) {
            ev->state[k] = RAN;
            rc = run_node(ev, k, e);
        }
    for (int k = 0; k < ev->g->n_nodes; k++)
        if (ev->state[k] == epoch)
            ev->state[k] = 0; /* marked after the failure or past p: not run */
    if (!rc && !(*out = known(ev, name)))
        rc = rb_errf(e, RB_EINPUT, "value %s was not made by node %s", name, ev->g->nodes[p].name);
    return rc;
}
