/* serving.c — scenarios, the batching policy, traces and the latency
 * histogram (serving.h). */
#include "serving.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../workloads/rng.h"

int rb_batch_decide(const rb_batch_policy *p, size_t queued, double oldest, double now,
                    double *until)
{
    size_t max = p->max_batch > 0 ? (size_t)p->max_batch : 1;
    if (queued >= max)
        return (int)max;
    if (queued && now >= oldest + p->timeout_s)
        return (int)queued; /* the oldest has waited long enough: what is there goes */
    *until = oldest + p->timeout_s;
    return 0;
}

static int trace_alloc(rb_trace *tr, size_t n, rb_err *e)
{
    tr->n = 0;
    if (!(tr->t = malloc((n ? n : 1) * sizeof *tr->t)))
        return rb_errf(e, RB_ENOMEM, "out of memory for a trace of %zu queries", n);
    tr->n = n;
    return 0;
}

size_t rb_trace_len(double qps, double duration_s, int min_queries)
{
    double n = qps * duration_s;
    if (n < min_queries)
        n = min_queries;
    return n > 5e7 ? 50000000 : (size_t)n;
}

int rb_trace_poisson(rb_trace *tr, double qps, size_t n, uint64_t seed, rb_err *e)
{
    if (!(qps > 0))
        return rb_errf(e, RB_EINPUT, "a Poisson trace needs a rate above 0 (got %g)", qps);
    int rc = trace_alloc(tr, n, e);
    rb_rng r = {seed};
    double t = 0;
    for (size_t i = 0; !rc && i < n; i++) {
        /* 53 random bits in (0, 1]: -log never sees 0 */
        double u = ((double)(rb_rng_next(&r) >> 11) + 1.0) * 0x1p-53;
        t += -log(u) / qps;
        tr->t[i] = t;
    }
    return rc;
}

int rb_trace_burst(rb_trace *tr, size_t n, int streams, double interval_s, rb_err *e)
{
    int rc = trace_alloc(tr, n, e);
    for (size_t i = 0; !rc && i < n; i++)
        tr->t[i] = streams > 0 ? (double)(i / (size_t)streams) * interval_s : 0;
    return rc;
}

void rb_trace_free(rb_trace *tr)
{
    free(tr->t);
    tr->t = NULL;
    tr->n = 0;
}

/* ---- the histogram --------------------------------------------------- */

static size_t slot_of(uint64_t v)
{
    if (v < 2048)
        return (size_t)v;
    int top = 63 - __builtin_clzll(v); /* v in [2^top, 2^(top+1)), top >= 11 */
    int k = top - 10;                  /* bucket width 2^k: 1024 buckets an octave */
    if (k > RB_HIST_OCTAVES)
        return RB_HIST_SLOTS - 1;
    return 2048 + (size_t)(k - 1) * 1024 + (size_t)((v >> k) - 1024);
}

/* The middle of a slot's range, ns. */
static double slot_value(size_t s)
{
    if (s < 2048)
        return (double)s;
    size_t k = (s - 2048) / 1024 + 1, sub = (s - 2048) % 1024 + 1024;
    return ldexp((double)sub + 0.5, (int)k);
}

void rb_hist_slot_range(size_t s, double *lo_s, double *hi_s)
{
    if (s < 2048) {
        *lo_s = *hi_s = (double)s * 1e-9;
        return;
    }
    size_t k = (s - 2048) / 1024 + 1, sub = (s - 2048) % 1024 + 1024;
    *lo_s = ldexp((double)sub, (int)k) * 1e-9;
    *hi_s = (ldexp((double)sub + 1, (int)k) - 1) * 1e-9;
}

void rb_hist_reset(rb_hist *h) { memset(h, 0, sizeof *h); }

void rb_hist_add(rb_hist *h, double seconds)
{
    double ns = seconds > 0 ? seconds * 1e9 : 0;
    uint64_t v = ns < 1.8e19 ? (uint64_t)(ns + 0.5) : UINT64_MAX;
    h->count[slot_of(v)]++;
    h->n++;
    h->sum_s += seconds;
    if (seconds > h->max_s)
        h->max_s = seconds;
}

double rb_hist_quantile(const rb_hist *h, double q)
{
    if (!h->n)
        return NAN;
    uint64_t want = (uint64_t)ceil(q * (double)h->n), seen = 0;
    if (want < 1)
        want = 1;
    for (size_t s = 0; s < RB_HIST_SLOTS; s++)
        if ((seen += h->count[s]) >= want)
            return slot_value(s) * 1e-9;
    return h->max_s;
}

double rb_hist_mean(const rb_hist *h) { return h->n ? h->sum_s / (double)h->n : NAN; }
