/* serve_measure.c — one target serving one scenario point (measure.h).
 *
 * First the point is run as any other, once, through rb_measure: the
 * output is checked against the reference and everything that can refuse
 * a point (an unsupported feature, a failed load) refuses it here, with
 * the usual statuses.  Then the target serves the scenario's queries: a
 * measured target (cpu, gpu) under the real load generator (serve_live.c),
 * a simulated or modeled one (fpga, asic) through the event simulation of
 * the same server (serve_sim.c) with its own latency per batch size.  The
 * result's latency quantiles are then those of every query (completion
 * minus scheduled arrival), its repetitions the queries, and its energy
 * per query. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "host.h"
#include "measure.h"
#include "serve_target.h"
#include "signals.h"

#define TRACE_SEED 0x5e7ede5eedull

typedef struct serving {
    rb_serve_target st;
    const rb_serve_spec *spec;
    const rb_measure_opts *o;
    rb_batch_policy pol;
    int live;            /* measured: the load generator; else the event simulation */
    rb_serve_result res; /* the last run's */
    rb_served *out;      /* the load points go here */
    double started;      /* for --timeout-s */
    rb_energy_meter *meter;
    double meter_j, meter_s; /* around the last run; meter_j < 0: none */
    int met;                 /* the rate search has met the bound at some rate */
} serving;

static size_t trace_len(const serving *v, double qps)
{
    return rb_trace_len(qps, v->o->serve_duration_s, v->o->serve_min_queries);
}

static int run_trace(serving *v, const rb_trace *tr, rb_err *e)
{
    rb_scenario scn = (rb_scenario)v->spec->scenario;
    if (!v->live)
        return rb_serve_simulate(scn, tr, &v->pol, rb_serve_target_service, &v->st, &v->res, e);
    int metering = v->meter && v->meter->source && !v->meter->start(v->meter);
    double t0 = rb_now_s();
    int rc = rb_serve_live(scn, tr, &v->pol, rb_serve_target_run, &v->st, &v->res, NULL, e);
    v->meter_j = metering ? v->meter->stop(v->meter) : -1;
    v->meter_s = rb_now_s() - t0;
    return rc;
}

static void add_load_point(serving *v, double offered)
{
    rb_served *o = v->out;
    if (o->n_load >= RB_MAX_LOAD_POINTS)
        return;
    const rb_serve_result *r = &v->res;
    double span = r->last - r->first;
    o->load[o->n_load++] = (rb_load_point){offered, span > 0 ? r->queries / span : NAN,
                                           rb_hist_quantile(r->lat, 0.5) * 1e3,
                                           rb_hist_quantile(r->lat, 0.99) * 1e3, r->queries};
}

static int out_of_time(const serving *v, rb_err *e)
{
    if (rb_interrupted())
        return rb_errf(e, RB_EINTR, "interrupted");
    if (rb_now_s() - v->started > v->o->timeout_s)
        return rb_errf(e, RB_ETIMEOUT, "stopped by --timeout-s %g while serving", v->o->timeout_s);
    return 0;
}

/* Poisson arrivals at qps from seed through the server. */
static int run_server(serving *v, double qps, uint64_t seed, rb_err *e)
{
    rb_trace tr = {0};
    int rc = out_of_time(v, e);
    if (!rc)
        rc = rb_trace_poisson(&tr, qps, trace_len(v, qps), seed, e);
    if (!rc)
        rc = run_trace(v, &tr, e);
    rb_trace_free(&tr);
    if (!rc)
        add_load_point(v, qps);
    return rc;
}

/* rb_qps_eval_fn for the rate search. */
static int eval_rate(void *ctx, double qps, uint64_t seed, double *p99, rb_err *e)
{
    serving *v = ctx;
    int rc = run_server(v, qps, seed, e);
    *p99 = rc ? NAN : rb_hist_quantile(v->res.lat, 0.99);
    if (!rc && *p99 <= v->spec->slo_us * 1e-6)
        v->met = 1;
    else if (!rc && !v->met)
        rc = rb_serve_tail_check(&v->res, qps, e);
    return rc;
}

