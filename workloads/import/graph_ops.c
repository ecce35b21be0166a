/* graph_ops.c — the host operators of graph_ops.h, with ONNX's semantics.
 *
 * Each is checked against ONNX's own node tests (libonnx-testdata) by
 * tests/workloads/test_onnx_nodes.c.  Shapes and indices are int64, values
 * float32; an operator meets only the types it documents here. */
#include "graph_ops.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*op_fn)(const rb_gnode *n, int64_t opset, const rb_gtensor *const *in, int n_in,
                     rb_gtensor *out, rb_err *e);

static int fail(const rb_gnode *n, rb_err *e, const char *why)
{
    return rb_errf(e, RB_EINPUT, "node %s (%s): %s", n->name, n->op, why);
}

static int64_t attr_int(const rb_gnode *n, const char *name, int64_t def)
{
    const rb_gattr *a = rb_gnode_attr(n, name);
    return a && a->type == RB_GA_INT ? a->i : def;
}

static double attr_float(const rb_gnode *n, const char *name, double def)
{
    const rb_gattr *a = rb_gnode_attr(n, name);
    return a && a->type == RB_GA_FLOAT ? a->f : def;
}

/* An axis in [-r, r) made non-negative; -1 when out of range. */
static int axis_of(int64_t a, int r) { return a < -r || a >= r ? -1 : (int)(a < 0 ? a + r : a); }

/* The integers of a 1-D int64 tensor, or of an INTS attribute when the
 * opset still took them as one (Unsqueeze, Squeeze before 13, Slice before
 * 10); *n = -1 when neither is given. */
static int int_list(const rb_gnode *n, const rb_gtensor *t, const char *attr, int64_t *v, int *cnt,
                    rb_err *e)
{
    *cnt = -1;
    if (t) {
        if (t->type != RB_GT_INT64 || t->ndim > 1 || t->count > RB_GT_MAXDIM * 4)
            return fail(n, e, "an index list must be a 1-D int64 tensor");
        for (size_t k = 0; k < t->count; k++)
            v[k] = t->i[k];
        *cnt = (int)t->count;
    } else if (attr) {
        const rb_gattr *a = rb_gnode_attr(n, attr);
        if (a && a->type == RB_GA_INTS) {
            if (a->n > RB_GT_MAXDIM * 4)
                return fail(n, e, "too many indices");
            memcpy(v, a->ints, a->n * sizeof *v);
            *cnt = (int)a->n;
        }
    }
    return 0;
}

static int need_float(const rb_gnode *n, const rb_gtensor *t, rb_err *e)
{
    return t->type == RB_GT_FLOAT ? 0 : fail(n, e, "needs a float tensor");
}

static size_t esize(const rb_gtensor *t) { return t->type == RB_GT_FLOAT ? 4 : 8; }

/* Strides of a row-major tensor. */
static void strides(const rb_gtensor *t, size_t *st)
{
    size_t s = 1;
    for (int d = t->ndim - 1; d >= 0; d--) {
        st[d] = s;
        s *= (size_t)t->dims[d];
    }
}

/* ---- plumbing -------------------------------------------------------- */

static int op_identity(const rb_gnode *n, int64_t opset, const rb_gtensor *const *in, int n_in,
                       rb_gtensor *out, rb_err *e)
{
    int rc = rb_gtensor_alloc(out, in[0]->type, in[0]->ndim, in[0]->dims, e);
    if (!rc)
        memcpy(out->data, in[0]->data, in[0]->count * esize(in[0]));
    return rc;
}

static int op_constant(const rb_gnode *n, int64_t opset, const rb_gtensor *const *in, int n_in,
                       rb_gtensor *out, rb_err *e)
{
    if (n->n_attr != 1)
        return fail(n, e, "needs exactly one value attribute");
    const rb_gattr *a = &n->attr[0];
    if (!strcmp(a->name, "value") && a->type == RB_GA_TENSOR)
        return op_identity(n, opset, (const rb_gtensor *const[]){&a->t}, 1, out, e);
    /* value_float, value_int: a scalar; value_floats, value_ints: 1-D */
    static const struct {
        const char *name;
        int type, list;
    } forms[] = {{"value_float", RB_GA_FLOAT, 0},
                 {"value_int", RB_GA_INT, 0},
                 {"value_floats", RB_GA_FLOATS, 1},
                 {"value_ints", RB_GA_INTS, 1}};
    for (size_t k = 0; k < sizeof forms / sizeof forms[0]; k++) {
        if (strcmp(a->name, forms[k].name) || a->type != forms[k].type)
            continue;
        int fl = a->type == RB_GA_FLOAT || a->type == RB_GA_FLOATS;
        int64_t len = forms[k].list ? (int64_t)a->n : 1;
        int rc = rb_gtensor_alloc(out, fl ? RB_GT_FLOAT : RB_GT_INT64, forms[k].list, &len, e);
        for (int64_t i = 0; !rc && i < len; i++) {
            if (fl)
                out->f[i] = forms[k].list ? a->floats[i] : a->f;
            else
                out->i[i] = forms[k].list ? a->ints[i] : a->i;
        }
        return rc;
    }
    return rb_errf(e, RB_EINPUT, "node %s (Constant): attribute %s is not one rnnbench reads",
                   n->name, a->name);
}

