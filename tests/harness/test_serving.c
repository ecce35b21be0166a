/* test_serving.c — the serving simulation against queueing theory, and the
 * batching policy on cases worked by hand.
 *
 * M/D/1 (Poisson arrivals, deterministic service, one query a batch): the
 * mean wait against Pollaczek-Khinchine, W = rho D / (2 (1 - rho)), within
 * 1 %, and the p99 against the exact M/D/1 waiting-time distribution
 * (Erlang's formula, P(W <= t) = (1 - rho) sum_{k=0}^{floor(t/D)}
 * e^{lambda (t - kD)} (-lambda (t - kD))^k / k!, summed in quad precision:
 * its terms cancel) within 2 %, at utilisations 0.3, 0.6, 0.9.  M/M/1
 * (exponential service): the sojourn time is exponential with rate mu -
 * lambda, so its p99 is ln(100) / (mu - lambda).  Traces are seeded: the
 * test is deterministic, and its sample sizes leave the statistical error
 * well inside the tolerances. */
#include <math.h>
#include <quadmath.h>
#include <stdlib.h>

#include "../../harness/serving.h"
#include "../../workloads/rng.h"
#include "../rb_test.h"

typedef struct svc {
    double d;  /* deterministic: seconds per batch */
    double mu; /* > 0: exponential with this rate instead */
    rb_rng r;
    int calls;
} svc;

static int service(void *ctx, int n, double *s, rb_err *e)
{
    svc *v = ctx;
    v->calls++;
    if (v->mu > 0) {
        double u = ((double)(rb_rng_next(&v->r) >> 11) + 1.0) * 0x1p-53;
        *s = -log(u) / v->mu;
    } else {
        *s = v->d;
    }
    return 0;
}

/* Erlang's M/D/1 waiting-time CDF. */
static double md1_cdf(double t, double lambda, double d)
{
    __float128 sum = 0, lt = (__float128)lambda;
    for (int k = 0; k * d <= t; k++) {
        __float128 u = lt * ((__float128)t - (__float128)k * (__float128)d);
        __float128 term = expq(u) * powq(-u, k) / tgammaq((__float128)k + 1);
        sum += term;
    }
    return (double)((1 - (__float128)lambda * (__float128)d) * sum);
}

static double md1_quantile(double q, double lambda, double d)
{
    double lo = 0, hi = d;
    while (md1_cdf(hi, lambda, d) < q)
        hi *= 2;
    for (int i = 0; i < 200; i++) {
        double mid = (lo + hi) / 2;
        if (md1_cdf(mid, lambda, d) < q)
            lo = mid;
        else
            hi = mid;
    }
    return hi;
}

static void test_md1(rb_hist *h)
{
    const double D = 1e-3;
    const double rhos[] = {0.3, 0.6, 0.9};
    /* waits at 0.9 are long-correlated: 16 M queries */
    const size_t ns[] = {1000000, 2000000, 16000000};
    rb_batch_policy p = {1, 0};
    for (int k = 0; k < 3; k++) {
        double rho = rhos[k], lambda = rho / D;
        rb_trace tr;
        rb_err e = {0};
        CHECK_INT(rb_trace_poisson(&tr, lambda, ns[k], 42 + (uint64_t)k, &e), 0);
        svc v = {.d = D};
        rb_serve_result r = {.lat = h};
        CHECK_INT(rb_serve_simulate(RB_SCN_SERVER, &tr, &p, service, &v, &r, &e), 0);
        CHECK_INT(r.queries, ns[k]);
        CHECK_INT(r.batch_count[1], ns[k]);
        double wait = rb_hist_mean(h) - D, pk = rho * D / (2 * (1 - rho));
        double p99 = rb_hist_quantile(h, 0.99) - D, exact = md1_quantile(0.99, lambda, D);
        double busy = r.busy_s / (r.last - r.first);
        printf("  M/D/1 rho %.1f: mean wait %.4f ms (P-K %.4f, %+.2f%%), p99 wait %.4f ms "
               "(exact %.4f, %+.2f%%), busy %.3f\n",
               rho, wait * 1e3, pk * 1e3, 100 * (wait / pk - 1), p99 * 1e3, exact * 1e3,
               100 * (p99 / exact - 1), busy);
        CHECK(fabs(wait / pk - 1) <= 0.01);
        CHECK(fabs(p99 / exact - 1) <= 0.02);
        CHECK(fabs(busy - rho) <= 0.01);
        rb_trace_free(&tr);
    }
}