/* How long a batch of n takes, roughly: the model's figure, or one timed
 * batch on a measured target (warmed already). */
static int batch_time(serving *v, int n, double *s, rb_err *e)
{
    if (!v->live)
        return rb_serve_target_service(&v->st, n, s, e);
    double t0 = rb_now_s();
    int rc = rb_serve_target_run(&v->st, n, e);
    *s = rb_now_s() - t0;
    return rc;
}

/* The scenario's runs; v->res holds the reported one. */
static int serve(serving *v, rb_result *r, rb_err *e)
{
    const rb_serve_spec *sp = v->spec;
    double slo = sp->slo_us * 1e-6, s1, smax;
    int rc = batch_time(v, 1, &s1, e);
    if (!rc)
        rc = batch_time(v, v->pol.max_batch, &smax, e);
    if (rc)
        return rc;
    double capacity = v->pol.max_batch / (smax > 0 ? smax : 1e-9);
    rb_trace tr = {0};
    switch (sp->scenario) {
    case RB_SCN_SINGLE_STREAM: {
        double n = v->o->serve_duration_s / (s1 > 0 ? s1 : 1e-9);
        if (n < v->o->serve_min_queries)
            n = v->o->serve_min_queries;
        rc = rb_trace_burst(&tr, n > 5e7 ? 50000000 : (size_t)n, 1, 0, e);
        break;
    }
    case RB_SCN_MULTI_STREAM: {
        double queries = v->o->serve_duration_s / slo;
        if (queries * sp->streams < v->o->serve_min_queries)
            queries = ceil((double)v->o->serve_min_queries / sp->streams);
        r->offered_qps = sp->streams / slo;
        rc = rb_trace_burst(&tr, (size_t)queries * (size_t)sp->streams, sp->streams, slo, e);
        break;
    }
    case RB_SCN_OFFLINE: rc = rb_trace_burst(&tr, trace_len(v, capacity), 0, 0, e); break;
    case RB_SCN_STREAMING: {
        /* a step of every stream each interval, for --duration-s */
        double steps = v->o->serve_duration_s * sp->qps;
        if (steps * sp->streams < v->o->serve_min_queries)
            steps = ceil((double)v->o->serve_min_queries / sp->streams);
        r->offered_qps = (double)sp->streams * sp->qps;
        rc = rb_trace_burst(&tr, (size_t)steps * (size_t)sp->streams, sp->streams, 1.0 / sp->qps,
                            e);
        break;
    }
    case RB_SCN_SERVER: {
        double q = sp->qps;
        if (slo > 0) {
            /* from half the batched capacity: the search brackets from there */
            rc = rb_serve_max_qps(eval_rate, v, slo, 0.5 * capacity, TRACE_SEED, &r->max_qps, e);
            if (rc == RB_EUNAVAIL) {
                snprintf(r->message, sizeof r->message, "%.400s", e->msg);
                r->max_qps = 0;
                rc = 0;
                if (!q) /* latency at half the unbatched capacity, for what it is */
                    q = 0.5 / (s1 > 0 ? s1 : 1e-9);
            }
            if (!rc && !q) {
                /* the search ended on the confirmation run at max_qps, which
                 * met the bound: that run is the result (a measured one
                 * again would differ by its noise) */
                r->offered_qps = r->max_qps;
                return 0;
            }
        }
        if (!rc) {
            r->offered_qps = q;
            rc = run_server(v, q, TRACE_SEED, e);
        }
        return rc;
    }
    default: return rb_errf(e, RB_EINPUT, "%s: not a serving scenario", r->w->key);
    }
    if (!rc && !(rc = out_of_time(v, e)))
        rc = run_trace(v, &tr, e);
    if (!rc)
        add_load_point(v, isfinite(r->offered_qps) ? r->offered_qps : 0);
    rb_trace_free(&tr);
    return rc;
}

/* Streaming on a target that keeps its states: the point's sequence fed a
 * step per call must give the whole sequence's outputs (a state lost or
 * reset between calls shows at once), held to the same bound. */