static int op_shape(const rb_gnode *n, int64_t opset, const rb_gtensor *const *in, int n_in,
                    rb_gtensor *out, rb_err *e)
{
    int r = in[0]->ndim;
    int64_t start = attr_int(n, "start", 0), end = attr_int(n, "end", r);
    start = start < 0 ? start + r : start;
    end = end < 0 ? end + r : end;
    start = start < 0 ? 0 : start > r ? r : start;
    end = end < 0 ? 0 : end > r ? r : end;
    int64_t len = end > start ? end - start : 0;
    int rc = rb_gtensor_alloc(out, RB_GT_INT64, 1, &len, e);
    for (int64_t k = 0; !rc && k < len; k++)
        out->i[k] = in[0]->dims[start + k];
    return rc;
}

static int op_gather(const rb_gnode *n, int64_t opset, const rb_gtensor *const *in, int n_in,
                     rb_gtensor *out, rb_err *e)
{
    const rb_gtensor *d = in[0], *ix = in[1];
    int ax = axis_of(attr_int(n, "axis", 0), d->ndim);
    if (ax < 0 || ix->type != RB_GT_INT64)
        return fail(n, e, "axis out of range, or indices that are not integers");
    if (d->ndim - 1 + ix->ndim > RB_GT_MAXDIM)
        return fail(n, e, "result has too many dimensions");
    int64_t dims[RB_GT_MAXDIM];
    int r = 0;
    for (int k = 0; k < ax; k++)
        dims[r++] = d->dims[k];
    for (int k = 0; k < ix->ndim; k++)
        dims[r++] = ix->dims[k];
    for (int k = ax + 1; k < d->ndim; k++)
        dims[r++] = d->dims[k];
    size_t outer = 1, inner = 1, len = (size_t)d->dims[ax];
    for (int k = 0; k < ax; k++)
        outer *= (size_t)d->dims[k];
    for (int k = ax + 1; k < d->ndim; k++)
        inner *= (size_t)d->dims[k];
    for (size_t j = 0; j < ix->count; j++)
        if (ix->i[j] < -(int64_t)len || ix->i[j] >= (int64_t)len) {
            char why[160];
            snprintf(why, sizeof why, "index %lld out of range for a dimension of %zu",
                     (long long)ix->i[j], len);
            return fail(n, e, why);
        }
    int rc = rb_gtensor_alloc(out, d->type, r, dims, e);
    if (rc)
        return rc;
    size_t es = esize(d);
    char *o = out->data;
    for (size_t a = 0; a < outer; a++)
        for (size_t j = 0; j < ix->count; j++) {
            size_t row = (size_t)(ix->i[j] < 0 ? ix->i[j] + (int64_t)len : ix->i[j]);
            memcpy(o, (const char *)d->data + ((a * len + row) * inner) * es, inner * es);
            o += inner * es;
        }
    return 0;
}

/* A copy of in[0] with new dims of the same element count. */
static int reshaped(const rb_gtensor *t, int ndim, const int64_t *dims, rb_gtensor *out, rb_err *e)
{
    int rc = rb_gtensor_alloc(out, t->type, ndim, dims, e);
    if (!rc && out->count != t->count) {
        rb_gtensor_free(out);
        return rb_errf(e, RB_EINPUT, "cannot reshape %zu elements into %zu", t->count, out->count);
    }
    if (!rc)
        memcpy(out->data, t->data, t->count * esize(t));
    return rc;
}

