/* loadgen.c — the measurements behind scripts/bench/loadgen (rb-bench-loadgen).
 *
 *   rb-bench-loadgen issue QPS N SEED
 *       One Poisson schedule of N queries at QPS, released three ways, each a
 *       JSON line: rnnbench's load generator (rb_serve_live, a no-op target,
 *       batches of one) and two peers measured in the same run on the same
 *       schedule — a bare spin loop (the floor: one thread doing nothing but
 *       waiting for each time) and clock_nanosleep(TIMER_ABSTIME) alone.
 *       Lateness is release time minus scheduled time.
 *   rb-bench-loadgen md1 RHO SERVICE_US N SEED
 *       The load generator serving a target that spins SERVICE_US per query
 *       (deterministic service, no batching) at utilisation RHO: one JSON
 *       line of the latency figures, for the script to set against M/D/1
 *       theory.
 *
 * Figures only; the wrapper script judges them.  Exit 2 on bad arguments,
 * 3 when a run fails. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../harness/clock.h"
#include "../../harness/serving.h"

static void spin_until(double t)
{
    while (rb_now_s() < t)
        ;
}

static void print_late(const char *peer, const rb_hist *late, size_t n, double span_s)
{
    printf("{\"peer\":\"%s\",\"queries\":%zu,\"issue_qps\":%.1f,\"late_p50_us\":%.3f,"
           "\"late_p99_us\":%.3f,\"late_max_us\":%.3f}\n",
           peer, n, span_s > 0 ? (double)n / span_s : 0.0, rb_hist_quantile(late, 0.5) * 1e6,
           rb_hist_quantile(late, 0.99) * 1e6, late->max_s * 1e6);
}

/* The schedule, shifted to start a little after now. */
static double *schedule(const rb_trace *tr)
{
    double *s = malloc(tr->n * sizeof *s);
    if (!s)
        return NULL;
    double t0 = rb_now_s() + 1e-3;
    for (size_t i = 0; i < tr->n; i++)
        s[i] = t0 + (tr->t[i] - tr->t[0]);
    return s;
}

