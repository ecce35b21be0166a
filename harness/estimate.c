/* estimate.c — how long a run will take (estimate.h). */
#include "estimate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../workloads/linsolve.h"
#include "clock.h"
#include "serving.h"
#include "stats.h"

/* The calibration points: single-layer LSTMs, I = H, each stressing one
 * term of the fit — the call itself, the steps, the arithmetic at batch 1
 * (matrix-vector, memory bound) and batched (matrix-matrix), weights beyond
 * the caches (37 MiB of W_hh at H = 1536), and for the
 * fpga both of its simulation modes (full below ~20 M lane-cycles, sampled
 * above).  Small enough that the whole calibration of the slowest target
 * (the RTL simulation) takes about a second. */
static const struct {
    int seq, hidden, batch;
} k_calib[] = {
    {1, 16, 1}, {48, 16, 1}, {16, 64, 4}, {4, 512, 1}, {8, 192, 8}, {2, 256, 32}, {2, 1536, 1},
};
#define N_CALIB (int)(sizeof k_calib / sizeof k_calib[0])
#define N_TERMS 5
_Static_assert(N_TERMS <= RB_LINSOLVE_MAX, "rb_linsolve's rows are too short");
#define REPEATS 3 /* timed calls of a measured target per calibration point (the median) */

/* Non-negative least squares in relative error (a 1 ms call misfit by
 * 1 ms counts as much as a 1 s call misfit by 1 s), for at most N_TERMS
 * terms: every subset of the terms is solved, the best one whose
 * coefficients are all >= 0 kept.  A negative cost per step or per FLOP
 * would make large points cheaper than small ones. */
static void fit(int n, int k, const double xin[][N_TERMS], const double *y, double *coef)
{
    double best = INFINITY, scale[N_TERMS], x[N_CALIB][N_TERMS];
    /* columns scaled to a largest value of 1: steps and FLOPs differ by 10^8 */
    for (int j = 0; j < k; j++) {
        scale[j] = 0;
        for (int i = 0; i < n; i++)
            scale[j] = fmax(scale[j], fabs(xin[i][j]));
        for (int i = 0; i < n; i++)
            x[i][j] = scale[j] > 0 ? xin[i][j] / scale[j] : 0;
    }
    memset(coef, 0, (size_t)k * sizeof *coef);
    for (unsigned set = 1; set < 1u << k; set++) {
        int idx[N_TERMS], m = 0;
        for (int j = 0; j < k; j++)
            if (set >> j & 1)
                idx[m++] = j;
        double a[N_TERMS][RB_LINSOLVE_MAX] = {{0}}, b[N_TERMS] = {0};
        for (int i = 0; i < n; i++) {
            double wgt = 1 / (y[i] * y[i]);
            for (int r = 0; r < m; r++) {
                b[r] += wgt * x[i][idx[r]] * y[i];
                for (int c = 0; c < m; c++)
                    a[r][c] += wgt * x[i][idx[r]] * x[i][idx[c]];
            }
        }
        if (rb_linsolve(m, a, b, 1e-12)) /* the columns are scaled to at most 1 */
            continue;
        int ok = 1;
        for (int r = 0; r < m; r++)
            ok &= b[r] >= 0 && isfinite(b[r]);
        if (!ok)
            continue;
        double err = 0;
        for (int i = 0; i < n; i++) {
            double p = 0;
            for (int r = 0; r < m; r++)
                p += b[r] * x[i][idx[r]];
            err += (p - y[i]) * (p - y[i]) / (y[i] * y[i]);
        }
        if (err < best) {
            best = err;
            memset(coef, 0, (size_t)k * sizeof *coef);
            for (int r = 0; r < m; r++)
                coef[idx[r]] = b[r];
        }
    }
    for (int j = 0; j < k; j++)
        coef[j] = scale[j] > 0 ? coef[j] / scale[j] : 0;
}

static double params_of(const rb_workload *w)
{
    double G = rb_cell_gates(w->cell), H = w->hidden, D = rb_workload_dirs(w);
    return D * G * H * (w->input + H) + (w->layers - 1) * D * G * H * (D * H + H);
}

struct rb_calibration {
    rb_workload w[N_CALIB]; /* the points' own: each rb_point keeps a pointer to its w */
    rb_point p[N_CALIB];    /* weights, input and fp64 reference, made once for every target */
    int n;                  /* points prepared */
};