static int op_unsqueeze(const rb_gnode *n, int64_t opset, const rb_gtensor *const *in, int n_in,
                        rb_gtensor *out, rb_err *e)
{
    int64_t axes[RB_GT_MAXDIM * 4];
    int na, rc = int_list(n, n_in > 1 ? in[1] : NULL, opset < 13 ? "axes" : NULL, axes, &na, e);
    if (rc)
        return rc;
    int r = in[0]->ndim + na;
    if (na < 0 || r > RB_GT_MAXDIM)
        return fail(n, e, "needs axes, and at most 8 dimensions");
    int is_new[RB_GT_MAXDIM] = {0};
    for (int k = 0; k < na; k++) {
        int a = axis_of(axes[k], r);
        if (a < 0 || is_new[a])
            return fail(n, e, "an axis is out of range or repeated");
        is_new[a] = 1;
    }
    int64_t dims[RB_GT_MAXDIM];
    for (int d = 0, s = 0; d < r; d++)
        dims[d] = is_new[d] ? 1 : in[0]->dims[s++];
    return reshaped(in[0], r, dims, out, e);
}

static int op_squeeze(const rb_gnode *n, int64_t opset, const rb_gtensor *const *in, int n_in,
                      rb_gtensor *out, rb_err *e)
{
    int64_t axes[RB_GT_MAXDIM * 4];
    int na, rc = int_list(n, n_in > 1 ? in[1] : NULL, opset < 13 ? "axes" : NULL, axes, &na, e);
    if (rc)
        return rc;
    int r = in[0]->ndim, drop[RB_GT_MAXDIM] = {0};
    for (int k = 0; k < na; k++) {
        int a = axis_of(axes[k], r);
        if (a < 0 || in[0]->dims[a] != 1)
            return fail(n, e, "an axis is out of range or not of size 1");
        drop[a] = 1;
    }
    int64_t dims[RB_GT_MAXDIM];
    int nd = 0;
    for (int d = 0; d < r; d++)
        if (!(na < 0 ? in[0]->dims[d] == 1 : drop[d]))
            dims[nd++] = in[0]->dims[d];
    return reshaped(in[0], nd, dims, out, e);
}

static int op_flatten(const rb_gnode *n, int64_t opset, const rb_gtensor *const *in, int n_in,
                      rb_gtensor *out, rb_err *e)
{
    int r = in[0]->ndim, a = (int)attr_int(n, "axis", 1);
    a = a < 0 ? a + r : a;
    if (a < 0 || a > r)
        return fail(n, e, "axis out of range");
    int64_t dims[2] = {1, 1};
    for (int d = 0; d < r; d++)
        dims[d >= a] *= in[0]->dims[d];
    return reshaped(in[0], 2, dims, out, e);
}

static int op_reshape(const rb_gnode *n, int64_t opset, const rb_gtensor *const *in, int n_in,
                      rb_gtensor *out, rb_err *e)
{
    const rb_gtensor *s = in[1];
    if (s->type != RB_GT_INT64 || s->ndim != 1 || s->count > RB_GT_MAXDIM)
        return fail(n, e, "the shape must be a 1-D int64 tensor of at most 8 values");
    int allowzero = (int)attr_int(n, "allowzero", 0), infer = -1;
    int64_t dims[RB_GT_MAXDIM], known = 1;
    for (size_t d = 0; d < s->count; d++) {
        dims[d] = s->i[d];
        if (dims[d] == 0 && !allowzero) {
            if ((int)d >= in[0]->ndim)
                return fail(n, e, "a 0 in the shape copies a dimension the input lacks");
            dims[d] = in[0]->dims[d];
        }
        if (dims[d] == -1) {
            if (infer >= 0)
                return fail(n, e, "more than one -1 in the shape");
            infer = (int)d;
        } else if (dims[d] < 0) {
            return fail(n, e, "a negative dimension in the shape");
        } else {
            known *= dims[d] ? dims[d] : 1;
        }
    }
    if (infer >= 0) {
        if (known == 0 || in[0]->count % (size_t)known)
            return fail(n, e, "the -1 of the shape cannot be inferred");
        dims[infer] = (int64_t)in[0]->count / known;
    }
    return reshaped(in[0], (int)s->count, dims, out, e);
}

