/* graph.c — lookups, tensors and freeing for graph.h. */
#include "graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rb_gtensor_alloc(rb_gtensor *t, int type, int ndim, const int64_t *dims, rb_err *e)
{
    memset(t, 0, sizeof *t);
    if (ndim < 0 || ndim > RB_GT_MAXDIM)
        return rb_errf(e, RB_EINPUT, "a tensor of %d dimensions (at most %d)", ndim, RB_GT_MAXDIM);
    size_t count = 1;
    for (int d = 0; d < ndim; d++) {
        if (dims[d] < 0 || (size_t)dims[d] > RB_GT_MAX_ELEMS ||
            (dims[d] && count > RB_GT_MAX_ELEMS / (size_t)dims[d]))
            return rb_errf(e, RB_EINPUT, "a tensor of dimensions %s is more than %zu elements",
                           rb_gdims_str(ndim, dims, (char[160]){0}, 160), (size_t)RB_GT_MAX_ELEMS);
        count *= (size_t)dims[d];
        t->dims[d] = dims[d];
    }
    t->type = type;
    t->ndim = ndim;
    t->count = count;
    size_t es = type == RB_GT_FLOAT ? sizeof(float) : sizeof(int64_t);
    if (!(t->data = calloc(count ? count : 1, es)))
        return rb_errf(e, RB_ENOMEM, "cannot allocate %zu bytes for a tensor %s", count * es,
                       rb_gdims_str(ndim, dims, (char[160]){0}, 160));
    return 0;
}

void rb_gtensor_free(rb_gtensor *t)
{
    if (t && !t->borrowed)
        free(t->data);
    if (t)
        memset(t, 0, sizeof *t);
}

double rb_gtensor_get(const rb_gtensor *t, size_t i)
{
    return t->type == RB_GT_FLOAT ? (double)t->f[i] : (double)t->i[i];
}

const char *rb_gdims_str(int ndim, const int64_t *dims, char *buf, size_t n)
{
    size_t len = (size_t)snprintf(buf, n, "[");
    for (int d = 0; d < ndim && len < n; d++)
        len += (size_t)snprintf(buf + len, n - len, d ? ", %lld" : "%lld", (long long)dims[d]);
    if (len < n)
        snprintf(buf + len, n - len, "]");
    return buf;
}

const rb_gattr *rb_gnode_attr(const rb_gnode *n, const char *name)
{
    for (int k = 0; k < n->n_attr; k++)
        if (!strcmp(n->attr[k].name, name))
            return &n->attr[k];
    return NULL;
}

const rb_gtensor *rb_graph_init(const rb_graph *g, const char *name)
{
    for (int k = 0; name && k < g->n_inits; k++)
        if (!strcmp(g->init_names[k], name))
            return &g->inits[k];
    return NULL;
}

static void free_attr(rb_gattr *a)
{
    free(a->name);
    free(a->s);
    free(a->floats);
    free(a->ints);
    for (size_t k = 0; a->strings && k < a->n; k++)
        free(a->strings[k]);
    free(a->strings);
    rb_gtensor_free(&a->t);
}

static void free_io(rb_gio *io)
{
    free(io->name);
    for (int d = 0; d < RB_GT_MAXDIM; d++)
        free(io->dim_param[d]);
}

void rb_graph_free(rb_graph *g)
{
    if (!g)
        return;
    for (int k = 0; g->nodes && k < g->n_nodes; k++) {
        rb_gnode *n = &g->nodes[k];
        free(n->name);
        free(n->op);
        free(n->domain);
        for (int i = 0; n->in && i < n->n_in; i++)
            free(n->in[i]);
        for (int i = 0; n->out && i < n->n_out; i++)
            free(n->out[i]);
        for (int i = 0; n->attr && i < n->n_attr; i++)
            free_attr(&n->attr[i]);
        free(n->in);
        free(n->out);
        free(n->attr);
    }
    for (int k = 0; g->inits && k < g->n_inits; k++) {
        free(g->init_names[k]);
        rb_gtensor_free(&g->inits[k]);
    }
    for (int k = 0; g->inputs && k < g->n_inputs; k++)
        free_io(&g->inputs[k]);
    for (int k = 0; g->outputs && k < g->n_outputs; k++)
        free_io(&g->outputs[k]);
    free(g->nodes);
    free(g->inits);
    free(g->init_names);
    free(g->inputs);
    free(g->outputs);
    free(g->name);
    free(g->producer);
    memset(g, 0, sizeof *g);
}
