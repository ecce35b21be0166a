#include "measure.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../workloads/params.h"
#include "../workloads/reference.h"
#include "clock.h"
#include "host.h"
#include "signals.h"
#include "stats.h"

/* Streams of their own, so changing a weight shape never shifts the input,
 * and the training target is not a copy of either. */
#define INPUT_SEED 0x5eedULL
#define TARGET_SEED 0x7a4e7ULL

/* The reference backward of the first training step on the checked
 * problem (p->check.w, decided by rb_point_prepare). */
static int prepare_check(rb_point *p, uint64_t seed, rb_err *e)
{
    rb_train_check *c = &p->check;
    size_t n = (size_t)c->w.seq * c->w.batch * c->w.hidden;
    if (c->reduced) {
        c->x = rb_make_input(&c->w, seed ^ INPUT_SEED, e);
        c->y_target = c->x ? rb_make_train_target(&c->w, seed ^ TARGET_SEED, e) : NULL;
        if (!c->y_target)
            return e->code;
    } else {
        c->x = p->x;
        c->y_target = p->y_target;
    }
    c->batch = (rb_batch){c->w.seq, c->w.batch, rb_workload_x_width(&c->w), c->x, NULL, NULL, NULL};
    c->mse = (rb_mse){c->y_target, n};
    c->g_ref = malloc(rb_param_total(&p->model) * sizeof *c->g_ref);
    c->dx_ref = malloc((size_t)c->w.seq * c->w.batch * c->batch.width * sizeof *c->dx_ref);
    double *y = c->reduced ? malloc(n * sizeof *y) : p->y_ref, *dy = malloc(n * sizeof *dy);
    int rc = 0;
    if (!c->g_ref || !c->dx_ref || !y || !dy)
        rc = rb_errf(e, RB_ENOMEM, "%s: out of memory for the reference backward", p->w->key);
    if (!rc && c->reduced)
        rc = rb_ref_forward(&p->model, &c->batch, y, NULL, NULL, e);
    if (!rc) {
        /* dLoss/dy of rb_mse_loss, in fp64 from the fp64 output */
        c->loss_ref = 0;
        for (size_t i = 0; i < n; i++) {
            double d = y[i] - c->y_target[i];
            c->loss_ref += d * d;
            dy[i] = d / (double)n;
        }
        c->loss_ref *= 0.5 / (double)n;
        rc = rb_ref_backward(&p->model, &c->batch, dy, c->g_ref, c->dx_ref, e);
    }
    if (c->reduced)
        free(y);
    free(dy);
    return rc;
}

int rb_point_prepare(rb_point *p, const rb_workload *w, const rb_model *weights, uint64_t seed,
                     int flags, rb_err *e)
{
    memset(p, 0, sizeof *p);
    p->w = w;
    int rc = weights ? rb_model_copy(&p->model, weights, w, e) : rb_model_alloc(&p->model, w, e);
    if (rc)
        return rc;
    if (!weights)
        rb_model_init_seeded(&p->model, seed);
    p->x = rb_make_input(w, seed ^ INPUT_SEED, e);
    size_t ny = (size_t)w->seq * w->batch * rb_workload_y_width(w);
    int train = w->mode == RB_MODE_TRAIN;
    /* Training covers the plain stack: a point that needs more (an imported
     * bidirectional model ...) gets no reference backward, and every target
     * refuses it at load as unsupported, naming what it needs. */
    int checked = train && !w->features;
    if (checked) {
        p->check.w = *w;
        if (!(flags & RB_POINT_FULL_CHECK))
            p->check.reduced = rb_train_check_workload(w, &p->check.w);
    }
    /* a training point checked on a shorter problem needs no full-size forward */
    int full_forward = !p->check.reduced;
    if (full_forward)
        p->y_ref = malloc(ny * sizeof *p->y_ref);
    if (train && p->x)
        p->y_target = rb_make_train_target(w, seed ^ TARGET_SEED, e);
    if (!p->x || (full_forward && !p->y_ref) || (train && !p->y_target)) {
        rb_point_free(p);
        return e && e->code
                   ? e->code
                   : rb_errf(e, RB_ENOMEM, "%s: out of memory for input and reference", w->key);
    }
    p->batch = (rb_batch){w->seq, w->batch, rb_workload_x_width(w), p->x, NULL, NULL, NULL};
    double t0 = rb_now_s();
    if (full_forward)
        rc = rb_ref_forward(&p->model, &p->batch, p->y_ref, NULL, NULL, e);
    if (!rc && train) {
        p->mse = (rb_mse){p->y_target, ny};
        p->io = (rb_train_io){.loss = rb_mse_loss, .ctx = &p->mse};
        rb_optim_default(&p->io.opt);
        if (checked)
            rc = prepare_check(p, seed, e);
    }
    p->ref_ms = (rb_now_s() - t0) * 1e3;
    if (rc)
        rb_point_free(p);
    return rc;
}