static int op_concat(const rb_gnode *n, int64_t opset, const rb_gtensor *const *in, int n_in,
                     rb_gtensor *out, rb_err *e)
{
    const rb_gtensor *f = in[0];
    int r = f->ndim, ax = axis_of(attr_int(n, "axis", 0), r);
    if (ax < 0)
        return fail(n, e, "axis out of range");
    int64_t dims[RB_GT_MAXDIM];
    memcpy(dims, f->dims, sizeof dims);
    dims[ax] = 0;
    for (int k = 0; k < n_in; k++) {
        if (!in[k] || in[k]->ndim != r || in[k]->type != f->type)
            return fail(n, e, "inputs of different ranks or types");
        for (int d = 0; d < r; d++)
            if (d != ax && in[k]->dims[d] != f->dims[d])
                return fail(n, e, "inputs differ outside the axis");
        dims[ax] += in[k]->dims[ax];
    }
    int rc = rb_gtensor_alloc(out, f->type, r, dims, e);
    if (rc)
        return rc;
    size_t outer = 1, inner = 1, es = esize(f);
    for (int d = 0; d < ax; d++)
        outer *= (size_t)dims[d];
    for (int d = ax + 1; d < r; d++)
        inner *= (size_t)dims[d];
    char *o = out->data;
    for (size_t a = 0; a < outer; a++)
        for (int k = 0; k < n_in; k++) {
            size_t chunk = (size_t)in[k]->dims[ax] * inner * es;
            memcpy(o, (const char *)in[k]->data + a * chunk, chunk);
            o += chunk;
        }
    return 0;
}

static int op_constant_of_shape(const rb_gnode *n, int64_t opset, const rb_gtensor *const *in,
                                int n_in, rb_gtensor *out, rb_err *e)
{
    const rb_gtensor *s = in[0];
    if (s->type != RB_GT_INT64 || s->ndim != 1 || s->count > RB_GT_MAXDIM)
        return fail(n, e, "the shape must be a 1-D int64 tensor of at most 8 values");
    const rb_gattr *v = rb_gnode_attr(n, "value");
    if (v && (v->type != RB_GA_TENSOR || v->t.count != 1))
        return fail(n, e, "value must be a one-element tensor");
    int rc = rb_gtensor_alloc(out, v ? v->t.type : RB_GT_FLOAT, (int)s->count, s->i, e);
    for (size_t k = 0; !rc && v && k < out->count; k++) {
        if (out->type == RB_GT_FLOAT)
            out->f[k] = v->t.f[0];
        else
            out->i[k] = v->t.i[0];
    }
    return rc;
}

static int op_transpose(const rb_gnode *n, int64_t opset, const rb_gtensor *const *in, int n_in,
                        rb_gtensor *out, rb_err *e)
{
    const rb_gtensor *t = in[0];
    int r = t->ndim, perm[RB_GT_MAXDIM], seen[RB_GT_MAXDIM] = {0};
    const rb_gattr *p = rb_gnode_attr(n, "perm");
    if (p && (p->type != RB_GA_INTS || (int)p->n != r))
        return fail(n, e, "perm must list every axis");
    for (int d = 0; d < r; d++) {
        perm[d] = p ? axis_of(p->ints[d], r) : r - 1 - d;
        if (perm[d] < 0 || seen[perm[d]]++)
            return fail(n, e, "perm is not a permutation of the axes");
    }
    int64_t dims[RB_GT_MAXDIM];
    for (int d = 0; d < r; d++)
        dims[d] = t->dims[perm[d]];
    int rc = rb_gtensor_alloc(out, t->type, r, dims, e);
    if (rc)
        return rc;
    size_t st[RB_GT_MAXDIM], es = esize(t), idx[RB_GT_MAXDIM] = {0};
    strides(t, st);
    for (size_t k = 0; k < out->count; k++) {
        size_t src = 0;
        for (int d = 0; d < r; d++)
            src += idx[d] * st[perm[d]];
        memcpy((char *)out->data + k * es, (const char *)t->data + src * es, es);
        for (int d = r - 1; d >= 0 && ++idx[d] == (size_t)dims[d]; d--)
            idx[d] = 0;
    }
    return 0;
}

