/* serving.h — inference under load: arrival traces, the batching policy,
 * the latency histogram and the discrete-event simulation of a server.
 *
 * A scenario (MLPerf Inference's names) is a schedule of queries; a server
 * takes them from a queue in batches and runs one batch at a time.  The
 * batching policy (rb_batch_decide) is the one piece of code every engine
 * uses: the event simulation here, for simulated and modeled targets whose
 * per-batch service time comes from their model, and the real load
 * generator for measured targets.  A query's latency is its completion
 * time minus its *scheduled* arrival: a stall that delays the queries
 * behind it shows in theirs (no coordinated omission). */
#ifndef RB_SERVING_H
#define RB_SERVING_H

#include <stddef.h>
#include <stdint.h>

#include "../workloads/rb_err.h"
#include "../workloads/scenario.h"

/* Dynamic batching as inference servers do it: a batch closes when it is
 * full or when its oldest query has waited timeout_s. */
typedef struct rb_batch_policy {
    int max_batch;    /* >= 1 */
    double timeout_s; /* >= 0; 0: a free server takes what is queued at once */
} rb_batch_policy;

/* The batcher's decision at time now, with the server free and queued >= 1
 * queries waiting, the oldest since oldest: the number to take now (up to
 * max_batch), or 0 to wait; when waiting, *until is when the oldest's
 * timeout expires (the batcher decides again then, or at the next arrival,
 * whichever is first). */
int rb_batch_decide(const rb_batch_policy *p, size_t queued, double oldest, double now,
                    double *until);

/* An arrival schedule: query i arrives at t[i] (seconds, ascending). */
typedef struct rb_trace {
    double *t;
    size_t n;
} rb_trace;

/* Queries in a trace at qps: duration_s of them, at least min_queries,
 * at most 5e7 (what every scenario's run, live or estimated, uses). */
size_t rb_trace_len(double qps, double duration_s, int min_queries);
/* Poisson arrivals at qps for n queries, from a seed (exponential gaps by
 * inversion of splitmix64 uniforms: the same trace on every machine). */
int rb_trace_poisson(rb_trace *tr, double qps, size_t n, uint64_t seed, rb_err *e);
/* n queries at one instant (offline), or groups of `streams` queries every
 * interval_s (multi-stream). */
int rb_trace_burst(rb_trace *tr, size_t n, int streams, double interval_s, rb_err *e);
void rb_trace_free(rb_trace *tr);

/* Latencies in a log-bucketed histogram (HdrHistogram's scheme): values in
 * nanoseconds, exact below 2048 ns, then 1024 buckets per power of two, so
 * every value is kept to 3 significant digits (relative error < 1/1024)
 * up to ~10^15 ns, in a fixed 336 KiB (allocate it, do not put it on the
 * stack). */
#define RB_HIST_OCTAVES 40
#define RB_HIST_SLOTS (2048 + RB_HIST_OCTAVES * 1024)
typedef struct rb_hist {
    uint64_t count[RB_HIST_SLOTS];
    uint64_t n;
    double sum_s, max_s;
} rb_hist;

void rb_hist_reset(rb_hist *h);
void rb_hist_add(rb_hist *h, double seconds);
/* The q quantile (0..1), seconds: the smallest bucket's value with at least
 * q of the counts at or below it; NaN when empty. */
double rb_hist_quantile(const rb_hist *h, double q);
double rb_hist_mean(const rb_hist *h);
/* Slot s's range of values, seconds: [lo, hi] (for storing the non-empty
 * slots). */
void rb_hist_slot_range(size_t s, double *lo_s, double *hi_s);

/* The service time of one batch of n queries (1..max_batch), seconds:
 * called for every batch, in order; a target's adapter answers from its
 * model (and caches it per n), a test may draw it at random. */
typedef int (*rb_service_fn)(void *ctx, int n, double *seconds, rb_err *e);

#define RB_SERVE_MAX_BATCH RB_SCN_MAX_BATCH

typedef struct rb_serve_result {
    rb_hist *lat;             /* latency of every query (caller's; reset here) */
    size_t queries;           /* completed */
    double first, last;       /* first arrival, last completion (s) */
    double busy_s;            /* time the server was computing */
    uint64_t batch_count[RB_SERVE_MAX_BATCH + 1]; /* batches of n queries */
    size_t batches;
    /* in: a batch of one query whose service takes longer than slow_s (> 0)
     * counts in slow: beyond 1 % of them, the service's own tail misses a
     * p99 bound of slow_s at any rate (kept across runs, like lat) */
    double slow_s;
    size_t slow;
} rb_serve_result;

/* The trace through one server with policy p: every query's latency,
 * batch sizes, busy time.  Single-stream is closed-loop (the next query is
 * issued when the previous completes) and ignores tr's times past the
 * first; the others follow tr. */
int rb_serve_simulate(rb_scenario scn, const rb_trace *tr, const rb_batch_policy *p,
                      rb_service_fn service, void *ctx, rb_serve_result *r, rb_err *e);

/* Server mode's figure: the largest arrival rate whose p99 latency meets a
 * bound, as MLPerf's server scenario finds it — brackets by doubling or
 * halving from a first guess (down to 2^-10 of it), bisects to 0.5 %, then
 * confirms the answer on a trace of another seed, stepping down 0.5 % at a
 * time until it holds.  RB_EUNAVAIL when no rate meets the bound, or when
 * halving the rate twice in a row did not lower the p99 (the floor is above
 * the bound).
 * eval() runs a trace at qps from seed and gives its p99. */
typedef int (*rb_qps_eval_fn)(void *ctx, double qps, uint64_t seed, double *p99_s, rb_err *e);
int rb_serve_max_qps(rb_qps_eval_fn eval, void *ctx, double slo_s, double guess_qps, uint64_t seed,
                     double *qps, rb_err *e);

/* After a run at qps missed the bound before any run met it: RB_EUNAVAIL
 * when more than 1 % of at least 100 queries served alone took longer
 * than the bound (s->slow_s) — the service's own tail, which a lower rate
 * cannot help — else 0.  The rate search's eval() calls it. */
int rb_serve_tail_check(const rb_serve_result *s, double qps, rb_err *e);

/* Run one batch of n queries on the device now; return when it is done. */
typedef int (*rb_batch_run_fn)(void *ctx, int n, rb_err *e);

/* The trace through a real server (serve_live.c): an issuing thread
 * releases queries at their scheduled times, the calling thread batches
 * with p and runs each batch through run().  Latency is completion minus
 * the scheduled arrival; late (may be NULL) receives every release's
 * lateness against the schedule, the load generator's own precision.
 * Single-stream is closed-loop, as in the simulation. */
int rb_serve_live(rb_scenario scn, const rb_trace *tr, const rb_batch_policy *p,
                  rb_batch_run_fn run, void *ctx, rb_serve_result *r, rb_hist *late, rb_err *e);

#endif
