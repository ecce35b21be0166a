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
    rb_workload_make_key(&z->w);
    size_t ny = (size_t)z->w.seq * n * rb_workload_y_width(&z->w);
    rb_target_init_instance(&z->t, &s->in, s->threads);
    int rc = rb_target_probe(&z->t, e);
    if (!rc && !(z->x = rb_make_input(&z->w, INPUT_SEED, e)))
        rc = e->code ? e->code : RB_ENOMEM;
    if (!rc && !(z->y = malloc(ny * sizeof *z->y)))
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

static int forward(rb_serve_size *z, rb_sample *smp, rb_err *e)
{
    rb_batch in = {z->w.seq, z->w.batch, rb_workload_x_width(&z->w), z->x, NULL, NULL, NULL};
    rb_tensor out = {
        z->y, 3, {(size_t)z->w.seq, (size_t)z->w.batch, (size_t)rb_workload_y_width(&z->w)}};
    return rb_target_forward(&z->t, &in, &out, smp, e);
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
        if ((rc = forward(z, &smp, e)))
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
        rc = forward(z, NULL, e);
    return rc;
}

int rb_serve_target_warm(rb_serve_target *s, rb_err *e)
{
    for (int n = 1; n <= s->max_batch; n++) {
        rb_serve_size *z = NULL;
        int rc = size_of(s, n, &z, e);
        if (!rc)
            rc = forward(z, NULL, e); /* first touch, caches, lazy initialisation */
        if (rc)
            return rc;
    }
    return 0;
}
