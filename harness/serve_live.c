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
 * to the schedule whatever the server does (no coordinated omission). */
#include <errno.h>
#include <pthread.h>
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
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t released; /* queries on the queue or taken: [0, released) */
    int stop;
    rb_hist *late; /* release - scheduled, per query */
} live;

static void sleep_until(double t)
{
    double now = rb_now_s();
    if (t - now > SPIN_S) {
        double s = t - now - SPIN_S;
        struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
        while (nanosleep(&ts, &ts) && errno == EINTR)
            ;
    }
    while (rb_now_s() < t)
        ;
}

static void *issue(void *arg)
{
    live *L = arg;
    for (size_t i = 0; i < L->n; i++) {
        sleep_until(L->sched[i]);
        double at = rb_now_s();
        pthread_mutex_lock(&L->mu);
        if (L->stop) {
            pthread_mutex_unlock(&L->mu);
            break;
        }
        L->released = i + 1;
        if (L->late)
            rb_hist_add(L->late, at - L->sched[i]);
        pthread_cond_signal(&L->cv);
        pthread_mutex_unlock(&L->mu);
    }
    return NULL;
}

/* Wait on the queue until t (absolute, rb_now_s clock) or a release. */
static void wait_until(live *L, double t)
{
    double d = t - rb_now_s();
    if (d <= 0)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double s = (double)ts.tv_sec + ts.tv_nsec * 1e-9 + d;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    pthread_cond_timedwait(&L->cv, &L->mu, &ts);
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
    memset(r, 0, sizeof *r);
    r->lat = lat;
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
    pthread_mutex_init(&L.mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&L.cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_t th;
    if (pthread_create(&th, NULL, issue, &L)) {
        free(sched);
        return rb_errf(e, RB_ERUNTIME, "cannot start the load generator's thread");
    }
    size_t next = 0;
    while (!rc && next < tr->n) {
        pthread_mutex_lock(&L.mu);
        while (L.released == next)
            pthread_cond_wait(&L.cv, &L.mu);
        double until = 0;
        int k = rb_batch_decide(p, L.released - next, sched[next], rb_now_s(), &until);
        if (!k) {
            /* the oldest's timeout, or a release, whichever comes first */
            wait_until(&L, until);
            pthread_mutex_unlock(&L.mu);
            continue;
        }
        pthread_mutex_unlock(&L.mu);
        rc = run_batch(run, ctx, k, r, sched, next, e);
        next += (size_t)k;
    }
    pthread_mutex_lock(&L.mu);
    L.stop = 1;
    pthread_mutex_unlock(&L.mu);
    pthread_join(th, NULL);
    pthread_cond_destroy(&L.cv);
    pthread_mutex_destroy(&L.mu);
    free(sched);
    return rc;
}