static int check_stream(serving *v, const rb_point *p, rb_result *r, rb_err *e)
{
    size_t ny = (size_t)p->w->seq * p->w->batch * rb_workload_y_width(p->w);
    float *y = malloc(ny * sizeof *y);
    if (!y)
        return rb_errf(e, RB_ENOMEM, "%s: out of memory for the streaming check", p->w->key);
    int rc = rb_serve_target_stream(&v->st, p->x, y, e);
    if (!rc && p->y_ref) {
        rb_errstat es;
        rb_compare(y, p->y_ref, ny, &es);
        rb_result_metric(r, "stream_err_max_rel", es.max_rel, "", RB_SRC_MEASURED);
        if (es.nonfinite || es.max_rel > r->err_max_rel)
            rb_measure_judge(r, &es, rb_fp32_tolerance(p->w, 0), "outputs fed a step per call");
    } else if (rc == RB_EUNAVAIL) {
        char m[320];
        snprintf(m, sizeof m,
                 "state between steps not checked: %.200s (a step's time is a one-step call's)",
                 e->msg);
        rb_result_note(r, m);
        rb_err_clear(e);
        rc = 0;
    }
    free(y);
    return rc;
}

/* The result's figures from the reported run. */
static void served_figures(serving *v, const rb_target *t, rb_result *r)
{
    const rb_serve_result *s = &v->res;
    const rb_hist *h = s->lat;
    double span = s->last - s->first, slo = v->spec->slo_us * 1e-6;
    for (int i = 0; i < RB_N_FIGURES; i++)
        r->fig[i] = rb_figure_table[i].from == RB_FROM_QUANTILE
                        ? rb_hist_quantile(h, rb_figure_table[i].q) * 1e3
                    : rb_figure_table[i].from == RB_FROM_REPS ? NAN
                                                              : r->fig[i];
    r->min_ms = rb_hist_quantile(h, 0) * 1e3;
    r->max_ms = h->max_s * 1e3;
    r->mean_ms = rb_hist_mean(h) * 1e3;
    r->reps = (int)(s->queries < 0x7fffffff ? s->queries : 0x7fffffff);
    if (span > 0) {
        /* a query is one sequence, or one step of it when streaming */
        double steps = v->st.stream_len ? v->st.stream_len : 1;
        r->achieved_qps = s->queries / span;
        r->throughput_sps = r->achieved_qps / steps;
        r->gflops = rb_workload_flops(r->w) / steps * r->achieved_qps * 1e-9;
        r->busy_frac = s->busy_s / span;
    }
    if (slo > 0) {
        uint64_t over = 0;
        for (size_t k = 0; k < RB_HIST_SLOTS; k++) {
            double lo, hi;
            rb_hist_slot_range(k, &lo, &hi);
            if (lo > slo)
                over += h->count[k];
        }
        r->over_slo_frac = h->n ? (double)over / h->n : NAN;
    }

    /* energy per query: the target's own per batch, else the meter around
     * the run (the whole package or board, idle time included: what it drew
     * at this load), else the power model over the busy time */
    double own = 0;
    const char *src = NULL;
    for (int n = 1; !v->live && n <= v->pol.max_batch; n++) {
        const char *sn;
        double j = rb_serve_target_energy(&v->st, n, &sn);
        if (s->batch_count[n] && j < 0) {
            src = NULL;
            break;
        }
        if (s->batch_count[n]) {
            own += j * s->batch_count[n];
            src = sn;
        }
    }
    r->energy_j = NAN;
    r->energy_source = r->energy_boundary = NULL;
    if (rb_power_is_user(&t->info) && s->queries) {
        rb_result_power_energy(r, &t->info, s->busy_s / s->queries);
    } else if (src && s->queries) {
        r->energy_j = own / s->queries;
        r->energy_source = src;
        r->energy_boundary = t->info.power_boundary;
    } else if (v->meter_j >= 0 && s->queries) {
        r->energy_j = v->meter_j / s->queries;
        r->energy_source = v->meter->source;
        r->energy_boundary = v->meter->boundary;
        rb_result_metric(r, "meter_avg_power_w", v->meter_j / v->meter_s, "W", v->meter->source);
    } else if (t->info.power_w > 0 && s->queries) {
        rb_result_power_energy(r, &t->info, s->busy_s / s->queries);
    }
    const char *how = v->live ? RB_SRC_MEASURED : r->latency_source;
    rb_result_metric(r, "batches", (double)s->batches, "batches", how);
    if (s->batches)
        rb_result_metric(r, "mean_batch", (double)s->queries / s->batches, "queries", how);
    rb_result_metric(r, "serve_threads", v->st.threads, "threads", RB_SRC_MEASURED);
}