void rb_point_free(rb_point *p)
{
    if (p->check.reduced) {
        free(p->check.x);
        free(p->check.y_target);
    }
    free(p->check.g_ref);
    free(p->check.dx_ref);
    rb_model_free(&p->model);
    free(p->x);
    free(p->y_ref);
    free(p->y_target);
    memset(&p->check, 0, sizeof p->check);
    p->x = NULL;
    p->y_ref = NULL;
    p->y_target = NULL;
}

void rb_result_metric(rb_result *r, const char *name, double value, const char *unit,
                      const char *source)
{
    int cap = (int)(sizeof r->metrics / sizeof r->metrics[0]);
    if (r->n_metrics >= cap)
        return;
    rb_metric *m = &r->metrics[r->n_metrics++];
    snprintf(m->name, sizeof m->name, "%s", name);
    m->value = value;
    snprintf(m->unit, sizeof m->unit, "%s", unit);
    snprintf(m->source, sizeof m->source, "%s", source);
}

void rb_result_init(rb_result *r)
{
    memset(r, 0, sizeof *r);
    rb_figures_clear(r->fig);
}

void rb_result_free(rb_result *r)
{
    free(r->samples_ms);
    free(r->served);
    r->samples_ms = NULL;
    r->served = NULL;
}

static void set_status(rb_result *r, const char *status, const char *msg)
{
    r->status = status;
    /* messages longer than the column are cut, not an error */
    snprintf(r->message, sizeof r->message, "%.*s", (int)sizeof r->message - 1, msg);
}

/* One call, timed by the wall clock: a forward, or for a training point one
 * training step.  *lat_ms is what the result reports: the target's own
 * figure (simulated/modeled/device-measured) when it gives one, else the
 * wall time. */
static int timed_call(rb_target *t, rb_point *p, rb_tensor *out, rb_sample *s, double delay_ms,
                      double *wall_ms, double *lat_ms, rb_err *e)
{
    double t0 = rb_now_s();
    if (delay_ms > 0) {
        struct timespec d = {(time_t)(delay_ms / 1e3), (long)(fmod(delay_ms, 1e3) * 1e6)};
        nanosleep(&d, NULL);
    }
    int rc = p->w->mode == RB_MODE_TRAIN ? rb_target_train_step(t, &p->batch, &p->io, s, e)
                                         : rb_target_forward(t, &p->batch, out, s, e);
    *wall_ms = (rb_now_s() - t0) * 1e3;
    *lat_ms = s->device_s >= 0 ? s->device_s * 1e3 : *wall_ms;
    return rc;
}

/* Store an error against the reference and judge it: fp32 targets are held
 * to their benchdnn-style bound (tol); other number formats (fixed point,
 * reduced precision) report their error as a quality figure. */
void rb_measure_judge(rb_result *r, const rb_errstat *es, double tol, const char *what)
{
    r->err_max_abs = es->max_abs;
    r->err_max_rel = es->max_rel;
    r->err_tol = strcmp(r->numerics, "fp32") ? NAN : tol;
    if (es->nonfinite) {
        char m[160];
        snprintf(m, sizeof m, "%d non-finite %s (NaN/Inf)", es->nonfinite, what);
        set_status(r, RB_STATUS_MISMATCH, m);
    } else if (r->err_tol > 0 && es->max_rel > r->err_tol) {
        char m[200];
        snprintf(m, sizeof m,
                 "error of the %s vs reference %.3g exceeds the fp32 bound %.3g "
                 "(element %zu)",
                 what, es->max_rel, r->err_tol, es->worst);
        set_status(r, RB_STATUS_MISMATCH, m);
    }
}

static void check_output(rb_result *r, const rb_point *p, const rb_tensor *out)
{
    rb_errstat es;
    rb_compare(out->data, p->y_ref, rb_tensor_count(out), &es);
    rb_measure_judge(r, &es, rb_fp32_tolerance(p->w, 0), "outputs");
}

/* The gradients of the target's first training step (the one just taken)
 * against the reference backward. */
