/* net_inputs.c — a directory of input tensors bound to a graph's inputs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../npy.h"
#include "net.h"

/* 1 GiB per input: far beyond any batch of sequences, short of absurd. */
#define MAX_INPUT_BYTES ((size_t)1 << 30)

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* An .npy file as a graph tensor of the input's element type. */
static int read_npy(const char *path, int want_float, rb_gtensor *t, rb_err *e)
{
    rb_npy a;
    int rc = want_float ? rb_npy_read_f32(path, &a, MAX_INPUT_BYTES, e)
                        : rb_npy_read_i64(path, &a, MAX_INPUT_BYTES, e);
    if (rc)
        return rc;
    int64_t dims[RB_GT_MAXDIM];
    for (int d = 0; d < a.ndim && d < RB_GT_MAXDIM; d++)
        dims[d] = (int64_t)a.shape[d];
    if (a.ndim > RB_GT_MAXDIM)
        rc = rb_errf(e, RB_EINPUT, "%s: more than %d dimensions", path, RB_GT_MAXDIM);
    if (!rc)
        rc = rb_gtensor_alloc(t, want_float ? RB_GT_FLOAT : RB_GT_INT64, a.ndim, dims, e);
    if (!rc)
        memcpy(t->data, want_float ? (void *)a.f32 : (void *)a.i64, a.count * (want_float ? 4 : 8));
    if (!rc && want_float && (rc = rb_npy_check_finite(&a, path, e)))
        rb_gtensor_free(t);
    rb_npy_free(&a);
    return rc;
}

int rb_net_read_inputs(const rb_net *n, const char *dir, rb_geval *ev, rb_err *e)
{
    for (int k = 0; k < n->g.n_inputs; k++) {
        const rb_gio *io = &n->g.inputs[k];
        char npy[4096], pb[4096], safe[256];
        size_t len = 0;
        for (const char *p = io->name; *p && len < sizeof safe - 1; p++)
            safe[len++] = *p == '/' ? '_' : *p;
        safe[len] = '\0';
        snprintf(npy, sizeof npy, "%s/%s.npy", dir, safe);
        snprintf(pb, sizeof pb, "%s/input_%d.pb", dir, k);
        int want_float = io->elem_type == 1 || io->elem_type == 11;
        rb_gtensor t;
        char *name = NULL;
        int rc;
        if (exists(npy))
            rc = read_npy(npy, want_float, &t, e);
        else if (exists(pb))
            rc = rb_onnx_read_tensor(pb, (long)MAX_INPUT_BYTES, &t, &name, e);
        else
            return rb_errf(e, RB_EINPUT, "%s has neither %s.npy nor input_%d.pb for graph input %s",
                           dir, safe, k, io->name);
        free(name);
        if (rc)
            return rc;
        const char *path = exists(npy) ? npy : pb;
        int ok = t.type == (want_float ? RB_GT_FLOAT : RB_GT_INT64) &&
                 (io->ndim < 0 || io->ndim == t.ndim);
        for (int d = 0; ok && io->ndim > 0 && d < io->ndim; d++)
            ok = io->dim_param[d] || io->dims[d] < 0 || io->dims[d] == t.dims[d];
        if (!ok) {
            char got[160];
            rb_gdims_str(t.ndim, t.dims, got, sizeof got);
            const char *kind = t.type == RB_GT_FLOAT ? "float" : "int";
            rb_gtensor_free(&t);
            return rb_errf(e, RB_EINPUT,
                           "%s: %s %s does not fit graph input %s (%s, %d dimensions)", path, kind,
                           got, io->name, want_float ? "float" : "integer", io->ndim);
        }
        if ((rc = rb_geval_bind(ev, io->name, &t, e)))
            return rc;
    }
    return 0;
}
