/* serve_target.c — a target as the server of a serving scenario (serve_target.h).
 *
 * A batch of n queries is one forward of the stack on a batch of n rows,
 * so the server keeps one load per batch size it has met: for a measured
 * target an instance of its own per size (loaded when the size first
 * occurs, outside any timed batch: the scenario is warmed first), for a
 * simulated or modeled one just the latency its model gives for a batch of
 * n, asked once per n.  Inputs are seeded, as a benchmark's are. */
#include "serve_target.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define INPUT_SEED 0x5e57e5eedull

static void size_free(rb_serve_size *z)
{
    if (z->loaded)
        rb_target_close(&z->t);
    free(z->x);
    free(z->y);
    free(z->zeros);
    memset(z, 0, sizeof *z);
}

void rb_serve_target_free(rb_serve_target *s)
{
    for (int n = 0; s->size && n <= s->max_batch; n++)
        size_free(&s->size[n]);
    free(s->size);
    memset(s, 0, sizeof *s);
}

int rb_serve_target_init(rb_serve_target *s, const rb_instance *in, int threads, const rb_model *m,
                         const rb_workload *w, int max_batch, rb_err *e)
{
    memset(s, 0, sizeof *s);
    s->in = *in;
    s->threads = threads;
    s->m = m;
    s->w = *w;
    s->max_batch = max_batch;
    s->stream_len = w->serve.scenario == RB_SCN_STREAMING ? w->seq : 0;
    if (!(s->size = calloc((size_t)max_batch + 1, sizeof *s->size)))
        return rb_errf(e, RB_ENOMEM, "out of memory");
    return 0;
}

/* The instance loaded for batches of n, made when n first occurs. */
static int size_of(rb_serve_target *s, int n, rb_serve_size **out, rb_err *e)
{
    if (n < 1 || n > s->max_batch)
        return rb_errf(e, RB_EINPUT, "a batch of %d, beyond the largest of %d", n, s->max_batch);
    rb_serve_size *z = &s->size[n];
    *out = NULL;
    if (z->loaded) {
        *out = z;
        return 0;
    }
    z->w = s->w;
    z->w.batch = n;
    rb_target_init_instance(&z->t, &s->in, s->threads);
    int rc = rb_target_probe(&z->t, e);
    if (s->stream_len) {
        z->w.seq = 1;
        z->w.features |= z->t.features & RB_FEAT_STATEFUL; /* the instance's, once probed */
    }
    rb_workload_make_key(&z->w);
    size_t ny = (size_t)z->w.seq * n * rb_workload_y_width(&z->w);
    size_t ns = (size_t)z->w.layers * rb_workload_dirs(&z->w) * n * z->w.hidden;
    if (!rc && !(z->x = rb_make_input(&z->w, INPUT_SEED, e)))
        rc = e->code ? e->code : RB_ENOMEM;
    if (!rc && !(z->y = malloc(ny * sizeof *z->y)))
        rc = rb_errf(e, RB_ENOMEM, "out of memory for a batch of %d", n);
    if (!rc && s->stream_len && !(z->zeros = calloc(ns, sizeof *z->zeros)))
        rc = rb_errf(e, RB_ENOMEM, "out of memory for a batch of %d", n);
    if (!rc)
        rc = rb_target_load(&z->t, s->m, &z->w, e);
    z->loaded = 1; /* close it whatever happened */
    if (rc) {
        size_free(z);
        return rc;
    }
    z->device_s = -1;
    *out = z;
    return 0;
}

/* One call on x into y; a stateful load continues its streams, restarting
 * them from zeros every stream_len steps. */
static int forward_on(const rb_serve_target *s, rb_serve_size *z, const float *x, float *y,
                      rb_sample *smp, rb_err *e)
{
    int restart = (z->w.features & RB_FEAT_STATEFUL) && z->steps++ % s->stream_len == 0;
    rb_batch in = {z->w.seq,
                   z->w.batch,
                   rb_workload_x_width(&z->w),
                   x,
                   restart ? z->zeros : NULL,
                   restart ? z->zeros : NULL,
                   NULL};
    rb_tensor out = {
        y, 3, {(size_t)z->w.seq, (size_t)z->w.batch, (size_t)rb_workload_y_width(&z->w)}};
    return rb_target_forward(&z->t, &in, &out, smp, e);
}

static int forward(const rb_serve_target *s, rb_serve_size *z, rb_sample *smp, rb_err *e)
{
    return forward_on(s, z, z->x, z->y, smp, e);
}

int rb_serve_target_service(void *ctx, int n, double *seconds, rb_err *e)
{
    rb_serve_target *s = ctx;
    rb_serve_size *z = NULL;
    int rc = size_of(s, n, &z, e);
    if (rc)
        return rc;
    if (z->device_s < 0) {
        rb_sample smp;
        if ((rc = forward(s, z, &smp, e)))
            return rc;
        if (!(smp.device_s >= 0))
            return rb_errf(e, RB_EINPUT,
                           "target %s gives no latency of its own: a measured target is served "
                           "by the load generator, not simulated",
                           z->t.instance);
        z->device_s = smp.device_s;
        z->energy_j = smp.energy_source ? smp.energy_j : -1;
        z->energy_source = smp.energy_source;
    }
    *seconds = z->device_s;
    return 0;
}

double rb_serve_target_energy(const rb_serve_target *s, int n, const char **source)
{
    const rb_serve_size *z = n >= 1 && n <= s->max_batch ? &s->size[n] : NULL;
    *source = z && z->loaded && z->device_s >= 0 ? z->energy_source : NULL;
    return *source ? z->energy_j : -1;
}

int rb_serve_target_run(void *ctx, int n, rb_err *e)
{
    rb_serve_target *s = ctx;
    rb_serve_size *z = NULL;
    int rc = size_of(s, n, &z, e);
    if (!rc)
        rc = forward(s, z, NULL, e);
    return rc;
}

int rb_serve_target_warm(rb_serve_target *s, rb_err *e)
{
    for (int n = 1; n <= s->max_batch; n++) {
        rb_serve_size *z = NULL;
        int rc = size_of(s, n, &z, e);
        if (!rc)
            rc = forward(s, z, NULL, e); /* first touch, caches, lazy initialisation */
        if (rc)
            return rc;
    }
    return 0;
}

int rb_serve_target_stream(rb_serve_target *s, const float *x, float *y, rb_err *e)
{
    rb_serve_size *z = NULL;
    int rc = size_of(s, 1, &z, e);
    if (rc)
        return rc;
    if (!(z->w.features & RB_FEAT_STATEFUL))
        return rb_errf(e, RB_EUNAVAIL, "target %s computes a whole sequence per call",
                       z->t.instance);
    size_t xw = (size_t)rb_workload_x_width(&z->w), yw = (size_t)rb_workload_y_width(&z->w);
    z->steps = 0; /* the first step restarts the stream */
    for (int t = 0; !rc && t < s->stream_len; t++)
        rc = forward_on(s, z, x + t * xw, y + t * yw, NULL, e);
    return rc;
}