/* clock_nanosleep(TIMER_ABSTIME) alone, the peer that cannot keep up */
static void nanosleep_until(double t)
{
    struct timespec ts = {(time_t)t, (long)((t - (double)(time_t)t) * 1e9)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

/* A peer: one thread waiting for each scheduled time with wait(). */
static int peer(const char *name, void (*wait)(double), const rb_trace *tr, rb_hist *late)
{
    double *s = schedule(tr);
    if (!s)
        return 3;
    rb_hist_reset(late);
    double at = 0;
    for (size_t i = 0; i < tr->n; i++) {
        wait(s[i]);
        at = rb_now_s();
        rb_hist_add(late, at - s[i]);
    }
    print_late(name, late, tr->n, at - s[0]);
    free(s);
    return 0;
}

static int run_noop(void *ctx, int n, rb_err *e)
{
    (void)ctx, (void)n, (void)e;
    return 0;
}

static int run_spin(void *ctx, int n, rb_err *e)
{
    (void)e;
    spin_until(rb_now_s() + *(const double *)ctx * n);
    return 0;
}

static int do_issue(double qps, size_t n, uint64_t seed, rb_hist *h, rb_hist *late)
{
    rb_err e = {0};
    rb_trace tr;
    if (rb_trace_poisson(&tr, qps, n, seed, &e)) {
        fprintf(stderr, "rb-bench-loadgen: %s\n", e.msg);
        return 3;
    }
    rb_batch_policy p = {.max_batch = 1, .timeout_s = 0};
    rb_serve_result r = {.lat = h};
    int rc = rb_serve_live(RB_SCN_SERVER, &tr, &p, run_noop, NULL, &r, late, &e);
    if (rc) {
        fprintf(stderr, "rb-bench-loadgen: %s\n", e.msg);
        rb_trace_free(&tr);
        return 3;
    }
    /* the issue rate: queries over the span from the first scheduled time
     * to the last completion (a no-op completes as it is taken) */
    print_late("rnnbench", late, r.queries, r.last - r.first);
    rc = peer("spin loop", spin_until, &tr, late);
    if (!rc)
        rc = peer("clock_nanosleep", nanosleep_until, &tr, late);
    rb_trace_free(&tr);
    return rc;
}

/* rb_service_fn: the same time for every batch */
static int fixed_service(void *ctx, int n, double *seconds, rb_err *e)
{
    (void)n;
    (void)e;
    *seconds = *(const double *)ctx;
    return 0;
}

static int do_md1(double rho, double service_s, size_t n, uint64_t seed, rb_hist *h, rb_hist *late)
{
    rb_err e = {0};
    rb_trace tr;
    if (rb_trace_poisson(&tr, rho / service_s, n, seed, &e)) {
        fprintf(stderr, "rb-bench-loadgen: %s\n", e.msg);
        return 3;
    }
    rb_batch_policy p = {.max_batch = 1, .timeout_s = 0};
    rb_serve_result r = {.lat = h};
    int rc = rb_serve_live(RB_SCN_SERVER, &tr, &p, run_spin, &service_s, &r, late, &e);
    double d = rc ? 0 : r.busy_s / (double)r.batches, mean = rb_hist_mean(h),
           p50 = rb_hist_quantile(h, 0.5), p99 = rb_hist_quantile(h, 0.99);
    /* the same trace through the event simulation with the service time the
     * target really took: what this trace gives without the harness */
    rb_serve_result sim = {.lat = h};
    if (!rc)
        rc = rb_serve_simulate(RB_SCN_SERVER, &tr, &p, fixed_service, &d, &sim, &e);
    rb_trace_free(&tr);
    if (rc) {
        fprintf(stderr, "rb-bench-loadgen: %s\n", e.msg);
        return 3;
    }
    printf("{\"rho\":%.3f,\"lambda\":%.3f,\"service_us\":%.3f,\"queries\":%zu,"
           "\"mean_us\":%.3f,\"p50_us\":%.3f,\"p99_us\":%.3f,\"late_p99_us\":%.3f,"
           "\"sim_mean_us\":%.3f,\"sim_p99_us\":%.3f}\n",
           rho, rho / service_s, d * 1e6, r.queries, mean * 1e6, p50 * 1e6, p99 * 1e6,
           rb_hist_quantile(late, 0.99) * 1e6, rb_hist_mean(h) * 1e6,
           rb_hist_quantile(h, 0.99) * 1e6);
    return 0;
}

static int number(const char *s, double lo, double hi, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return !errno && end != s && !*end && *v >= lo && *v <= hi;
}

int main(int argc, char **argv)
{
    double a, b, n, seed;
    rb_hist *h = malloc(sizeof *h), *late = malloc(sizeof *late);
    if (!h || !late)
        return 3;
    int rc = 2;
    if (argc == 5 && !strcmp(argv[1], "issue") && number(argv[2], 1, 1e8, &a) &&
        number(argv[3], 1, 1e8, &n) && number(argv[4], 0, 1e18, &seed))
        rc = do_issue(a, (size_t)n, (uint64_t)seed, h, late);
    else if (argc == 6 && !strcmp(argv[1], "md1") && number(argv[2], 0.01, 0.99, &a) &&
             number(argv[3], 1, 1e6, &b) && number(argv[4], 1, 1e8, &n) &&
             number(argv[5], 0, 1e18, &seed))
        rc = do_md1(a, b * 1e-6, (size_t)n, (uint64_t)seed, h, late);
    else
        fprintf(stderr, "usage: rb-bench-loadgen issue QPS N SEED\n"
                        "       rb-bench-loadgen md1 RHO SERVICE_US N SEED\n");
    free(h);
    free(late);
    return rc;
}