static int op_slice(const rb_gnode *n, int64_t opset, const rb_gtensor *const *in, int n_in,
                    rb_gtensor *out, rb_err *e)
{
    const rb_gtensor *t = in[0];
    int r = t->ndim;
    int64_t starts[RB_GT_MAXDIM * 4], ends[RB_GT_MAXDIM * 4], axes[RB_GT_MAXDIM * 4],
        steps[RB_GT_MAXDIM * 4];
    int ns, ne, na, nst, rc;
    int old = opset < 10;
    if ((rc = int_list(n, old ? NULL : in[1], old ? "starts" : NULL, starts, &ns, e)) ||
        (rc = int_list(n, old ? NULL : in[2], old ? "ends" : NULL, ends, &ne, e)) ||
        (rc = int_list(n, old || n_in < 4 ? NULL : in[3], old ? "axes" : NULL, axes, &na, e)) ||
        (rc = int_list(n, old || n_in < 5 ? NULL : in[4], NULL, steps, &nst, e)))
        return rc;
    if (ns < 0 || ns != ne || (na >= 0 && na != ns) || (nst >= 0 && nst != ns))
        return fail(n, e, "starts, ends, axes and steps must have one length");
    int64_t lo[RB_GT_MAXDIM], step[RB_GT_MAXDIM], dims[RB_GT_MAXDIM];
    int used[RB_GT_MAXDIM] = {0};
    for (int d = 0; d < r; d++) {
        lo[d] = 0;
        step[d] = 1;
        dims[d] = t->dims[d];
    }
    for (int k = 0; k < ns; k++) {
        int a = axis_of(na >= 0 ? axes[k] : k, r);
        int64_t s = nst >= 0 ? steps[k] : 1, dim = t->dims[a > 0 ? a : 0];
        if (a < 0 || used[a]++ || s == 0)
            return fail(n, e, "an axis is out of range or repeated, or a step is 0");
        int64_t b = starts[k] < 0 ? starts[k] + dim : starts[k];
        int64_t en = ends[k] < 0 ? ends[k] + dim : ends[k];
        if (s > 0) {
            b = b < 0 ? 0 : b > dim ? dim : b;
            en = en < 0 ? 0 : en > dim ? dim : en;
            dims[a] = en > b ? (en - b + s - 1) / s : 0;
        } else {
            b = b < 0 ? -1 : b > dim - 1 ? dim - 1 : b;
            en = en < -1 ? -1 : en > dim - 1 ? dim - 1 : en;
            dims[a] = b > en ? (b - en - s - 1) / -s : 0;
        }
        lo[a] = b;
        step[a] = s;
    }
    if ((rc = rb_gtensor_alloc(out, t->type, r, dims, e)))
        return rc;
    size_t st[RB_GT_MAXDIM], es = esize(t), idx[RB_GT_MAXDIM] = {0};
    strides(t, st);
    for (size_t k = 0; k < out->count; k++) {
        size_t src = 0;
        for (int d = 0; d < r; d++)
            src += (size_t)(lo[d] + (int64_t)idx[d] * step[d]) * st[d];
        memcpy((char *)out->data + k * es, (const char *)t->data + src * es, es);
        for (int d = r - 1; d >= 0 && ++idx[d] == (size_t)dims[d]; d--)
            idx[d] = 0;
    }
    return 0;
}

/* ---- broadcasting ---------------------------------------------------- */

/* numpy's rule: align from the right, a dimension of 1 stretches. */
static int broadcast_dims(const rb_gtensor *a, const int64_t *bd, int bn, int64_t *dims, int *r)
{
    *r = a->ndim > bn ? a->ndim : bn;
    for (int d = 0; d < *r; d++) {
        int ia = d - (*r - a->ndim), ib = d - (*r - bn);
        int64_t x = ia >= 0 ? a->dims[ia] : 1, y = ib >= 0 ? bd[ib] : 1;
        if (x != y && x != 1 && y != 1)
            return -1;
        dims[d] = x == 1 ? y : x;
    }
    return 0;
}

/* Flat index into t of the element at out index idx (t broadcast to r dims). */
static size_t bcast_index(const rb_gtensor *t, const size_t *st, int r, const size_t *idx)
{
    size_t src = 0;
    for (int d = 0; d < t->ndim; d++) {
        int od = d + (r - t->ndim);
        if (t->dims[d] != 1)
            src += idx[od] * st[d];
    }
    return src;
}

static int op_expand(const rb_gnode *n, int64_t opset, const rb_gtensor *const *in, int n_in,
                     rb_gtensor *out, rb_err *e)
{
    const rb_gtensor *t = in[0], *s = in[1];
    if (s->type != RB_GT_INT64 || s->ndim != 1 || s->count > RB_GT_MAXDIM)
        return fail(n, e, "the shape must be a 1-D int64 tensor of at most 8 values");
    int64_t dims[RB_GT_MAXDIM];
    int r, rc;
    if (broadcast_dims(t, s->i, (int)s->count, dims, &r))
        return fail(n, e, "the shape does not broadcast with the input");
    if ((rc = rb_gtensor_alloc(out, t->type, r, dims, e)))
        return rc;
    size_t st[RB_GT_MAXDIM], es = esize(t), idx[RB_GT_MAXDIM] = {0};
    strides(t, st);
    for (size_t k = 0; k < out->count; k++) {
        memcpy((char *)out->data + k * es, (const char *)t->data + bcast_index(t, st, r, idx) * es,
               es);
        for (int d = r - 1; d >= 0 && ++idx[d] == (size_t)dims[d]; d--)
            idx[d] = 0;
    }
    return 0;
}