void rb_calibration_free(rb_calibration *c)
{
    for (int k = 0; c && k < c->n; k++)
        rb_point_free(&c->p[k]);
    free(c);
}

int rb_calibration_new(uint64_t seed, rb_calibration **out, double ref[2], rb_err *e)
{
    rb_calibration *c = calloc(1, sizeof *c);
    *out = c;
    if (!c)
        return rb_errf(e, RB_ENOMEM, "out of memory for the calibration points");
    double x[N_CALIB][N_TERMS], y[N_CALIB];
    for (; c->n < N_CALIB; c->n++) {
        const int k = c->n;
        c->w[k] = rb_workload_of(RB_CELL_LSTM, RB_MODE_INFER, k_calib[k].seq, k_calib[k].batch,
                                 k_calib[k].hidden, k_calib[k].hidden, 1, 1);
        /* a point's preparation is what a run does once per point: its
         * time is the reference's, fitted over the FLOPs */
        double t0 = rb_now_s();
        int rc = rb_point_prepare(&c->p[k], &c->w[k], NULL, seed, 0, e);
        if (rc) {
            rb_point_free(&c->p[k]); /* what it made before failing */
            return rc;
        }
        y[k] = fmax(rb_now_s() - t0, 1e-7);
        x[k][0] = 1;
        x[k][1] = rb_workload_flops(&c->w[k]);
    }
    fit(N_CALIB, 2, (const double(*)[N_TERMS])x, y, ref);
    return 0;
}

/* One calibration point on t: its load and call times. */
static int time_point(rb_target *t, rb_point *p, int once, double *load_s, double *call_s,
                      rb_err *e)
{
    const rb_workload *w = p->w;
    size_t ny = (size_t)w->seq * w->batch * rb_workload_y_width(w);
    rb_tensor out = {malloc(ny * sizeof(float)),
                     3,
                     {(size_t)w->seq, (size_t)w->batch, (size_t)rb_workload_y_width(w), 0}};
    double t0 = rb_now_s();
    int rc = out.data ? rb_target_load(t, &p->model, w, e)
                      : rb_errf(e, RB_ENOMEM, "out of memory calibrating %s", t->instance);
    *load_s = rb_now_s() - t0;
    double s[REPEATS + 1];
    int n = 0;
    rb_sample smp;
    rb_sample_reset(&smp);
    /* a measured target: a warm-up call, then the median of REPEATS; a
     * simulated or modeled one caches a repeated input: its first call */
    for (int i = 0; !rc && i <= (once ? 0 : REPEATS); i++) {
        t0 = rb_now_s();
        rc = rb_target_forward(t, &p->batch, &out, &smp, e);
        s[n++] = rb_now_s() - t0;
    }
    if (!rc && n > 1) {
        qsort(s + 1, (size_t)n - 1, sizeof *s, rb_cmp_double);
        *call_s = s[1 + (n - 1) / 2];
    } else if (!rc)
        *call_s = s[0];
    rb_target_unload(t);
    free(out.data);
    return rc;
}

int rb_estimate_calibrate(rb_target *t, rb_calibration *cal, rb_call_model *m, rb_err *e)
{
    memset(m, 0, sizeof *m);
    m->once = strcmp(t->ops->method, RB_SRC_MEASURED) != 0;
    double x[N_CALIB][N_TERMS], y[N_CALIB], lx[N_CALIB][N_TERMS], ly[N_CALIB];
    for (int k = 0; k < cal->n; k++) {
        rb_call_work c;
        rb_err we = {0};
        if (rb_target_work(t, &cal->w[k], &c, &we))
            continue; /* beyond this target (an fpga configuration's size) */
        double load_s, call_s;
        int rc = time_point(t, &cal->p[k], m->once, &load_s, &call_s, e);
        if (rc == RB_EUNAVAIL) {
            rb_err_clear(e);
            continue;
        }
        if (rc)
            return rc;
        x[m->calls][0] = 1;
        x[m->calls][1] = c.steps;
        x[m->calls][2] = c.flops;
        x[m->calls][3] = c.bytes;
        x[m->calls][4] = c.sim;
        y[m->calls] = call_s > 1e-7 ? call_s : 1e-7;
        lx[m->calls][0] = 1;
        lx[m->calls][1] = params_of(&cal->w[k]);
        ly[m->calls] = load_s > 1e-7 ? load_s : 1e-7;
        m->calls++;
    }
    if (m->calls < 2)
        return rb_errf(e, RB_ERUNTIME, "%s: too few calibration calls ran (%d) to estimate times",
                       t->instance, m->calls);
    fit(m->calls, N_TERMS, (const double(*)[N_TERMS])x, y, m->call);
    fit(m->calls, 2, (const double(*)[N_TERMS])lx, ly, m->load);
    return 0;
}

