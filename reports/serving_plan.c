/* serving_plan.c — the serving decision: for a load of Q queries/s, how
 * many devices of each target serve it within the p99 bound, and at what
 * energy per 1000 queries.
 *
 * A server-scenario result searched the largest arrival rate whose p99
 * meets its bound (max_qps): one device serves that much, so Q needs
 * ceil(Q / max_qps) of them, assuming the load is split evenly (each
 * device then sees Poisson arrivals at Q / n, at most its max_qps).
 * Without --qps the plan ranks by that capacity.  The choice: the fewest
 * devices, then the least energy per query; a measured figure and a
 * simulated or modeled one are compared as they are, and the text says
 * which is which.  Where a person priced the devices (run --price), the
 * cost per million queries is the hourly price of the devices that serve
 * the load over the queries they serve in an hour, and when every
 * candidate has a price the plan ranks by it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static int by_plan(const void *pa, const void *pb, void *ctx)
{
    const rb_serve_plan_row *a = pa, *b = pb;
    const rb_recommendation *rec = ctx;
    int qa = a->rank >= 0, qb = b->rank >= 0; /* rank -1: cannot serve */
    if (qa != qb)
        return qa ? -1 : 1;
    if (rec->priced && a->cost_per_m != b->cost_per_m)
        return a->cost_per_m < b->cost_per_m ? -1 : 1;
    if (isfinite(rec->opts.qps) && a->devices != b->devices)
        return a->devices < b->devices ? -1 : 1;
    if (!isfinite(rec->opts.qps) && a->capacity_qps != b->capacity_qps)
        return a->capacity_qps > b->capacity_qps ? -1 : 1;
    if (isfinite(a->j_per_1000) != isfinite(b->j_per_1000))
        return isfinite(a->j_per_1000) ? -1 : 1;
    if (isfinite(a->j_per_1000) && a->j_per_1000 != b->j_per_1000)
        return a->j_per_1000 < b->j_per_1000 ? -1 : 1;
    return a->result < b->result ? -1 : a->result > b->result;
}

/* The price a person gave a device (a resource of source "user"), or NaN. */
static double price_of(const rb_rep_device *d)
{
    for (int k = 0; k < d->n_resources; k++)
        if (!strcmp(d->resources[k].name, "price_per_hour"))
            return d->resources[k].value;
    return NAN;
}

int rb_serving_plan(const rb_report *r, rb_recommendation *rec, rb_err *e)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_results; i++)
        n += r->results[i].w.serve.scenario == RB_SCN_SERVER;
    rec->serving[0] = 0;
    if (!n)
        return 0;
    if (!(rec->serve = calloc(n, sizeof *rec->serve)))
        return rb_errf(e, RB_ENOMEM, "report: out of memory for the serving plan");
    double q = rec->opts.qps;
    int priced = 1;
    for (size_t i = 0; i < r->n_results; i++) {
        const rb_rep_result *x = &r->results[i];
        if (x->w.serve.scenario != RB_SCN_SERVER)
            continue;
        rb_serve_plan_row *p = &rec->serve[rec->n_serve++];
        p->result = i;
        p->capacity_qps = x->max_qps;
        p->p99_ms = x->p99_ms;
        p->j_per_1000 = isfinite(x->energy_j) ? 1000 * x->energy_j : NAN;
        int ok = !strcmp(x->status, "ok") && isfinite(x->max_qps) && x->max_qps > 0 &&
                 !(isfinite(rec->opts.slo_ms) && !(x->w.serve.slo_us * 1e-3 <= rec->opts.slo_ms));
        p->devices = ok && isfinite(q) ? (int)fmin(ceil(q / x->max_qps), 1e9) : 0;
        p->rank = ok ? 0 : -1;
        p->price_per_h = price_of(&r->devices[x->device]);
        p->cost_per_m = !ok          ? NAN
                        : p->devices ? p->devices * p->price_per_h / (q * 3600) * 1e6
                                     : p->price_per_h / (x->max_qps * 3600) * 1e6;
        priced &= !ok || isfinite(p->cost_per_m);
    }
    rec->priced = priced;
    qsort_r(rec->serve, rec->n_serve, sizeof *rec->serve, by_plan, rec);
    for (size_t k = 0; k < rec->n_serve; k++)
        rec->serve[k].rank = rec->serve[k].rank < 0 ? 0 : (int)k + 1;

    const rb_serve_plan_row *best = rec->n_serve && rec->serve[0].rank ? &rec->serve[0] : NULL;
    if (!best) {
        snprintf(rec->serving, sizeof rec->serving,
                 "Serving: no target's server result has a rate within its bound%s.",
                 isfinite(rec->opts.slo_ms) ? " that is as tight as --slo-ms" : "");
        return 0;
    }
    const rb_rep_result *x = &r->results[best->result];
    const rb_rep_device *d = &r->devices[x->device];
    char energy[160] = "";
    int at = 0;
    if (isfinite(best->j_per_1000))
        at = snprintf(energy, sizeof energy, "; %.3g J per 1000 queries (%s)", best->j_per_1000,
                      x->energy_source);
    if (isfinite(best->cost_per_m))
        snprintf(energy + at, sizeof energy - (size_t)at,
                 "; %.4g per million queries at %.4g per device-hour (a price given)",
                 best->cost_per_m, best->price_per_h);
    double slo = x->w.serve.slo_us * 1e-3;
    if (isfinite(q))
        snprintf(rec->serving, sizeof rec->serving,
                 "Serving %.200s at %g queries/s with p99 ≤ %g ms: %s, %d device%s (each serves "
                 "up to %.4g queries/s within the bound, p99 %.3g ms at that load)%s; its latency "
                 "is %s.",
                 x->w.key, q, slo, d->target, best->devices, best->devices == 1 ? "" : "s",
                 best->capacity_qps, best->p99_ms, energy, x->latency_source);
    else
        snprintf(rec->serving, sizeof rec->serving,
                 "Serving %.200s with p99 ≤ %g ms: %s serves the most per device, %.4g queries/s "
                 "within the bound (p99 %.3g ms at that load)%s; its latency is %s.",
                 x->w.key, slo, d->target, best->capacity_qps, best->p99_ms, energy,
                 x->latency_source);
    return 0;
}