int rb_measure_serving(rb_target *t, const rb_instance *in, rb_point *p, const rb_measure_opts *o,
                       rb_energy_meter *meter, rb_result *r, rb_err *e)
{
    /* the checked call: statuses, errors against the reference, load time */
    rb_measure_opts once = *o;
    once.warmup = 1;
    once.min_reps = once.max_reps = 1;
    once.min_time_s = 0;
    int rc = rb_measure(t, p, &once, NULL, r, e);
    if (rc || strcmp(r->status, RB_STATUS_OK) || !r->latency_source) {
        if (!rc) /* a refused point has no latency figures at all */
            for (int i = 0; i < RB_N_FIGURES; i++)
                if (rb_figure_table[i].from != RB_FROM_REFERENCE)
                    r->fig[i] = NAN;
        return rc;
    }
    free(r->samples_ms); /* one call's; the figures will be of every query */
    r->samples_ms = NULL;

    serving *v = calloc(1, sizeof *v);
    rb_hist *lat = malloc(sizeof *lat);
    r->served = calloc(1, sizeof *r->served);
    if (!v || !lat || !r->served) {
        free(v);
        free(lat);
        return rb_errf(e, RB_ENOMEM, "%s: out of memory for serving", p->w->key);
    }
    v->spec = &p->w->serve;
    v->o = o;
    v->pol = (rb_batch_policy){v->spec->max_batch, v->spec->timeout_us * 1e-6};
    v->live = !strcmp(r->latency_source, RB_SRC_MEASURED);
    v->res.lat = lat;
    v->res.slow_s = v->spec->slo_us * 1e-6;
    v->out = r->served;
    v->started = rb_now_s();
    v->meter = meter;
    v->meter_j = -1;
    /* the load generator's issuer spins on a CPU of its own */
    int threads = o->serve_threads;
    if (!threads) {
        threads = rb_host_default_threads() - 1;
        threads = threads < 1 ? 1 : threads;
    }
    rc = rb_serve_target_init(&v->st, in, v->live ? threads : t->threads, &p->model, p->w,
                              v->spec->max_batch, e);
    if (!rc && v->st.stream_len)
        rc = check_stream(v, p, r, e);
    if (!rc && strcmp(r->status, RB_STATUS_OK)) /* the streamed outputs were wrong */
        goto done;
    if (!rc && v->live)
        rc = rb_serve_target_warm(&v->st, e);
    if (!rc)
        rc = serve(v, r, e);
    if (!rc) {
        r->threads = v->st.threads;
        r->served->threads = v->st.threads;
        served_figures(v, t, r);
        memcpy(&r->served->lat, lat, sizeof *lat);
        memcpy(r->served->batch_count, v->res.batch_count, sizeof r->served->batch_count);
    } else if (rc == RB_ETIMEOUT || rc == RB_EUNAVAIL || rc == RB_ERUNTIME) {
        /* a result too: what was refused or failed, and why */
        snprintf(r->message, sizeof r->message, "%.400s", e->msg);
        r->status = rc == RB_ETIMEOUT   ? RB_STATUS_TIMEOUT
                    : rc == RB_EUNAVAIL ? RB_STATUS_UNSUPPORTED
                                        : RB_STATUS_FAILED;
        for (int i = 0; i < RB_N_FIGURES; i++)
            if (rb_figure_table[i].from != RB_FROM_REFERENCE)
                r->fig[i] = NAN;
        r->reps = 0;
        rc = 0;
    }
done:
    rb_serve_target_free(&v->st);
    free(lat);
    free(v);
    return rc;
}
