/* measure.h — how one target is timed on one workload point.
 *
 * Warm-up calls are excluded from the statistics but kept: the very first
 * call (cold caches, page faults, lazy init) is reported as first_ms because
 * users ask for it.  Then calls repeat until both a minimum count and a
 * minimum time are reached.  The output of the first call is checked against
 * the fp64 reference, computed once per point and shared by all targets. */
#ifndef RB_MEASURE_H
#define RB_MEASURE_H

#include <stdint.h>

#include "../workloads/model.h"
#include "energy.h"
#include "result.h"

typedef struct rb_measure_opts {
    int warmup;        /* warm-up calls, >= 1 (the first is first_ms) */
    int min_reps;      /* timed calls, at least */
    int max_reps;      /* timed calls, at most (bounds memory and time on tiny shapes) */
    double min_time_s; /* keep repeating until the timed calls add up to this */
    double timeout_s;  /* per result; checked between calls, so one call is never cut short */
} rb_measure_opts;

#define RB_MEASURE_DEFAULTS {2, 10, 100000, 0.5, 600.0}

/* Everything about a workload point that does not depend on the target. */
typedef struct rb_point {
    const rb_workload *w;
    rb_model model;
    float *x;
    rb_batch batch;
    double *y_ref;  /* [T,B,H] fp64 reference output */
    double ref_ms;  /* time the reference took (a sense of scale, not a benchmark) */
} rb_point;

int rb_point_prepare(rb_point *p, const rb_workload *w, uint64_t seed, rb_err *e);
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

/* Add a metric to a result (drops silently when full). */
void rb_result_metric(rb_result *r, const char *name, double value, const char *unit,
                      const char *source);

#endif