static int check_grads(rb_target *t, const rb_point *p, rb_result *r, rb_err *e)
{
    float *g = malloc(rb_param_total(&p->model) * sizeof *g);
    if (!g)
        return rb_errf(e, RB_ENOMEM, "%s: out of memory for the gradient check", p->w->key);
    int rc = rb_target_params(t, NULL, g, e);
    if (!rc) {
        rb_errstat es;
        rb_grad_compare(&p->model, g, p->check.g_ref, &es);
        rb_measure_judge(r, &es, rb_fp32_grad_tolerance(&p->check.w), "gradients");
    }
    free(g);
    return rc;
}

/* Appends a note for a person without hiding a message already there. */
void rb_result_note(rb_result *r, const char *note)
{
    size_t used = strlen(r->message);
    snprintf(r->message + used, sizeof r->message - used, "%s%s", used ? "; " : "", note);
}

void rb_result_power_energy(rb_result *r, const rb_device_info *d, double seconds)
{
    int user = rb_power_is_user(d);
    r->energy_j = d->power_w * seconds;
    r->energy_source = user ? RB_ESRC_USER : RB_ESRC_MODEL;
    r->energy_boundary = d->power_boundary;
    rb_result_metric(r, user ? "user_power_w" : "model_power_w", d->power_w, "W",
                     r->energy_source);
}

/* Energy per call, in order of preference: the target's own figure, the
 * meter read around the timed loop, the target's power model.  meter_j < 0
 * means no meter reading (none, or it failed: meter_failed). */
static void energy_figures(rb_result *r, const rb_target *t, const rb_sample *last,
                           const rb_energy_meter *meter, double meter_j, double meter_s,
                           int meter_failed, double sum_energy_j)
{
    int n = r->reps;
    if (meter_j >= 0 && meter_s > 0) {
        /* Kept even when the target reports its own energy: the two can be compared. */
        rb_result_metric(r, "meter_avg_power_w", meter_j / meter_s, "W", meter->source);
        if (meter->sample_period_ms > 0) {
            rb_result_metric(r, "meter_sample_period_ms", meter->sample_period_ms, "ms",
                             meter->source);
            rb_result_metric(r, "meter_samples", meter->n_samples, "samples", meter->source);
        }
    }
    if (rb_power_is_user(&t->info)) {
        rb_result_power_energy(r, &t->info, r->median_ms * 1e-3);
    } else if (last->energy_j >= 0 && last->energy_source) {
        r->energy_j = sum_energy_j / n;
        r->energy_source = last->energy_source;
        r->energy_boundary = t->info.power_boundary;
    } else if (meter_j >= 0) {
        /* The meter counts the whole package or board over the timed loop:
         * idle parts and other processes included, which is what it really drew. */
        r->energy_j = meter_j / n;
        r->energy_source = meter->source;
        r->energy_boundary = meter->boundary;
    } else if (t->info.power_w > 0) {
        rb_result_power_energy(r, &t->info, r->median_ms * 1e-3);
    }
    if (meter_failed && (last->energy_j < 0 || !last->energy_source)) {
        char m[160];
        snprintf(m, sizeof m, "the %s energy meter could not be read; energy %s", meter->source,
                 r->energy_source ? "is the model's" : "unknown");
        rb_result_note(r, m);
    }
}

/* The figures of the n timed repetitions in r->samples_ms: every quantile
 * the figure table lists, the other statistics, the rates. */
static int timed_figures(rb_result *r, int n, rb_err *e)
{
    double *sorted = malloc((size_t)n * sizeof *sorted);
    if (!sorted)
        return rb_errf(e, RB_ENOMEM, "%s: out of memory for statistics", r->w->key);
    memcpy(sorted, r->samples_ms, (size_t)n * sizeof *sorted);
    qsort(sorted, (size_t)n, sizeof *sorted, rb_cmp_double);
    rb_stats st;
    rb_stats_sorted(sorted, n, &st);
    r->reps = n;
    for (int i = 0; i < RB_N_FIGURES; i++)
        if (rb_figure_table[i].from == RB_FROM_QUANTILE)
            r->fig[i] = rb_percentile_sorted(sorted, n, 100 * rb_figure_table[i].q);
    free(sorted);
    r->mean_ms = st.mean;
    r->stddev_ms = st.stddev;
    r->ci_lo_ms = st.ci_lo;
    r->ci_hi_ms = st.ci_hi;
    double med_s = r->median_ms * 1e-3;
    if (med_s > 0) {
        r->throughput_sps = r->w->batch / med_s;
        r->gflops = rb_workload_flops(r->w) / med_s * 1e-9;
    }
    return 0;
}

/* A training point too large for the reference: one step on the checked
 * (shorter) problem, with the same weights, before the timed load. */