double rb_estimate_reference_s(const double ref[2], const rb_workload *w)
{
    rb_workload check = *w;
    if (w->mode == RB_MODE_TRAIN)
        rb_train_check_workload(w, &check); /* forward, then backward: 3x its forward */
    return ref[0] + ref[1] * rb_workload_flops(&check);
}

/* One call of w at batch n (a serving point's batch of n queries; one
 * timestep of each when streaming). */
static int call_at(rb_target *t, const rb_call_model *m, const rb_workload *w, int n, double *s,
                   rb_err *e)
{
    rb_workload b = *w;
    b.batch = n;
    if (w->serve.scenario == RB_SCN_STREAMING)
        b.seq = 1;
    memset(&b.serve, 0, sizeof b.serve);
    /* without a target: a timestep loop doing the FLOPs and reading every
     * unit's W_hh (fp32) at every step, no cache assumed */
    const double steps = (double)b.seq * b.layers * rb_workload_dirs(&b) *
                         (b.mode == RB_MODE_TRAIN ? 2 : 1);
    rb_call_work c = {steps, rb_workload_flops(&b),
                      steps * 4.0 * rb_cell_gates(b.cell) * b.hidden * b.hidden, 0};
    int rc = t ? rb_target_work(t, &b, &c, e) : 0;
    if (!rc)
        *s = m->call[0] + m->call[1] * c.steps + m->call[2] * c.flops + m->call[3] * c.bytes +
             m->call[4] * c.sim;
    return rc;
}

/* A server's rate search (rb_serve_max_qps), run on the event simulation
 * with the fitted service times: the rates it would try, each load lasting
 * its trace's span as a live one does. */
typedef struct search {
    const rb_measure_opts *o;
    const rb_serve_spec *spec;
    const double *service; /* [max_batch + 1] */
    rb_serve_result res;
    double wall;
    int met; /* a run has met the bound */
} search;

static int service_of(void *ctx, int n, double *seconds, rb_err *e)
{
    (void)e;
    *seconds = ((const search *)ctx)->service[n];
    return 0;
}

static size_t trace_queries(const rb_measure_opts *o, double qps)
{
    return rb_trace_len(qps, o->serve_duration_s, o->serve_min_queries);
}

static int search_eval(void *ctx, double qps, uint64_t seed, double *p99, rb_err *e)
{
    (void)seed; /* one trace for every run: a confirmation run on another
                   seed meets the bound as the search's run did, as it
                   usually does live (fixed service times make a knee so
                   sharp that a second seed would walk the rate down) */
    search *s = ctx;
    rb_trace tr = {0};
    int rc = rb_trace_poisson(&tr, qps, trace_queries(s->o, qps), 0x5e7e5eedull, e);
    rb_batch_policy pol = {s->spec->max_batch, s->spec->timeout_us * 1e-6};
    if (!rc)
        rc = rb_serve_simulate(RB_SCN_SERVER, &tr, &pol, service_of, s, &s->res, e);
    rb_trace_free(&tr);
    if (!rc) {
        *p99 = rb_hist_quantile(s->res.lat, 0.99);
        s->wall += s->res.last - s->res.first;
        if (*p99 <= s->spec->slo_us * 1e-6)
            s->met = 1;
        else if (!s->met)
            rc = rb_serve_tail_check(&s->res, qps, e);
    }
    return rc;
}