static void test_mm1(rb_hist *h)
{
    const double mu = 1000;
    const double rhos[] = {0.3, 0.6, 0.9};
    /* the tail of M/M/1 at 0.9 converges slowly: 16 M queries */
    const size_t ns[] = {1000000, 2000000, 16000000};
    rb_batch_policy p = {1, 0};
    for (int k = 0; k < 3; k++) {
        double lambda = rhos[k] * mu;
        rb_trace tr;
        rb_err e = {0};
        CHECK_INT(rb_trace_poisson(&tr, lambda, ns[k], 7 + (uint64_t)k, &e), 0);
        svc v = {.mu = mu, .r = {99 + (uint64_t)k}};
        rb_serve_result r = {.lat = h};
        CHECK_INT(rb_serve_simulate(RB_SCN_SERVER, &tr, &p, service, &v, &r, &e), 0);
        double p99 = rb_hist_quantile(h, 0.99), theory = log(100) / (mu - lambda);
        printf("  M/M/1 rho %.1f: p99 sojourn %.4f ms (theory %.4f, %+.2f%%)\n", rhos[k], p99 * 1e3,
               theory * 1e3, 100 * (p99 / theory - 1));
        CHECK(fabs(p99 / theory - 1) <= 0.02);
        rb_trace_free(&tr);
    }
}

/* The policy on cases worked by hand. */
static void test_batching(rb_hist *h)
{
    rb_err e = {0};
    double until = -1;
    rb_batch_policy p = {4, 0.005};
    CHECK_INT(rb_batch_decide(&p, 4, 0, 0, &until), 4);       /* full */
    CHECK_INT(rb_batch_decide(&p, 9, 0, 0, &until), 4);       /* never more than max */
    CHECK_INT(rb_batch_decide(&p, 2, 1.0, 1.002, &until), 0); /* waits ... */
    CHECK_NEAR(until, 1.005, 1e-12);                          /* ... for the oldest's timeout */
    CHECK_INT(rb_batch_decide(&p, 2, 1.0, 1.005, &until), 2); /* then goes with what it has */

    /* offline: 10 queries at 0, batches of 4, 4 and 2, 1 ms each; the last two
     * wait for the oldest's 5 ms timeout, as a server that cannot know no
     * more are coming does: done at 2, wait to 5, done at 6 */
    rb_trace tr;
    svc v = {.d = 1e-3};
    rb_serve_result r = {.lat = h};
    CHECK_INT(rb_trace_burst(&tr, 10, 0, 0, &e), 0);
    CHECK_INT(rb_serve_simulate(RB_SCN_OFFLINE, &tr, &p, service, &v, &r, &e), 0);
    CHECK_INT(r.batches, 3);
    CHECK_INT(r.batch_count[4], 2);
    CHECK_INT(r.batch_count[2], 1);
    CHECK_NEAR(r.last, 6e-3, 1e-12);
    CHECK_NEAR(rb_hist_mean(h), (4 * 1e-3 + 4 * 2e-3 + 2 * 6e-3) / 10, 1e-8);
    rb_trace_free(&tr);

    /* two queries 1 ms apart with a 5 ms timeout: one batch of 2, closed
     * when the first has waited 5 ms; latencies 5 + 1 and 4 + 1 ms */
    CHECK_INT(rb_trace_burst(&tr, 2, 1, 1e-3, &e), 0);
    CHECK_INT(rb_serve_simulate(RB_SCN_SERVER, &tr, &p, service, &v, &r, &e), 0);
    CHECK_INT(r.batches, 1);
    CHECK_NEAR(h->max_s, 6e-3, 1e-12);
    CHECK_NEAR(rb_hist_mean(h), 5.5e-3, 1e-8);
    rb_trace_free(&tr);

    /* single-stream is closed loop: every latency is one service time */
    CHECK_INT(rb_trace_burst(&tr, 50, 1, 0, &e), 0);
    CHECK_INT(rb_serve_simulate(RB_SCN_SINGLE_STREAM, &tr, &p, service, &v, &r, &e), 0);
    CHECK_INT(r.queries, 50);
    CHECK_NEAR(rb_hist_quantile(h, 0.9), 1e-3, 1e-6);
    CHECK_NEAR(r.last, 50e-3, 1e-9);
    rb_trace_free(&tr);
}

