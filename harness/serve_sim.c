/* serve_sim.c — the discrete-event simulation of one server (serving.h).
 *
 * Events are arrivals (known in advance: the trace) and the server coming
 * free; between them nothing changes, so time jumps from one to the next.
 * At each moment the server is free with queries waiting, the batching
 * policy decides: take a batch now, or wait until the oldest query's
 * timeout or the next arrival.  A batch of n takes the service time the
 * callback gives, asked for each batch (a target's adapter caches its
 * deterministic figure per n; a test's may draw one at random). */
#include <stdlib.h>
#include <string.h>

#include "serving.h"

static void record(rb_serve_result *r, int n, double done, double service)
{
    r->busy_s += service;
    r->slow += n == 1 && r->slow_s > 0 && service > r->slow_s;
    r->batches++;
    r->batch_count[n < RB_SERVE_MAX_BATCH ? n : RB_SERVE_MAX_BATCH]++;
    if (done > r->last)
        r->last = done;
}

/* One batch's service time, checked. */
static int service_of(rb_service_fn fn, void *ctx, int n, double *s, rb_err *e)
{
    int rc = fn(ctx, n, s, e);
    if (!rc && !(*s >= 0))
        rc = rb_errf(e, RB_ERUNTIME, "a batch of %d has no service time", n);
    return rc;
}

int rb_serve_simulate(rb_scenario scn, const rb_trace *tr, const rb_batch_policy *p,
                      rb_service_fn service, void *ctx, rb_serve_result *r, rb_err *e)
{
    rb_hist *lat = r->lat;
    double slow_s = r->slow_s;
    memset(r, 0, sizeof *r);
    r->lat = lat;
    r->slow_s = slow_s;
    rb_hist_reset(lat);
    if (!tr->n)
        return 0;
    int rc = 0;
    const double *t = tr->t;
    r->first = t[0];

    if (scn == RB_SCN_SINGLE_STREAM) {
        /* closed loop: each query is issued when the previous completes */
        double now = t[0], s1;
        for (size_t q = 0; !rc && q < tr->n; q++) {
            if ((rc = service_of(service, ctx, 1, &s1, e)))
                break;
            rb_hist_add(lat, s1);
            record(r, 1, now + s1, s1);
            now += s1;
            r->queries++;
        }
        return rc;
    }

    size_t next = 0, arrived = 0; /* first undispatched query; queries arrived by now */
    double free_at = t[0];
    while (!rc && next < tr->n) {
        double now = free_at > t[next] ? free_at : t[next], until = 0;
        int k;
        for (;;) {
            while (arrived < tr->n && t[arrived] <= now)
                arrived++;
            if ((k = rb_batch_decide(p, arrived - next, t[next], now, &until)) > 0)
                break;
            /* wait for the oldest's timeout or the next arrival */
            now = arrived < tr->n && t[arrived] < until ? t[arrived] : until;
        }
        double s;
        if ((rc = service_of(service, ctx, k, &s, e)))
            break;
        double done = now + s;
        for (size_t q = next; q < next + (size_t)k; q++)
            rb_hist_add(lat, done - t[q]); /* from the scheduled arrival */
        record(r, k, done, s);
        r->queries += (size_t)k;
        next += (size_t)k;
        free_at = done;
    }
    return rc;
}