/* A served point on a measured target: the loads its scenario runs live. */
static int served_live_s(const rb_workload *w, const rb_measure_opts *o, const double *service,
                         double *wall, rb_err *e)
{
    const rb_serve_spec *sp = &w->serve;
    double s1 = service[1], smax = service[sp->max_batch], slo = sp->slo_us * 1e-6;
    double capacity = sp->max_batch / fmax(smax, 1e-9);
    switch (sp->scenario) {
    case RB_SCN_SINGLE_STREAM:
        *wall = fmax(o->serve_duration_s / fmax(s1, 1e-9), o->serve_min_queries) * s1;
        return 0;
    case RB_SCN_MULTI_STREAM: {
        double q =
            fmax(o->serve_duration_s / slo, ceil((double)o->serve_min_queries / sp->streams));
        *wall = q * fmax(slo, service[sp->streams < sp->max_batch ? sp->streams : sp->max_batch]);
        return 0;
    }
    case RB_SCN_OFFLINE: *wall = (double)trace_queries(o, capacity) / capacity; return 0;
    case RB_SCN_STREAMING: {
        double steps =
            fmax(o->serve_duration_s * sp->qps, ceil((double)o->serve_min_queries / sp->streams));
        *wall = steps * fmax(1.0 / sp->qps,
                             service[sp->streams < sp->max_batch ? sp->streams : sp->max_batch]);
        return 0;
    }
    default: break;
    }
    /* the server */
    search s = {o, sp, service, {0}, 0, 0};
    int rc = 0;
    *wall = 0;
    if (slo > 0) {
        if (!(s.res.lat = malloc(sizeof *s.res.lat)))
            return rb_errf(e, RB_ENOMEM, "out of memory estimating %s", w->key);
        double qps;
        s.res.slow_s = slo;
        rc = rb_serve_max_qps(search_eval, &s, slo, 0.5 * capacity, 1, &qps, e);
        if (rc == RB_EUNAVAIL || rc == RB_ERUNTIME) /* it fails after the same loads */
            rb_err_clear(e), rc = 0;
        free(s.res.lat);
    }
    if (!rc && (sp->qps || !slo)) {
        double q = sp->qps ? sp->qps : 0.5 / fmax(s1, 1e-9);
        s.wall += (double)trace_queries(o, q) / q;
    }
    *wall = s.wall;
    return rc;
}

int rb_estimate_point(rb_target *t, const rb_call_model *m, const rb_workload *w,
                      const rb_measure_opts *o, double *seconds, rb_err *e)
{
    double call;
    int rc = call_at(t, m, w, w->batch, &call, e);
    if (rc)
        return rc;
    double load = m->load[0] + m->load[1] * params_of(w);
    if (w->serve.scenario) {
        /* the checked call (a warm-up and one repetition), then the
         * scenario: an instance per batch size, each loaded */
        const int nb = w->serve.max_batch;
        double service[RB_SCN_MAX_BATCH + 1] = {0}, loads = 0;
        for (int n = 1; n <= nb && !rc; n++) {
            rc = call_at(t, m, w, n, &service[n], e);
            loads += load;
        }
        if (rc)
            return rc;
        double serve = 0;
        if (m->once) /* each batch size's service time, computed once */
            for (int n = 1; n <= nb; n++)
                serve += service[n];
        else if ((rc = served_live_s(w, o, service, &serve, e)))
            return rc;
        /* --timeout-s stops a scenario's runs as it stops repetitions */
        *seconds = load + (m->once ? 1 : 2) * call + loads + fmin(serve, o->timeout_s);
        return 0;
    }
    if (m->once) {
        *seconds = load + call;
        return 0;
    }
    /* rb_measure's loop: at least min_reps and min_time_s, at most
     * max_reps, the --reps auto budget and the timeout */
    double reps = fmax(o->min_reps, ceil(o->min_time_s / fmax(call, 1e-9)));
    reps = fmin(reps, o->max_reps);
    if (o->budget_s > 0)
        reps = fmin(reps, fmax(1, ceil(o->budget_s / fmax(call, 1e-9))));
    double s = (o->warmup + reps) * call;
    *seconds = load + fmin(s, o->timeout_s + call);
    return 0;
}

const char *rb_estimate_describe(const rb_call_model *m, char *buf, size_t n)
{
    int at = snprintf(buf, n, "%.3g ms a call", m->call[0] * 1e3);
    if (m->call[1] > 0 && at < (int)n)
        at += snprintf(buf + at, n - (size_t)at, " + %.3g us a step", m->call[1] * 1e6);
    if (m->call[2] > 0 && at < (int)n)
        at += snprintf(buf + at, n - (size_t)at, " + a FLOP at %.3g GFLOP/s", 1e-9 / m->call[2]);
    if (m->call[3] > 0 && at < (int)n)
        at += snprintf(buf + at, n - (size_t)at, " + weights read at %.3g GB/s", 1e-9 / m->call[3]);
    if (m->call[4] > 0 && at < (int)n)
        snprintf(buf + at, n - (size_t)at, " + RTL at %.3g M lane-cycles/s", 1e-6 / m->call[4]);
    return buf;
}
