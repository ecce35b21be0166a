/* test_serve_live.c — the real load generator: accounting, batching and
 * the coordinated-omission check.
 *
 * A "device" that sleeps serves the queries.  Once it stalls for 100 ms:
 * open-loop (queries keep their schedule) the stall is in the latency of
 * every query scheduled during it, so it reaches the p99; closed-loop
 * (single-stream: the next query waits for the previous) it is one slow
 * query among a thousand and the p99 does not see it — the error wrk2 and
 * HdrHistogram were made to fix.  The assertions hold on a loaded machine:
 * a late wake-up only adds latency, and the bounds leave it room. */
#include <stdlib.h>
#include <time.h>

#include "../../harness/serve_target.h"
#include "../../harness/serving.h"
#include "../rb_test.h"

typedef struct device {
    double service_s; /* each batch */
    int stall_at;     /* this batch (0-based) takes stall_s instead; -1: none */
    double stall_s;
    int batches;
    int rows;
} device;

static void nap(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

static int run(void *ctx, int n, rb_err *e)
{
    device *d = ctx;
    nap(d->batches == d->stall_at ? d->stall_s : d->service_s);
    d->batches++;
    d->rows += n;
    return 0;
}

static void test_coordinated_omission(rb_hist *h)
{
    rb_err e = {0};
    rb_trace tr;
    rb_batch_policy one = {1, 0};
    /* a query every ms for 1 s, served in 0.2 ms; batch 100 stalls 100 ms */
    CHECK_INT(rb_trace_burst(&tr, 1000, 1, 1e-3, &e), 0);
    device open = {2e-4, 100, 0.1, 0, 0}, closed = open;
    rb_serve_result r = {.lat = h};
    CHECK_INT(rb_serve_live(RB_SCN_SERVER, &tr, &one, run, &open, &r, NULL, &e), 0);
    CHECK_INT(r.queries, 1000);
    CHECK_INT(open.rows, 1000);
    double p99_open = rb_hist_quantile(h, 0.99), max_open = h->max_s;
    CHECK_INT(rb_serve_live(RB_SCN_SINGLE_STREAM, &tr, &one, run, &closed, &r, NULL, &e), 0);
    CHECK_INT(r.queries, 1000);
    double p99_closed = rb_hist_quantile(h, 0.99);
    printf("  a 100 ms stall: p99 %.2f ms open-loop (max %.1f ms), %.2f ms closed-loop\n",
           p99_open * 1e3, max_open * 1e3, p99_closed * 1e3);
    /* ~100 queries were scheduled during the stall: the 10th slowest waited
     * most of it */
    CHECK(p99_open >= 0.05);
    CHECK(max_open >= 0.1);
    CHECK(p99_closed < 0.05);
    rb_trace_free(&tr);
}

static void test_batching(rb_hist *h)
{
    rb_err e = {0};
    rb_trace tr;
    /* offline: 10 queries at once, batches of at most 4, each 2 ms */
    rb_batch_policy four = {4, 0.5};
    CHECK_INT(rb_trace_burst(&tr, 10, 0, 0, &e), 0);
    device d = {2e-3, -1, 0, 0, 0};
    rb_serve_result r = {.lat = h};
    CHECK_INT(rb_serve_live(RB_SCN_OFFLINE, &tr, &four, run, &d, &r, NULL, &e), 0);
    CHECK_INT(r.queries, 10);
    CHECK_INT(d.rows, 10);
    CHECK_INT(r.batch_count[4], 2);
    CHECK_INT(r.batch_count[2], 1);
    CHECK_INT(r.batches, 3);
    /* nobody finishes before one service time, the two full batches before
     * the partial one's timeout */
    CHECK(rb_hist_quantile(h, 0.0) >= 2e-3);
    CHECK(h->max_s >= 0.5);
    rb_trace_free(&tr);

    /* the timeout: a lone query waits it out, then goes alone */
    rb_batch_policy wait = {8, 0.02};
    CHECK_INT(rb_trace_burst(&tr, 1, 1, 0, &e), 0);
    device d1 = {1e-3, -1, 0, 0, 0};
    CHECK_INT(rb_serve_live(RB_SCN_SERVER, &tr, &wait, run, &d1, &r, NULL, &e), 0);
    CHECK_INT(r.batch_count[1], 1);
    CHECK(h->max_s >= 0.021);
    rb_trace_free(&tr);
}

/* A target as the server: the asic's modeled latency per batch size feeds
 * the simulation (a lone query's latency is exactly its model's figure for
 * a batch of 1; a burst of 8 runs as batches of its maximum, 4), and the
 * cpu serves a short Poisson trace for real. */
static void test_targets(rb_hist *h)
{
    rb_err e = {0};
    rb_workload w = rb_workload_of(RB_CELL_LSTM, RB_MODE_INFER, 8, 1, 16, 32, 1, 1);
    rb_model m;
    CHECK_INT(rb_model_alloc(&m, &w, &e), 0);
    rb_model_init_seeded(&m, 1);
    rb_instance asic, cpu;
    CHECK_INT(rb_instance_parse("asic:edge-npu", &asic, &e), 0);
    CHECK_INT(rb_instance_parse("cpu", &cpu, &e), 0);

    rb_serve_target st;
    CHECK_INT(rb_serve_target_init(&st, &asic, 1, &m, &w, 4, &e), 0);
    double s1 = 0, s4 = 0;
    CHECK_INT(rb_serve_target_service(&st, 1, &s1, &e), 0);
    CHECK_INT(rb_serve_target_service(&st, 4, &s4, &e), 0);
    CHECK(s1 > 0 && s4 >= s1);
    rb_trace tr;
    rb_batch_policy p = {4, 0};
    rb_serve_result r = {.lat = h};
    CHECK_INT(rb_trace_burst(&tr, 1, 1, 0, &e), 0);
    CHECK_INT(rb_serve_simulate(RB_SCN_SERVER, &tr, &p, rb_serve_target_service, &st, &r, &e), 0);
    CHECK_NEAR(h->max_s, s1, s1 * 1e-9);
    rb_trace_free(&tr);
    CHECK_INT(rb_trace_burst(&tr, 8, 0, 0, &e), 0);
    CHECK_INT(rb_serve_simulate(RB_SCN_OFFLINE, &tr, &p, rb_serve_target_service, &st, &r, &e), 0);
    CHECK_INT(r.batch_count[4], 2);
    CHECK_NEAR(r.last, 2 * s4, s4 * 1e-9);
    rb_trace_free(&tr);
    rb_serve_target_free(&st);

    CHECK_INT(rb_serve_target_init(&st, &cpu, 1, &m, &w, 2, &e), 0);
    double none;
    CHECK_INT(rb_serve_target_service(&st, 1, &none, &e), RB_EINPUT); /* measured: no model */
    CHECK_INT(rb_serve_target_warm(&st, &e), 0);
    CHECK_INT(rb_trace_poisson(&tr, 500, 100, 3, &e), 0);
    rb_batch_policy two = {2, 0}; /* the sizes the server was made for */
    CHECK_INT(rb_serve_live(RB_SCN_SERVER, &tr, &two, rb_serve_target_run, &st, &r, NULL, &e), 0);
    CHECK_INT(r.queries, 100);
    CHECK(r.batch_count[1] + 2 * r.batch_count[2] == 100);
    CHECK(rb_hist_quantile(h, 0.0) > 0);
    printf("  cpu serving 500 queries/s: p50 %.3f ms, p99 %.3f ms, %zu batches\n",
           rb_hist_quantile(h, 0.5) * 1e3, rb_hist_quantile(h, 0.99) * 1e3, r.batches);
    rb_trace_free(&tr);
    rb_serve_target_free(&st);
    rb_model_free(&m);
}

int main(void)
{
    rb_hist *h = malloc(sizeof *h);
    if (!h)
        return 1;
    test_batching(h);
    test_coordinated_omission(h);
    test_targets(h);
    free(h);
    return rb_test_done("test_serve_live");
}
