/* serve_live.c — the real load generator for measured targets (serving.h).
 *
 * Two threads.  The issuer releases queries onto the queue at their
 * scheduled times: it sleeps until shortly before each and spins the rest,
 * because clock_nanosleep alone wakes tens of microseconds late, and it
 * records how late every release was.  The worker (the calling thread) is
 * the server: with the queue non-empty it asks the batching policy
 * (rb_batch_decide, the same code as the event simulation) whether to run
 * a batch now or wait for the oldest's timeout or the next release, runs
 * the batch through the caller's function, and stamps every query's
 * latency from its *scheduled* arrival.  A batch that stalls delays the
 * queries scheduled behind it, and their latency says so: the issuer keeps
 * to the schedule whatever the server does (no coordinated omission).
 *
 * An idle worker does not block on a condition variable: waking a blocked
 * thread costs tens of microseconds on a VM, paid by every query that finds
 * the server idle, which is the harness's cost, not the device's (it put
 * the mean latency 35 % above M/D/1's at utilisation 0.3).  The worker
 * knows the schedule, so it sleeps like the issuer until shortly before
 * the next release and spins on the release counter from there. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "serving.h"

/* Below this far from a release the issuer spins instead of sleeping. */
#define SPIN_S 200e-6

typedef struct live {
    const double *sched; /* absolute scheduled times, rb_now_s() clock */
    size_t n;
    atomic_size_t released; /* queries on the queue or taken: [0, released) */
    atomic_int stop;
    rb_hist *late; /* release - scheduled, per query (the issuer's alone) */
} live;

/* Sleep until shortly before t, then spin until t or until *done is set
 * (NULL: until t). */
static void sleep_until_or(double t, const atomic_int *done)
{
    double now = rb_now_s();
    if (t - now > SPIN_S) {
        double s = t - now - SPIN_S;
        struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
        while (nanosleep(&ts, &ts) && errno == EINTR)
            ;
    }
    while (rb_now_s() < t && !(done && atomic_load_explicit(done, memory_order_relaxed)))
        ;
}

static void sleep_until(double t) { sleep_until_or(t, NULL); }

static void *issue(void *arg)
{
    live *L = arg;
    for (size_t i = 0; i < L->n && !atomic_load(&L->stop); i++) {
        sleep_until_or(L->sched[i], &L->stop);
        double at = rb_now_s();
        atomic_store_explicit(&L->released, i + 1, memory_order_release);
        if (L->late)
            rb_hist_add(L->late, at - L->sched[i]);
    }
    return NULL;
}

/* The worker, having seen `seen` released: wait until a release or until
 * t (absolute), whichever is first.  The next release is due at
 * sched[seen]: sleep until shortly before the earlier of the two, then spin. */
static void await_release(live *L, size_t seen, double t)
{
    double next = seen < L->n ? L->sched[seen] : t;
    double wake = (next < t ? next : t) - SPIN_S;
    if (wake - rb_now_s() > 0)
        sleep_until(wake);
    while (atomic_load_explicit(&L->released, memory_order_acquire) == seen && rb_now_s() < t)
        ;
}

static int run_batch(rb_batch_run_fn run, void *ctx, int n, rb_serve_result *r, const double *sched,
                     size_t first, rb_err *e)
{
    double start = rb_now_s();
    int rc = run(ctx, n, e);
    double done = rb_now_s();
    if (rc)
        return rc;
    for (size_t q = first; q < first + (size_t)n; q++)
        rb_hist_add(r->lat, done - sched[q]);
    r->busy_s += done - start;
    r->slow += n == 1 && r->slow_s > 0 && done - start > r->slow_s;
    r->batches++;
    r->batch_count[n < RB_SERVE_MAX_BATCH ? n : RB_SERVE_MAX_BATCH]++;
    r->queries += (size_t)n;
    r->last = done;
    return 0;
}

int rb_serve_live(rb_scenario scn, const rb_trace *tr, const rb_batch_policy *p,
                  rb_batch_run_fn run, void *ctx, rb_serve_result *r, rb_hist *late, rb_err *e)
{
    rb_hist *lat = r->lat;
    double slow_s = r->slow_s;
    memset(r, 0, sizeof *r);
    r->lat = lat;
    r->slow_s = slow_s;
    rb_hist_reset(lat);
    if (late)
        rb_hist_reset(late);
    if (!tr->n)
        return 0;
    double *sched = malloc(tr->n * sizeof *sched);
    if (!sched)
        return rb_errf(e, RB_ENOMEM, "out of memory for a schedule of %zu queries", tr->n);
    /* a little ahead, so the first release is not already late */
    double t0 = rb_now_s() + 1e-3;
    int rc = 0;

    if (scn == RB_SCN_SINGLE_STREAM) {
        /* closed loop: the next query is issued when the previous completes */
        double at = t0;
        sleep_until(at);
        for (size_t q = 0; !rc && q < tr->n; q++) {
            sched[q] = at;
            rc = run_batch(run, ctx, 1, r, sched, q, e);
            at = r->last;
        }
        r->first = t0;
        free(sched);
        return rc;
    }

    for (size_t i = 0; i < tr->n; i++)
        sched[i] = t0 + (tr->t[i] - tr->t[0]);
    r->first = sched[0];
    live L = {.sched = sched, .n = tr->n, .late = late};
    atomic_init(&L.released, 0);
    atomic_init(&L.stop, 0);
    pthread_t th;
    if (pthread_create(&th, NULL, issue, &L)) {
        free(sched);
        return rb_errf(e, RB_ERUNTIME, "cannot start the load generator's thread");
    }
    size_t next = 0;
    while (!rc && next < tr->n) {
        size_t rel = atomic_load_explicit(&L.released, memory_order_acquire);
        if (rel == next) { /* idle: until the next release */
            await_release(&L, rel, 1e300);
            continue;
        }
        double until = 0;
        int k = rb_batch_decide(p, rel - next, sched[next], rb_now_s(), &until);
        if (!k) { /* the oldest's timeout, or a release, whichever comes first */
            await_release(&L, rel, until);
            continue;
        }
        rc = run_batch(run, ctx, k, r, sched, next, e);
        next += (size_t)k;
    }
    atomic_store(&L.stop, 1);
    pthread_join(th, NULL);
    free(sched);
    return rc;
}