static int op_binary(const rb_gnode *n, int64_t opset, const rb_gtensor *const *in, int n_in,
                     rb_gtensor *out, rb_err *e)
{
    const rb_gtensor *a = in[0], *b = in[1];
    if (a->type != b->type)
        return fail(n, e, "inputs of different types");
    int64_t dims[RB_GT_MAXDIM];
    int r, rc;
    if (broadcast_dims(a, b->dims, b->ndim, dims, &r))
        return fail(n, e, "the inputs' shapes do not broadcast");
    if ((rc = rb_gtensor_alloc(out, a->type, r, dims, e)))
        return rc;
    char op = n->op[0]; /* Add, Sub, Mul, Div */
    size_t sa[RB_GT_MAXDIM], sb[RB_GT_MAXDIM], idx[RB_GT_MAXDIM] = {0};
    strides(a, sa);
    strides(b, sb);
    for (size_t k = 0; k < out->count; k++) {
        size_t ia = bcast_index(a, sa, r, idx), ib = bcast_index(b, sb, r, idx);
        if (a->type == RB_GT_FLOAT) {
            float x = a->f[ia], y = b->f[ib];
            out->f[k] = op == 'A' ? x + y : op == 'S' ? x - y : op == 'M' ? x * y : x / y;
        } else {
            int64_t x = a->i[ia], y = b->i[ib];
            if (op == 'D' && y == 0) {
                rb_gtensor_free(out);
                return fail(n, e, "integer division by zero");
            }
            /* unsigned arithmetic: wraps like the int64 of other runtimes, no UB */
            out->i[k] = op == 'A'                     ? (int64_t)((uint64_t)x + (uint64_t)y)
                        : op == 'S'                   ? (int64_t)((uint64_t)x - (uint64_t)y)
                        : op == 'M'                   ? (int64_t)((uint64_t)x * (uint64_t)y)
                        : (x == INT64_MIN && y == -1) ? x
                                                      : x / y;
        }
        for (int d = r - 1; d >= 0 && ++idx[d] == (size_t)dims[d]; d--)
            idx[d] = 0;
    }
    return 0;
}

/* ---- arithmetic ------------------------------------------------------ */

static int op_unary(const rb_gnode *n, int64_t opset, const rb_gtensor *const *in, int n_in,
                    rb_gtensor *out, rb_err *e)
{
    int rc = need_float(n, in[0], e);
    if (!rc)
        rc = rb_gtensor_alloc(out, RB_GT_FLOAT, in[0]->ndim, in[0]->dims, e);
    if (rc)
        return rc;
    char op = n->op[0]; /* Relu, Tanh, Sigmoid */
    for (size_t k = 0; k < out->count; k++) {
        double v = in[0]->f[k];
        out->f[k] = (float)(op == 'R' ? (v > 0 ? v : 0) : op == 'T' ? tanh(v) : 1 / (1 + exp(-v)));
    }
    return 0;
}

static int op_cast(const rb_gnode *n, int64_t opset, const rb_gtensor *const *in, int n_in,
                   rb_gtensor *out, rb_err *e)
{
    int64_t to = attr_int(n, "to", 0);
    int type = to == 1 || to == 11 ? RB_GT_FLOAT : to == 6 || to == 7 ? RB_GT_INT64 : 0;
    if (!type)
        return fail(n, e, "casts only to float, double, int32 or int64");
    int rc = rb_gtensor_alloc(out, type, in[0]->ndim, in[0]->dims, e);
    for (size_t k = 0; !rc && k < out->count; k++) {
        if (type == RB_GT_FLOAT)
            out->f[k] = (float)rb_gtensor_get(in[0], k);
        else if (in[0]->type == RB_GT_INT64)
            out->i[k] = to == 6 ? (int32_t)in[0]->i[k] : in[0]->i[k];
        else {
            double v = in[0]->f[k];
            if (!(fabs(v) < 9.2e18)) {
                rb_gtensor_free(out);
                return fail(n, e, "a value does not fit an integer");
            }
            out->i[k] = (int64_t)v;
        }
    }
    return rc;
}

