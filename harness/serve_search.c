/* serve_search.c — the largest rate within a latency bound (serving.h). */
#include <math.h>

#include "serving.h"

#define MAX_STEPS 60
/* Halving stops 2^10 below the first guess: a bound missed even there is
 * missed by one query alone, not by load. */
#define MAX_HALVINGS 10

int rb_serve_max_qps(rb_qps_eval_fn eval, void *ctx, double slo_s, double guess_qps, uint64_t seed,
                     double *qps, rb_err *e)
{
    *qps = 0;
    if (!(slo_s > 0) || !(guess_qps > 0))
        return rb_errf(e, RB_EINPUT, "a rate search needs a bound and a first rate above 0");
    double p99, lo = 0, hi = 0, q = guess_qps;
    int rc = 0, steps = 0, halvings = 0;
    /* bracket: lo meets the bound, hi does not */
    while (!rc && (lo == 0 || hi == 0) && steps++ < MAX_STEPS && halvings <= MAX_HALVINGS) {
        if ((rc = eval(ctx, q, seed, &p99, e)))
            break;
        if (p99 <= slo_s) {
            lo = q;
            q *= 2;
        } else {
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
