/* measure.h — how one target is timed on one workload point.
 *
 * Warm-up calls are excluded from the statistics but kept: the very first
 * call (cold caches, page faults, lazy init) is reported as first_ms because
 * users ask for it.  Then calls repeat until both a minimum count and a
 * minimum time are reached.  The output of the first call is checked against
 * the fp64 reference, computed once per point and shared by all targets; for
 * training, the first step's gradients against the reference backward. */
#ifndef RB_MEASURE_H
#define RB_MEASURE_H

#include <stdint.h>

#include "../targets/target.h"
#include "../workloads/model.h"
#include "../workloads/reference.h"
#include "energy.h"
#include "result.h"

typedef struct rb_measure_opts {
    int warmup;        /* warm-up calls, >= 1 (the first is first_ms) */
    int min_reps;      /* timed calls, at least */
    int max_reps;      /* timed calls, at most (bounds memory and time on tiny shapes) */
    double min_time_s; /* keep repeating until the timed calls add up to this */
    double timeout_s;  /* per result; checked between calls, so one call is never cut short */
    /* --reps auto: > 0, the timed calls stop here even short of min_reps
     * (= RB_REPS_AUTO, what a p99 needs), their p99 then marked as such */
    double budget_s;
    /* serving scenarios (serve_measure.c): every trace has at least
     * serve_min_queries queries and lasts serve_duration_s at its rate; a
     * measured target serves with serve_threads threads (0: the CPUs but
     * the one the load generator's issuer spins on) */
    double serve_duration_s;
    int serve_min_queries;
    int serve_threads;
} rb_measure_opts;

#define RB_REPS_AUTO 100          /* --reps auto: a p99 has one sample beyond it */
#define RB_REPS_AUTO_BUDGET_S 10. /* --reps auto: timed seconds per point, at most */

#define RB_MEASURE_DEFAULTS                                                                        \
    {                                                                                              \
        .warmup = 2, .min_reps = 10, .max_reps = 100000, .min_time_s = 0.5, .timeout_s = 600.0,    \
        .serve_duration_s = 1.0, .serve_min_queries = 1000                                         \
    }

/* What a training result's gradients are checked against: the reference
 * backward of the first step, on the point itself or, where that would take
 * too long, on a shorter problem with the same weights (rb_train_check_workload). */
typedef struct rb_train_check {
    rb_workload w;   /* the checked problem */
    int reduced;     /* w is shorter than the point; x and y_target are its own */
    float *x;        /* [T', B', width] */
    float *y_target; /* [T', B', H] */
    rb_batch batch;
    rb_mse mse;
    double *g_ref;  /* [rb_param_total] fp64 gradients of the first step */
    double *dx_ref; /* [T', B', width] its dLoss/dx */
    double loss_ref;
} rb_train_check;

/* Everything about a workload point that does not depend on the target. */
typedef struct rb_point {
    const rb_workload *w;
    rb_model model;
    float *x;
    rb_batch batch;
    double *y_ref; /* [T,B,D*H] fp64 reference output; NULL for a training point checked reduced */
    double ref_ms; /* time the reference took (a sense of scale, not a benchmark) */
    /* mode train: every timed call is one training step against an MSE
     * target, Adam with PyTorch's defaults (the weights move call by call,
     * as in real training) */
    float *y_target; /* [T,B,H] */
    rb_mse mse;
    rb_train_io io;
    rb_train_check check;
} rb_point;

/* flags for rb_point_prepare */
#define RB_POINT_FULL_CHECK 1 /* check training on the point itself, however long it takes */

/* The point's weights: a copy of weights (an imported model's) or, when
 * NULL, seeded; its input is always seeded (its values do not change how
 * long a call takes, and the reference checks the target on it). */
int rb_point_prepare(rb_point *p, const rb_workload *w, const rb_model *weights, uint64_t seed,
                     int flags, rb_err *e);
void rb_point_free(rb_point *p);

/* Measure t on p.  Returns 0 when r holds a result to store (its status may
 * be failed, timeout, mismatch or unsupported: those are results too), or
 * RB_EINTR when a signal stopped it (nothing to store).  Caller frees r with
 * rb_result_free.
 *
 * meter (may be NULL or a zeroed "no meter") is started right before the
 * timed calls and stopped right after them.  Energy per call is the target's
 * own figure when it reports one, else the meter's joules / calls (source
 * meter->source, metric meter_avg_power_w), else power_w × median (source
 * "model", metric model_power_w).  A meter that fails to read falls back to
 * the model, and the result's message says so. */
int rb_measure(rb_target *t, rb_point *p, const rb_measure_opts *o, rb_energy_meter *meter,
               rb_result *r, rb_err *e);
void rb_result_free(rb_result *r);

/* A serving scenario's point (w->serve.scenario set) on t, an instance of
 * in (serve_measure.c): checked once as rb_measure checks any point, then
 * served — under the real load generator when t's latency is measured, by
 * the event simulation of the same server when it is simulated or modeled.
 * The latency quantiles are of every query, reps the queries; r->served
 * holds the histograms and the load points.  Returns as rb_measure. */
int rb_measure_serving(rb_target *t, const rb_instance *in, rb_point *p, const rb_measure_opts *o,
                       rb_energy_meter *meter, rb_result *r, rb_err *e);

/* Add a metric to a result (drops silently when full). */
/* Energy from the device's power figure over `seconds` (a call's median, a
 * query's share of the busy time): a person's power (--power, source user)
 * or the target's power model (source model), with its boundary and the
 * power as a metric. */
void rb_result_power_energy(rb_result *r, const rb_device_info *d, double seconds);
/* Appends a note for a person to r's message, without hiding one there. */
void rb_result_note(rb_result *r, const char *note);
/* An error against the reference into r and judged: an fp32 target is held
 * to tol, and over it (or with a NaN) the status is mismatch, the message
 * naming what was compared; another number format reports its error. */
void rb_measure_judge(rb_result *r, const rb_errstat *es, double tol, const char *what);
void rb_result_metric(rb_result *r, const char *name, double value, const char *unit,
                      const char *source);

#endif