static int op_gemm(const rb_gnode *n, int64_t opset, const rb_gtensor *const *in, int n_in,
                   rb_gtensor *out, rb_err *e)
{
    const rb_gtensor *a = in[0], *b = in[1], *c = n_in > 2 ? in[2] : NULL;
    if (a->type != RB_GT_FLOAT || b->type != RB_GT_FLOAT || a->ndim != 2 || b->ndim != 2 ||
        (c && c->type != RB_GT_FLOAT))
        return fail(n, e, "needs 2-D float matrices");
    int ta = (int)attr_int(n, "transA", 0), tb = (int)attr_int(n, "transB", 0);
    double alpha = attr_float(n, "alpha", 1.0), beta = attr_float(n, "beta", 1.0);
    int64_t M = a->dims[ta ? 1 : 0], K = a->dims[ta ? 0 : 1];
    int64_t N = b->dims[tb ? 0 : 1], K2 = b->dims[tb ? 1 : 0];
    if (K != K2)
        return fail(n, e, "the matrices' inner dimensions differ");
    int64_t dims[2] = {M, N}, bd[RB_GT_MAXDIM];
    int r;
    if (c && (broadcast_dims(c, dims, 2, bd, &r) || r != 2 || bd[0] != M || bd[1] != N))
        return fail(n, e, "C does not broadcast to [M, N]");
    if ((double)M * (double)N * (double)K > RB_GT_MAX_MACS)
        return fail(n, e, "more multiply-adds than the host graph takes");
    int rc = rb_gtensor_alloc(out, RB_GT_FLOAT, 2, dims, e);
    if (rc)
        return rc;
    size_t sc[RB_GT_MAXDIM];
    if (c)
        strides(c, sc);
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            double acc = 0;
            for (int64_t k = 0; k < K; k++)
                acc += (double)a->f[ta ? k * M + i : i * K + k] *
                       (double)b->f[tb ? j * K + k : k * N + j];
            double v = alpha * acc;
            if (c) {
                size_t idx[2] = {(size_t)i, (size_t)j};
                v += beta * c->f[bcast_index(c, sc, 2, idx)];
            }
            out->f[i * N + j] = (float)v;
        }
    return 0;
}

/* numpy's matmul for A of rank >= 1 against B of rank 1 or 2 (a head), or
 * both of one rank >= 3 with equal leading dimensions (batched). */
static int op_matmul(const rb_gnode *n, int64_t opset, const rb_gtensor *const *in, int n_in,
                     rb_gtensor *out, rb_err *e)
{
    const rb_gtensor *a = in[0], *b = in[1];
    if (a->type != RB_GT_FLOAT || b->type != RB_GT_FLOAT || a->ndim < 1 || b->ndim < 1)
        return fail(n, e, "needs float tensors");
    int64_t K = a->dims[a->ndim - 1], N = b->ndim == 1 ? 1 : b->dims[b->ndim - 1];
    int64_t Kb = b->ndim == 1 ? b->dims[0] : b->dims[b->ndim - 2];
    int batched = b->ndim > 2;
    if (K != Kb || (batched && a->ndim != b->ndim))
        return fail(n, e,
                    "shapes that do not multiply (rnnbench takes [..., K] x [K, N], or "
                    "equal batch dimensions)");
    for (int d = 0; batched && d < a->ndim - 2; d++)
        if (a->dims[d] != b->dims[d])
            return fail(n, e, "batch dimensions that differ");
    int64_t dims[RB_GT_MAXDIM];
    int r = 0;
    for (int d = 0; d < a->ndim - 1; d++)
        dims[r++] = a->dims[d];
    if (b->ndim > 1)
        dims[r++] = N;
    if ((double)a->count * (double)N > RB_GT_MAX_MACS)
        return fail(n, e, "more multiply-adds than the host graph takes");
    int rc = rb_gtensor_alloc(out, RB_GT_FLOAT, r, dims, e);
    if (rc)
        return rc;
    size_t rows = a->count / (size_t)(K ? K : 1),
           M = a->ndim > 1 ? (size_t)a->dims[a->ndim - 2] : 1;
    if (!K)
        rows = out->count / (size_t)(N ? N : 1);
    for (size_t i = 0; i < rows; i++) {
        const float *bm = batched ? b->f + (i / M) * (size_t)(K * N) : b->f;
        for (int64_t j = 0; j < N; j++) {
            double acc = 0;
            for (int64_t k = 0; k < K; k++)
                acc += (double)a->f[i * (size_t)K + (size_t)k] * (double)bm[k * N + j];
            out->f[i * (size_t)N + (size_t)j] = (float)acc;
        }
    }
    return 0;
}