/* The histogram keeps 3 significant digits over its whole range. */
static void test_hist(rb_hist *h)
{
    rb_hist_reset(h);
    const double v[] = {0, 1e-9, 2047e-9, 2048e-9, 1.2345e-6, 0.98765, 123.456, 1e5};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        rb_hist_reset(h);
        rb_hist_add(h, v[i]);
        double got = rb_hist_quantile(h, 0.5);
        CHECK(fabs(got - v[i]) <= v[i] / 1024 + 1e-9);
    }
    rb_hist_reset(h);
    for (int i = 1; i <= 1000; i++)
        rb_hist_add(h, i * 1e-3);
    CHECK_NEAR(rb_hist_quantile(h, 0.99), 0.990, 0.990 / 1024);
    CHECK_NEAR(rb_hist_quantile(h, 0.5), 0.500, 0.500 / 1024);
    CHECK_NEAR(rb_hist_mean(h), 0.5005, 1e-12);
    rb_hist_reset(h);
    CHECK(isnan(rb_hist_quantile(h, 0.5))); /* empty: no quantile, not 0 */
}

/* The rate search on M/D/1: the largest lambda whose p99 sojourn time
 * (wait + D) meets a bound, against Erlang's formula solved for lambda. */
typedef struct md1_eval {
    rb_hist *h;
    double d;
    size_t n;
} md1_eval;

static int eval_md1(void *ctx, double qps, uint64_t seed, double *p99, rb_err *e)
{
    md1_eval *m = ctx;
    rb_trace tr;
    svc v = {.d = m->d};
    rb_batch_policy one = {1, 0};
    rb_serve_result r = {.lat = m->h};
    int rc = rb_trace_poisson(&tr, qps, m->n, seed, e);
    if (!rc)
        rc = rb_serve_simulate(RB_SCN_SERVER, &tr, &one, service, &v, &r, e);
    *p99 = rb_hist_quantile(m->h, 0.99);
    rb_trace_free(&tr);
    return rc;
}

static void test_max_qps(rb_hist *h)
{
    const double D = 1e-3, slo = 10e-3;
    /* exact: p99 wait = slo - D, bisected on lambda */
    double lo = 1, hi = 1 / D * 0.9999;
    for (int i = 0; i < 60; i++) {
        double mid = (lo + hi) / 2;
        if (md1_quantile(0.99, mid, D) + D <= slo)
            lo = mid;
        else
            hi = mid;
    }
    md1_eval m = {h, D, 2000000};
    double qps;
    rb_err e = {0};
    CHECK_INT(rb_serve_max_qps(eval_md1, &m, slo, 100, 5, &qps, &e), 0);
    printf("  max rate within p99 10 ms, M/D/1 D = 1 ms: %.1f queries/s (exact %.1f, %+.2f%%)\n",
           qps, lo, 100 * (qps / lo - 1));
    CHECK(fabs(qps / lo - 1) <= 0.02);
    /* a bound below one service time: no rate meets it */
    CHECK_INT(rb_serve_max_qps(eval_md1, &m, 0.5e-3, 100, 5, &qps, &e), RB_EUNAVAIL);
    CHECK_STR_HAS(e.msg, "no rate meets");
}

/* A server whose batches wait out a 9.5 ms timeout, 1 ms a batch: at low
 * rates every query waits it and is served alone, 10.5 ms, above a 10 ms
 * bound at any lower rate.  The search stops when halving the rate twice
 * no longer lowers the p99, instead of halving ten times (each run longer). */
typedef struct floor_eval {
    rb_hist *h;
    int calls;
} floor_eval;

static int eval_floor(void *ctx, double qps, uint64_t seed, double *p99, rb_err *e)
{
    floor_eval *f = ctx;
    rb_trace tr;
    svc v = {.d = 1e-3};
    rb_batch_policy pol = {8, 9.5e-3};
    rb_serve_result r = {.lat = f->h};
    f->calls++;
    int rc = rb_trace_poisson(&tr, qps, 2000, seed, e);
    if (!rc)
        rc = rb_serve_simulate(RB_SCN_SERVER, &tr, &pol, service, &v, &r, e);
    *p99 = rb_hist_quantile(f->h, 0.99);
    rb_trace_free(&tr);
    return rc;
}

static void test_max_qps_floor(rb_hist *h)
{
    floor_eval f = {h, 0};
    double qps;
    rb_err e = {0};
    CHECK_INT(rb_serve_max_qps(eval_floor, &f, 10e-3, 400, 5, &qps, &e), RB_EUNAVAIL);
    CHECK_STR_HAS(e.msg, "did not lower the p99");
    printf("  latency floor above the bound: the search stopped after %d runs\n", f.calls);
    CHECK(f.calls >= 3 && f.calls <= 5);
}

int main(void)
{
    rb_hist *h = malloc(sizeof *h);
    if (!h)
        return 1;
    test_hist(h);
    test_batching(h);
    test_md1(h);
    test_mm1(h);
    test_max_qps(h);
    test_max_qps_floor(h);
    free(h);
    return rb_test_done("test_serving");
}