static int check_reduced(rb_target *t, rb_point *p, rb_result *r, rb_err *e)
{
    rb_train_io io = p->io;
    io.ctx = &p->check.mse;
    int rc = rb_target_load(t, &p->model, &p->check.w, e);
    if (!rc)
        rc = rb_target_train_step(t, &p->check.batch, &io, NULL, e);
    if (!rc)
        rc = check_grads(t, p, r, e);
    rb_target_unload(t);
    if (!rc) {
        char m[200];
        snprintf(m, sizeof m,
                 "gradients checked on T=%d B=%d with the same weights (the fp64 reference at "
                 "full size would take ~%.0f s)",
                 p->check.w.seq, p->check.w.batch, rb_workload_flops(p->w) * 1e-9);
        rb_result_note(r, m);
    }
    return rc;
}

/* Peak memory: the target's own figure (metric mem_bytes: a gpu's buffers,
 * an accelerator's on-chip bytes in use), else, for a target on the host,
 * the process's peak resident memory while the point ran (metric
 * peak_rss_bytes says so; not when the peak could not be reset, as it would
 * be the process's lifetime's). */
static void memory_figure(rb_result *r, const rb_sample *s, int rss_reset)
{
    for (int i = 0; i < s->n_metrics; i++)
        if (!strcmp(s->metrics[i].name, "mem_bytes")) {
            r->peak_mem_mb = s->metrics[i].value * 1e-6;
            return;
        }
    uint64_t rss = rss_reset ? rb_host_peak_rss() : 0;
    if (rss && !strcmp(r->latency_source, RB_SRC_MEASURED)) {
        r->peak_mem_mb = (double)rss * 1e-6;
        rb_result_metric(r, "peak_rss_bytes", (double)rss, "B", RB_SRC_MEASURED);
    }
}

/* The target vouched for the call's latency, and it is not a measurement. */
static int deterministic(const rb_sample *s)
{
    return s->device_s >= 0 && s->time_source && strcmp(s->time_source, RB_SRC_MEASURED);
}

/* RB_INJECT_DELAY_MS=TARGET:MS makes every timed call of TARGET MS slower:
 * the tests of `compare` and `history` need a slowdown that no machine
 * load can hide.  Never set in normal use; a result that has one says so. */
static double injected_delay_ms(const rb_target *t)
{
    const char *v = getenv("RB_INJECT_DELAY_MS"), *colon = v ? strchr(v, ':') : NULL;
    if (!colon || strncmp(v, t->ops->name, (size_t)(colon - v)) || t->ops->name[colon - v] != 0)
        return 0;
    double ms = atof(colon + 1);
    return ms > 0 && ms < 60e3 ? ms : 0;
}