static int op_softmax(const rb_gnode *n, int64_t opset, const rb_gtensor *const *in, int n_in,
                      rb_gtensor *out, rb_err *e)
{
    const rb_gtensor *t = in[0];
    int rc = need_float(n, t, e);
    if (rc)
        return rc;
    int r = t->ndim, ax = axis_of(attr_int(n, "axis", opset < 13 ? 1 : -1), r > 0 ? r : 1);
    if (ax < 0)
        return fail(n, e, "axis out of range");
    if ((rc = rb_gtensor_alloc(out, RB_GT_FLOAT, r, t->dims, e)))
        return rc;
    /* Before opset 13 the input is a 2-D matrix [prod(dims < axis),
     * prod(dims >= axis)] normalised by rows; since, along the axis only. */
    size_t outer = 1, len = 1, inner = 1;
    for (int d = 0; d < r; d++) {
        if (d < ax)
            outer *= (size_t)t->dims[d];
        else if (d == ax || opset < 13)
            len *= (size_t)t->dims[d];
        else
            inner *= (size_t)t->dims[d];
    }
    int logs = n->op[0] == 'L';
    for (size_t o = 0; o < outer; o++)
        for (size_t i = 0; i < inner; i++) {
            const float *x = t->f + o * len * inner + i;
            float *y = out->f + o * len * inner + i;
            double mx = -INFINITY, sum = 0;
            for (size_t k = 0; k < len; k++)
                mx = x[k * inner] > mx ? x[k * inner] : mx;
            for (size_t k = 0; k < len; k++)
                sum += exp((double)x[k * inner] - mx);
            for (size_t k = 0; k < len; k++) {
                double z = (double)x[k * inner] - mx;
                y[k * inner] = (float)(logs ? z - log(sum) : exp(z) / sum);
            }
        }
    return 0;
}

/* ---- the table ------------------------------------------------------- */

typedef struct op_def {
    const char *name;
    op_fn fn;
    int min_in, max_in; /* inputs it takes (max -1: any number) */
} op_def;

static const op_def ops[] = {
    {"Add", op_binary, 2, 2},
    {"Cast", op_cast, 1, 1},
    {"Concat", op_concat, 1, -1},
    {"Constant", op_constant, 0, 0},
    {"ConstantOfShape", op_constant_of_shape, 1, 1},
    {"Div", op_binary, 2, 2},
    {"Expand", op_expand, 2, 2},
    {"Flatten", op_flatten, 1, 1},
    {"Gather", op_gather, 2, 2},
    {"Gemm", op_gemm, 2, 3},
    {"Identity", op_identity, 1, 1},
    {"LogSoftmax", op_softmax, 1, 1},
    {"MatMul", op_matmul, 2, 2},
    {"Mul", op_binary, 2, 2},
    {"Relu", op_unary, 1, 1},
    {"Reshape", op_reshape, 2, 2},
    {"Shape", op_shape, 1, 1},
    {"Sigmoid", op_unary, 1, 1},
    {"Slice", op_slice, 1, 5},
    {"Softmax", op_softmax, 1, 1},
    {"Squeeze", op_squeeze, 1, 2},
    {"Sub", op_binary, 2, 2},
    {"Tanh", op_unary, 1, 1},
    {"Transpose", op_transpose, 1, 1},
    {"Unsqueeze", op_unsqueeze, 1, 2},
};

static const op_def *find(const char *op)
{
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++)
        if (!strcmp(ops[k].name, op))
            return &ops[k];
    return NULL;
}

int rb_gop_known(const char *op) { return find(op) != NULL; }

const char *rb_gop_list(void)
{
    static char buf[512];
    if (!buf[0]) {
        size_t len = 0;
        for (size_t k = 0; k < sizeof ops / sizeof ops[0] && len < sizeof buf; k++)
            len +=
                (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", k ? ", " : "", ops[k].name);
    }
    return buf;
}

int rb_gop_run(const rb_gnode *n, int64_t opset, const rb_gtensor *const *in, rb_gtensor *out,
               rb_err *e)
{
    const op_def *d = find(n->op);
    if (!d)
        return rb_errf(e, RB_EINPUT, "node %s: operator %s is not one rnnbench runs", n->name,
                       n->op);
    int n_in = n->n_in;
    while (n_in > 0 && !in[n_in - 1])
        n_in--; /* trailing optional inputs left out */
    if (n_in < d->min_in || (d->max_in >= 0 && n_in > d->max_in))
        return rb_errf(e, RB_EINPUT, "node %s (%s): %d inputs, expected %d..%d", n->name, n->op,
                       n_in, d->min_in, d->max_in);
    for (int k = 0; k < d->min_in; k++)
        if (!in[k])
            return rb_errf(e, RB_EINPUT, "node %s (%s): input %d is missing", n->name, n->op, k);
    if (n->n_out < 1)
        return rb_errf(e, RB_EINPUT, "node %s (%s): no output", n->name, n->op);
    return d->fn(n, opset, in, n_in, out, e);
}
