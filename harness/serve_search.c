/* serve_search.c — the largest rate within a latency bound (serving.h). */
#include <math.h>

#include "serving.h"

#define MAX_STEPS 60
/* Halving stops 2^10 below the first guess: a bound missed even there is
 * missed by one query alone, not by load. */
#define MAX_HALVINGS 10

int rb_serve_tail_check(const rb_serve_result *s, double qps, rb_err *e)
{
    /* Queries served alone whose service exceeds the bound in more than 1 %
     * of them (of at least 100): the service's own tail (a slow device, a
     * loaded machine) misses the p99 bound at any rate, and halving on (each
     * probe longer, at --min-queries) would only take time.  A tail made by
     * queueing is not this: its queries are served in time, after waiting. */
    double alone = (double)s->batch_count[1];
    if (alone >= 100 && (double)s->slow > 0.01 * alone)
        return rb_errf(e, RB_EUNAVAIL,
                       "no rate meets the %.3g ms bound: at %.3g queries/s, %.1f%% of the "
                       "queries served alone took longer than it (the service's own tail: a "
                       "lower rate would miss it too)",
                       s->slow_s * 1e3, qps, 100.0 * (double)s->slow / alone);
    return 0;
}

int rb_serve_max_qps(rb_qps_eval_fn eval, void *ctx, double slo_s, double guess_qps, uint64_t seed,
                     double *qps, rb_err *e)
{
    *qps = 0;
    if (!(slo_s > 0) || !(guess_qps > 0))
        return rb_errf(e, RB_EINPUT, "a rate search needs a bound and a first rate above 0");
    double p99, lo = 0, hi = 0, q = guess_qps, missed = 0;
    int rc = 0, steps = 0, halvings = 0, flat = 0;
    /* bracket: lo meets the bound, hi does not */
    while (!rc && (lo == 0 || hi == 0) && steps++ < MAX_STEPS && halvings <= MAX_HALVINGS) {
        if ((rc = eval(ctx, q, seed, &p99, e)))
            break;
        if (p99 <= slo_s) {
            lo = q;
            q *= 2;
        } else if (lo == 0 && missed > 0 && p99 >= missed && ++flat == 2) {
            /* Halving the rate twice in a row did not lower the p99: what
             * misses the bound is not queueing but what a query costs
             * alone (waiting out the batch timeout, its service and the
             * service's tail), which a lower rate does not shorten — and
             * each halving doubles a run's length at --min-queries.  Twice,
             * because a measured p99 has noise: a p99 that declines slowly
             * towards the bound (the fpga's at 8.2 ms a query under 10 ms)
             * may rise once by chance, not twice. */
            return rb_errf(e, RB_EUNAVAIL,
                           "no rate meets the %.3g ms bound: halving the rate twice, to %.3g "
                           "queries/s, did not lower the p99 (%.3g ms; %.3g ms at twice the "
                           "rate): what misses it is not queueing but a query's own time "
                           "(batch timeout, service and its tail)",
                           slo_s * 1e3, q, p99 * 1e3, missed * 1e3);
        } else {
            flat = lo == 0 && missed > 0 && p99 >= missed ? flat : 0;
            missed = p99;
            hi = q;
            q /= 2;
            halvings++;
        }
    }
    if (!rc && lo == 0)
        return rb_errf(e, RB_EUNAVAIL,
                       "no rate meets the %.3g ms bound: even %.3g queries/s miss it (one query "
                       "alone takes longer)",
                       slo_s * 1e3, hi);
    if (!rc && hi == 0)
        return rb_errf(e, RB_ERUNTIME, "the rate search found no rate that misses the bound");
    while (!rc && hi / lo > 1.005 && steps++ < MAX_STEPS) {
        double mid = sqrt(lo * hi);
        if ((rc = eval(ctx, mid, seed, &p99, e)))
            break;
        if (p99 <= slo_s)
            lo = mid;
        else
            hi = mid;
    }
    /* confirmation on another trace: a rate that met the bound by the luck
     * of one seed steps down until it holds */
    for (int k = 0; !rc && k < 40; k++) {
        if ((rc = eval(ctx, lo, seed ^ 0xC0FFEE5EEDull, &p99, e)))
            break;
        if (p99 <= slo_s) {
            *qps = lo;
            return 0;
        }
        lo *= 0.995;
    }
    return rc ? rc : rb_errf(e, RB_ERUNTIME, "the rate search could not confirm a rate");
}