int rb_measure(rb_target *t, rb_point *p, const rb_measure_opts *o, rb_energy_meter *meter,
               rb_result *r, rb_err *e)
{
    const rb_workload *w = p->w;
    rb_result_init(r);
    r->w = w;
    r->threads = t->threads;
    snprintf(r->numerics, sizeof r->numerics, "%s", t->info.numerics);
    set_status(r, RB_STATUS_OK, "");
    rb_result_metric(r, "reference_ms", p->ref_ms, "ms", RB_SRC_MEASURED);

    rb_err le = {0};
    int train = w->mode == RB_MODE_TRAIN;
    const double delay = injected_delay_ms(t);
    if (train && !rb_target_can_train(t)) {
        char m[160];
        snprintf(m, sizeof m, "target %s does not train (inference only)", t->ops->name);
        set_status(r, RB_STATUS_UNSUPPORTED, m);
        return 0;
    }
    if (train && p->check.reduced && check_reduced(t, p, r, &le)) {
        set_status(r, le.code == RB_EUNAVAIL ? RB_STATUS_UNSUPPORTED : RB_STATUS_FAILED, le.msg);
        return 0;
    }

    /* the point's own peak: whatever the process held before is the floor */
    int rss_reset = !rb_host_peak_rss_reset();
    double t0 = rb_now_s();
    if (rb_target_load(t, &p->model, w, &le)) {
        set_status(r, le.code == RB_EUNAVAIL ? RB_STATUS_UNSUPPORTED : RB_STATUS_FAILED, le.msg);
        return 0;
    }
    r->load_ms = (rb_now_s() - t0) * 1e3;

    size_t ny = (size_t)w->seq * w->batch * rb_workload_y_width(w);
    rb_tensor out = {malloc(ny * sizeof(float)),
                     3,
                     {(size_t)w->seq, (size_t)w->batch, (size_t)rb_workload_y_width(w), 0}};
    r->samples_ms = malloc((size_t)o->max_reps * sizeof *r->samples_ms);
    if (!out.data || !r->samples_ms) {
        free(out.data);
        rb_target_unload(t);
        return rb_errf(e, RB_ENOMEM, "%s: out of memory for output and samples", w->key);
    }

    rb_sample s;
    rb_sample_reset(&s);
    int rc = 0, timed_out = 0;
    /* A simulated or modeled latency has no run-to-run noise: the checked
     * first call is its one evaluation (reps 1), and repeating it would only
     * cost time (an RTL simulation of a large point takes minutes).  Not
     * when an energy meter reads the device: the meter wants its own run. */
    int once = 0;
    double start = rb_now_s(), wall, lat, warm_sum = 0;
    for (int i = 0; i < o->warmup; i++) {
        if ((rc = timed_call(t, p, &out, &s, delay, &wall, &lat, &le)))
            break;
        if (i == 0) {
            r->first_ms = lat;
            if (!train)
                check_output(r, p, &out);
            else if (!p->check.reduced && (rc = check_grads(t, p, r, &le)))
                break;
            once = deterministic(&s) && !(meter && meter->source);
            if (once)
                break;
        }
        warm_sum += lat;
        r->warmup = i + 1;
        if (rb_interrupted() || (timed_out = rb_now_s() - start > o->timeout_s))
            break;
    }
    if (r->warmup)
        r->warmup_mean_ms = warm_sum / r->warmup;

    double meter_j = -1, meter_t0 = 0, meter_s = 0, sum_energy = 0, timed_s = 0;
    int n = 0, have_device_time = 0, metering = 0, meter_failed = 0;
    if (!rc && meter && meter->source) {
        meter_t0 = rb_now_s();
        metering = !meter->start(meter);
        meter_failed = !metering;
    }
    if (once && !rc) {
        r->samples_ms[n++] = lat;
        timed_s = wall * 1e-3;
        have_device_time = 1;
        if (s.energy_j >= 0)
            sum_energy = s.energy_j;
    }
    while (!rc && !once && !timed_out && !rb_interrupted() && n < o->max_reps &&
           (n < o->min_reps || timed_s < o->min_time_s) &&
           !(o->budget_s > 0 && timed_s >= o->budget_s)) {
        if ((timed_out = rb_now_s() - start > o->timeout_s))
            break;
        if ((rc = timed_call(t, p, &out, &s, delay, &wall, &lat, &le)))
            break;
        r->samples_ms[n++] = lat;
        timed_s += wall * 1e-3;
        have_device_time = s.device_s >= 0;
        if (s.energy_j >= 0)
            sum_energy += s.energy_j;
    }
    if (metering) {
        /* Stopped even after a failure: a sampling meter has a thread to join. */
        meter_j = meter->stop(meter);
        meter_s = rb_now_s() - meter_t0;
        meter_failed = meter_j < 0;
        if (rc || !n)
            meter_j = -1;
    }

    if (rb_interrupted()) {
        free(out.data);
        rb_target_unload(t);
        return rb_errf(e, RB_EINTR, "interrupted during %s on %s", w->key, t->ops->name);
    }
    if (rc) {
        set_status(r, RB_STATUS_FAILED, le.msg);
    } else if (timed_out) {
        /* The statistics of what did finish are still stored: they are real. */
        char m[200];
        snprintf(m, sizeof m,
                 "stopped by --timeout-s %g after %.1f s with %d repetitions (wanted >= %d and "
                 ">= %g s)",
                 o->timeout_s, rb_now_s() - start, n, o->min_reps, o->min_time_s);
        set_status(r, RB_STATUS_TIMEOUT, m);
    }

    if (delay > 0) {
        char m[160];
        snprintf(m, sizeof m,
                 "RB_INJECT_DELAY_MS added %g ms to every call: a test of regression "
                 "detection, not a measurement",
                 delay);
        rb_result_note(r, m);
    }
    int frc = n > 0 ? timed_figures(r, n, e) : 0;
    if (n > 0 && !frc) {
        r->latency_source = have_device_time && s.time_source ? s.time_source : RB_SRC_MEASURED;
        energy_figures(r, t, &s, meter, meter_j, meter_s, meter_failed, sum_energy);
        for (int i = 0; i < s.n_metrics; i++)
            rb_result_metric(r, s.metrics[i].name, s.metrics[i].value, s.metrics[i].unit,
                             s.metrics[i].source);
        memory_figure(r, &s, rss_reset);
    }
    free(out.data);
    rb_target_unload(t);
    return frc;
}
